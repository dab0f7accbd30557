/** The README's component example, run as written (under mocks) against this package. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { recordRegistrations } from "../../cli/recorder";
import * as components from "../../components";

const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");

describe("README", () => {
  it("shows the fresh-machine commands", () => {
    expect(readme).toContain("npm ci && npm run plan -- homelab");
    expect(readme).toContain("npm ci && npm test");
  });

  it("runs its component example as written", async () => {
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const rec = await recordRegistrations({ project: "readme", stack: "dev" });
    const js = ts.transpileModule(example ?? "", {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const module = { exports: {} as Record<string, unknown> };
    new Function("require", "module", "exports", "process", js)(
      (id: string) => (id === "llm-serving" ? components : require(id)),
      module,
      module.exports,
      process,
    );
    await rec.settle();
    const types = rec.resources.map((r) => r.type);
    expect(types).toContain("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet");
    const lws = rec.resources.find((r) => r.type.endsWith(":LeaderWorkerSet"));
    const release = rec.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
    expect(lws?.dependencies).toContain(release?.urn);
    expect(module.exports.openaiBaseUrl).toBeDefined();
  });
});
