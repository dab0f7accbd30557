import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { benchObject, benchYaml } from "../../bench/manifests";
import { evaluateManifests } from "../../policy/engine";
import { expectValidManifest } from "../support/k8s-schema";

const ROOT = join(__dirname, "..", "..");

describe("bench", () => {
  it("generates workloads each with its Service, every 10th workload violating a mandatory rule", () => {
    const objects = parseAllDocuments(benchYaml(60)).map(
      (d) => d.toJS() as Record<string, unknown>,
    );
    expect(objects.map((o) => o.kind).slice(0, 6)).toEqual([
      "Deployment",
      "Service",
      "LeaderWorkerSet",
      "Service",
      "Pod",
      "Service",
    ]);
    // one of each kind, compliant and violating (schema validation is slow: not all 60)
    for (const o of [...objects.slice(0, 6), objects[20], objects[40]]) expectValidManifest(o);
    const v = evaluateManifests(objects.map((object, i) => ({ object, id: `b#${i}` })));
    // every Service selects its workload; only the broken workloads fail
    expect(v.filter((x) => x.policy === "service-selects-pods")).toEqual([]);
    const mandatory = new Set(v.filter((x) => x.level === "mandatory").map((x) => x.resource));
    expect([...mandatory].sort()).toEqual(
      [0, 20, 40].map((i) => `${benchObject(i).kind}/llm/model-${i / 2}`).sort(),
    );
    expect(v.filter((x) => x.level === "advisory")).toEqual([]);
  });

  it("writes each object exactly as yaml would stringify it", () => {
    const naive = Array.from({ length: 90 }, (_, i) => stringify(benchObject(i))).join("---\n");
    expect(benchYaml(90)).toBe(naive);
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
        timeout: 110_000,
      },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^objects: 20 \(/m);
    expect(r.stdout).toMatch(
      /^wall: parse median \d+ ms \(\d+\); check median \d+ ms \(\d+\); check\/parse = \d+\.\d\d \(goal <= 1\.30\)/m,
    );
    expect(r.stdout).toMatch(/^memory: parse peak \d+ MB; check peak \d+ MB \(goal < 2048 MB\)/m);
  }, 120_000);
});
