/**
 * Every stack config key the program reads: its type, default and meaning. `Pulumi.yaml`'s
 * `config:` block declares exactly these (a test keeps the two equal), so `pulumi config`
 * type-checks a stack before the program runs.
 *
 * Pulumi's project config types strings, integers, booleans, arrays and, since CLI v3.187.0
 * (pulumi/pulumi#20129 in v3.186.0 declared the type, #20132 in v3.187.0 parses it:
 * `sdk/go/common/workspace/project.go` `ValidateConfigValue`), objects — only as an opaque
 * map: fields are checked by the stack's own schema. A key declared there without a default
 * must be set in EVERY stack, so keys only one stack uses carry an empty default that the
 * stack's own schema rejects with a message naming the key. An empty string for a version or image means "the pin in
 * components/versions.ts".
 *
 * Secrets: a key declared `secret: true` may not have a default, so it would be required in
 * both stacks. Only `hfToken` (both stacks serve gated models) is declared that way; the home
 * lab's `sshPrivateKey` is read with `requireSecret`, which makes it a secret in the program
 * whatever the stack file holds, and `pulumi config set --secret` encrypts it at rest.
 */

/** A config key's declared type, as Pulumi.yaml spells it. */
export type ConfigKeyType = "string" | "integer" | "boolean" | "array" | "object";

/** One declared config key. */
export interface ConfigKey {
  /** Pulumi.yaml type. */
  type: ConfigKeyType;
  /** Element type of an array: strings unless `object` (a list of maps). */
  items?: "string" | "object";
  /** What the key is for, shown by `pulumi config` and the docs. */
  description: string;
  /** Default applied when a stack leaves the key unset; absent for required secrets. */
  default?:
    | string
    | number
    | boolean
    | string[]
    | Record<string, unknown>[]
    | Record<string, unknown>;
  /** Declared `secret: true` (the stack must hold it encrypted). */
  secret?: boolean;
  /** Which stack reads it. */
  stack: "homelab" | "gke" | "both";
}

/** The declared keys, by name (the `llm-serving:` namespace is implied). */
export const configKeys = {
  hfToken: {
    type: "string",
    secret: true,
    stack: "both",
    description: "Hugging Face token for gated models (pulumi config set --secret hfToken hf_…).",
  },
  namespace: {
    type: "string",
    default: "llm",
    stack: "both",
    description: "Namespace the vLLM workloads run in (created by the stack).",
  },
  vllmImage: {
    type: "string",
    default: "",
    stack: "both",
    description:
      "vLLM image; empty = the pinned default (home lab: NVIDIA's NGC vLLM for arm64/GB10).",
  },
  lwsVersion: {
    type: "string",
    default: "",
    stack: "both",
    description: "LeaderWorkerSet controller version; empty = the pinned default.",
  },
  modelStore: {
    type: "string",
    default: "",
    stack: "both",
    description:
      "Where the (multi-node) model's weights come from: hub (vLLM downloads on every start), cache (home lab: a prefetch Job fills the model cache) or bucket (GKE: a prefetch Job fills a Cloud Storage bucket, vLLM streams it); empty = cache / bucket.",
  },
  monitoring: {
    type: "boolean",
    default: true,
    stack: "both",
    description:
      "Deploy Prometheus, Grafana, the dashboards and alert rules (kube-prometheus-stack).",
  },
  kedaVersion: {
    type: "string",
    default: "",
    stack: "both",
    description:
      "KEDA chart version, installed when a server autoscales; empty = the pinned default.",
  },
  gateway: {
    type: "boolean",
    default: true,
    stack: "both",
    description:
      "Inference gateway in front of every model: an InferencePool and llm-d's endpoint picker (prefix-cache and queue-aware routing).",
  },

  // -- homelab --
  gatewayNodePort: {
    type: "integer",
    default: 30080,
    stack: "homelab",
    description: "Node port (30000-32767) the gateway answers on, on every node's LAN address.",
  },
  sshUser: {
    type: "string",
    default: "ubuntu",
    stack: "homelab",
    description: "SSH user on every node (needs passwordless sudo).",
  },
  sshPort: {
    type: "integer",
    default: 22,
    stack: "homelab",
    description: "SSH port on every node.",
  },
  controllerHost: {
    type: "string",
    default: "",
    stack: "homelab",
    description: "SSH host of the CPU-only MicroK8s controller.",
  },
  controllerAddress: {
    type: "string",
    default: "",
    stack: "homelab",
    description: "Address workers join and the kubeconfig points at; empty = controllerHost.",
  },
  controllerName: {
    type: "string",
    default: "",
    stack: "homelab",
    description: "Kubernetes node name of the controller (its hostname); empty = ask the host.",
  },
  controllerHostKey: {
    type: "string",
    default: "",
    stack: "homelab",
    description:
      "Controller's SSH host key `<type> <base64>`, as ssh-keyscan prints it after the host name; pinned.",
  },
  workers: {
    type: "array",
    items: "object",
    default: [],
    stack: "homelab",
    description:
      "GPU workers, one object each: name (hostname, its identity), host, hostKey, roceAddress, and nodeAddress (its InternalIP) when host is not an IPv4.",
  },
  roceInterface: {
    type: "string",
    default: "",
    stack: "homelab",
    description: "Netdev of the RoCE link on the GPU nodes (NCCL_SOCKET_IFNAME), e.g. enp1s0f0np0.",
  },
  roceHcas: {
    type: "array",
    default: [],
    stack: "homelab",
    description:
      "RDMA devices NCCL may use (NCCL_IB_HCA): both halves of the port, e.g. rocep1s0f0, roceP2p1s0f0.",
  },
  ncclDebug: {
    type: "string",
    default: "WARN",
    stack: "homelab",
    description: "NCCL_DEBUG of the vLLM pods; INFO prints the NET/ lines the runbook checks.",
  },
  microk8sChannel: {
    type: "string",
    default: "",
    stack: "homelab",
    description: "MicroK8s snap channel on every node; empty = the pinned default.",
  },
  gpuOperatorChart: {
    type: "string",
    default: "",
    stack: "homelab",
    description: "GPU Operator chart version; empty = the pinned default (>= v25.10.0 for GB10).",
  },
  purgeOnDestroy: {
    type: "boolean",
    default: false,
    stack: "homelab",
    description: "On destroy, also `snap remove --purge microk8s` on every node.",
  },
  model: {
    type: "string",
    default: "Qwen/Qwen3-32B",
    stack: "homelab",
    description: "Hugging Face id of the model served across the GPU workers.",
  },
  servedModelName: {
    type: "string",
    default: "",
    stack: "homelab",
    description: "Name clients use in requests; empty = the model id.",
  },
  maxModelLen: {
    type: "integer",
    default: 32768,
    stack: "homelab",
    description: "vLLM --max-model-len (context length).",
  },
  gpuType: {
    type: "string",
    default: "gb10",
    stack: "homelab",
    description:
      "GPU type of the workers for the memory planner (gb10, rtx4090, l40s, h100-80gb, …); empty skips the check.",
  },
  modelCache: {
    type: "string",
    default: "nfs",
    stack: "homelab",
    description:
      "Model cache: nfs (exported by the controller), hostPath (per node) or pvc (a StorageClass).",
  },
  modelCachePath: {
    type: "string",
    default: "/srv/llm-serving/hf-cache",
    stack: "homelab",
    description: "nfs: directory the controller exports; hostPath: directory on each node.",
  },
  modelCacheStorageClass: {
    type: "string",
    default: "",
    stack: "homelab",
    description: "pvc: StorageClass of the cache claim (ReadWriteMany: both workers mount it).",
  },
  modelCacheSize: {
    type: "string",
    default: "200Gi",
    stack: "homelab",
    description: "pvc: size of the cache claim.",
  },
  autoscaling: {
    type: "object",
    default: {},
    stack: "homelab",
    description:
      "Autoscaling of the model server (KEDA, on its request queue): maxReplicas, minReplicas, queueDepth, kvCacheUsage, cooldownSeconds, …; {} = one fixed replica.",
  },
  prePullImages: {
    type: "boolean",
    default: true,
    stack: "homelab",
    description:
      "Keep the vLLM image pulled on every GPU node (a DaemonSet), so a new pod never waits on the registry.",
  },

  // -- gke --
  gatewayProxySubnetCidr: {
    type: "string",
    default: "192.168.0.0/23",
    stack: "gke",
    description:
      "Range of the region's proxy-only subnet the internal gateway's load balancer runs in (the pods admit it).",
  },
  gatewayProxySubnetCreate: {
    type: "boolean",
    default: true,
    stack: "gke",
    description:
      "Create that proxy-only subnet in the primary VPC; false when the VPC already has one in the region.",
  },
  gcpProject: {
    type: "string",
    default: "",
    stack: "gke",
    description: "Google Cloud project id.",
  },
  gcpZone: {
    type: "string",
    default: "",
    stack: "gke",
    description: "Zone with A3 Ultra capacity (e.g. europe-west1-b); the region is derived.",
  },
  namePrefix: {
    type: "string",
    default: "llm",
    stack: "gke",
    description: "Prefix of every GCP resource name.",
  },
  capacityMode: {
    type: "string",
    default: "reservation",
    stack: "gke",
    description: "How H200 capacity is obtained: reservation, spot or flex-start.",
  },
  reservation: {
    type: "string",
    default: "",
    stack: "gke",
    description: "Name of the specific reservation (capacityMode reservation).",
  },
  gpuNodeCount: {
    type: "integer",
    default: 2,
    stack: "gke",
    description: "a3-ultragpu-8g nodes in the GPU pool (autoscaling maximum).",
  },
  deletionProtection: {
    type: "boolean",
    default: true,
    stack: "gke",
    description: "GKE cluster deletion protection.",
  },
  masterAuthorizedCidrs: {
    type: "array",
    default: [],
    stack: "gke",
    description:
      "CIDRs allowed to reach the GKE control plane (where pulumi and kubectl run); required, 0.0.0.0/0 refused.",
  },
  singleGpuEnabled: {
    type: "boolean",
    default: true,
    stack: "gke",
    description: "Serve the single-GPU model.",
  },
  singleGpuAutoscaling: {
    type: "object",
    default: {},
    stack: "gke",
    description:
      "Autoscaling of the single-GPU model (KEDA, on its request queue): maxReplicas, minReplicas, queueDepth, kvCacheUsage, cooldownSeconds, …; {} = one fixed replica.",
  },
  singleGpuModel: {
    type: "string",
    default: "google/gemma-3-1b-it",
    stack: "gke",
    description: "Model served on one GPU.",
  },
  oneNodeEnabled: {
    type: "boolean",
    default: true,
    stack: "gke",
    description: "Serve the one-node tensor-parallel model.",
  },
  oneNodeModel: {
    type: "string",
    default: "google/gemma-3-27b-it",
    stack: "gke",
    description: "Model served tensor-parallel inside one node (NVLink).",
  },
  oneNodeAutoscaling: {
    type: "object",
    default: {},
    stack: "gke",
    description:
      "Autoscaling of the one-node model (KEDA, on its request queue): maxReplicas, minReplicas, queueDepth, kvCacheUsage, cooldownSeconds, …; {} = one fixed replica.",
  },
  oneNodeTensorParallel: {
    type: "integer",
    default: 2,
    stack: "gke",
    description: "GPUs of the one-node model (2, 4 or 8).",
  },
  multiNodeEnabled: {
    type: "boolean",
    default: false,
    stack: "gke",
    description: "Serve the multi-node model (LeaderWorkerSet over RDMA).",
  },
  multiNodeModel: {
    type: "string",
    default: "meta-llama/Llama-3.1-405B-Instruct",
    stack: "gke",
    description: "Model served across nodes.",
  },
  multiNodeTensorParallel: {
    type: "integer",
    default: 8,
    stack: "gke",
    description: "Tensor parallelism of the multi-node model (GPUs per node).",
  },
  multiNodePipelineParallel: {
    type: "integer",
    default: 2,
    stack: "gke",
    description: "Pipeline parallelism of the multi-node model (nodes per replica).",
  },
  multiNodeAutoscaling: {
    type: "object",
    default: {},
    stack: "gke",
    description:
      "Autoscaling of the multi-node model (replicas are LWS groups) (KEDA, on its request queue): maxReplicas, minReplicas, queueDepth, kvCacheUsage, cooldownSeconds, …; {} = one fixed replica.",
  },
  multiNodeModelStorage: {
    type: "string",
    default: "1000G",
    stack: "gke",
    description:
      "Local-SSD ephemeral storage each multi-node pod requests for the weights it downloads (model size + headroom); unused with modelStore bucket.",
  },
  modelBucket: {
    type: "string",
    default: "",
    stack: "gke",
    description:
      "Cloud Storage bucket of the model store (modelStore bucket); empty = <gcpProject>-<namePrefix>-models.",
  },
  gpuImageCacheDiskImage: {
    type: "string",
    default: "",
    stack: "gke",
    description:
      "Disk image with the vLLM image preloaded (built with gke-disk-image-builder), attached to GPU nodes as a secondary boot disk: global/images/NAME; empty = pull from the registry.",
  },
  nimEnabled: {
    type: "boolean",
    default: false,
    stack: "gke",
    description:
      "Serve one more model with NVIDIA NIM for LLMs on one GPU (needs the ngcApiKey secret and an NVIDIA AI Enterprise licence in production).",
  },
  nimAutoscaling: {
    type: "object",
    default: {},
    stack: "gke",
    description:
      "Autoscaling of the NIM server (KEDA, on its request queue: NIM 2.0.x exports vLLM's series): maxReplicas, minReplicas, queueDepth, kvCacheUsage, cooldownSeconds, …; {} = one fixed replica.",
  },
  nimModel: {
    type: "string",
    default: "meta-llama/Llama-3.1-8B-Instruct",
    stack: "gke",
    description:
      "Hugging Face id of the model the NIM serves (its served name and the planner's model); nimImage must be that model's NIM.",
  },
  nimImage: {
    type: "string",
    default: "",
    stack: "both",
    description:
      "NIM for LLMs image, nvcr.io/nim/<org>/<model>:<tag>. GKE: empty = the pinned Llama 3.1 8B Instruct NIM (default nimModel only); home lab: required with servingRuntime nim (a pinned tag of the model's DGX Spark NIM).",
  },
  servingRuntime: {
    type: "string",
    default: "vllm",
    stack: "homelab",
    description:
      "What serves the model: vllm (tensor-parallel across the Sparks), or nim (NVIDIA's DGX Spark NIM of the model on one Spark; needs the ngcApiKey secret and nimImage).",
  },
} as const satisfies Record<string, ConfigKey>;

/** Names of the declared keys. */
export type ConfigKeyName = keyof typeof configKeys;
