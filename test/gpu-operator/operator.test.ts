import { beforeAll, describe, expect, it } from "vitest";
import { type RecordedResource, type Recording, recordRegistrations } from "../../cli/recorder";
import { GpuOperator } from "../../components/gpu-operator/operator";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import { expectValidManifest } from "../support/k8s-schema";
import { outputValue } from "../support/outputs";

let rec: Recording;
let homelab: GpuOperator;
let gke: GpuOperator;
let invalid: unknown;
let countBeforeInvalid = 0;

beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
  homelab = new GpuOperator("gpu", { preset: "microk8s", serviceMonitor: true });
  gke = new GpuOperator("gke-gpu", { preset: "gke", namespace: "nvidia-gpu" });
  await rec.settle();
  countBeforeInvalid = rec.resources.length;
  try {
    new GpuOperator("bad", { preset: "k3s" as never });
  } catch (e) {
    invalid = e;
  }
  await rec.settle();
});

const component = (name: string) =>
  rec.resources.find(
    (r) => r.type === "llm-serving:index:GpuOperator" && r.name === name,
  ) as RecordedResource;
const childrenOf = (name: string) => rec.resources.filter((r) => r.parent === component(name).urn);
const child = (name: string, type: string) => childrenOf(name).filter((r) => r.type === type);

describe("GpuOperator under mocks", () => {
  it("creates a privileged namespace and a Helm release, both children of the component", () => {
    expect(
      childrenOf("gpu")
        .map((r) => r.type)
        .sort(),
    ).toEqual(["kubernetes:core/v1:Namespace", "kubernetes:helm.sh/v3:Release"]);
    const [ns] = child("gpu", "kubernetes:core/v1:Namespace");
    expect(ns.inputs.metadata).toEqual({
      name: "gpu-operator",
      labels: {
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/warn": "privileged",
      },
    });
    expectValidManifest(ns.inputs);
  });

  it("installs the pinned chart from NVIDIA's repository with the preset's values", () => {
    const [release] = child("gpu", "kubernetes:helm.sh/v3:Release");
    const inputs = release.inputs as Record<string, any>;
    expect(inputs.name).toBe("gpu-operator");
    expect(inputs.chart).toBe("gpu-operator");
    expect(inputs.repositoryOpts).toEqual({ repo: "https://helm.ngc.nvidia.com/nvidia" });
    expect(inputs.version).toBe(versions.gpuOperatorChart);
    expect(inputs.namespace).toBe("gpu-operator");
    expect(inputs.values.driver).toEqual({ enabled: false });
    expect(inputs.values.dcgmExporter).toEqual({ serviceMonitor: { enabled: true } });
    expect(inputs.values.toolkit.env.map((e: { name: string }) => e.name)).toContain(
      "CONTAINERD_CONFIG",
    );
  });

  it("gke: the ResourceQuota exists before the release, in the operator namespace", () => {
    const [quota] = child("gke-gpu", "kubernetes:core/v1:ResourceQuota");
    expect(quota.inputs.metadata).toMatchObject({
      name: "gpu-operator-quota",
      namespace: "nvidia-gpu",
    });
    expectValidManifest(quota.inputs);
    const [release] = child("gke-gpu", "kubernetes:helm.sh/v3:Release");
    expect(release.dependencies).toContain(quota.urn);
    expect(release.inputs.namespace).toBe("nvidia-gpu");
  });

  it("outputs the namespace and chart version", async () => {
    expect(await outputValue(homelab.namespace)).toBe("gpu-operator");
    expect(await outputValue(homelab.version)).toBe(versions.gpuOperatorChart);
    expect(await outputValue(gke.namespace)).toBe("nvidia-gpu");
  });

  it("rejects a bad preset before creating anything", () => {
    expect(invalid).toBeInstanceOf(ConfigError);
    expect((invalid as ConfigError).problems.map((p) => p.path)).toEqual(["preset"]);
    expect(rec.resources.slice(countBeforeInvalid)).toEqual([]);
  });
});
