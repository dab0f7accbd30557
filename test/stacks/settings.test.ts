import { describe, expect, it } from "vitest";
import { gkeSettings } from "../../stacks/gke-settings";
import { problems, raw } from "../support/stack-config";

const gke = {
  gcpProject: "my-project-123",
  gcpZone: "europe-west1-b",
  reservation: "a3u-res",
  masterAuthorizedCidrs: ["203.0.113.0/24"],
};

describe("gkeSettings", () => {
  it("derives the region and the enabled shapes", () => {
    const s = gkeSettings(raw({ ...gke, multiNodeEnabled: true, gpuNodeCount: 3 }));
    expect(s.region).toBe("europe-west1");
    expect(
      s.models.map((m) => [m.name, m.tensor, m.pipeline, m.nodes, m.gpusPerNode, m.profile]),
    ).toEqual([
      ["single-gpu", 1, 1, 1, 1, "nvlink"],
      ["one-node", 2, 1, 1, 2, "nvlink"],
      ["multi-node", 8, 2, 2, 8, "gke-rdma"],
    ]);
  });

  it("ties the reservation to capacityMode reservation, by key", () => {
    expect(problems(() => gkeSettings(raw({ ...gke, reservation: "" }))).reservation).toMatch(
      /needs the reservation's name/,
    );
    expect(problems(() => gkeSettings(raw({ ...gke, capacityMode: "spot" }))).reservation).toMatch(
      /unset it for spot/,
    );
    expect(
      problems(() => gkeSettings(raw({ ...gke, capacityMode: "ondemand" }))).capacityMode,
    ).toMatch(/reservation, spot or flex-start/);
  });

  it("rejects more nodes than the pool has (see gke-settings.test.ts for placement)", () => {
    const p = problems(() => gkeSettings(raw({ ...gke, multiNodeEnabled: true, gpuNodeCount: 2 })));
    expect(p.gpuNodeCount).toMatch(/may need 3 nodes but the pool has at most 2 \(1 missing\)/);
  });

  it("rejects shapes that do not fit A3 Ultra nodes, by key", () => {
    const p = problems(() =>
      gkeSettings(
        raw({
          gcpZone: "nowhere",
          reservation: "a3u-res",
          masterAuthorizedCidrs: gke.masterAuthorizedCidrs,
          oneNodeTensorParallel: 3,
          multiNodeEnabled: true,
          multiNodeTensorParallel: 3,
          multiNodePipelineParallel: 1,
        }),
      ),
    );
    expect(Object.keys(p).sort()).toEqual(
      [
        "gcpProject",
        "gcpZone",
        "multiNodePipelineParallel",
        "multiNodeTensorParallel",
        "oneNodeTensorParallel",
      ].sort(),
    );
  });
});
