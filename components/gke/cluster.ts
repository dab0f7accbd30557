import { Firewall } from "@pulumi/gcp/compute/firewall";
import { Network } from "@pulumi/gcp/compute/network";
import { Router } from "@pulumi/gcp/compute/router";
import { RouterNat } from "@pulumi/gcp/compute/routerNat";
import { Subnetwork } from "@pulumi/gcp/compute/subnetwork";
import { Cluster } from "@pulumi/gcp/container/cluster";
import { NodePool } from "@pulumi/gcp/container/nodePool";
import { IAMMember } from "@pulumi/gcp/projects/iammember";
import { Account } from "@pulumi/gcp/serviceaccount/account";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource";
import { DaemonSet, type DaemonSetArgs } from "@pulumi/kubernetes/apps/v1/daemonSet";
import { Provider } from "@pulumi/kubernetes/provider";
import * as pulumi from "@pulumi/pulumi";
import { clusterArgs, gpuPoolArgs, systemPoolArgs } from "./cluster-args";
import {
  type GkeCapacityMode,
  type GkeNetworkingMode,
  type GkeReleaseChannel,
  resolveGkeGpuClusterConfig,
} from "./config";
import { gibInstallerDaemonSet } from "./gib";
import { cloudNatSpecs, nodeServiceAccountSpec } from "./hardening";
import { gkeKubeconfig } from "./kubeconfig";
import { podNetworkObjects } from "./multinetwork";
import {
  controlPlaneSourceRange,
  controlPlaneWebhookFirewall,
  networkSpecs,
  podNetworkAttachments,
  proxyOnlySubnetSpec,
} from "./network-plan";

/** Where the GPU node pool's capacity comes from. */
export interface GkeGpuCapacityArgs {
  /**
   * `reservation` (a specific Compute Engine reservation, compact placement), `spot` (Spot
   * VMs) or `flex-start` (DWS flex-start VMs, up to 7 days each). Required.
   */
  mode: GkeCapacityMode;
  /** Reservation name. Required with `reservation`; rejected otherwise. */
  reservation?: string;
  /** A block of the reservation to target (`<reservation>/reservationBlocks/<block>`). Defaults to anywhere in the reservation. */
  reservationBlock?: string;
  /** COMPACT placement policy. Defaults to true with `reservation`, false otherwise; not with queued provisioning. */
  compactPlacement?: boolean;
  /** With `flex-start`: obtain nodes only through ProvisioningRequests (queued provisioning; needs `gpuPool.minNodes` 0). Defaults to false. */
  queuedProvisioning?: boolean;
  /** Maximum VM run time, in seconds with an `s` suffix (e.g. `"86400s"`); at most 7 days with flex-start. Defaults to none (flex-start: 7 days). */
  maxRunDuration?: string;
}

/** Size and software of the H200 node pool. */
export interface GkeGpuPoolArgs {
  /** Autoscaler minimum; 0 lets the pool scale to zero. Defaults to 0. */
  minNodes?: number;
  /** Autoscaler maximum. Defaults to 2 (one multi-node TP × PP group). */
  maxNodes?: number;
  /** Boot disk size in GB (Hyperdisk Balanced). Defaults to 200. */
  diskSizeGb?: number;
  /** GKE-managed NVIDIA driver: `LATEST` or `DEFAULT`. Defaults to `LATEST` (A3 Ultra needs R550+). */
  gpuDriverVersion?: string;
  /**
   * A disk image holding the serving images' layers (built beforehand with GKE's
   * gke-disk-image-builder), attached to every GPU node as a secondary boot disk in
   * `CONTAINER_IMAGE_CACHE` mode, with image streaming on as GKE requires for it:
   * `global/images/NAME` or `projects/PROJECT/global/images/NAME`. Changing it replaces the
   * pool. Defaults to none (nodes pull from the registry).
   */
  imageCacheDiskImage?: string;
}

/** The CPU node pool for system pods. */
export interface GkeSystemPoolArgs {
  /** Machine type. Defaults to `e2-standard-8`. */
  machineType?: string;
  /** Fixed node count. Defaults to 1. */
  nodeCount?: number;
  /** Boot disk size in GB. Defaults to 100. */
  diskSizeGb?: number;
}

/** Arguments of {@link GkeGpuCluster}. Plain values: the whole set is validated before any resource exists. */
export interface GkeGpuClusterArgs {
  /** GCP project ID. Required. */
  project: string;
  /** Zone of the cluster, its H200 nodes and the RoCE network profile (e.g. `europe-west1-b`). Required; the region is derived. */
  zone: string;
  /** Prefix of every resource name (cluster = prefix): lowercase, ≤ 24 characters. Required. */
  namePrefix: string;
  /**
   * `explicit`: create the gVNIC and RDMA VPCs, attach them to the pool and create the
   * in-cluster `Network` objects (GKE's documented A3 Ultra setup). `auto`: set the node pool's
   * accelerator network profile to `auto` and let GKE create all of it (GKE ≥ 1.34.1-gke.1829001;
   * reported to wedge node-pool deletion). Defaults to `explicit`.
   */
  networking?: GkeNetworkingMode;
  /** Primary range of the gVNIC subnet. Defaults to `192.168.64.0/18`. */
  gvnicCidr?: string;
  /** Range split into the eight RDMA subnets (one /21 each from a /18). Defaults to `192.168.128.0/18`. */
  rdmaCidr?: string;
  /** VPC of the cluster's primary NIC. Defaults to `default`. */
  primaryNetwork?: string;
  /** Subnet of the cluster's primary NIC (GKE-managed secondary ranges). Defaults to `default`. */
  primarySubnetwork?: string;
  /** Release channel: RAPID, REGULAR, STABLE or EXTENDED. Defaults to REGULAR. */
  releaseChannel?: GkeReleaseChannel;
  /** Minimum control-plane version; must be ≥ 1.31.4-gke.1183000 (A3 Ultra RDMA), ≥ 1.32.2-gke.1652000 with flex-start. Defaults to the channel's default. */
  minMasterVersion?: string;
  /** GKE deletion protection on the cluster. Defaults to true. */
  deletionProtection?: boolean;
  /** System node pool. Defaults to one e2-standard-8. */
  systemPool?: GkeSystemPoolArgs;
  /** H200 node pool size and driver. */
  gpuPool?: GkeGpuPoolArgs;
  /** Capacity source of the H200 nodes. Required. */
  capacity: GkeGpuCapacityArgs;
  /** gIB installer image. Defaults to `versions.gibInstallerImage`. */
  gibInstallerImage?: string;
  /**
   * CIDR blocks allowed to reach the control plane's public endpoint (where `pulumi` and
   * `kubectl` run from). Nodes are private and the endpoint rejects every other address,
   * Google Cloud's public ranges included. Required, at least one; `0.0.0.0/0` is rejected.
   */
  masterAuthorizedCidrs: string[];
  /**
   * Create a Cloud Router + NAT for the primary subnet, through which the private nodes pull
   * images and pods download models. Turn off only if a NAT already serves that subnet.
   * Defaults to true.
   */
  cloudNat?: boolean;
  /**
   * Range of a proxy-only subnet (purpose `REGIONAL_MANAGED_PROXY`, role `ACTIVE`) to create in
   * the primary network's region, where GKE's regional Gateway classes (`gke-l7-rilb`, the
   * internal class GKE Inference Gateway uses) run their proxies. A VPC holds one active
   * proxy-only subnet per region: leave unset when it has one. Defaults to none.
   */
  proxyOnlySubnetCidr?: string;
  /** Turn on GKE's Gateway API controller (standard channel), which any `Gateway` needs. Defaults to false. */
  gatewayApi?: boolean;
}

/**
 * A GKE Standard cluster with an A3 Ultra (8 × H200) node pool wired for GPUDirect RDMA:
 * gVNIC + RoCE VPCs, multi-networking objects, GKE's gIB NCCL plugin installer, and a
 * Kubernetes provider that authenticates through `gke-gcloud-auth-plugin`.
 */
export class GkeGpuCluster extends pulumi.ComponentResource {
  /** The GKE cluster's name. */
  public readonly clusterName: pulumi.Output<string>;
  /** Kubeconfig (exec credential via gke-gcloud-auth-plugin), as a secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Names of the in-cluster pod networks (`gvnic-1`, `rdma-0` …), empty with `networking: auto`. */
  public readonly networkNames: pulumi.Output<string[]>;
  /** Name of the H200 node pool (the `cloud.google.com/gke-nodepool` label of its nodes). */
  public readonly gpuNodePoolName: pulumi.Output<string>;
  /** Email of the nodes' dedicated IAM service account (grant it e.g. Artifact Registry read on private repositories). */
  public readonly nodeServiceAccountEmail: pulumi.Output<string>;
  /** Kubernetes provider for the cluster; everything in-cluster should use it. */
  public readonly provider: Provider;

  constructor(name: string, args: GkeGpuClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const config = resolveGkeGpuClusterConfig(args, `GkeGpuCluster "${name}"`);
    super("llm-serving:index:GkeGpuCluster", name, {}, opts);
    const parent = { parent: this };

    const specs = networkSpecs(config);
    const networks = specs.networks.map((n) => new Network(n.name, n.args, parent));
    const subnets = specs.subnets.map(
      (s) => new Subnetwork(s.name, s.args, { parent: this, dependsOn: networks }),
    );
    specs.firewalls.map((f) => new Firewall(f.name, f.args, { parent: this, dependsOn: networks }));
    const proxySubnet = proxyOnlySubnetSpec(config);
    if (proxySubnet) new Subnetwork(proxySubnet.name, proxySubnet.args, parent);

    // Nodes must not start before they can log, report and pull: their account holds its
    // role, and the NAT that carries their pulls exists.
    const sa = nodeServiceAccountSpec(config);
    const account = new Account(sa.account.name, sa.account.args, parent);
    const grants = sa.roles.map(
      (role) =>
        new IAMMember(
          `${sa.account.name}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
          {
            project: config.project,
            role,
            member: pulumi.interpolate`serviceAccount:${account.email}`,
          },
          parent,
        ),
    );
    const nat = cloudNatSpecs(config);
    const router = nat.router ? new Router(nat.router.name, nat.router.args, parent) : undefined;
    const egress =
      router && nat.nat
        ? [new RouterNat(nat.nat.name, { ...nat.nat.args, router: router.name }, parent)]
        : [];
    // The cluster's transient default pool runs as the node account too (see clusterArgs);
    // GKE removes that pool, so later reads of its node config must not force a replacement.
    const cluster = new Cluster(config.namePrefix, clusterArgs(config), {
      parent: this,
      dependsOn: grants,
      ignoreChanges: ["nodeConfig"],
    });
    const nodesNeed = [cluster, ...grants, ...egress];
    const system = systemPoolArgs(config);
    const systemPool = new NodePool(system.name as string, system, {
      parent: this,
      dependsOn: nodesNeed,
    });
    // Webhooks on ports other than 443/10250 are unreachable from the control plane of a
    // private-node cluster without this rule (see controlPlaneWebhookFirewall).
    const webhooks = controlPlaneWebhookFirewall(
      config,
      cluster.privateClusterConfig.apply((p) => controlPlaneSourceRange(p ?? {})),
      account.email,
    );
    const webhookFirewall = new Firewall(webhooks.name, webhooks.args, parent);
    const gpu = gpuPoolArgs(config);
    const gpuPool = new NodePool(gpu.name as string, gpu, {
      parent: this,
      dependsOn: [...nodesNeed, ...subnets],
      // initialNodeCount forces replacement; after creation the autoscaler owns the size.
      ignoreChanges: ["initialNodeCount"],
    });

    this.clusterName = cluster.name;
    this.gpuNodePoolName = gpuPool.name;
    this.nodeServiceAccountEmail = account.email;
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([cluster.name, cluster.endpoint, cluster.masterAuth])
        .apply(([clusterName, endpoint, auth]) =>
          gkeKubeconfig({
            name: clusterName,
            endpoint,
            caCertificate: auth.clusterCaCertificate ?? "",
          }),
        ),
    );
    this.provider = new Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig },
      // In-cluster objects (LeaderWorkerSets above all) wait for the webhook rule too.
      { parent: this, dependsOn: [systemPool, gpuPool, webhookFirewall] },
    );
    const inCluster = { parent: this, provider: this.provider };

    const objects = podNetworkObjects(podNetworkAttachments(config));
    for (const o of objects) {
      const paramSet = new CustomResource(
        `${name}-gnps-${o.paramSet.metadata.name}`,
        o.paramSet,
        inCluster,
      );
      new CustomResource(`${name}-network-${o.network.metadata.name}`, o.network, {
        ...inCluster,
        dependsOn: [paramSet],
      });
    }
    // kubernetes-models and the Pulumi SDK type the same Kubernetes schema differently.
    const gib = gibInstallerDaemonSet({
      image: config.gibInstallerImage,
    }) as unknown as DaemonSetArgs;
    new DaemonSet(`${name}-gib`, gib, inCluster);

    this.networkNames = pulumi.output(objects.map((o) => o.network.metadata.name));
    this.registerOutputs({
      clusterName: this.clusterName,
      kubeconfig: this.kubeconfig,
      networkNames: this.networkNames,
      gpuNodePoolName: this.gpuNodePoolName,
      nodeServiceAccountEmail: this.nodeServiceAccountEmail,
      provider: this.provider,
    });
  }
}
