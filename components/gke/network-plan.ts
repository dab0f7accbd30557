import type { FirewallArgs } from "@pulumi/gcp/compute/firewall";
import type { NetworkArgs } from "@pulumi/gcp/compute/network";
import type { SubnetworkArgs } from "@pulumi/gcp/compute/subnetwork";
import type { Input } from "@pulumi/pulumi";
import { splitCidr } from "./cidr";
import type { GkeGpuClusterConfig } from "./config";
import { A3_ULTRA_RDMA_NICS, a3UltraPodNetworks, type PodNetwork } from "./networks";

/**
 * MTU for both extra VPCs: the RDMA network profile's default and recommended value, and
 * what the cluster-toolkit A3 Ultra blueprint sets on the gVNIC VPC too.
 */
export const A3_ULTRA_MTU = 8896;

/** One pod network bound to the VPC and subnet that back it on the node. */
export interface PodNetworkAttachment extends PodNetwork {
  /** VPC network name (`GKENetworkParamSet.spec.vpc`, node pool `network`). */
  vpc: string;
  /** Subnet name (`GKENetworkParamSet.spec.vpcSubnet`, node pool `subnetwork`). */
  vpcSubnet: string;
  /** The subnet's primary IPv4 range. */
  cidr: string;
}

/** Explicit names of everything the component creates, derived from the prefix only. */
export function a3UltraResourceNames(prefix: string) {
  return {
    cluster: prefix,
    systemPool: `${prefix}-system`,
    gpuPool: `${prefix}-h200`,
    gvnicNetwork: `${prefix}-gvnic-net`,
    gvnicSubnet: `${prefix}-gvnic-sub`,
    gvnicFirewall: `${prefix}-gvnic-internal`,
    webhookFirewall: `${prefix}-cp-webhooks`,
    rdmaNetwork: `${prefix}-rdma-net`,
    rdmaSubnet: (i: number) => `${prefix}-rdma-sub-${i}`,
    proxyOnlySubnet: `${prefix}-proxy-only`,
  };
}

/** The zone's RoCE network profile, which an A3 Ultra RDMA VPC must be created with. */
export function roceNetworkProfile(project: string, zone: string): string {
  return `projects/${project}/global/networkProfiles/${zone}-vpc-roce`;
}

/**
 * Binds every network of {@link a3UltraPodNetworks} to its VPC and subnet: the `NetDevice`
 * network to the gVNIC subnet, the n-th `RDMA` network to the n-th RDMA subnet. Node pool
 * attachments and in-cluster objects are both generated from this list. Empty with
 * `networking: auto`, where GKE creates networks and objects itself.
 */
export function podNetworkAttachments(config: GkeGpuClusterConfig): PodNetworkAttachment[] {
  if (config.networking !== "explicit") return [];
  const names = a3UltraResourceNames(config.namePrefix);
  const rdmaCidrs = splitCidr(config.rdmaCidr, A3_ULTRA_RDMA_NICS);
  let rdmaIndex = 0;
  return a3UltraPodNetworks().map((net) => {
    if (net.deviceMode === "NetDevice") {
      return {
        ...net,
        vpc: names.gvnicNetwork,
        vpcSubnet: names.gvnicSubnet,
        cidr: config.gvnicCidr,
      };
    }
    const i = rdmaIndex++;
    return {
      ...net,
      vpc: names.rdmaNetwork,
      vpcSubnet: names.rdmaSubnet(i),
      cidr: rdmaCidrs[i] as string,
    };
  });
}

/** A resource to create: its explicit name and its constructor args. */
export interface GkeNamedArgs<T> {
  name: string;
  args: T;
}

/** Every VPC, subnet and firewall rule the explicit networking needs. */
export interface NetworkSpecs {
  networks: GkeNamedArgs<NetworkArgs>[];
  subnets: GkeNamedArgs<SubnetworkArgs>[];
  firewalls: GkeNamedArgs<FirewallArgs>[];
}

/**
 * Args for the gVNIC VPC (second host NIC) and the RDMA VPC (eight ConnectX-7 NICs), as GKE
 * documents them for A3 Ultra: custom-mode VPCs with MTU 8896, the RDMA one created with the
 * zone's `vpc-roce` network profile and one subnet per RDMA NIC. The gVNIC VPC gets an
 * allow-internal rule; the RDMA VPC gets none, since RDMA-profile networks do not take VPC
 * firewall rules (their implied rules allow ingress and egress).
 */
export function networkSpecs(config: GkeGpuClusterConfig): NetworkSpecs {
  const attachments = podNetworkAttachments(config);
  if (attachments.length === 0) return { networks: [], subnets: [], firewalls: [] };
  const { project, region, zone } = config;
  const names = a3UltraResourceNames(config.namePrefix);
  const vpc = (name: string, extra: Partial<NetworkArgs>): GkeNamedArgs<NetworkArgs> => ({
    name,
    args: {
      name,
      project,
      autoCreateSubnetworks: false,
      mtu: A3_ULTRA_MTU,
      routingMode: "REGIONAL",
      ...extra,
    },
  });
  const seen = new Set<string>();
  const subnets = attachments
    .filter((a) => !seen.has(a.vpcSubnet) && seen.add(a.vpcSubnet))
    .map((a) => ({
      name: a.vpcSubnet,
      args: { name: a.vpcSubnet, project, region, network: a.vpc, ipCidrRange: a.cidr },
    }));
  return {
    networks: [
      vpc(names.gvnicNetwork, { description: "A3 Ultra second host NIC (gVNIC)" }),
      vpc(names.rdmaNetwork, {
        description: "A3 Ultra GPU-to-GPU RDMA (RoCE)",
        networkProfile: roceNetworkProfile(project, zone),
      }),
    ],
    subnets,
    firewalls: [
      {
        name: names.gvnicFirewall,
        args: {
          name: names.gvnicFirewall,
          project,
          network: names.gvnicNetwork,
          direction: "INGRESS",
          sourceRanges: [config.gvnicCidr],
          allows: [
            { protocol: "tcp", ports: ["0-65535"] },
            { protocol: "udp", ports: ["0-65535"] },
            { protocol: "icmp" },
          ],
        },
      },
    ],
  };
}

/**
 * The proxy-only subnet a regional Envoy-based load balancer (GKE's `gke-l7-rilb` Gateway)
 * needs in the primary network's region: purpose `REGIONAL_MANAGED_PROXY`, role `ACTIVE`.
 * Undefined when `proxyOnlySubnetCidr` is unset (the VPC has one already, or no gateway).
 */
export function proxyOnlySubnetSpec(
  config: GkeGpuClusterConfig,
): GkeNamedArgs<SubnetworkArgs> | undefined {
  if (!config.proxyOnlySubnetCidr) return undefined;
  const name = a3UltraResourceNames(config.namePrefix).proxyOnlySubnet;
  return {
    name,
    args: {
      name,
      project: config.project,
      region: config.region,
      network: config.primaryNetwork,
      ipCidrRange: config.proxyOnlySubnetCidr,
      purpose: "REGIONAL_MANAGED_PROXY",
      role: "ACTIVE",
    },
  };
}

/**
 * Pod ports the control plane must reach for admission webhooks beyond the 443 and 10250
 * that GKE's own `gke-<cluster>-<hash>-master` rule opens on private-node clusters: the
 * LeaderWorkerSet controller's webhook, which chart `lws` v0.10.0 serves on 9443 and
 * hard-codes (`charts/lws/templates/webhook/service.yaml`: `targetPort: 9443`). The other
 * webhooks the GKE stack installs already listen on 10250: KEDA's (moved there in
 * components/autoscaling/plan.ts) and kube-prometheus-stack 88.5.3's operator and admission
 * webhook (`prometheusOperator.tls.internalPort` and
 * `prometheusOperator.admissionWebhooks.deployment.tls.internalPort`: 10250).
 */
export const CONTROL_PLANE_WEBHOOK_PORTS: readonly number[] = [9443];

/** The parts of the cluster's `privateClusterConfig` output that locate its control plane. */
export interface ControlPlaneAddresses {
  /** The hosted control-plane range; set only on VPC-peering private clusters. */
  masterIpv4CidrBlock?: string;
  /** The control plane's internal address (on a Private Service Connect cluster: in the node subnet). */
  privateEndpoint?: string;
}

/**
 * The source range of control-plane-to-node traffic, read from the created cluster: the
 * master CIDR on a VPC-peering cluster (the source of GKE's own `-master` rule), else the
 * control plane's internal endpoint as a /32 — this cluster is a Private Service Connect
 * cluster without `masterIpv4CidrBlock`. Throws when GKE reported neither, rather than
 * writing a rule with no source (which GCP would read as "from anywhere" for target rules).
 */
export function controlPlaneSourceRange(addresses: ControlPlaneAddresses): string {
  if (addresses.masterIpv4CidrBlock) return addresses.masterIpv4CidrBlock;
  if (addresses.privateEndpoint) return `${addresses.privateEndpoint}/32`;
  throw new Error(
    "the GKE cluster reported neither privateClusterConfig.masterIpv4CidrBlock nor privateEndpoint",
  );
}

/**
 * The ingress rule that lets the control plane call the webhooks of
 * {@link CONTROL_PLANE_WEBHOOK_PORTS} on pods of private nodes. GKE documents that with
 * private nodes the control plane reaches nodes and pods only on TCP 443 and 10250 (its
 * automatically created `-master` rule; https://cloud.google.com/kubernetes-engine/docs/concepts/firewall-rules);
 * Google's own guide for a webhook on another port adds a rule of the same shape: the
 * cluster's VPC, source the control-plane range, the webhook's TCP port, the nodes as target
 * (https://cloud.google.com/service-mesh/docs/private-cluster-open-port; kedacore/keda#1642).
 * Without it the LWS webhooks (all `failurePolicy: Fail` in chart v0.10.0
 * `templates/webhook/webhook.yaml`) reject every LeaderWorkerSet. Least
 * privilege: only these ports, only from the control plane, only to VMs running as this
 * cluster's node service account (both node pools, where the controller may be scheduled).
 */
export function controlPlaneWebhookFirewall(
  config: GkeGpuClusterConfig,
  sourceRange: Input<string>,
  nodeServiceAccount: Input<string>,
): GkeNamedArgs<FirewallArgs> {
  const name = a3UltraResourceNames(config.namePrefix).webhookFirewall;
  return {
    name,
    args: {
      name,
      project: config.project,
      network: config.primaryNetwork,
      description: "GKE control plane to admission webhooks on private nodes",
      direction: "INGRESS",
      sourceRanges: [sourceRange],
      targetServiceAccounts: [nodeServiceAccount],
      allows: [{ protocol: "tcp", ports: CONTROL_PLANE_WEBHOOK_PORTS.map(String) }],
    },
  };
}
