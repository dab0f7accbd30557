import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkGpuPlacement,
  type GpuPodSet,
  gpuPodSets,
  placementFailures,
} from "../../components/gke/placement";
import type { VllmServerArgs } from "../../components/vllm/args";
import { vllmServerPlan } from "../../components/vllm/plan";
import { PACK_GROUP_LABEL } from "../../components/vllm/workload";

const pool = { maxNodes: 3, gpusPerNode: 8 };
const single: GpuPodSet = { workload: "single-gpu", pods: 1, gpusPerPod: 1 };
const oneNode: GpuPodSet = { workload: "one-node", pods: 1, gpusPerPod: 2 };
const lws: GpuPodSet = { workload: "multi-node", pods: 2, gpusPerPod: 8 };
const packed = (s: GpuPodSet): GpuPodSet => ({ ...s, packGroup: "g" });

/** The pod sets of a server, read from the manifest its plan renders. */
function setsOf(args: VllmServerArgs, name: string): GpuPodSet[] {
  const plan = vllmServerPlan(args, name);
  return gpuPodSets((plan.deployment ?? plan.leaderWorkerSet) as never);
}

describe("checkGpuPlacement", () => {
  it("fits the example: the small servers packed on one node, the LWS group on two", () => {
    const r = checkGpuPlacement(pool, [packed(single), packed(oneNode), lws]);
    expect(r.fits).toBe(true);
    expect(r.nodesNeeded).toBe(3);
    expect(r.demands).toEqual([
      { workload: "multi-node", nodes: 2, why: expect.stringMatching(/whole node each/) },
      { workload: "single-gpu + one-node", nodes: 1, why: expect.stringMatching(/packed/) },
    ]);
  });

  it("rejects the example unpacked: two small pods may hold two nodes the LWS group needs", () => {
    const r = checkGpuPlacement(pool, [single, oneNode, lws]);
    expect(r.fits).toBe(false);
    expect(r.nodesNeeded).toBe(4);
    const [msg] = placementFailures(r);
    expect(msg).toMatch(/may need 4 nodes but the pool has at most 3 \(1 missing\)/);
    for (const shape of ["single-gpu: 1 node", "one-node: 1 node", "multi-node: 2 nodes"]) {
      expect(msg).toContain(shape);
    }
  });

  it("rejects the packed example on a pool of 2", () => {
    const r = checkGpuPlacement({ ...pool, maxNodes: 2 }, [packed(single), packed(oneNode), lws]);
    expect(r.fits).toBe(false);
    expect(placementFailures(r)[0]).toMatch(/\(1 missing\)/);
  });

  it("rejects a pack group that other partial-node pods may crowd off its node", () => {
    const crowd: GpuPodSet = { workload: "other", pods: 1, gpusPerPod: 6 };
    const r = checkGpuPlacement({ ...pool, maxNodes: 9 }, [packed(single), packed(oneNode), crowd]);
    expect(r.fits).toBe(false);
    expect(r.overflows).toEqual([
      { group: "g", workloads: ["single-gpu", "one-node"], gpus: 3, othersGpus: 6 },
    ]);
    expect(placementFailures(r)).toEqual([
      "single-gpu + one-node must share one node (g) and need 3 GPUs there, but 6 GPUs of other partial-node pods may reach that node first",
    ]);
  });

  it("rejects a group larger than a node, and a pod larger than a node", () => {
    expect(checkGpuPlacement(pool, [{ ...packed(single), pods: 9 }]).overflows).toHaveLength(1);
    const r = checkGpuPlacement(pool, [{ workload: "huge", pods: 1, gpusPerPod: 16 }]);
    expect(r.fits).toBe(false);
    expect(placementFailures(r)).toEqual(["huge asks for 16 GPUs per pod, more than a node has"]);
  });

  /**
   * The guarantee: when the check passes, no order and no placement the rules allow leaves a
   * pod without a node. Pods arrive in a random order and each goes to a random node among
   * those the scheduler may pick (room for its GPUs; its pack group's node once the group
   * has one; a new node while the pool is below its maximum).
   */
  it("never deadlocks when it passes, whatever the scheduler's order and choices", () => {
    const podSet = fc.record({
      pods: fc.integer({ min: 1, max: 3 }),
      gpusPerPod: fc.constantFrom(1, 2, 4, 8),
      packGroup: fc.constantFrom(undefined, "a", "b"),
    });
    fc.assert(
      fc.property(
        fc.array(podSet, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.infiniteStream(fc.nat()),
        (raw, maxNodes, choices) => {
          const sets = raw.map((s, i) => ({
            workload: `w${i}`,
            pods: s.pods,
            gpusPerPod: s.gpusPerPod,
            ...(s.packGroup ? { packGroup: s.packGroup } : {}),
          }));
          const report = checkGpuPlacement({ maxNodes, gpusPerNode: 8 }, sets);
          if (!report.fits) return true;
          const pick = choices[Symbol.iterator]();
          const next = (n: number) => (pick.next().value as number) % n;
          const pods = sets.flatMap((s) => Array.from({ length: s.pods }, () => s));
          const free: number[] = [];
          const groupNode = new Map<string, number>();
          while (pods.length > 0) {
            const [pod] = pods.splice(next(pods.length), 1);
            if (!pod) break;
            const known = pod.packGroup ? groupNode.get(pod.packGroup) : undefined;
            const candidates =
              known !== undefined
                ? [known]
                : [...free.keys(), ...(free.length < maxNodes ? [free.length] : [])];
            const fitting = candidates.filter((n) => (free[n] ?? 8) >= pod.gpusPerPod);
            if (fitting.length === 0) return false;
            const node = fitting[next(fitting.length)] as number;
            free[node] = (free[node] ?? 8) - pod.gpusPerPod;
            if (pod.packGroup) groupNode.set(pod.packGroup, node);
          }
          return true;
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("gpuPodSets reads what the manifests enforce", () => {
  const base: VllmServerArgs = { model: { id: "org/model" }, namespace: "llm" };

  it("a packed Deployment: replicas, GPUs per pod and its pack group", () => {
    expect(
      setsOf({ ...base, replicas: 2, parallelism: { tensor: 2 }, packGroup: "shared" }, "small"),
    ).toEqual([
      { workload: "small", pods: 2, gpusPerPod: 2, packGroup: `${PACK_GROUP_LABEL}=shared` },
    ]);
  });

  it("an LWS: leaders and workers of every group", () => {
    expect(
      setsOf(
        {
          ...base,
          replicas: 2,
          parallelism: { tensor: 8, pipeline: 3, nodes: 3 },
          network: { profile: "tcp" },
        },
        "big",
      ),
    ).toEqual([
      { workload: "big", pods: 2, gpusPerPod: 8 },
      { workload: "big", pods: 4, gpusPerPod: 8 },
    ]);
  });

  it("counts an affinity as packing only when the pod's own labels satisfy it", () => {
    const plan = vllmServerPlan({ ...base, packGroup: "shared" }, "small");
    const d = structuredClone(plan.deployment);
    const labels = d?.spec?.template.metadata?.labels as Record<string, string>;
    labels[PACK_GROUP_LABEL] = "elsewhere";
    expect(gpuPodSets(d as never)).toEqual([{ workload: "small", pods: 1, gpusPerPod: 1 }]);
    expect(setsOf(base, "plain")).toEqual([{ workload: "plain", pods: 1, gpusPerPod: 1 }]);
  });
});
