import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateVllmServerArgs } from "../../components/vllm/args";
import { roleScript, shellQuote, type VllmRole } from "../../components/vllm/command";
import { baseArgs, PROFILE_ARGS } from "./fixtures";

/** Every script a server can run: each profile x launcher x role. */
function allScripts(): Array<{ id: string; script: string }> {
  const out: Array<{ id: string; script: string }> = [];
  for (const [profile, network] of Object.entries(PROFILE_ARGS)) {
    const single = validateVllmServerArgs(
      baseArgs({ network, parallelism: { tensor: 2 } }),
      "chat",
    );
    out.push({ id: `${profile}-server`, script: roleScript(single, "server") });
    if (profile === "nvlink") continue;
    for (const launcher of ["mp", "ray"] as const) {
      const multi = validateVllmServerArgs(
        baseArgs({ network, launcher, parallelism: { tensor: 2, nodes: 2 } }),
        "chat",
      );
      for (const role of ["leader", "worker"] as VllmRole[]) {
        out.push({ id: `${profile}-${launcher}-${role}`, script: roleScript(multi, role) });
      }
    }
  }
  return out;
}

describe("container scripts", () => {
  it("pass shellcheck (profile x launcher x role)", () => {
    const dir = mkdtempSync(join(tmpdir(), "vllm-scripts-"));
    const files = allScripts().map(({ id, script }) => {
      const file = join(dir, `${id}.sh`);
      writeFileSync(file, `#!/bin/bash\n${script}`);
      return file;
    });
    expect(files.length).toBe(16);
    // Throws with shellcheck's findings on any warning.
    execFileSync("shellcheck", ["--severity=style", ...files], { encoding: "utf8" });
  });

  it("shellQuote round-trips any word through bash", () => {
    const words = fc.sample(fc.string({ unit: "grapheme-ascii", minLength: 1 }), {
      numRuns: 40,
      seed: 42,
    });
    const script = `printf '%s\\0' ${words.map(shellQuote).join(" ")}`;
    const out = execFileSync("bash", ["-c", script], { encoding: "utf8" });
    expect(out.split("\0").slice(0, -1)).toEqual(words);
  });

  it("plain words stay readable", () => {
    expect(shellQuote("Qwen/Qwen3-8B")).toBe("Qwen/Qwen3-8B");
    expect(shellQuote("--max-model-len=8192")).toBe("--max-model-len=8192");
    expect(shellQuote("a b")).toBe("'a b'");
  });
});
