import type { ClusterArgs } from "@pulumi/gcp/container/cluster";
import type { NodePoolArgs } from "@pulumi/gcp/container/nodePool";
import type { GkeGpuClusterConfig } from "./config";
import { nodeServiceAccountEmail } from "./hardening";
import { a3UltraResourceNames, podNetworkAttachments } from "./network-plan";

/** A3 Ultra: eight H200 141 GB GPUs per VM. */
export const A3_ULTRA_MACHINE_TYPE = "a3-ultragpu-8g";
/** GKE's accelerator name for the H200 in A3 Ultra. */
export const H200_ACCELERATOR = "nvidia-h200-141gb";
/** GPUs per a3-ultragpu-8g node. */
export const A3_ULTRA_GPUS = 8;
/**
 * The a3-ultragpu-8g bundles 32 local NVMe SSDs (12 TiB); the cluster-toolkit node pool
 * module backs ephemeral storage with all 32 for this machine type.
 */
export const A3_ULTRA_LOCAL_SSDS = 32;
/** GKE requires Hyperdisk Balanced boot disks on A3 Ultra node pools. */
export const A3_ULTRA_BOOT_DISK = "hyperdisk-balanced";
/** GPUDirect RDMA and multi-networking need Container-Optimized OS nodes. */
export const GKE_NODE_IMAGE = "COS_CONTAINERD";
/** Label key GKE matches specific reservations on. */
export const RESERVATION_LABEL = "compute.googleapis.com/reservation-name";

const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/**
 * Cluster args: zonal (the RDMA VPC is zonal), multi-networking on, Dataplane V2 (which
 * multi-networking requires, and which enforces NetworkPolicy), Workload Identity, a release
 * channel, the default node pool removed so node pools can change without replacing the
 * cluster. Hardened as GKE's hardening guide describes: private nodes (no external
 * addresses; egress through Cloud NAT), the public control-plane endpoint reachable only from
 * `masterAuthorizedCidrs` (not from arbitrary Google Cloud addresses either), shielded nodes.
 */
export function clusterArgs(config: GkeGpuClusterConfig): ClusterArgs {
  const names = a3UltraResourceNames(config.namePrefix);
  return {
    name: names.cluster,
    project: config.project,
    location: config.zone,
    network: config.primaryNetwork,
    subnetwork: config.primarySubnetwork,
    networkingMode: "VPC_NATIVE",
    ipAllocationPolicy: {},
    removeDefaultNodePool: true,
    initialNodeCount: 1,
    // The default pool exists until GKE removes it: it too runs as the node account, not as
    // the Compute Engine default service account (which may lack roles or be disabled).
    nodeConfig: nodeIdentity(config),
    deletionProtection: config.deletionProtection,
    datapathProvider: "ADVANCED_DATAPATH",
    enableMultiNetworking: true,
    workloadIdentityConfig: { workloadPool: `${config.project}.svc.id.goog` },
    // Cloud Storage FUSE CSI: the model-store prefetch Job writes the bucket through it.
    addonsConfig: { gcsFuseCsiDriverConfig: { enabled: true } },
    // The public endpoint stays (pulumi and kubectl run from outside the VPC) but only the
    // authorized ranges reach it; the private endpoint needs no master CIDR on a PSC cluster.
    privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: false },
    masterAuthorizedNetworksConfig: {
      cidrBlocks: config.masterAuthorizedCidrs.map((cidrBlock) => ({
        cidrBlock,
        displayName: `authorized ${cidrBlock}`,
      })),
      gcpPublicCidrsAccessEnabled: false,
    },
    enableShieldedNodes: true,
    releaseChannel: { channel: config.releaseChannel },
    ...(config.minMasterVersion ? { minMasterVersion: config.minMasterVersion } : {}),
    // GKE's Gateway controller, for GKE Inference Gateway (a Gateway of class gke-l7-rilb).
    ...(config.gatewayApi ? { gatewayApiConfig: { channel: "CHANNEL_STANDARD" } } : {}),
  };
}

/**
 * Who every node is and how it boots: the dedicated node service account with the broad
 * scope GKE recommends for custom accounts (IAM roles decide), the Workload Identity metadata
 * server (pods never see the node's credentials), and Shielded VM with Secure Boot and
 * integrity monitoring. Secure Boot holds on GPU nodes because GKE installs signed NVIDIA
 * drivers; Google's cluster-toolkit node-pool module keeps it on by default, its A3 Ultra
 * blueprint included.
 */
function nodeIdentity(config: GkeGpuClusterConfig) {
  return {
    serviceAccount: nodeServiceAccountEmail(config),
    oauthScopes: [CLOUD_PLATFORM_SCOPE],
    workloadMetadataConfig: { mode: "GKE_METADATA" },
    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
  };
}

/** Node settings every pool shares: COS and {@link nodeIdentity}. */
function commonNodeConfig(config: GkeGpuClusterConfig, machineType: string, diskSizeGb: number) {
  return { machineType, diskSizeGb, imageType: GKE_NODE_IMAGE, ...nodeIdentity(config) };
}

/** A small CPU pool for kube-system, the LWS controller and other system pods. */
export function systemPoolArgs(config: GkeGpuClusterConfig): NodePoolArgs {
  const names = a3UltraResourceNames(config.namePrefix);
  return {
    name: names.systemPool,
    project: config.project,
    cluster: names.cluster,
    location: config.zone,
    nodeCount: config.systemPool.nodeCount,
    management: { autoRepair: true, autoUpgrade: true },
    nodeConfig: {
      ...commonNodeConfig(config, config.systemPool.machineType, config.systemPool.diskSizeGb),
      gvnic: { enabled: true },
    },
    networkConfig: { enablePrivateNodes: true },
  };
}

/** Capacity-dependent node-pool fields for one mode. */
interface CapacityFields {
  nodeConfig: {
    reservationAffinity: { consumeReservationType: string; key?: string; values?: string[] };
    spot?: boolean;
    flexStart?: boolean;
    maxRunDuration?: string;
  };
  management: { autoRepair: boolean; autoUpgrade: boolean };
  placementPolicy?: { type: string };
  queuedProvisioning?: { enabled: boolean };
}

/**
 * The capacity choice as node-pool fields:
 * - `reservation`: SPECIFIC_RESERVATION on the named reservation (or one of its blocks),
 *   compact placement unless turned off.
 * - `spot`: Spot VMs, NO_RESERVATION.
 * - `flex-start`: DWS flex-start VMs, NO_RESERVATION, auto-repair off (flex-start requires
 *   it), optionally queued provisioning (auto-upgrade off, as the toolkit sets it).
 */
export function capacityFields(config: GkeGpuClusterConfig): CapacityFields {
  const cap = config.capacity;
  const maxRun = cap.maxRunDuration ? { maxRunDuration: cap.maxRunDuration } : {};
  const compact = (byDefault: boolean) =>
    (cap.compactPlacement ?? byDefault) ? { placementPolicy: { type: "COMPACT" } } : {};
  const noReservation = { consumeReservationType: "NO_RESERVATION" };
  switch (cap.mode) {
    case "reservation": {
      const target = cap.reservationBlock
        ? `${cap.reservation}/reservationBlocks/${cap.reservationBlock}`
        : (cap.reservation as string);
      return {
        nodeConfig: {
          reservationAffinity: {
            consumeReservationType: "SPECIFIC_RESERVATION",
            key: RESERVATION_LABEL,
            values: [target],
          },
          ...maxRun,
        },
        management: { autoRepair: true, autoUpgrade: true },
        ...compact(true),
      };
    }
    case "spot":
      return {
        nodeConfig: { reservationAffinity: noReservation, spot: true, ...maxRun },
        management: { autoRepair: true, autoUpgrade: true },
        ...compact(false),
      };
    case "flex-start":
      return {
        nodeConfig: { reservationAffinity: noReservation, flexStart: true, ...maxRun },
        management: { autoRepair: false, autoUpgrade: !cap.queuedProvisioning },
        ...compact(false),
        ...(cap.queuedProvisioning ? { queuedProvisioning: { enabled: true } } : {}),
      };
  }
}

/**
 * A secondary boot disk that preloads container images (GKE "Use secondary boot disks to
 * preload data or container images": COS_CONTAINERD, image streaming configured, a disk
 * image built beforehand; a new image means a new node pool), or nothing.
 */
function imageCache(diskImage: string | undefined) {
  if (!diskImage) return {};
  return {
    gcfsConfig: { enabled: true },
    secondaryBootDisks: [{ diskImage, mode: "CONTAINER_IMAGE_CACHE" }],
  };
}

/**
 * The H200 pool: a3-ultragpu-8g with 8 × nvidia-h200-141gb and GKE-installed drivers, gVNIC,
 * all local SSDs as ephemeral storage, Hyperdisk Balanced boot disk, autoscaling from
 * `minNodes` (0 allowed) with location policy ANY, the capacity mode's fields, and either one
 * additional node network per pod network (gVNIC + 8 RDMA = 9) or GKE's automated
 * accelerator networking (`acceleratorNetworkProfile: "auto"`).
 */
export function gpuPoolArgs(config: GkeGpuClusterConfig): NodePoolArgs {
  const names = a3UltraResourceNames(config.namePrefix);
  const capacity = capacityFields(config);
  const attachments = podNetworkAttachments(config);
  return {
    name: names.gpuPool,
    project: config.project,
    cluster: names.cluster,
    location: config.zone,
    nodeLocations: [config.zone],
    initialNodeCount: config.gpuPool.minNodes,
    autoscaling: {
      totalMinNodeCount: config.gpuPool.minNodes,
      totalMaxNodeCount: config.gpuPool.maxNodes,
      locationPolicy: "ANY",
    },
    management: capacity.management,
    ...(capacity.placementPolicy ? { placementPolicy: capacity.placementPolicy } : {}),
    ...(capacity.queuedProvisioning ? { queuedProvisioning: capacity.queuedProvisioning } : {}),
    nodeConfig: {
      ...commonNodeConfig(config, A3_ULTRA_MACHINE_TYPE, config.gpuPool.diskSizeGb),
      diskType: A3_ULTRA_BOOT_DISK,
      guestAccelerators: [
        {
          type: H200_ACCELERATOR,
          count: A3_ULTRA_GPUS,
          gpuDriverInstallationConfig: { gpuDriverVersion: config.gpuPool.gpuDriverVersion },
        },
      ],
      gvnic: { enabled: true },
      ephemeralStorageLocalSsdConfig: { localSsdCount: A3_ULTRA_LOCAL_SSDS },
      ...imageCache(config.gpuPool.imageCacheDiskImage),
      ...capacity.nodeConfig,
    },
    networkConfig: {
      enablePrivateNodes: true,
      ...(config.networking === "auto"
        ? { acceleratorNetworkProfile: "auto" }
        : {
            additionalNodeNetworkConfigs: attachments.map((a) => ({
              network: a.vpc,
              subnetwork: a.vpcSubnet,
            })),
          }),
    },
  };
}
