/**
 * The stacks' autoscaling keys: parsed by key, held to the GPU budget the stack declares
 * (home lab: workers × 1 GPU; GKE: the H200 pool's placement at every maxReplicas), and
 * passed to the servers the stacks render.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { versions } from "../../components/versions";
import { SERVING_METRICS } from "../../components/vllm/nim";
import { vllmServerPlan } from "../../components/vllm/plan";
import { gkeServerArgs } from "../../stacks/gke-servers";
import { gkeSettings } from "../../stacks/gke-settings";
import { homelabSettings } from "../../stacks/homelab-settings";
import { problems, raw } from "../support/stack-config";
import { MINIMAL_LAB } from "./lab-config";

const lab = MINIMAL_LAB;

/** The shipped GKE example's plain values (secrets left out), as the program reads them. */
function gkeExample(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const file = path.join(__dirname, "..", "..", "stacks", "Pulumi.gke.yaml");
  const doc = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const values = Object.fromEntries(
    Object.entries(doc.config)
      .filter(([, v]) => typeof v !== "object" || v === null || !("secure" in v))
      .map(([k, v]) => [k.replace(/^llm-serving:/, ""), v]),
  );
  return { ...values, ...overrides };
}

describe("home lab autoscaling", () => {
  it("is off by default: no autoscaling, the pinned KEDA chart", () => {
    const s = homelabSettings(raw(lab));
    expect(s.autoscaling).toBeUndefined();
    expect(s.kedaVersion).toBe(versions.kedaChart);
  });

  it("scale to zero fits: one replica spans both workers", () => {
    const autoscaling = { maxReplicas: 1, minReplicas: 0, wakeQuery: 'sum(up{job="gw"})' };
    expect(homelabSettings(raw({ ...lab, autoscaling })).autoscaling).toEqual(autoscaling);
  });

  it("a second replica does not fit two GB10 workers: names autoscaling.maxReplicas and the fix", () => {
    const p = problems(() => homelabSettings(raw({ ...lab, autoscaling: { maxReplicas: 2 } })));
    expect(Object.keys(p)).toEqual(["autoscaling.maxReplicas"]);
    expect(p["autoscaling.maxReplicas"]).toMatch(
      /2 replicas × 2 GPUs = 4 GPUs, but the stack declares 2 .*at most 1/,
    );
  });

  it("needs the stack's Prometheus, and reports bad fields by key", () => {
    const p = problems(() =>
      homelabSettings(
        raw({ ...lab, monitoring: false, autoscaling: { maxReplicas: 1, queueDepth: 0 } }),
      ),
    );
    expect(Object.keys(p).sort()).toEqual(["autoscaling", "autoscaling.queueDepth"]);
    expect(p.autoscaling).toMatch(/set monitoring to true/);
  });

  it("rejects a non-object value by key", () => {
    expect(Object.keys(problems(() => homelabSettings(raw({ ...lab, autoscaling: [1] }))))).toEqual(
      ["autoscaling"],
    );
  });
});

describe("GKE autoscaling", () => {
  const gke = gkeSettings(raw(gkeExample()));

  it("the example scales both single-node servers, their maxima leaving the NIM's GPU on the shared node", () => {
    const scaled = gke.models.filter((m) => m.autoscaling);
    expect(scaled.map((m) => [m.name, m.autoscaling?.maxReplicas])).toEqual([
      ["single-gpu", 3],
      ["one-node", 2],
    ]);
    const gpus = scaled.reduce((n, m) => n + (m.autoscaling?.maxReplicas ?? 0) * m.gpusPerNode, 0);
    expect(gpus).toBe(7);
    for (const m of gke.models) {
      const plan = vllmServerPlan(gkeServerArgs(gke, m), m.name);
      expect(plan.scaledObject !== undefined, m.name).toBe(m.autoscaling !== undefined);
    }
  });

  it("one more replica overflows the shared node: names the autoscaling key, not gpuNodeCount", () => {
    expect(() => gkeSettings(raw(gkeExample({ nimEnabled: true })))).not.toThrow();
    const withNim = problems(() =>
      gkeSettings(raw(gkeExample({ nimEnabled: true, singleGpuAutoscaling: { maxReplicas: 4 } }))),
    );
    expect(Object.keys(withNim)).toContain("singleGpuAutoscaling.maxReplicas");
    const p = problems(() =>
      gkeSettings(raw(gkeExample({ singleGpuAutoscaling: { maxReplicas: 5 } }))),
    );
    expect(Object.keys(p).sort()).toEqual([
      "oneNodeAutoscaling.maxReplicas",
      "singleGpuAutoscaling.maxReplicas",
    ]);
    expect(p["singleGpuAutoscaling.maxReplicas"]).toMatch(/Lower maxReplicas/);
  });

  it("the NIM server autoscales on nimAutoscaling, on NIM's series, within the shared node's GPUs", () => {
    const nimOn = (nimAutoscaling: Record<string, unknown>, single = { maxReplicas: 2 }) =>
      gkeSettings(
        raw(gkeExample({ nimEnabled: true, nimAutoscaling, singleGpuAutoscaling: single })),
      );
    const s = nimOn({ maxReplicas: 2 });
    const nim = s.models.find((m) => m.name === "nim");
    expect(nim?.autoscaling?.maxReplicas).toBe(2);
    const so = vllmServerPlan(
      gkeServerArgs(s, nim as (typeof s.models)[number]),
      "nim",
    ).scaledObject;
    expect(so?.spec.triggers[0].metadata.query).toBe(
      `sum(${SERVING_METRICS.nim.waiting}{namespace="${s.namespace}",server="nim"})`,
    );
    // 3 × 1 + 2 × 2 + 2 × 1 = 9 GPUs: one more than the shared node has.
    const p = problems(() => nimOn({ maxReplicas: 2 }, { maxReplicas: 3 }));
    expect(Object.keys(p)).toContain("nimAutoscaling.maxReplicas");
    expect(Object.keys(problems(() => nimOn({ maxReplicas: 0 })))).toEqual([
      "nimAutoscaling.maxReplicas",
    ]);
  });

  it("a whole-node server at maxReplicas needs its nodes: names the key and the node count", () => {
    const p = problems(() =>
      gkeSettings(
        raw(
          gkeExample({
            singleGpuAutoscaling: {},
            oneNodeAutoscaling: {},
            multiNodeAutoscaling: { maxReplicas: 2 },
          }),
        ),
      ),
    );
    expect(Object.keys(p)).toEqual(["multiNodeAutoscaling.maxReplicas"]);
    expect(p["multiNodeAutoscaling.maxReplicas"]).toMatch(/gpuNodeCount to at least 5/);
  });

  it("starting replicas that do not fit still name gpuNodeCount", () => {
    const p = problems(() => gkeSettings(raw(gkeExample({ gpuNodeCount: 2 }))));
    expect(Object.keys(p)).toEqual(["gpuNodeCount"]);
  });
});
