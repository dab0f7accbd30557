import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { benchObject, benchYaml } from "../../bench/manifests";
import { evaluateManifests } from "../../policy/engine";
import { expectValidManifest } from "../support/k8s-schema";

const ROOT = join(__dirname, "..", "..");

describe("bench", () => {
  it("generates valid Deployments, LeaderWorkerSets and Pods, every 10th violating a mandatory rule", () => {
    const objects = parseAllDocuments(benchYaml(30)).map(
      (d) => d.toJS() as Record<string, unknown>,
    );
    expect(objects.map((o) => o.kind).slice(0, 3)).toEqual([
      "Deployment",
      "LeaderWorkerSet",
      "Pod",
    ]);
    // one of each kind, compliant and violating (schema validation is slow: not all 30)
    for (const o of [...objects.slice(0, 3), objects[10], objects[20]]) expectValidManifest(o);
    const v = evaluateManifests(objects.map((object, i) => ({ object, id: `b#${i}` })));
    const mandatory = new Set(v.filter((x) => x.level === "mandatory").map((x) => x.resource));
    expect([...mandatory].sort()).toEqual(
      [0, 10, 20].map((i) => `${benchObject(i).kind}/llm/model-${i}`).sort(),
    );
  });

  it("npm run bench runs end to end on a small N and reports both medians and the ratio", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.bench).toBe("tsx bench/check-bench.ts");
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "bench/check-bench.ts", "--objects", "20", "--runs", "1"],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^objects: 20 \(/);
    expect(r.stdout).toMatch(
      /^wall: parse median \d+ ms \(\d+\); check median \d+ ms \(\d+\); check\/parse = \d+\.\d\d/m,
    );
  });
});
