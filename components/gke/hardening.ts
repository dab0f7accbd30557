/**
 * The parts of GKE's cluster hardening guide that are resources of their own: the nodes'
 * dedicated IAM service account with the one role GKE documents as the minimum, and the
 * Cloud Router + NAT that private nodes need to pull images and models.
 */
import type { RouterArgs } from "@pulumi/gcp/compute/router";
import type { RouterNatArgs } from "@pulumi/gcp/compute/routerNat";
import type { AccountArgs } from "@pulumi/gcp/serviceaccount/account";
import type { GkeGpuClusterConfig } from "./config";
import type { GkeNamedArgs } from "./network-plan";

/**
 * The minimum role of a node service account (GKE "Configure node service accounts": at a
 * minimum, node service accounts must have `roles/container.defaultNodeServiceAccount`; it
 * carries the logging, monitoring and resource-metadata permissions nodes use). Images this
 * project pulls are public (Docker Hub, `gke.gcr.io`, the public `gce-ai-infra` Artifact
 * Registry), so `roles/artifactregistry.reader` is not granted; grant it on your repository
 * to the exported account if you pull private images.
 */
export const NODE_SERVICE_ACCOUNT_ROLES = ["roles/container.defaultNodeServiceAccount"] as const;

/** Account id of the node service account: `<prefix>-nodes` (6–30 characters for a ≤ 24-character prefix). */
export function nodeServiceAccountId(namePrefix: string): string {
  return `${namePrefix}-nodes`;
}

/** The email GCP gives the node service account (known before it exists). */
export function nodeServiceAccountEmail(config: GkeGpuClusterConfig): string {
  return `${nodeServiceAccountId(config.namePrefix)}@${config.project}.iam.gserviceaccount.com`;
}

/** The node service account and the project roles bound to it. */
export interface NodeServiceAccountSpec {
  account: GkeNamedArgs<AccountArgs>;
  /** Project roles granted to the account, one IAM member each. */
  roles: string[];
}

/** The dedicated node service account every node pool of the cluster runs as. */
export function nodeServiceAccountSpec(config: GkeGpuClusterConfig): NodeServiceAccountSpec {
  const accountId = nodeServiceAccountId(config.namePrefix);
  return {
    account: {
      name: accountId,
      args: {
        accountId,
        project: config.project,
        displayName: `GKE nodes of ${config.namePrefix}`,
        description:
          "Node service account with the minimal GKE node role; workloads use Workload Identity.",
      },
    },
    roles: [...NODE_SERVICE_ACCOUNT_ROLES],
  };
}

/** The Cloud Router and its NAT, or nothing when `cloudNat` is off. */
export interface CloudNatSpecs {
  router?: GkeNamedArgs<RouterArgs>;
  /** `router` is filled in with the created router's name. */
  nat?: GkeNamedArgs<Omit<RouterNatArgs, "router">>;
}

/**
 * Cloud NAT for the cluster's primary subnet: private nodes have no external address, and
 * image pulls (kubelet) and model downloads (pods) leave through the primary NIC, whose
 * default route is in the primary network. All of the subnet's ranges are translated, the
 * pods' secondary range included (VPC-native pod IPs are alias ranges of that subnet). Only
 * that subnet is listed, so a NAT gateway that already serves other subnets of the network
 * keeps working. Errors are logged, so a port exhaustion shows up in Cloud Logging.
 */
export function cloudNatSpecs(config: GkeGpuClusterConfig): CloudNatSpecs {
  if (!config.cloudNat) return {};
  const routerName = `${config.namePrefix}-nat-router`;
  const natName = `${config.namePrefix}-nat`;
  const { project, region } = config;
  return {
    router: {
      name: routerName,
      args: { name: routerName, project, region, network: config.primaryNetwork },
    },
    nat: {
      name: natName,
      args: {
        name: natName,
        project,
        region,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
        subnetworks: [
          {
            name: `projects/${project}/regions/${region}/subnetworks/${config.primarySubnetwork}`,
            sourceIpRangesToNats: ["ALL_IP_RANGES"],
          },
        ],
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
    },
  };
}
