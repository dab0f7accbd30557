import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  A3_ULTRA_LOCAL_SSDS,
  capacityFields,
  clusterArgs,
  gpuPoolArgs,
  systemPoolArgs,
} from "../../components/gke/cluster-args";
import { resolveGkeGpuClusterConfig } from "../../components/gke/config";
import {
  cloudNatSpecs,
  nodeServiceAccountEmail,
  nodeServiceAccountSpec,
} from "../../components/gke/hardening";
import { gkeKubeconfig } from "../../components/gke/kubeconfig";
import {
  CONTROL_PLANE_WEBHOOK_PORTS,
  controlPlaneSourceRange,
  controlPlaneWebhookFirewall,
  networkSpecs,
  podNetworkAttachments,
} from "../../components/gke/network-plan";
import { a3UltraPodNetworks } from "../../components/gke/networks";

const base = {
  project: "llm-serving-prod",
  zone: "europe-west1-b",
  namePrefix: "llm",
  capacity: { mode: "reservation", reservation: "h200-res" },
  masterAuthorizedCidrs: ["203.0.113.0/24"],
};
const config = (over: Record<string, unknown> = {}) =>
  resolveGkeGpuClusterConfig({ ...base, ...over });
// Builder outputs are plain data typed as Pulumi Inputs; read them as data.
const plain = (v: unknown): any => v;

describe("networkSpecs", () => {
  const specs = networkSpecs(config());

  it("creates the RDMA VPC with the zone's RoCE network profile and MTU 8896", () => {
    const rdma = specs.networks.find((n) => n.name === "llm-rdma-net");
    expect(plain(rdma?.args)).toMatchObject({
      networkProfile: "projects/llm-serving-prod/global/networkProfiles/europe-west1-b-vpc-roce",
      mtu: 8896,
      autoCreateSubnetworks: false,
      routingMode: "REGIONAL",
    });
  });

  it("creates a custom-mode gVNIC VPC without a network profile", () => {
    const gvnic = plain(specs.networks.find((n) => n.name === "llm-gvnic-net")?.args);
    expect(gvnic).toMatchObject({ mtu: 8896, autoCreateSubnetworks: false });
    expect(gvnic.networkProfile).toBeUndefined();
  });

  it("creates one gVNIC subnet and eight RDMA subnets in the zone's region", () => {
    expect(specs.subnets.map((s) => s.name)).toEqual([
      "llm-gvnic-sub",
      ...Array.from({ length: 8 }, (_, i) => `llm-rdma-sub-${i}`),
    ]);
    for (const s of specs.subnets) expect(plain(s.args).region).toBe("europe-west1");
    expect(plain(specs.subnets[1]?.args)).toMatchObject({
      network: "llm-rdma-net",
      ipCidrRange: "192.168.128.0/21",
    });
  });

  it("opens the gVNIC network internally and puts no firewall on the RDMA network", () => {
    expect(specs.firewalls).toHaveLength(1);
    expect(plain(specs.firewalls[0]?.args)).toMatchObject({
      network: "llm-gvnic-net",
      sourceRanges: ["192.168.64.0/18"],
      direction: "INGRESS",
    });
  });

  it("creates nothing with automated networking", () => {
    expect(networkSpecs(config({ networking: "auto" }))).toEqual({
      networks: [],
      subnets: [],
      firewalls: [],
    });
    expect(podNetworkAttachments(config({ networking: "auto" }))).toEqual([]);
  });
});

describe("controlPlaneWebhookFirewall (webhooks on private nodes)", () => {
  it("opens only the webhook ports, only from the control plane, only to the node account", () => {
    const fw = controlPlaneWebhookFirewall(
      config({ primaryNetwork: "prod-vpc" }),
      "10.132.0.2/32",
      "llm-nodes@llm-serving-prod.iam.gserviceaccount.com",
    );
    expect(fw.name).toBe("llm-cp-webhooks");
    expect(fw.args).toMatchObject({
      name: "llm-cp-webhooks",
      project: "llm-serving-prod",
      network: "prod-vpc",
      direction: "INGRESS",
      sourceRanges: ["10.132.0.2/32"],
      targetServiceAccounts: ["llm-nodes@llm-serving-prod.iam.gserviceaccount.com"],
      allows: [{ protocol: "tcp", ports: ["9443"] }],
    });
    // No tag-based targets or sources that would widen the rule.
    expect(fw.args.targetTags).toBeUndefined();
    expect(fw.args.sourceTags).toBeUndefined();
  });

  it("covers the LWS webhook port and none GKE's own rule already opens", () => {
    expect(CONTROL_PLANE_WEBHOOK_PORTS).toContain(9443);
    for (const open of [443, 10250]) expect(CONTROL_PLANE_WEBHOOK_PORTS).not.toContain(open);
  });

  it("takes the master CIDR of a peering cluster, else the PSC endpoint as a /32", () => {
    expect(controlPlaneSourceRange({ masterIpv4CidrBlock: "172.16.0.0/28" })).toBe("172.16.0.0/28");
    expect(
      controlPlaneSourceRange({
        masterIpv4CidrBlock: "172.16.0.32/28",
        privateEndpoint: "172.16.0.34",
      }),
    ).toBe("172.16.0.32/28");
    expect(
      controlPlaneSourceRange({ masterIpv4CidrBlock: "", privateEndpoint: "10.132.0.2" }),
    ).toBe("10.132.0.2/32");
  });

  it("refuses to build a rule without a source (GCP would read it as from anywhere)", () => {
    expect(() => controlPlaneSourceRange({})).toThrow(/masterIpv4CidrBlock nor privateEndpoint/);
    expect(() =>
      controlPlaneSourceRange({ masterIpv4CidrBlock: "", privateEndpoint: "" }),
    ).toThrow();
  });
});

describe("clusterArgs", () => {
  it("turns on multi-networking, Dataplane V2 and Workload Identity, removes the default pool", () => {
    expect(plain(clusterArgs(config()))).toMatchObject({
      name: "llm",
      location: "europe-west1-b",
      enableMultiNetworking: true,
      datapathProvider: "ADVANCED_DATAPATH",
      workloadIdentityConfig: { workloadPool: "llm-serving-prod.svc.id.goog" },
      releaseChannel: { channel: "REGULAR" },
      removeDefaultNodePool: true,
      deletionProtection: true,
    });
  });
  it("passes deletion protection and a minimum version through", () => {
    const args = plain(
      clusterArgs(config({ deletionProtection: false, minMasterVersion: "1.33" })),
    );
    expect(args.deletionProtection).toBe(false);
    expect(args.minMasterVersion).toBe("1.33");
  });
});

describe("systemPoolArgs", () => {
  it("is a small fixed CPU pool on the cluster", () => {
    expect(plain(systemPoolArgs(config()))).toMatchObject({
      name: "llm-system",
      cluster: "llm",
      nodeCount: 1,
      nodeConfig: { machineType: "e2-standard-8", imageType: "COS_CONTAINERD" },
    });
  });
});

describe("gpuPoolArgs", () => {
  const pool = plain(gpuPoolArgs(config()));

  it("is an a3-ultragpu-8g pool with 8 H200s, GKE-installed drivers, gVNIC, COS and Hyperdisk", () => {
    expect(pool.nodeConfig).toMatchObject({
      machineType: "a3-ultragpu-8g",
      imageType: "COS_CONTAINERD",
      diskType: "hyperdisk-balanced",
      gvnic: { enabled: true },
      guestAccelerators: [
        {
          type: "nvidia-h200-141gb",
          count: 8,
          gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" },
        },
      ],
      ephemeralStorageLocalSsdConfig: { localSsdCount: A3_ULTRA_LOCAL_SSDS },
    });
  });

  it("attaches nine additional node networks: the gVNIC subnet and each RDMA subnet", () => {
    const extra = pool.networkConfig.additionalNodeNetworkConfigs;
    expect(extra).toHaveLength(9);
    expect(extra[0]).toEqual({ network: "llm-gvnic-net", subnetwork: "llm-gvnic-sub" });
    expect(extra.slice(1)).toEqual(
      Array.from({ length: 8 }, (_, i) => ({
        network: "llm-rdma-net",
        subnetwork: `llm-rdma-sub-${i}`,
      })),
    );
    expect(pool.networkConfig.acceleratorNetworkProfile).toBeUndefined();
  });

  it("autoscales from zero with location policy ANY", () => {
    expect(pool.autoscaling).toEqual({
      totalMinNodeCount: 0,
      totalMaxNodeCount: 2,
      locationPolicy: "ANY",
    });
    expect(pool.initialNodeCount).toBe(0);
    expect(pool.nodeLocations).toEqual(["europe-west1-b"]);
  });

  it("uses one node-pool setting for automated accelerator networking", () => {
    expect(plain(gpuPoolArgs(config({ networking: "auto" }))).networkConfig).toEqual({
      enablePrivateNodes: true,
      acceleratorNetworkProfile: "auto",
    });
  });
});

describe("hardening (GKE's cluster hardening guide)", () => {
  const cluster = plain(
    clusterArgs(config({ masterAuthorizedCidrs: ["203.0.113.0/24", "198.51.100.7/32"] })),
  );
  const pools = [plain(systemPoolArgs(config())), plain(gpuPoolArgs(config()))];

  it("makes the nodes private and opens the public endpoint to the authorized ranges only", () => {
    expect(cluster.privateClusterConfig).toEqual({
      enablePrivateNodes: true,
      enablePrivateEndpoint: false,
    });
    expect(cluster.masterAuthorizedNetworksConfig.cidrBlocks.map((b: any) => b.cidrBlock)).toEqual([
      "203.0.113.0/24",
      "198.51.100.7/32",
    ]);
    // Not even Google Cloud's public addresses reach the control plane unlisted.
    expect(cluster.masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled).toBe(false);
    for (const pool of pools) expect(pool.networkConfig.enablePrivateNodes).toBe(true);
  });

  it("keeps Dataplane V2 (which enforces NetworkPolicy) and Workload Identity on", () => {
    expect(cluster.datapathProvider).toBe("ADVANCED_DATAPATH");
    expect(cluster.workloadIdentityConfig).toEqual({
      workloadPool: "llm-serving-prod.svc.id.goog",
    });
    expect(cluster.enableShieldedNodes).toBe(true);
  });

  it("runs every node, the transient default pool included, as its own account with Secure Boot", () => {
    const email = nodeServiceAccountEmail(config());
    expect(email).toBe("llm-nodes@llm-serving-prod.iam.gserviceaccount.com");
    for (const nodeConfig of [cluster.nodeConfig, ...pools.map((p) => p.nodeConfig)]) {
      expect(nodeConfig).toMatchObject({
        serviceAccount: email,
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      });
    }
  });

  it("grants the node account only GKE's minimal node role", () => {
    const sa = nodeServiceAccountSpec(config());
    expect(sa.roles).toEqual(["roles/container.defaultNodeServiceAccount"]);
    expect(plain(sa.account.args)).toMatchObject({
      accountId: "llm-nodes",
      project: "llm-serving-prod",
    });
    // GCP account ids are 6-30 characters: the longest allowed prefix still fits.
    expect(
      nodeServiceAccountSpec(config({ namePrefix: "a".repeat(24) })).account.name,
    ).toHaveLength(30);
  });

  it("gives the private nodes Cloud NAT for the primary subnet, pods' ranges included", () => {
    const nat = cloudNatSpecs(config());
    expect(plain(nat.router?.args)).toEqual({
      name: "llm-nat-router",
      project: "llm-serving-prod",
      region: "europe-west1",
      network: "default",
    });
    expect(plain(nat.nat?.args)).toMatchObject({
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      natIpAllocateOption: "AUTO_ONLY",
      subnetworks: [
        {
          name: "projects/llm-serving-prod/regions/europe-west1/subnetworks/default",
          sourceIpRangesToNats: ["ALL_IP_RANGES"],
        },
      ],
    });
    expect(cloudNatSpecs(config({ cloudNat: false }))).toEqual({});
  });
});

describe("capacity modes", () => {
  it("reservation: specific reservation affinity and compact placement", () => {
    const pool = plain(gpuPoolArgs(config()));
    expect(pool.nodeConfig.reservationAffinity).toEqual({
      consumeReservationType: "SPECIFIC_RESERVATION",
      key: "compute.googleapis.com/reservation-name",
      values: ["h200-res"],
    });
    expect(pool.placementPolicy).toEqual({ type: "COMPACT" });
    expect(pool.nodeConfig.spot).toBeUndefined();
    expect(pool.nodeConfig.flexStart).toBeUndefined();
  });

  it("reservation: a block is addressed under its reservation; compact placement can be turned off", () => {
    const c = config({
      capacity: {
        mode: "reservation",
        reservation: "r",
        reservationBlock: "b1",
        compactPlacement: false,
      },
    });
    expect(plain(capacityFields(c).nodeConfig.reservationAffinity).values).toEqual([
      "r/reservationBlocks/b1",
    ]);
    expect(plain(gpuPoolArgs(c)).placementPolicy).toBeUndefined();
  });

  it("spot: Spot VMs that consume no reservation", () => {
    const pool = plain(gpuPoolArgs(config({ capacity: { mode: "spot" } })));
    expect(pool.nodeConfig.spot).toBe(true);
    expect(pool.nodeConfig.reservationAffinity).toEqual({
      consumeReservationType: "NO_RESERVATION",
    });
    expect(pool.placementPolicy).toBeUndefined();
    expect(pool.queuedProvisioning).toBeUndefined();
  });

  it("flex-start: flexStart, NO_RESERVATION, auto-repair off, max run duration", () => {
    const pool = plain(
      gpuPoolArgs(config({ capacity: { mode: "flex-start", maxRunDuration: "86400s" } })),
    );
    expect(pool.nodeConfig).toMatchObject({
      flexStart: true,
      maxRunDuration: "86400s",
      reservationAffinity: { consumeReservationType: "NO_RESERVATION" },
    });
    expect(pool.nodeConfig.spot).toBeUndefined();
    expect(pool.management).toEqual({ autoRepair: false, autoUpgrade: true });
    expect(pool.autoscaling.locationPolicy).toBe("ANY");
    expect(pool.queuedProvisioning).toBeUndefined();
  });

  it("flex-start with queued provisioning: queuedProvisioning.enabled and auto-upgrade off", () => {
    const pool = plain(
      gpuPoolArgs(config({ capacity: { mode: "flex-start", queuedProvisioning: true } })),
    );
    expect(pool.queuedProvisioning).toEqual({ enabled: true });
    expect(pool.nodeConfig.flexStart).toBe(true);
    expect(pool.management).toEqual({ autoRepair: false, autoUpgrade: false });
  });
});

describe("gkeKubeconfig", () => {
  it("authenticates with the gke-gcloud-auth-plugin exec credential and embeds no token", () => {
    const kc = parse(gkeKubeconfig({ name: "llm", endpoint: "34.1.2.3", caCertificate: "Q0E=" }));
    expect(kc.clusters[0].cluster).toEqual({
      server: "https://34.1.2.3",
      "certificate-authority-data": "Q0E=",
    });
    expect(kc["current-context"]).toBe("llm");
    expect(kc.users[0].user.exec).toMatchObject({
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "gke-gcloud-auth-plugin",
      provideClusterInfo: true,
    });
    expect(JSON.stringify(kc)).not.toMatch(/token|password/i);
  });
});

describe("one source for the network list", () => {
  it("binds every pod network, in order, to a subnet", () => {
    const attachments = podNetworkAttachments(config());
    expect(attachments.map((a) => a.name)).toEqual(a3UltraPodNetworks().map((n) => n.name));
    expect(new Set(attachments.map((a) => a.vpcSubnet)).size).toBe(attachments.length);
  });
});
