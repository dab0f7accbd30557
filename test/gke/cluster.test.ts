import { beforeAll, describe, expect, it } from "vitest";
import {
  containsSecret,
  type RecordedResource,
  type Recording,
  recordRegistrations,
  unwrapSecrets,
} from "../../cli/recorder";
import { GkeGpuCluster, type GkeGpuClusterArgs } from "../../components/gke/cluster";
import { a3UltraPodNetworks } from "../../components/gke/networks";
import { gkeInterfacesAnnotation } from "../../components/nccl/profiles";
import { ConfigError } from "../../components/validation";
import { outputIsSecret, outputValue } from "../support/outputs";

const base: GkeGpuClusterArgs = {
  masterAuthorizedCidrs: ["203.0.113.0/24"],
  project: "llm-serving-prod",
  zone: "europe-west1-b",
  namePrefix: "resv",
  capacity: { mode: "reservation", reservation: "h200-res" },
  deletionProtection: false,
};

let rec: Recording;
const clusters: Record<string, GkeGpuCluster> = {};
let invalidError: unknown;
let countBeforeInvalid = 0;

beforeAll(async () => {
  rec = await recordRegistrations({
    project: "llm-serving",
    stack: "gke",
    // What GKE returns for a created cluster (echoed inputs lack them).
    state: (type, _name, inputs) =>
      type === "gcp:container/cluster:Cluster"
        ? {
            ...inputs,
            endpoint: "34.1.2.3",
            masterAuth: { clusterCaCertificate: "Q0E=" },
            privateClusterConfig: {
              ...(inputs.privateClusterConfig as object),
              privateEndpoint: "10.132.0.2",
            },
          }
        : type === "gcp:serviceaccount/account:Account"
          ? { ...inputs, email: `${inputs.accountId}@${inputs.project}.iam.gserviceaccount.com` }
          : inputs,
  });
  clusters.resv = new GkeGpuCluster("resv", base);
  clusters.spot = new GkeGpuCluster("spot", {
    ...base,
    namePrefix: "spot",
    capacity: { mode: "spot" },
  });
  clusters.flex = new GkeGpuCluster("flex", {
    ...base,
    namePrefix: "flex",
    capacity: { mode: "flex-start", queuedProvisioning: true, maxRunDuration: "86400s" },
  });
  clusters.auto = new GkeGpuCluster("auto", {
    ...base,
    namePrefix: "auto",
    networking: "auto",
    capacity: { mode: "spot" },
  });
  await rec.settle();
  countBeforeInvalid = rec.resources.length;
  try {
    new GkeGpuCluster("bad", {
      ...base,
      namePrefix: "bad",
      capacity: { mode: "spot", reservation: "h200-res" },
      gpuPool: { minNodes: -1 },
    });
  } catch (e) {
    invalidError = e;
  }
  await rec.settle();
});

const component = (name: string) =>
  rec.resources.find(
    (r) => r.type === "llm-serving:index:GkeGpuCluster" && r.name === name,
  ) as RecordedResource;
const childrenOf = (name: string) => rec.resources.filter((r) => r.parent === component(name).urn);
const ofType = (name: string, type: string) => childrenOf(name).filter((r) => r.type === type);
const one = (name: string, type: string) => ofType(name, type)[0]?.inputs as Record<string, any>;
const pool = (name: string, suffix: string) =>
  ofType(name, "gcp:container/nodePool:NodePool").find((r) => r.inputs.name === `${name}-${suffix}`)
    ?.inputs as Record<string, any>;

describe("GkeGpuCluster under mocks (explicit networking, reservation)", () => {
  it("registers every resource as a child of the component, with explicit names", () => {
    const kids = childrenOf("resv");
    expect(kids.length).toBeGreaterThan(0);
    const names = kids.filter((k) => k.type.startsWith("gcp:")).map((k) => [k.type, k.inputs.name]);
    expect(names).toEqual(
      expect.arrayContaining([
        ["gcp:compute/network:Network", "resv-gvnic-net"],
        ["gcp:compute/network:Network", "resv-rdma-net"],
        ["gcp:compute/subnetwork:Subnetwork", "resv-gvnic-sub"],
        ["gcp:compute/subnetwork:Subnetwork", "resv-rdma-sub-7"],
        ["gcp:compute/firewall:Firewall", "resv-gvnic-internal"],
        ["gcp:container/cluster:Cluster", "resv"],
        ["gcp:container/nodePool:NodePool", "resv-system"],
        ["gcp:container/nodePool:NodePool", "resv-h200"],
      ]),
    );
    expect(ofType("resv", "gcp:compute/subnetwork:Subnetwork")).toHaveLength(9);
    const components = new Set(rec.resources.filter((r) => !r.custom).map((r) => r.urn));
    for (const r of rec.resources.filter((x) => x.custom))
      expect(components.has(r.parent)).toBe(true);
  });

  it("creates the RDMA VPC with the zone's RoCE profile", () => {
    const rdma = ofType("resv", "gcp:compute/network:Network").find(
      (r) => r.inputs.name === "resv-rdma-net",
    );
    expect(rdma?.inputs).toMatchObject({
      networkProfile: "projects/llm-serving-prod/global/networkProfiles/europe-west1-b-vpc-roce",
      mtu: 8896,
    });
  });

  it("turns on multi-networking and Dataplane V2 on the cluster", () => {
    expect(one("resv", "gcp:container/cluster:Cluster")).toMatchObject({
      enableMultiNetworking: true,
      datapathProvider: "ADVANCED_DATAPATH",
      removeDefaultNodePool: true,
      deletionProtection: false,
    });
  });

  it("builds the H200 pool with eight GPUs and nine additional node networks", () => {
    const gpu = pool("resv", "h200");
    expect(gpu.nodeConfig.machineType).toBe("a3-ultragpu-8g");
    expect(gpu.nodeConfig.guestAccelerators).toEqual([
      {
        type: "nvidia-h200-141gb",
        count: 8,
        gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" },
      },
    ]);
    expect(gpu.networkConfig.additionalNodeNetworkConfigs).toHaveLength(9);
    expect(gpu.nodeConfig.reservationAffinity.consumeReservationType).toBe("SPECIFIC_RESERVATION");
    expect(gpu.placementPolicy).toEqual({ type: "COMPACT" });
  });

  it("makes the GPU pool wait for the cluster and the subnets it attaches", () => {
    const gpu = ofType("resv", "gcp:container/nodePool:NodePool").find(
      (r) => r.inputs.name === "resv-h200",
    );
    const cluster = ofType("resv", "gcp:container/cluster:Cluster")[0];
    const subnets = ofType("resv", "gcp:compute/subnetwork:Subnetwork");
    expect(gpu?.dependencies).toEqual(
      expect.arrayContaining([cluster?.urn, ...subnets.map((s) => s.urn)]),
    );
  });

  it("outputs the kubeconfig as a secret and hands it to the Kubernetes provider as one", async () => {
    const c = clusters.resv as GkeGpuCluster;
    expect(await outputIsSecret(c.kubeconfig)).toBe(true);
    expect(await outputValue(c.kubeconfig)).toContain("command: gke-gcloud-auth-plugin");
    expect(await outputValue(c.clusterName)).toBe("resv");
    expect(await outputValue(c.gpuNodePoolName)).toBe("resv-h200");
    const provider = ofType("resv", "pulumi:providers:kubernetes")[0];
    expect(containsSecret(provider?.inputs.kubeconfig)).toBe(true);
    expect(String(unwrapSecrets(provider?.inputs.kubeconfig))).toContain(
      "server: https://34.1.2.3",
    );
  });

  it("creates one Network and one GKENetworkParamSet per pod network, and the gIB DaemonSet", () => {
    const networks = ofType("resv", "kubernetes:networking.gke.io/v1:Network");
    const paramSets = ofType("resv", "kubernetes:networking.gke.io/v1:GKENetworkParamSet");
    expect(networks.map((n) => (n.inputs.metadata as { name: string }).name)).toEqual(
      a3UltraPodNetworks().map((n) => n.name),
    );
    expect(paramSets).toHaveLength(9);
    const gib = ofType("resv", "kubernetes:apps/v1:DaemonSet")[0];
    expect(gib?.inputs.metadata).toMatchObject({
      name: "nccl-rdma-installer",
      namespace: "kube-system",
    });
  });
});

describe("hardening under mocks", () => {
  const urnOf = (type: string, name?: string) =>
    ofType("resv", type).find((r) => name === undefined || r.inputs.name === name)?.urn;

  it("creates the node account with GKE's minimal role, bound to the account's email", () => {
    expect(one("resv", "gcp:serviceaccount/account:Account")).toMatchObject({
      accountId: "resv-nodes",
      project: "llm-serving-prod",
    });
    const grants = ofType("resv", "gcp:projects/iAMMember:IAMMember").map((r) => r.inputs);
    expect(grants).toEqual([
      {
        project: "llm-serving-prod",
        role: "roles/container.defaultNodeServiceAccount",
        member: "serviceAccount:resv-nodes@llm-serving-prod.iam.gserviceaccount.com",
      },
    ]);
  });

  it("starts no node before its account holds the role and the NAT carries its pulls", () => {
    const grant = urnOf("gcp:projects/iAMMember:IAMMember");
    const nat = urnOf("gcp:compute/routerNat:RouterNat");
    expect(one("resv", "gcp:compute/routerNat:RouterNat").router).toBe("resv-nat-router");
    for (const p of ofType("resv", "gcp:container/nodePool:NodePool")) {
      expect(p.dependencies).toEqual(expect.arrayContaining([grant, nat]));
      expect(p.inputs.nodeConfig).toMatchObject({
        serviceAccount: "resv-nodes@llm-serving-prod.iam.gserviceaccount.com",
        shieldedInstanceConfig: { enableSecureBoot: true },
      });
    }
    expect(ofType("resv", "gcp:container/cluster:Cluster")[0]?.dependencies).toContain(grant);
  });

  it("opens the webhook ports from the control plane to the nodes before anything in-cluster", () => {
    const fw = ofType("resv", "gcp:compute/firewall:Firewall").find(
      (r) => r.inputs.name === "resv-cp-webhooks",
    );
    expect(fw?.inputs).toMatchObject({
      network: "default",
      direction: "INGRESS",
      sourceRanges: ["10.132.0.2/32"],
      targetServiceAccounts: ["resv-nodes@llm-serving-prod.iam.gserviceaccount.com"],
      allows: [{ protocol: "tcp", ports: ["9443"] }],
    });
    const provider = ofType("resv", "pulumi:providers:kubernetes")[0];
    expect(provider?.dependencies).toContain(fw?.urn);
    // Automated networking creates no VPCs, but the webhook rule all the same.
    expect(ofType("auto", "gcp:compute/firewall:Firewall").map((r) => r.inputs.name)).toEqual([
      "auto-cp-webhooks",
    ]);
  });

  it("exports the node account's email", async () => {
    expect(await outputValue((clusters.resv as GkeGpuCluster).nodeServiceAccountEmail)).toBe(
      "resv-nodes@llm-serving-prod.iam.gserviceaccount.com",
    );
  });
});

describe("capacity modes under mocks", () => {
  it("spot: Spot VMs with NO_RESERVATION", () => {
    const gpu = pool("spot", "h200");
    expect(gpu.nodeConfig.spot).toBe(true);
    expect(gpu.nodeConfig.reservationAffinity).toEqual({
      consumeReservationType: "NO_RESERVATION",
    });
  });
  it("flex-start with queued provisioning: flexStart, queuedProvisioning, auto-repair off", () => {
    const gpu = pool("flex", "h200");
    expect(gpu.nodeConfig).toMatchObject({ flexStart: true, maxRunDuration: "86400s" });
    expect(gpu.queuedProvisioning).toEqual({ enabled: true });
    expect(gpu.management).toMatchObject({ autoRepair: false });
    expect(gpu.autoscaling).toMatchObject({ totalMinNodeCount: 0, locationPolicy: "ANY" });
  });
  it("auto networking: the accelerator network profile, and no VPCs or Network objects of ours", async () => {
    expect(pool("auto", "h200").networkConfig).toEqual({
      enablePrivateNodes: true,
      acceleratorNetworkProfile: "auto",
    });
    expect(ofType("auto", "gcp:compute/network:Network")).toHaveLength(0);
    expect(ofType("auto", "kubernetes:networking.gke.io/v1:Network")).toHaveLength(0);
    expect(await outputValue((clusters.auto as GkeGpuCluster).networkNames)).toEqual([]);
  });
});

describe("invalid configuration", () => {
  it("throws a ConfigError listing every problem by path and registers nothing", () => {
    expect(invalidError).toBeInstanceOf(ConfigError);
    const paths = (invalidError as ConfigError).problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["gpuPool.minNodes"]));
    expect(rec.resources.length).toBe(countBeforeInvalid);
    expect(rec.resources.some((r) => r.name.startsWith("bad"))).toBe(false);
  });
});

describe("one source for the network list", () => {
  it("node-pool attachments, Network objects and pod annotations name the same networks", async () => {
    const paramSets = ofType("resv", "kubernetes:networking.gke.io/v1:GKENetworkParamSet").map(
      (r) => r.inputs as { metadata: { name: string }; spec: { vpc: string; vpcSubnet: string } },
    );
    const bySubnet = new Map(
      paramSets.map((p) => [`${p.spec.vpc}/${p.spec.vpcSubnet}`, p.metadata.name]),
    );
    const attached = (
      pool("resv", "h200").networkConfig.additionalNodeNetworkConfigs as {
        network: string;
        subnetwork: string;
      }[]
    ).map((a) => bySubnet.get(`${a.network}/${a.subnetwork}`));
    const networkObjects = ofType("resv", "kubernetes:networking.gke.io/v1:Network").map(
      (r) => (r.inputs.metadata as { name: string }).name,
    );
    const annotated = (JSON.parse(gkeInterfacesAnnotation()) as { network: string }[])
      .map((i) => i.network)
      .filter((n) => n !== "default");
    const output = await outputValue((clusters.resv as GkeGpuCluster).networkNames);

    expect(attached).toEqual(networkObjects);
    expect(annotated).toEqual(networkObjects);
    expect(output).toEqual(networkObjects);
    expect(networkObjects).toHaveLength(9);
  });
});
