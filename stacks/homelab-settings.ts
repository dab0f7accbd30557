import { z } from "zod";
import { hostKeyProblem } from "../components/microk8s/host-key";
import { systemPathProblem } from "../components/model/cache";
import { NCCL_DEBUG_LEVELS } from "../components/nccl/profiles";
import { GPU_NAMES, gpuByName } from "../components/planner/gpus";
import { ConfigError, parseOrThrow } from "../components/validation";
import { versions } from "../components/versions";
import { SERVED_MODEL_NAME } from "../components/vllm/args";
import { gpuBudgetProblem, type VllmAutoscalingArgs } from "../components/vllm/autoscaling";
import { DGX_SPARK_NIMS, imageRepositoryOf } from "../components/vllm/nim";
import { autoscalingSetting } from "./autoscaling";
import type { RawConfig } from "./raw-config";

/** GPUs on one home-lab worker (a DGX Spark has one GB10). */
export const GPUS_PER_WORKER = 1;

/** The controller of the home lab. */
export interface HomelabController {
  /** SSH host (name or address). */
  host: string;
  /** Pinned SSH host key, `<type> <base64>`. */
  hostKey: string;
  /** Address on the cluster network (joins, kubeconfig, NFS). */
  address: string;
  /** Kubernetes node name (its hostname); empty lets MicroK8s use the hostname. */
  nodeName: string;
}

/** One GPU worker of the home lab, from the `workers` list. */
export interface HomelabWorker {
  /** Its hostname, which is its Kubernetes node name and its identity in resource names. */
  name: string;
  /** SSH host (name or address on the LAN). */
  host: string;
  /** Pinned SSH host key, `<type> <base64>`. */
  hostKey: string;
  /**
   * IPv4 of the worker on the RoCE link (preflight checks it): where vLLM's control traffic
   * and the torch master port belong (`VLLM_HOST_IP`, master address).
   */
  roceAddress: string;
  /**
   * IPv4 of the worker as Kubernetes reports it (its `InternalIP`, the kubelet's address on
   * the LAN): the key under which its pods find their RoCE address. Defaults to `host` when
   * that is an IPv4 address.
   */
  nodeAddress?: string;
}

/** The validated home-lab stack settings. */
export interface HomelabSettings {
  sshUser: string;
  sshPort: number;
  controller: HomelabController;
  workers: HomelabWorker[];
  roceInterface: string;
  roceHcas: string[];
  /**
   * Each GPU worker's Kubernetes address → its RoCE address: vLLM's `VLLM_HOST_IP` and the
   * master address are looked up here at pod start, so control traffic uses the link.
   */
  linkAddresses: Record<string, string>;
  /** `NCCL_DEBUG` of the vLLM pods. */
  ncclDebug: (typeof NCCL_DEBUG_LEVELS)[number];
  microk8sChannel: string;
  gpuOperatorChart: string;
  lwsVersion: string;
  /** KEDA chart version, installed when the server autoscales. */
  kedaVersion: string;
  /**
   * The server's autoscaling, when the `autoscaling` key is set. The one server spans every
   * worker, so maxReplicas is at most 1: autoscaling here means scaling to zero when idle.
   */
  autoscaling?: VllmAutoscalingArgs;
  purgeOnDestroy: boolean;
  namespace: string;
  image: string;
  /** `vllm` (tensor-parallel across the workers) or `nim` (the model's DGX Spark NIM on one worker). */
  runtime: "vllm" | "nim";
  /** The NIM image (`nimImage`), with `runtime: nim`. */
  nimImage: string;
  model: string;
  servedModelName: string;
  maxModelLen: number;
  /** Put the inference gateway (standalone picker + Envoy) in front of the server. */
  gateway: boolean;
  /** Node port of the gateway. */
  gatewayNodePort: number;
  /** Planner GPU type of the workers; undefined skips the memory check. */
  gpuType?: string;
  /** One GPU per DGX Spark: the tensor-parallel size is the number of workers. */
  tensorParallel: number;
  modelCache:
    | { kind: "nfs"; server: string; path: string }
    | { kind: "hostPath"; path: string }
    | { kind: "pvc"; storageClass: string; size: string };
  /** `cache`: a prefetch Job fills the shared cache before vLLM starts; `hub`: vLLM downloads. */
  modelStore: "hub" | "cache";
  /** Keep the vLLM image pulled on every GPU node. */
  prePullImages: boolean;
}

const notEmpty = (hint: string) => z.string().min(1, `required for the homelab stack: ${hint}`);
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const hostKey = (hint: string) =>
  z.string({ message: `required: ${hint}` }).superRefine((v, ctx) => {
    const problem = v === "" ? `required: ${hint}` : hostKeyProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
const keyscan = "ssh-keyscan -t ed25519 HOST | cut -d' ' -f2- (then check its fingerprint)";
const worker = z
  .object({
    name: z.string().regex(dnsLabel, "must be the worker's lowercase hostname (a DNS label)"),
    host: z.string().min(1, "required: the worker's SSH host"),
    hostKey: hostKey(`the worker's SSH host key: ${keyscan}`),
    roceAddress: z
      .string({ message: "required: the worker's IPv4 on the RoCE link" })
      .regex(IPV4, "must be the worker's IPv4 on the RoCE link"),
    nodeAddress: z
      .string()
      .regex(IPV4, "must be the worker's IPv4 as Kubernetes reports it (kubectl get nodes -o wide)")
      .optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    // The pods key their RoCE address by the node's InternalIP; a DNS-name host gives none.
    if (w.nodeAddress === undefined && !IPV4.test(w.host)) {
      ctx.addIssue({
        code: "custom",
        path: ["nodeAddress"],
        message:
          "required when host is not an IPv4 address: the worker's INTERNAL-IP from kubectl get nodes -o wide",
      });
    }
  });

const schema = z
  .object({
    sshUser: notEmpty("pulumi config set sshUser ubuntu"),
    sshPort: z.number().int().min(1).max(65535),
    controllerHost: notEmpty("pulumi config set controllerHost <controller address>"),
    controllerAddress: z.string(),
    controllerName: z.union([
      z.literal(""),
      z.string().regex(dnsLabel, "must be a lowercase DNS label (the node's hostname)"),
    ]),
    controllerHostKey: hostKey(
      `the controller's SSH host key: pulumi config set controllerHostKey "$(${keyscan.replace(" (then check its fingerprint)", "")})"`,
    ),
    workers: z
      .array(worker)
      .min(1, "required for the homelab stack: at least one GPU worker (see the example config)"),
    roceInterface: notEmpty("the RoCE netdev, e.g. pulumi config set roceInterface enp1s0f0np0"),
    roceHcas: z
      .array(z.string().min(1))
      .min(1, "required for the homelab stack: pulumi config set --path 'roceHcas[0]' rocep1s0f0"),
    ncclDebug: z.enum(NCCL_DEBUG_LEVELS, {
      message: `must be one of ${NCCL_DEBUG_LEVELS.join(", ")}`,
    }),
    microk8sChannel: z.string(),
    gpuOperatorChart: z.string(),
    lwsVersion: z.string(),
    purgeOnDestroy: z.boolean(),
    namespace: z.string().regex(dnsLabel, "must be a lowercase DNS label"),
    vllmImage: z.string(),
    servingRuntime: z.enum(["vllm", "nim"], { message: "must be vllm or nim" }),
    nimImage: z.string(),
    model: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be a Hugging Face id like org/name"),
    servedModelName: z.union([
      z.literal(""),
      z
        .string()
        .regex(
          SERVED_MODEL_NAME,
          "must be a model name: 1-128 of letters, digits and . _ - : / +, starting with a letter or digit",
        ),
    ]),
    maxModelLen: z.number().int().min(256),
    gpuType: z
      .string()
      .refine(
        (g) => g === "" || gpuByName(g) !== undefined,
        `must be empty or one of ${GPU_NAMES.join(", ")}`,
      ),
    modelCache: z.enum(["nfs", "hostPath", "pvc"], {
      message: "must be nfs, hostPath or pvc",
    }),
    modelCachePath: z.string(),
    modelCacheStorageClass: z.string(),
    modelCacheSize: z.string(),
    gateway: z.boolean(),
    gatewayNodePort: z
      .number()
      .int()
      .min(30000, "must be in Kubernetes' NodePort range 30000-32767")
      .max(32767, "must be in Kubernetes' NodePort range 30000-32767"),
    modelStore: z.enum(["", "hub", "cache"], {
      message: "must be hub or cache in the home lab (empty = cache)",
    }),
    prePullImages: z.boolean(),
  })
  .superRefine(
    (c, ctx) => {
      const seen = new Map<string, string>([[c.controllerHost, "controllerHost"]]);
      if (c.controllerName) seen.set(c.controllerName, "controllerName");
      c.workers.forEach((w, i) => {
        for (const field of ["name", "host", "roceAddress", "nodeAddress"] as const) {
          const value = w[field];
          // An explicit nodeAddress equal to the worker's own IPv4 host names no other machine.
          if (value === undefined || (field === "nodeAddress" && value === w.host)) continue;
          const first = seen.get(value);
          if (first !== undefined) {
            ctx.addIssue({
              code: "custom",
              path: ["workers", i, field],
              message: `${value} is also ${first}: every node is a different machine`,
            });
          } else {
            seen.set(value, `workers[${i}].${field}`);
          }
        }
      });
      if (c.servingRuntime === "nim") {
        const repository = DGX_SPARK_NIMS[c.model];
        const known = Object.keys(DGX_SPARK_NIMS).join(", ");
        if (repository === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["servingRuntime"],
            message: `NVIDIA publishes no DGX Spark (arm64/GB10) NIM for ${c.model}: only for ${known}. Serve one of those, or set servingRuntime vllm`,
          });
        } else if (c.nimImage === "" || imageRepositoryOf(c.nimImage) !== repository) {
          ctx.addIssue({
            code: "custom",
            path: ["nimImage"],
            message: `servingRuntime nim serves ${c.model} with NVIDIA's DGX Spark NIM: set nimImage to ${repository}:<tag>, a tag from the NGC catalog (NVIDIA's playbook names only latest, which is no pin)`,
          });
        }
      }
      const pathProblem = c.modelCache === "pvc" ? undefined : systemPathProblem(c.modelCachePath);
      if (pathProblem) {
        ctx.addIssue({ code: "custom", path: ["modelCachePath"], message: pathProblem });
      }
      if (c.modelStore !== "hub" && c.modelCache === "hostPath") {
        ctx.addIssue({
          code: "custom",
          path: ["modelStore"],
          message:
            "a prefetched cache must be shared by every node, and hostPath is per node: set modelCache nfs or pvc, or modelStore hub",
        });
      }
      if (c.modelCache === "pvc" && c.modelCacheStorageClass === "") {
        ctx.addIssue({
          code: "custom",
          path: ["modelCacheStorageClass"],
          message: "modelCache pvc needs a ReadWriteMany StorageClass (pulumi config set …)",
        });
      }
    },
    // readRawConfig already typed every key, so cross-key checks can run even when a
    // single key failed: the user sees every problem in one run.
    { when: () => true },
  );

/**
 * Validates the home-lab settings: every problem is reported at once, by config key.
 * @throws ConfigError before any resource exists.
 */
export function homelabSettings(raw: RawConfig): HomelabSettings {
  const c = parseOrThrow(schema, raw, "homelab stack config");
  const controllerAddress = c.controllerAddress || c.controllerHost;
  const workers = c.workers;
  const modelCache: HomelabSettings["modelCache"] =
    c.modelCache === "nfs"
      ? { kind: "nfs", server: controllerAddress, path: c.modelCachePath }
      : c.modelCache === "hostPath"
        ? { kind: "hostPath", path: c.modelCachePath }
        : { kind: "pvc", storageClass: c.modelCacheStorageClass, size: c.modelCacheSize };
  const autoscaling = homelabAutoscaling(raw, workers.length);
  return {
    sshUser: c.sshUser,
    sshPort: c.sshPort,
    controller: {
      host: c.controllerHost,
      hostKey: c.controllerHostKey,
      address: controllerAddress,
      nodeName: c.controllerName,
    },
    workers,
    roceInterface: c.roceInterface,
    roceHcas: c.roceHcas,
    linkAddresses: Object.fromEntries(
      workers.map((w) => [w.nodeAddress ?? w.host, w.roceAddress] as const),
    ),
    ncclDebug: c.ncclDebug,
    microk8sChannel: c.microk8sChannel || versions.microk8sChannel,
    gpuOperatorChart: c.gpuOperatorChart || versions.gpuOperatorChart,
    lwsVersion: c.lwsVersion || versions.leaderWorkerSet,
    kedaVersion: raw.kedaVersion || versions.kedaChart,
    ...(autoscaling ? { autoscaling } : {}),
    purgeOnDestroy: c.purgeOnDestroy,
    namespace: c.namespace,
    image: c.vllmImage || versions.ngcVllmImage,
    runtime: c.servingRuntime,
    nimImage: c.nimImage,
    model: c.model,
    servedModelName: c.servedModelName || c.model,
    maxModelLen: c.maxModelLen,
    gateway: c.gateway,
    gatewayNodePort: c.gatewayNodePort,
    ...(c.gpuType ? { gpuType: c.gpuType } : {}),
    tensorParallel: workers.length,
    modelCache,
    modelStore: c.modelStore || "cache",
    prePullImages: c.prePullImages,
  };
}

/**
 * The `autoscaling` key, checked, and its GPU budget: one replica of the server takes one
 * GPU on every worker, so maxReplicas × workers GPUs must fit workers × 1 GPU.
 * @throws ConfigError naming `autoscaling.<field>` and the fix.
 */
function homelabAutoscaling(raw: RawConfig, workers: number): VllmAutoscalingArgs | undefined {
  const setting = autoscalingSetting("autoscaling", raw.autoscaling, raw.monitoring);
  const problems = [...setting.problems];
  if (setting.args) {
    const budget = gpuBudgetProblem({
      key: "autoscaling.maxReplicas",
      maxReplicas: setting.args.maxReplicas,
      gpusPerReplica: workers * GPUS_PER_WORKER,
      availableGpus: workers * GPUS_PER_WORKER,
      declaredBy: `${workers} workers × ${GPUS_PER_WORKER} GPU, and one replica spans them all`,
    });
    if (budget) problems.push(budget);
  }
  if (problems.length > 0) throw new ConfigError("homelab stack config", problems);
  return setting.args;
}
