import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  findUpstreamDir,
  hasUpstream,
  UPSTREAM_DIR,
  UPSTREAM_ENV,
  upstreamCandidates,
  upstreamMissingMessage,
  upstreamPath,
} from "./upstream";

describe("upstream locator", () => {
  it("looks in $LLM_SERVING_UPSTREAM, then the repo's sibling shared/upstream, then /work/shared", () => {
    const candidates = upstreamCandidates({ [UPSTREAM_ENV]: "/x/upstream" });
    expect(candidates[0]).toBe("/x/upstream");
    expect(candidates[1]).toBe(join(__dirname, "..", "..", "..", "shared", "upstream"));
    expect(candidates.at(-1)).toBe("/work/shared/upstream");
    expect(upstreamCandidates({})).toHaveLength(2);
  });

  it("takes the first candidate that holds a README.md, none when none does", () => {
    const root = mkdtempSync(join(tmpdir(), "upstream-"));
    const empty = join(root, "empty");
    const real = join(root, "real");
    mkdirSync(empty);
    mkdirSync(real);
    writeFileSync(join(real, "README.md"), "# upstream\n");
    expect(findUpstreamDir([join(root, "absent"), empty, real])).toBe(real);
    expect(findUpstreamDir([join(root, "absent"), empty])).toBeUndefined();
  });

  it("says what is skipped, where it looked and how to fix it", () => {
    const message = upstreamMissingMessage("LWS validation");
    expect(message).toContain("LWS validation is skipped");
    expect(message).toContain("/work/shared/upstream");
    expect(message).toContain(UPSTREAM_ENV);
  });

  it.skipIf(!hasUpstream)("resolves present files and throws on a missing one", () => {
    expect(upstreamPath("README.md")).toBe(join(UPSTREAM_DIR as string, "README.md"));
    expect(() => upstreamPath("no-such-file.json")).toThrow(/does not exist: add it/);
  });
});
