/**
 * Network/NCCL profiles: how the pods of one vLLM server reach each other's GPUs.
 *
 * A profile is plain data (env, annotations, volumes, capabilities, host networking, a shell
 * preamble and what it can place). The workload builders apply it identically to every pod
 * of a server (leader and workers) and never branch on its name, so adding a profile is
 * adding data here, not a code path elsewhere.
 */
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import { z } from "zod";
import { a3UltraPodNetworks } from "../gke/networks";
import type { PodSecurityLevel } from "../namespace";
import { parseOrThrow } from "../validation";

/** The network profiles (an enum in the package schema). */
export const NetworkProfileName = {
  /** One node: NCCL over NVLink/PCIe. */
  Nvlink: "nvlink",
  /** The pod network. */
  Tcp: "tcp",
  /** Host network + RoCE NICs (the home lab). */
  RoceHostnet: "roce-hostnet",
  /** GKE A3 Ultra: RDMA NICs through multi-networking and the gIB NCCL plugin. */
  GkeRdma: "gke-rdma",
} as const;
/** One of {@link NetworkProfileName}'s values. */
export type NetworkProfileName = (typeof NetworkProfileName)[keyof typeof NetworkProfileName];

/** Every profile name, in the order the docs list them. */
export const NETWORK_PROFILE_NAMES = Object.values(NetworkProfileName) as [
  NetworkProfileName,
  ...NetworkProfileName[],
];

/** The profile used when none is named: it works on any cluster, at pod-network speed. */
export const DEFAULT_NETWORK_PROFILE = "tcp";

/** `NCCL_DEBUG` unless overridden: quiet, but NCCL still explains why it failed. */
export const DEFAULT_NCCL_DEBUG = "WARN";

/** The values `NCCL_DEBUG` accepts (an enum in the package schema). */
export const NcclDebugLevel = {
  Version: "VERSION",
  Warn: "WARN",
  Info: "INFO",
  Abort: "ABORT",
  Trace: "TRACE",
} as const;
/** One of {@link NcclDebugLevel}'s values. */
export type NcclDebugLevel = (typeof NcclDebugLevel)[keyof typeof NcclDebugLevel];

/** The `NCCL_DEBUG` values as a list. */
export const NCCL_DEBUG_LEVELS = Object.values(NcclDebugLevel) as [
  NcclDebugLevel,
  ...NcclDebugLevel[],
];

/** What the user chooses: a profile name and that profile's parameters. */
export interface NetworkArgs {
  /**
   * Profile name: `nvlink` (one node, NCCL over NVLink/PCIe), `tcp` (pod network),
   * `roce-hostnet` (host network + RoCE NICs, the home lab) or `gke-rdma` (GKE A3 Ultra,
   * RDMA NICs through multi-networking and the gIB NCCL plugin). Defaults to `tcp`.
   */
  profile?: NetworkProfileName;
  /**
   * Network interface NCCL and Gloo bootstrap over (`NCCL_SOCKET_IFNAME`,
   * `GLOO_SOCKET_IFNAME`), e.g. `enp1s0f1np1` on a DGX Spark's QSFP port. Required for
   * `roce-hostnet`, optional for `tcp`; other profiles reject it. Defaults to NCCL's choice.
   */
  socketInterface?: string;
  /**
   * RDMA devices NCCL may use (`NCCL_IB_HCA`), e.g. `["rocep1s0f1", "roceP2p1s0f1"]`
   * (see `ibdev2netdev`). Required for `roce-hostnet`; other profiles reject it.
   */
  ibHcas?: string[];
  /**
   * RoCE GID index (`NCCL_IB_GID_INDEX`), usually 3 for RoCE v2 over IPv4.
   * Only for `roce-hostnet`. Defaults to NCCL's automatic choice.
   */
  ibGidIndex?: number;
  /**
   * Extended resource of an RDMA device plugin (e.g. `rdma/rdma_shared_device_a` from
   * NVIDIA's k8s-rdma-shared-dev-plugin) that hands `/dev/infiniband` to the container.
   * Only for `roce-hostnet`. Defaults to none: the container runs privileged instead,
   * which is what works with no extra operator installed.
   */
  rdmaResource?: string;
  /**
   * Each GPU node's address as Kubernetes reports it (its `InternalIP`, the pod IP of a
   * host-network pod) → that node's IPv4 address on the RoCE link. With it, every pod sets
   * `VLLM_HOST_IP` to its node's link address and passes the leader's link address as the
   * master address (`--master-addr`; Ray: the head address and `--node-ip-address`), so vLLM's
   * control traffic and torch's store use the link, not the LAN. A node missing from the map
   * stops its pod with an error. Only for `roce-hostnet`. Defaults to none (vLLM advertises
   * the address of the default route, usually the LAN).
   */
  linkAddresses?: { [nodeAddress: string]: string };
  /** `NCCL_DEBUG`: one of VERSION, WARN, INFO, ABORT, TRACE. Defaults to `WARN`. */
  ncclDebug?: NcclDebugLevel;
}

/** What a profile can place, checked against the server's parallelism before anything exists. */
export interface ProfilePlacement {
  /** Most nodes one server (one LWS group) may span; undefined = no limit. */
  maxNodes?: number;
  /** Most GPUs per node (per pod); undefined = no limit. */
  maxGpusPerNode?: number;
  /** Why the limits exist, quoted in errors. */
  reason: string;
}

/** A resolved profile: everything the workload builders add to every pod of a server. */
export interface NetworkProfile {
  /** Profile name (one of {@link NETWORK_PROFILE_NAMES}). */
  name: string;
  /** Container env vars, in a stable order. */
  env: IEnvVar[];
  /** Pod annotations (GKE multi-networking). */
  annotations: Record<string, string>;
  /** Pod volumes. */
  volumes: IVolume[];
  /** Container mounts of {@link volumes}. */
  volumeMounts: IVolumeMount[];
  /** Linux capabilities added to the container (`IPC_LOCK` pins RDMA memory). */
  capabilities: string[];
  /** Whether the container runs privileged (sees every host device, e.g. `/dev/infiniband`). */
  privileged: boolean;
  /** Whether pods share the node's network namespace. */
  hostNetwork: boolean;
  /** Pod `dnsPolicy`; host-network pods need `ClusterFirstWithHostNet` to resolve Services. */
  dnsPolicy?: IPodSpec["dnsPolicy"];
  /** Shell lines run (in the container's `bash -c`) before vLLM or Ray starts. */
  preamble: string[];
  /** Extra container resources, requested and limited alike (RDMA device plugins). */
  resources: Record<string, string>;
  /** What the profile can place. */
  placement: ProfilePlacement;
  /** Pod Security level the namespace needs, derived from the fields above. */
  podSecurity: PodSecurityLevel;
  /**
   * Node address → link address (see {@link NetworkArgs.linkAddresses}); the launcher
   * scripts look addresses up here. Absent: vLLM picks its own address.
   */
  linkAddresses?: Record<string, string>;
}

/** Env var holding the node's Kubernetes address (downward API `status.hostIP`). */
export const NODE_ADDRESS_ENV = "LLM_SERVING_NODE_IP";

/**
 * First port of vLLM's own listeners on host-network pods (`VLLM_PORT`: vLLM's
 * `get_open_port()` scans upward from it), so a host firewall can name their range.
 */
export const VLLM_PORT_BASE = 29600;

/** Capabilities the PSS `baseline` level still admits; anything else needs `privileged`. */
const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

/**
 * The Pod Security Standards level a namespace needs for pods with these settings:
 * host networking, host paths, privileged containers and capabilities outside the baseline
 * set (such as `IPC_LOCK`) are all forbidden by `baseline`.
 */
export function requiredPodSecurity(
  p: Pick<NetworkProfile, "hostNetwork" | "privileged" | "capabilities" | "volumes">,
): PodSecurityLevel {
  const hostPath = p.volumes.some((v) => v.hostPath !== undefined);
  const extraCaps = p.capabilities.some((c) => !BASELINE_CAPABILITIES.has(c));
  return p.hostNetwork || p.privileged || hostPath || extraCaps ? "privileged" : "baseline";
}

/** GKE's gIB NCCL plugin, installed on A3 Ultra nodes by the gIB installer DaemonSet. */
export const GIB_HOST_PATH = "/home/kubernetes/bin/gib";
/** Where pods mount the gIB plugin (the path `set_nccl_env.sh` expects). */
export const GIB_MOUNT_PATH = "/usr/local/gib";
/** GKE's host NVIDIA driver libraries. */
export const GKE_NVIDIA_HOST_PATH = "/home/kubernetes/bin/nvidia";
/** Where pods mount GKE's NVIDIA libraries. */
export const GKE_NVIDIA_MOUNT_PATH = "/usr/local/nvidia";
/** Library directories gke-rdma pods put first: the gIB NCCL plugin, then GKE's driver libraries. */
export const GKE_LD_LIBRARY_PATH = `${GIB_MOUNT_PATH}/lib64:${GKE_NVIDIA_MOUNT_PATH}/lib64`;

/**
 * The `networking.gke.io/interfaces` value for A3 Ultra pods: `eth0` on the default
 * network, then one interface per network of {@link a3UltraPodNetworks}, in NIC order.
 */
export function gkeInterfacesAnnotation(): string {
  const interfaces = [
    { interfaceName: "eth0", network: "default" },
    ...a3UltraPodNetworks().map((n, i) => ({ interfaceName: `eth${i + 1}`, network: n.name })),
  ];
  return JSON.stringify(interfaces);
}

/** Parameters after validation and defaults. */
interface ResolvedNetworkArgs {
  profile: string;
  linkAddresses?: Record<string, string>;
  socketInterface?: string;
  ibHcas?: string[];
  ibGidIndex?: number;
  rdmaResource?: string;
  ncclDebug: string;
}

function env(entries: Array<[string, string | undefined]>): IEnvVar[] {
  return entries
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => ({ name, value }));
}

type ProfileData = Omit<NetworkProfile, "podSecurity">;

/** Env of a host-network pod's own addresses: its node's, and vLLM's port range. */
function hostAddressEnv(a: ResolvedNetworkArgs): IEnvVar[] {
  return [
    { name: "VLLM_PORT", value: String(VLLM_PORT_BASE) },
    ...(a.linkAddresses
      ? [{ name: NODE_ADDRESS_ENV, valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }]
      : []),
  ];
}

/** A plain pod on the pod network: nothing added (fresh objects each call). */
function onPodNetwork(): Omit<ProfileData, "name" | "env" | "placement"> {
  return {
    annotations: {},
    volumes: [],
    volumeMounts: [],
    capabilities: [],
    privileged: false,
    hostNetwork: false,
    preamble: [],
    resources: {},
  };
}

/** The profiles, as data built from the (validated) parameters. */
const PROFILES: Record<string, (a: ResolvedNetworkArgs) => ProfileData> = {
  nvlink: (a) => ({
    name: "nvlink",
    env: env([["NCCL_DEBUG", a.ncclDebug]]),
    ...onPodNetwork(),
    placement: {
      maxNodes: 1,
      reason: "nvlink keeps every GPU of a server on one node (NVLink/PCIe, no network)",
    },
  }),
  tcp: (a) => ({
    name: "tcp",
    env: env([
      ["NCCL_DEBUG", a.ncclDebug],
      // Pods on the pod network have no RDMA devices: say so rather than let NCCL probe.
      ["NCCL_IB_DISABLE", "1"],
      ["NCCL_SOCKET_IFNAME", a.socketInterface],
      ["GLOO_SOCKET_IFNAME", a.socketInterface],
    ]),
    ...onPodNetwork(),
    placement: { reason: "tcp places any shape (at pod-network speed)" },
  }),
  "roce-hostnet": (a) => ({
    name: "roce-hostnet",
    env: [
      ...env([
        ["NCCL_DEBUG", a.ncclDebug],
        ["NCCL_SOCKET_IFNAME", a.socketInterface],
        ["GLOO_SOCKET_IFNAME", a.socketInterface],
        ["NCCL_IB_HCA", a.ibHcas?.join(",")],
        ["NCCL_IB_DISABLE", "0"],
        ["NCCL_IB_GID_INDEX", a.ibGidIndex?.toString()],
      ]),
      ...hostAddressEnv(a),
    ],
    annotations: {},
    // No hostPath for /dev/infiniband: a hostPath mount shows the device nodes but the
    // container's device cgroup still refuses to open them. A privileged container gets
    // every host device; a device plugin resource gets exactly the RDMA devices.
    volumes: [],
    volumeMounts: [],
    capabilities: ["IPC_LOCK"],
    privileged: a.rdmaResource === undefined,
    hostNetwork: true,
    dnsPolicy: "ClusterFirstWithHostNet",
    preamble: [],
    resources: a.rdmaResource ? { [a.rdmaResource]: "1" } : {},
    placement: { reason: "roce-hostnet places any shape on nodes with the named RoCE NICs" },
    ...(a.linkAddresses ? { linkAddresses: { ...a.linkAddresses } } : {}),
  }),
  "gke-rdma": (a) => ({
    name: "gke-rdma",
    env: env([["NCCL_DEBUG", a.ncclDebug]]),
    annotations: {
      "networking.gke.io/default-interface": "eth0",
      "networking.gke.io/interfaces": gkeInterfacesAnnotation(),
    },
    volumes: [
      { name: "gib", hostPath: { path: GIB_HOST_PATH } },
      { name: "library-dir-host", hostPath: { path: GKE_NVIDIA_HOST_PATH } },
    ],
    // Read-only: pods only load from these host directories; a writable mount would let a
    // compromised pod plant libraries every later GPU pod on the node loads.
    volumeMounts: [
      { name: "gib", mountPath: GIB_MOUNT_PATH, readOnly: true },
      { name: "library-dir-host", mountPath: GKE_NVIDIA_MOUNT_PATH, readOnly: true },
    ],
    capabilities: ["IPC_LOCK"],
    privileged: false,
    hostNetwork: false,
    preamble: [
      // set_nccl_env.sh selects the gIB plugin and its tuned NCCL settings for the node;
      // without it NCCL silently falls back to TCP, so a missing plugin stops the pod.
      `if [ ! -r ${GIB_MOUNT_PATH}/scripts/set_nccl_env.sh ]; then`,
      `  echo "gIB NCCL plugin missing under ${GIB_MOUNT_PATH}: is the gIB installer DaemonSet running on this node?" >&2`,
      "  exit 1",
      "fi",
      "# shellcheck source=/dev/null",
      `source ${GIB_MOUNT_PATH}/scripts/set_nccl_env.sh`,
      // Prepended in the shell, not set as pod env: pod env would replace the image's own
      // LD_LIBRARY_PATH (CUDA compat libraries) instead of extending it.
      `export LD_LIBRARY_PATH="${GKE_LD_LIBRARY_PATH}\${LD_LIBRARY_PATH:+:\${LD_LIBRARY_PATH}}"`,
    ],
    resources: {},
    placement: {
      maxGpusPerNode: 8,
      reason: "an A3 Ultra node (a3-ultragpu-8g) has 8 H200 GPUs and one RDMA NIC per GPU",
    },
  }),
};

const ipv4 = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
    "must be an IPv4 address",
  );

const ifname = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,15}$/, "must be a Linux interface name (1-15 of A-Z a-z 0-9 _ . : -)");

/** The zod schema of {@link NetworkArgs}, for embedding in larger schemas (errors keep their paths). */
export const networkArgsSchema = z
  .object({
    profile: z.enum(NETWORK_PROFILE_NAMES).default(DEFAULT_NETWORK_PROFILE),
    socketInterface: ifname.optional(),
    ibHcas: z
      .array(
        z.string().regex(/^[=^]?[A-Za-z0-9_.:-]+$/, "must be an RDMA device name (ibv_devices)"),
      )
      .min(1, "list at least one RDMA device")
      .optional(),
    ibGidIndex: z.number().int().min(0).optional(),
    rdmaResource: z
      .string()
      .regex(/^[a-z0-9.-]+\/[A-Za-z0-9_.-]+$/, "must be an extended resource name (domain/name)")
      .optional(),
    linkAddresses: z
      .record(z.string(), ipv4)
      .refine((m) => Object.keys(m).length > 0, "map at least one node address")
      .refine(
        (m) => Object.keys(m).every((k) => ipv4.safeParse(k).success),
        "keys must be the nodes' IPv4 addresses as Kubernetes reports them (InternalIP)",
      )
      .refine(
        (m) => new Set(Object.values(m)).size === Object.values(m).length,
        "two nodes map to the same link address",
      )
      .optional(),
    ncclDebug: z.enum(NCCL_DEBUG_LEVELS).default(DEFAULT_NCCL_DEBUG),
  })
  .strict()
  .superRefine((v, ctx) => {
    const roce = v.profile === "roce-hostnet";
    const usedBy: Record<string, string[]> = {
      socketInterface: ["roce-hostnet", "tcp"],
      ibHcas: ["roce-hostnet"],
      ibGidIndex: ["roce-hostnet"],
      rdmaResource: ["roce-hostnet"],
      linkAddresses: ["roce-hostnet"],
    };
    for (const [key, profiles] of Object.entries(usedBy)) {
      if (v[key as keyof typeof v] !== undefined && !profiles.includes(v.profile)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `only used by the ${profiles.join(" or ")} profile, not ${v.profile}: remove it`,
        });
      }
    }
    if (roce && v.socketInterface === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["socketInterface"],
        message: "roce-hostnet needs the RoCE interface name (e.g. enp1s0f1np1; see ibdev2netdev)",
      });
    }
    if (roce && v.ibHcas === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["ibHcas"],
        message: "roce-hostnet needs the RDMA devices NCCL may use (NCCL_IB_HCA; see ibdev2netdev)",
      });
    }
  });

/**
 * Resolves a profile from its name and parameters.
 * @param path config path of `args`, used in error messages (e.g. `network`).
 * @throws ConfigError listing every invalid or missing parameter.
 */
export function networkProfile(args: NetworkArgs = {}, path = "network"): NetworkProfile {
  const a = parseOrThrow(networkArgsSchema, args, "network profile", path);
  return withPodSecurity(PROFILES[a.profile](a));
}

/** Resolves an already-validated parameter set (output of {@link networkArgsSchema}). */
export function resolvedNetworkProfile(a: z.output<typeof networkArgsSchema>): NetworkProfile {
  return withPodSecurity(PROFILES[a.profile](a));
}

function withPodSecurity(p: ProfileData): NetworkProfile {
  return { ...p, podSecurity: requiredPodSecurity(p) };
}

/** A placement the profile cannot serve, by the parallelism field to change. */
export interface PlacementProblem {
  /** `nodes` or `gpusPerNode`. */
  field: "nodes" | "gpusPerNode";
  /** What is wrong and what to do. */
  message: string;
}

/** Checks that `profile` can place `nodes` pods of `gpusPerNode` GPUs each. */
export function placementProblems(
  profile: NetworkProfile,
  nodes: number,
  gpusPerNode: number,
): PlacementProblem[] {
  const { maxNodes, maxGpusPerNode, reason } = profile.placement;
  const problems: PlacementProblem[] = [];
  if (maxNodes !== undefined && nodes > maxNodes) {
    problems.push({
      field: "nodes",
      message: `${nodes} nodes, but the ${profile.name} profile places at most ${maxNodes} (${reason}); choose a network profile for several nodes (tcp, roce-hostnet, gke-rdma)`,
    });
  }
  if (maxGpusPerNode !== undefined && gpusPerNode > maxGpusPerNode) {
    problems.push({
      field: "gpusPerNode",
      message: `${gpusPerNode} GPUs per node, but the ${profile.name} profile places at most ${maxGpusPerNode} (${reason}); use more nodes`,
    });
  }
  return problems;
}
