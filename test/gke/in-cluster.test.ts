import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { resolveGkeGpuClusterConfig } from "../../components/gke/config";
import { GIB_INSTALL_HOST_PATH, gibInstallerDaemonSet } from "../../components/gke/gib";
import { podNetworkObjects } from "../../components/gke/multinetwork";
import { podNetworkAttachments } from "../../components/gke/network-plan";
import { versions } from "../../components/versions";
import { expectValidManifest } from "../support/k8s-schema";

const schemaDir = join(__dirname, "..", "schemas", "gke-networking");
const ajv = new Ajv({ allErrors: true, strict: true });
const validateNetwork = ajv.compile(
  JSON.parse(readFileSync(join(schemaDir, "network.schema.json"), "utf8")),
);
const validateParamSet = ajv.compile(
  JSON.parse(readFileSync(join(schemaDir, "gkenetworkparamset.schema.json"), "utf8")),
);

const config = resolveGkeGpuClusterConfig({
  project: "llm-serving-prod",
  zone: "us-south1-b",
  namePrefix: "llm",
  capacity: { mode: "spot" },
  masterAuthorizedCidrs: ["203.0.113.0/24"],
});
const objects = podNetworkObjects(podNetworkAttachments(config));

describe("GKE multi-networking objects", () => {
  it("match the fields GKE documents (strict schema: unknown fields are errors)", () => {
    expect(objects).toHaveLength(9);
    for (const o of objects) {
      expect(validateParamSet(o.paramSet), JSON.stringify(validateParamSet.errors)).toBe(true);
      expect(validateNetwork(o.network), JSON.stringify(validateNetwork.errors)).toBe(true);
    }
  });

  it("the strict schemas do reject an undocumented field", () => {
    const first = objects[0];
    if (!first) throw new Error("no objects");
    expect(
      validateParamSet({ ...first.paramSet, spec: { ...first.paramSet.spec, mtu: 8896 } }),
    ).toBe(false);
    expect(
      validateNetwork({ ...first.network, spec: { ...first.network.spec, deviceMode: "RDMA" } }),
    ).toBe(false);
  });

  it("hands the gVNIC over as a netdevice and the ConnectX NICs as RDMA, each on its own subnet", () => {
    expect(
      objects.map((o) => [
        o.paramSet.metadata.name,
        o.paramSet.spec.deviceMode,
        o.paramSet.spec.vpcSubnet,
      ]),
    ).toEqual([
      ["gvnic-1", "NetDevice", "llm-gvnic-sub"],
      ...Array.from({ length: 8 }, (_, i) => [`rdma-${i}`, "RDMA", `llm-rdma-sub-${i}`]),
    ]);
    for (const o of objects)
      expect(o.network.spec.parametersRef.name).toBe(o.network.metadata.name);
  });
});

describe("gIB installer DaemonSet", () => {
  const ds = gibInstallerDaemonSet({ image: versions.gibInstallerImage });

  it("is a valid apps/v1 DaemonSet", () => {
    expectValidManifest(ds);
  });

  it("runs in kube-system on H200 nodes, tolerating their taints, and fills the host gIB directory", () => {
    expect(ds.metadata?.namespace).toBe("kube-system");
    const pod = ds.spec?.template.spec;
    expect(pod?.tolerations).toEqual([{ operator: "Exists" }]);
    expect(
      pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms[0]?.matchExpressions?.[0],
    ).toEqual({
      key: "cloud.google.com/gke-accelerator",
      operator: "In",
      values: ["nvidia-h200-141gb"],
    });
    expect(pod?.volumes?.find((v) => v.name === "gib")?.hostPath?.path).toBe(GIB_INSTALL_HOST_PATH);
    expect(pod?.initContainers?.[0]?.image).toBe(versions.gibInstallerImage);
    // The plugin only, as Google's manifest: NCCL comes from the serving image.
    const script = pod?.initContainers?.[0]?.args?.[0] ?? "";
    expect(script).toContain("/scripts/container_entry.sh install\n");
    expect(script).not.toContain("--install-nccl");
  });

  it("pins the installer image by tag", () => {
    expect(versions.gibInstallerImage).toMatch(
      /^us-docker\.pkg\.dev\/gce-ai-infra\/gpudirect-gib\/nccl-plugin-gib:v\d+\.\d+\.\d+$/,
    );
  });
});
