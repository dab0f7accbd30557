/**
 * GKE stack settings: the hardening keys and the placement check, through `gkeSettings` as
 * the stack program calls it, and over the shipped example config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkGpuPlacement, gpuPodSets } from "../../components/gke/placement";
import { vllmServerPlan } from "../../components/vllm/plan";
import { PACK_GROUP_LABEL } from "../../components/vllm/workload";
import { gkeServerArgs, SHARED_NODE_GROUP } from "../../stacks/gke-servers";
import { gkeSettings, storageBytes } from "../../stacks/gke-settings";
import { problems, raw } from "../support/stack-config";

const root = path.join(__dirname, "..", "..");

/** The shipped example's plain values, as `pulumi config` would hand them to the program. */
function exampleValues(): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(root, "stacks", "Pulumi.gke.yaml"), "utf8"));
  return Object.fromEntries(
    Object.entries(doc.config as Record<string, unknown>)
      // Secrets (`secure:`) are not plain values; object keys such as autoscaling are.
      .filter(([, v]) => typeof v !== "object" || v === null || !("secure" in v))
      .map(([k, v]) => [
        k.replace(/^llm-serving:/, ""),
        typeof v === "string" ? v : JSON.stringify(v),
      ]),
  );
}

const gke = {
  gcpProject: "my-project-123",
  gcpZone: "europe-west1-b",
  reservation: "a3u-res",
  masterAuthorizedCidrs: ["203.0.113.0/24"],
};

describe("the example GKE config", () => {
  const s = gkeSettings(raw(exampleValues()));

  it("enables a 1-GPU server, a 2-GPU server and a 2 × 8-GPU LWS on a pool of 3 nodes", () => {
    expect(s.gpuNodeCount).toBe(3);
    expect(s.models.map((m) => [m.name, m.nodes, m.gpusPerNode])).toEqual([
      ["single-gpu", 1, 1],
      ["one-node", 1, 2],
      ["multi-node", 2, 8],
    ]);
  });

  it("passes the capacity check only because its small servers pack onto one node", () => {
    const sets = s.models.flatMap((m) => {
      const plan = vllmServerPlan(gkeServerArgs(s, m), m.name);
      return gpuPodSets((plan.deployment ?? plan.leaderWorkerSet) as never);
    });
    const pool = { maxNodes: 3, gpusPerNode: 8 };
    expect(checkGpuPlacement(pool, sets)).toMatchObject({ fits: true, nodesNeeded: 3 });
    const unpacked = sets.map(({ packGroup: _, ...rest }) => rest);
    expect(checkGpuPlacement(pool, unpacked)).toMatchObject({ fits: false, nodesNeeded: 4 });
  });

  it("renders the packing the check relied on: a shared-node affinity on the small servers only", () => {
    for (const m of s.models) {
      const plan = vllmServerPlan(gkeServerArgs(s, m), m.name);
      const pod = plan.deployment?.spec?.template.spec;
      const packed = pod?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      expect(packed?.[0]?.labelSelector?.matchLabels, m.name).toEqual(
        m.nodes === 1 ? { [PACK_GROUP_LABEL]: SHARED_NODE_GROUP } : undefined,
      );
    }
  });

  it("requests local SSD for the weights only where the multi-node pods download them (modelStore hub)", () => {
    const hub = gkeSettings(
      raw({ ...gke, multiNodeEnabled: true, gpuNodeCount: 3, modelStore: "hub" }),
    );
    for (const [settings, downloads] of [
      [s, false],
      [hub, true],
    ] as const) {
      for (const m of settings.models) {
        const plan = vllmServerPlan(gkeServerArgs(settings, m), m.name);
        const requests = JSON.stringify(plan.deployment ?? plan.leaderWorkerSet);
        expect(requests.includes('"ephemeral-storage":"1000G"'), m.name).toBe(
          downloads && m.nodes > 1,
        );
      }
    }
  });
});

describe("gkeSettings placement", () => {
  it("fails at config time, by gpuNodeCount, naming the shapes, the missing nodes and the fix", () => {
    const p = problems(() => gkeSettings(raw({ ...gke, multiNodeEnabled: true, gpuNodeCount: 2 })));
    expect(Object.keys(p)).toEqual(["gpuNodeCount"]);
    expect(p.gpuNodeCount).toContain("(1 missing)");
    expect(p.gpuNodeCount).toContain("multi-node: 2 nodes");
    expect(p.gpuNodeCount).toContain("single-gpu + one-node: 1 node");
    expect(p.gpuNodeCount).toMatch(
      /Raise gpuNodeCount to at least 3, or set one of singleGpuEnabled, oneNodeEnabled, multiNodeEnabled to false$/,
    );
  });

  it("counts a whole-node one-node server as a node of its own", () => {
    const s = { ...gke, oneNodeTensorParallel: 8, multiNodeEnabled: true, gpuNodeCount: 3 };
    expect(problems(() => gkeSettings(raw(s))).gpuNodeCount).toMatch(/may need 4 nodes/);
    expect(gkeSettings(raw({ ...s, gpuNodeCount: 4 })).models).toHaveLength(3);
  });

  it("places the small servers alone on one node", () => {
    expect(gkeSettings(raw({ ...gke, gpuNodeCount: 1 })).models).toHaveLength(2);
  });
});

describe("gkeSettings hardening keys", () => {
  it("requires masterAuthorizedCidrs, by key, and refuses 0.0.0.0/0", () => {
    const { masterAuthorizedCidrs: _, ...open } = gke;
    expect(problems(() => gkeSettings(raw(open))).masterAuthorizedCidrs).toMatch(
      /required for the gke stack/,
    );
    expect(
      problems(() => gkeSettings(raw({ ...gke, masterAuthorizedCidrs: ["0.0.0.0/0"] })))[
        "masterAuthorizedCidrs[0]"
      ],
    ).toMatch(/authorizes every address/);
    expect(
      problems(() => gkeSettings(raw({ ...gke, masterAuthorizedCidrs: ["10.1.2.3/8"] })))[
        "masterAuthorizedCidrs[0]"
      ],
    ).toMatch(/host bits set/);
  });

  it("takes the multi-node storage as a size that fits the node's local SSD", () => {
    expect(storageBytes("1000G")).toBe(1e12);
    expect(storageBytes("2Ti")).toBe(2 * 2 ** 40);
    expect(storageBytes("lots")).toBeUndefined();
    for (const bad of ["13T", "900", "1.5T"]) {
      expect(
        problems(() => gkeSettings(raw({ ...gke, multiNodeModelStorage: bad })))
          .multiNodeModelStorage,
        bad,
      ).toMatch(/at most the node's 32 × 375 GB/);
    }
  });
});
