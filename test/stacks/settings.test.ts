import { describe, expect, it } from "vitest";
import { versions } from "../../components/versions";
import { gkeSettings } from "../../stacks/gke-settings";
import { homelabSettings } from "../../stacks/homelab-settings";
import { problems, raw } from "../support/stack-config";

const lab = {
  controllerHost: "10.0.0.10",
  workerHosts: ["spark-1.lan", "spark-2.lan"],
  workerAddresses: ["192.168.100.1", "192.168.100.2"],
  workerNames: ["spark-1", "spark-2"],
  roceInterface: "enp1s0f0np0",
  roceHcas: ["rocep1s0f0"],
};

describe("homelabSettings", () => {
  it("derives addresses, pins and the NFS cache on the controller", () => {
    const s = homelabSettings(raw(lab));
    expect(s.controller.address).toBe("10.0.0.10");
    expect(s.workers.map((w) => w.address)).toEqual(["192.168.100.1", "192.168.100.2"]);
    expect(s.tensorParallel).toBe(2);
    expect(s.microk8sChannel).toBe(versions.microk8sChannel);
    expect(s.image).toBe(versions.ngcVllmImage);
    expect(s.modelCache).toEqual({
      kind: "nfs",
      server: "10.0.0.10",
      path: "/srv/llm-serving/hf-cache",
    });
  });

  it("reports every missing or inconsistent key at once", () => {
    const p = problems(() =>
      homelabSettings(raw({ workerHosts: ["a", "b"], workerNames: ["A"], modelCache: "nfs2" })),
    );
    expect(Object.keys(p).sort()).toEqual(
      [
        "controllerHost",
        "modelCache",
        "roceHcas",
        "roceInterface",
        "workerNames",
        "workerNames[0]",
      ].sort(),
    );
    expect(p.controllerHost).toMatch(/pulumi config set controllerHost/);
  });

  it("rejects a machine listed twice", () => {
    const p = problems(() =>
      homelabSettings(
        raw({ ...lab, workerHosts: ["10.0.0.10", "b"], workerAddresses: [], workerNames: [] }),
      ),
    );
    expect(p.workerHosts).toMatch(/appears twice/);
  });
});

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
