/**
 * `VllmServer` arguments: the interface users write, and the one validation that turns them
 * into a {@link VllmServerConfig} (defaults applied, every cross-field rule checked) or a
 * `ConfigError` naming every problem by path.
 */
import type { IToleration } from "kubernetes-models/v1/Toleration";
import { z } from "zod";
import {
  type ModelStore,
  modelStoreProblems,
  resolveModelStore,
  type VllmModelStoreArgs,
} from "../coldstart/store";
import {
  DEFAULT_MODEL_CACHE_MOUNT,
  MODEL_CACHE_VOLUME,
  type ModelCacheArgs,
  type ModelCacheMount,
  modelCacheMount,
} from "../model/cache";
import {
  type NetworkArgs,
  type NetworkProfile,
  networkArgsSchema,
  placementProblems,
  resolvedNetworkProfile,
} from "../nccl/profiles";
import { GPU_NAMES, gpuByName } from "../planner/gpus";
import { ConfigError, formatPath, pinnedImageSchema } from "../validation";
import { versions } from "../versions";
import {
  initialReplicas,
  type VllmAutoscalingArgs,
  type VllmAutoscalingConfig,
  validateAutoscaling,
} from "./autoscaling";
import {
  NIM_CACHE_MOUNT,
  type NimArgs,
  type NimConfig,
  nimArgsSchema,
  nimProblems,
  ServingRuntime,
} from "./nim";

/** The model to serve. */
export interface VllmModelArgs {
  /** Hugging Face model id, `org/name` or a bare `name` (e.g. `Qwen/Qwen3-8B`). Required. */
  id: string;
  /** Branch, tag or commit of the model repository. Defaults to the repository's default branch. */
  revision?: string;
  /**
   * Model name clients send in OpenAI requests: letters, digits and `. _ - : / +`, starting
   * with a letter or digit, at most 128 characters (what model names use; anything else is
   * rejected, so no name can carry shell or JSON syntax). Defaults to `id`.
   */
  servedName?: string;
}

/**
 * How the model is split. TP × PP must equal nodes × gpusPerNode: vLLM runs one worker per
 * GPU and every GPU of every node is a worker.
 */
export interface VllmParallelismArgs {
  /** Tensor-parallel size (`--tensor-parallel-size`). Defaults to 1. */
  tensor?: number;
  /** Pipeline-parallel size (`--pipeline-parallel-size`). Defaults to 1. */
  pipeline?: number;
  /** Nodes one server spans; more than 1 makes a LeaderWorkerSet group. Defaults to 1. */
  nodes?: number;
  /** GPUs each pod requests (one pod per node). Defaults to tensor × pipeline / nodes. */
  gpusPerNode?: number;
}

/** vLLM engine options; each left unset keeps vLLM's own default. */
export interface VllmEngineArgs {
  /** Context length (`--max-model-len`). Defaults to the model's. */
  maxModelLen?: number;
  /** Fraction of GPU memory vLLM may use, in (0, 1] (`--gpu-memory-utilization`). Defaults to vLLM's (0.9). */
  gpuMemoryUtilization?: number;
  /** Most concurrent sequences (`--max-num-seqs`). Defaults to vLLM's. */
  maxNumSeqs?: number;
  /** Chunked prefill on/off (`--[no-]enable-chunked-prefill`). Defaults to vLLM's. */
  enableChunkedPrefill?: boolean;
  /** Prefix caching on/off (`--[no-]enable-prefix-caching`). Defaults to vLLM's. */
  enablePrefixCaching?: boolean;
  /**
   * More `vllm serve` arguments, appended as given (each element one argv word). Flags this
   * component sets itself (parallelism, port, multi-node wiring) are rejected. Defaults to none.
   */
  extraArgs?: string[];
}

/** Where the Hugging Face token lives: a key of an existing Secret in the namespace. */
export interface VllmTokenSecretArgs {
  /** Secret name (e.g. the one `HuggingFaceToken` creates). Required. */
  name: string;
  /** Key inside the Secret. Defaults to `token`. */
  key?: string;
}

/**
 * Where the API key lives: a key of an existing Secret in the namespace. vLLM reads it from
 * `VLLM_API_KEY` and then requires `Authorization: Bearer <key>` on `/v1/*` (and `/v2`,
 * `/inference`, `/cohere`); `/health` and `/metrics` stay open for probes and scrapers.
 */
export interface VllmApiKeySecretArgs {
  /** Secret name (e.g. the one `VllmApiKey` creates). Required. */
  name: string;
  /** Key inside the Secret. Defaults to `api-key`. */
  key?: string;
}

/** CPU and memory for each vLLM container (GPUs follow the parallelism). */
export interface VllmResourcesArgs {
  /** CPU request (e.g. `8`). Defaults to `2`. No CPU limit is set: throttling stalls the engine loop. */
  cpu?: string;
  /** Memory request (e.g. `64Gi`). Defaults to `16Gi`. */
  memory?: string;
  /** Memory limit. Defaults to none (unified-memory machines such as DGX Spark share it with the GPU). */
  memoryLimit?: string;
  /**
   * Ephemeral storage each pod requests (e.g. `900G`): size it to the model the pod downloads
   * into an emptyDir cache, so the scheduler only places the pod where the weights fit and
   * the kubelet does not evict it mid-download. Requested, not limited. Defaults to none.
   */
  ephemeralStorage?: string;
}

/** A pod toleration (e.g. for the `nvidia.com/gpu` taint GKE puts on GPU nodes). */
export interface VllmTolerationArgs {
  /** Taint key. Defaults to all keys (with operator `Exists`). */
  key?: string;
  /** `Exists` or `Equal`. Defaults to `Equal`. */
  operator?: string;
  /** Taint value (with `Equal`). Defaults to empty. */
  value?: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. Defaults to all effects. */
  effect?: string;
  /** Seconds a `NoExecute` taint is tolerated. Defaults to forever. */
  tolerationSeconds?: number;
}

/** Arguments of `VllmServer`. */
export interface VllmServerArgs {
  /** The model to serve. Required. */
  model: VllmModelArgs;
  /**
   * Kubernetes name of the workload and Service (DNS label, at most 40 characters: LWS
   * derives pod and StatefulSet names from it). Defaults to the component's name.
   */
  name?: string;
  /**
   * Container image, pinned by tag or digest: with `vllm` on the PATH, or for `runtime: nim` a
   * NIM for LLMs image (`nvcr.io/nim/<org>/<model>:<tag>`). Defaults to `versions.vllmImage`,
   * or `versions.nimImage` for NIM.
   */
  image?: string;
  /**
   * What serves the model: `vllm` (`vllm serve`) or `nim` (NVIDIA NIM for LLMs, configured
   * through its `NIM_*` environment; needs an NGC API key and an image pull Secret, see
   * `nim`). Every other argument means the same for both; `launcher` and `apiKeySecret` are
   * vLLM's only. Defaults to `vllm`.
   */
  runtime?: ServingRuntime;
  /** NIM-only options (NGC credentials). Only with `runtime: nim`. Defaults to the `NgcCredentials` Secret names. */
  nim?: NimArgs;
  /** How the model is split over GPUs and nodes. Defaults to one GPU. */
  parallelism?: VllmParallelismArgs;
  /**
   * Independent copies of the server (Deployment replicas or LWS groups). Leave unset with
   * `autoscaling`, which decides it. Defaults to 1.
   */
  replicas?: number;
  /**
   * KEDA autoscaling on the server's request queue (a `ScaledObject` scaling the Deployment
   * or the LeaderWorkerSet; KEDA must be installed, e.g. by the `Keda` component, and the
   * server scraped by `Monitoring`). Defaults to none (a fixed `replicas`).
   */
  autoscaling?: VllmAutoscalingArgs;
  /** vLLM engine options. Defaults to vLLM's. */
  engine?: VllmEngineArgs;
  /** Network/NCCL profile and its parameters. Defaults to the `tcp` profile. */
  network?: NetworkArgs;
  /**
   * How pods of one multi-node server start vLLM: `mp` (vLLM >= 0.11.1 multiprocessing:
   * `--nnodes/--node-rank/--master-addr`, workers `--headless`; no Ray needed) or `ray`
   * (a Ray cluster per group; the image must contain Ray). Only used when nodes > 1 (`ray` on
   * one node is rejected, `mp` accepted). Defaults to `mp`.
   */
  launcher?: VllmLauncher;
  /**
   * Model cache volume, mounted at `HF_HOME` (vLLM) or `NIM_CACHE_PATH` (NIM, default mount
   * `/opt/nim/.cache`). Defaults to an emptyDir (downloads on every start).
   */
  modelCache?: ModelCacheArgs;
  /**
   * Where the weights come from: the Hub on every start (`hub`), a directory a prefetch Job
   * filled in `modelCache` (`cache`), or a Cloud Storage bucket streamed by the Run:ai Model
   * Streamer (`bucket`, with the service account allowed to read it). Defaults to `hub`.
   */
  modelStore?: VllmModelStoreArgs;
  /** Secret holding the Hugging Face token (`HF_TOKEN`). Defaults to none (public models only). */
  tokenSecret?: VllmTokenSecretArgs;
  /**
   * Secret holding the API key (`VLLM_API_KEY` of every serving container). Defaults to none:
   * the API is then open to anyone who reaches the port (the `vllm-api-auth` policy flags it).
   */
  apiKeySecret?: VllmApiKeySecretArgs;
  /** Namespace of every object. Defaults to `default`. */
  namespace?: string;
  /**
   * Create the namespace, labelled `pod-security.kubernetes.io/enforce` with the level the
   * network profile needs (`privileged` for host networking, `IPC_LOCK` or host paths, else
   * `baseline`). Defaults to false (the namespace must exist and admit the pods).
   */
  createNamespace?: boolean;
  /** HTTP port of the OpenAI API and `/metrics`. Defaults to 8000. */
  port?: number;
  /** Node labels the pods require. Defaults to none. */
  nodeSelector?: { [key: string]: string };
  /** Pod tolerations. Defaults to none. */
  tolerations?: VllmTolerationArgs[];
  /**
   * Packing group: the pods of every server naming the same group must run on one node
   * (required pod affinity on `kubernetes.io/hostname`, across namespaces). Small servers
   * then share a GPU node instead of each occupying a node a whole-node workload needs.
   * The group's GPUs must fit one node; single-node servers only. Defaults to none.
   */
  packGroup?: string;
  /** CPU and memory per container. Defaults to 2 CPUs and 16Gi requested. */
  resources?: VllmResourcesArgs;
  /** RuntimeClass of the pods (the GPU Operator's is `nvidia`). Defaults to the cluster default. */
  runtimeClassName?: string;
  /** Size limit of the memory-backed `/dev/shm` (NCCL and PyTorch need more than 64 MiB). Defaults to `16Gi`. */
  shmSize?: string;
  /** Seconds the server may take to download and load the model before it is restarted. Defaults to 3600. */
  startupTimeoutSeconds?: number;
  /** Extra labels on every object and pod. Defaults to none. */
  labels?: { [key: string]: string };
  /**
   * GPU type the pods land on, as the planner's catalog names it (`h200`, `h100-80gb`,
   * `gb10`, …). With a catalog model it turns on the memory check: a shape that cannot hold
   * the weights or one max-model-len request is a `ConfigError`, a thin KV cache a warning.
   * Defaults to none (no memory check).
   */
  gpuType?: string;
}

/** Launcher of a multi-node server (an enum in the package schema). */
export const VllmLauncher = {
  /** vLLM's multiprocessing: `--nnodes/--node-rank/--master-addr`, workers `--headless`. */
  Mp: "mp",
  /** A Ray cluster per group (the image must contain Ray). */
  Ray: "ray",
} as const;
/** One of {@link VllmLauncher}'s values. */
export type VllmLauncher = (typeof VllmLauncher)[keyof typeof VllmLauncher];

/** Flags the builders own; users setting them in `extraArgs` would contradict the config. */
const MANAGED_FLAGS = [
  "--tensor-parallel-size",
  "-tp",
  "--pipeline-parallel-size",
  "-pp",
  "--nnodes",
  "--node-rank",
  "--master-addr",
  "--master-port",
  "--headless",
  "--distributed-executor-backend",
  "--port",
  "--host",
  "--served-model-name",
  "--revision",
  "--model",
];

/** Characters a served model name may use (see {@link VllmModelArgs.servedName}). */
export const SERVED_MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,127}$/;

/** Length of a generated API key: 48 letters and digits, about 285 bits. */
export const GENERATED_API_KEY_LENGTH = 48;

/** Default name of the API-key Secret. */
export const DEFAULT_API_KEY_SECRET = "vllm-api-key";

/** The default key of the API-key Secret. */
export const DEFAULT_API_KEY_SECRET_KEY = "api-key";

/** vLLM's default master port (`ParallelConfig.master_port`) for multi-node `mp`. */
export const MASTER_PORT = 29501;
/** Ray's default GCS port, used by the `ray` launcher. */
export const RAY_PORT = 6379;

const dnsLabel = z
  .string()
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label (lowercase letters, digits, -)")
  .max(63);
const dnsSubdomain = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    "must be a DNS subdomain (lowercase letters, digits, - and .)",
  )
  .max(253);
const quantity = z
  .string()
  .regex(
    /^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$/,
    "must be a Kubernetes quantity (e.g. 16Gi, 500m)",
  );
const positiveInt = z.number().int("must be a whole number").min(1, "must be at least 1");
const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    "must be a label key ([prefix/]name)",
  );
const labelValue = z
  .string()
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "must be a label value");

const schema = z
  .object({
    model: z
      .object({
        id: z
          .string()
          .max(96)
          .regex(
            /^([A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/,
            "must be a Hugging Face model id, [org/]name (e.g. Qwen/Qwen3-8B)",
          ),
        revision: z
          .string()
          .regex(/^[A-Za-z0-9._/-]+$/, "must be a branch, tag or commit")
          .optional(),
        servedName: z
          .string()
          .regex(
            SERVED_MODEL_NAME,
            "must be a model name: 1-128 of letters, digits and . _ - : / +, starting with a letter or digit",
          )
          .optional(),
      })
      .strict(),
    name: dnsLabel.max(40, "at most 40 characters (LWS builds pod names from it)").optional(),
    image: pinnedImageSchema.optional(),
    runtime: z.enum(ServingRuntime).optional(),
    nim: nimArgsSchema.optional(),
    parallelism: z
      .object({
        tensor: positiveInt.default(1),
        pipeline: positiveInt.default(1),
        nodes: positiveInt.default(1),
        gpusPerNode: positiveInt.optional(),
      })
      .strict()
      .prefault({}),
    // Optional (default applied below): with autoscaling, a given replicas is a contradiction.
    replicas: positiveInt.optional(),
    autoscaling: z.unknown().optional(),
    engine: z
      .object({
        maxModelLen: positiveInt.optional(),
        gpuMemoryUtilization: z
          .number()
          .gt(0, "must be in (0, 1]: a fraction of GPU memory")
          .max(1, "must be in (0, 1]: a fraction of GPU memory")
          .optional(),
        maxNumSeqs: positiveInt.optional(),
        enableChunkedPrefill: z.boolean().optional(),
        enablePrefixCaching: z.boolean().optional(),
        extraArgs: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    network: networkArgsSchema.prefault({}),
    launcher: z.enum(VllmLauncher).optional(),
    modelCache: z.unknown().optional(),
    modelStore: z.unknown().optional(),
    tokenSecret: z
      .object({
        name: dnsSubdomain,
        key: z
          .string()
          .regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key")
          .default("token"),
      })
      .strict()
      .optional(),
    apiKeySecret: z
      .object({
        name: dnsSubdomain,
        key: z
          .string()
          .regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key")
          .default(DEFAULT_API_KEY_SECRET_KEY),
      })
      .strict()
      .optional(),
    namespace: dnsLabel.default("default"),
    createNamespace: z.boolean().default(false),
    port: z.number().int().min(1).max(65535).default(8000),
    nodeSelector: z.record(labelKey, labelValue).default({}),
    tolerations: z
      .array(
        z
          .object({
            key: z.string().optional(),
            operator: z.enum(["Exists", "Equal"]).optional(),
            value: z.string().optional(),
            effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
            tolerationSeconds: z.number().int().optional(),
          })
          .strict(),
      )
      .default([]),
    resources: z
      .object({
        cpu: quantity.default("2"),
        memory: quantity.default("16Gi"),
        memoryLimit: quantity.optional(),
        ephemeralStorage: quantity.optional(),
      })
      .strict()
      .prefault({}),
    packGroup: dnsLabel.optional(),
    runtimeClassName: dnsSubdomain.optional(),
    shmSize: quantity.default("16Gi"),
    startupTimeoutSeconds: positiveInt.default(3600),
    labels: z.record(labelKey, labelValue).default({}),
    gpuType: z
      .string()
      .refine((g) => gpuByName(g) !== undefined, `must be one of ${GPU_NAMES.join(", ")}`)
      .optional(),
  })
  .strict()
  .superRefine(
    (v, ctx) => {
      const issue = (path: PropertyKey[], message: string) =>
        ctx.addIssue({ code: "custom", path, message });
      const int = (x: unknown) =>
        Number.isInteger(x) && (x as number) >= 1 ? (x as number) : undefined;
      const p = (v.parallelism ?? {}) as Record<string, unknown>;
      const tp = int(p.tensor);
      const pp = int(p.pipeline);
      const nodes = int(p.nodes);
      const gpn = int(p.gpusPerNode);
      if (tp && pp && nodes) {
        const world = tp * pp;
        if (gpn === undefined && p.gpusPerNode === undefined && world % nodes !== 0) {
          issue(
            ["parallelism", "gpusPerNode"],
            `tensor × pipeline = ${world} GPUs do not split evenly over ${nodes} nodes: set gpusPerNode so that nodes × gpusPerNode = ${world}`,
          );
        }
        if (gpn !== undefined && world !== nodes * gpn) {
          issue(
            ["parallelism"],
            `tensor × pipeline = ${tp} × ${pp} = ${world} but nodes × gpusPerNode = ${nodes} × ${gpn} = ${nodes * gpn}: vLLM needs one worker per GPU, make them equal`,
          );
        }
        const perNode = gpn ?? world / nodes;
        if (
          nodes > 1 &&
          Number.isInteger(perNode) &&
          world === nodes * perNode &&
          tp % perNode !== 0 &&
          perNode % tp !== 0
        ) {
          issue(
            ["parallelism", "tensor"],
            `${tp} neither divides nor is a multiple of ${perNode} GPUs per node: tensor-parallel groups would straddle nodes`,
          );
        }
        // NIM's multi-node always forms a Ray cluster (nim-serve-ray).
        const launcher = v.runtime === "nim" ? "ray" : v.launcher;
        // `mp` is the default and harmless on one node; asking for Ray there is a mistake.
        if (nodes === 1 && v.launcher === "ray") {
          issue(
            ["launcher"],
            "the ray launcher only starts multi-node servers (parallelism.nodes > 1); on one node vLLM starts its own workers: remove it",
          );
        }
        if (nodes > 1 && v.packGroup !== undefined) {
          issue(
            ["packGroup"],
            "only single-node servers pack onto a shared node; a multi-node server places one pod per node: remove it",
          );
        }
        if (nodes > 1) {
          const port = v.port;
          const reserved = launcher === "ray" ? RAY_PORT : MASTER_PORT;
          if (port === reserved) {
            issue(
              ["port"],
              `${port} is the ${launcher ?? "mp"} launcher's own port: choose another`,
            );
          }
        }
        const net = networkArgsSchema.safeParse(v.network);
        if (net.success) {
          const profile = resolvedNetworkProfile(net.data);
          for (const problem of placementProblems(
            profile,
            nodes,
            gpn ?? Math.ceil(world / nodes),
          )) {
            issue(["parallelism", problem.field], problem.message);
          }
        }
      }
      for (const problem of nimProblems(v)) issue(problem.path, problem.message);
      const extra = (v.engine as { extraArgs?: unknown } | undefined)?.extraArgs;
      if (Array.isArray(extra)) {
        extra.forEach((arg, i) => {
          const flag = typeof arg === "string" ? arg.split("=")[0] : "";
          if (flag === "--api-key") {
            issue(
              ["engine", "extraArgs", i],
              "--api-key would put the key in the pod spec in plain text: store it in a Secret and set apiKeySecret",
            );
          } else if (MANAGED_FLAGS.includes(flag)) {
            issue(
              ["engine", "extraArgs", i],
              `${flag} is set by this component (from parallelism, port, model or launcher): remove it`,
            );
          }
        });
      }
      if (v.autoscaling !== undefined) {
        for (const problem of validateAutoscaling(v.autoscaling, v.replicas !== undefined)
          .problems) {
          issue(problem.path, problem.message);
        }
      }
      if (v.modelStore !== undefined) {
        const extraArgs = (v.engine as { extraArgs?: unknown } | undefined)?.extraArgs;
        for (const problem of modelStoreProblems(v.modelStore, extraArgs)) {
          issue(problem.path.split("."), problem.message);
        }
        const kind = (v.modelStore as { kind?: unknown }).kind;
        if (v.runtime === "nim" && kind !== undefined && kind !== "hub") {
          issue(
            ["modelStore"],
            "a NIM fetches its own weights from NGC into its cache: modelStore applies to vLLM only, remove it",
          );
        }
      }
      if (v.createNamespace === true && v.namespace === "default") {
        issue(
          ["namespace"],
          "`default` always exists: name a namespace to create, or set createNamespace false",
        );
      }
      if (v.modelCache !== undefined) {
        try {
          modelCacheMount(v.modelCache as ModelCacheArgs, "");
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          for (const problem of e.problems) {
            issue(
              ["modelCache", ...(problem.path ? problem.path.split(".") : [])],
              problem.message,
            );
          }
        }
      }
    },
    { when: () => true },
  );

/** Validated arguments with every default applied: the input of every builder. */
export interface VllmServerConfig {
  /** Kubernetes name of the workload (the Service is `<name>-api`). */
  name: string;
  /** Namespace of every object. */
  namespace: string;
  /** Whether the component creates the namespace. */
  createNamespace: boolean;
  /** Container image, pinned. */
  image: string;
  /** What serves the model. */
  runtime: ServingRuntime;
  /** NIM options, with `runtime: nim`. */
  nim?: NimConfig;
  /** Model id, optional revision, and the name clients use. */
  model: { id: string; revision?: string; servedName: string };
  /** Parallelism with `gpusPerNode` resolved; tensor × pipeline = nodes × gpusPerNode. */
  parallelism: { tensor: number; pipeline: number; nodes: number; gpusPerNode: number };
  /** Deployment replicas or LWS groups (with autoscaling: the count the workload starts at). */
  replicas: number;
  /** KEDA autoscaling, when on. */
  autoscaling?: VllmAutoscalingConfig;
  /** Engine options; unset ones keep vLLM's defaults. */
  engine: {
    maxModelLen?: number;
    gpuMemoryUtilization?: number;
    maxNumSeqs?: number;
    enableChunkedPrefill?: boolean;
    enablePrefixCaching?: boolean;
    extraArgs: string[];
  };
  /** The resolved network profile. */
  network: NetworkProfile;
  /** `mp` or `ray` (always `ray` for NIM); meaningful only when nodes > 1. */
  launcher: VllmLauncher;
  /** The model cache volume and where `HF_HOME` (or `NIM_CACHE_PATH`) points. */
  modelCache: ModelCacheMount;
  /** Where the weights come from. */
  modelStore: ModelStore;
  /** Secret key holding the Hugging Face token, if any. */
  tokenSecret?: { name: string; key: string };
  /** Secret key holding the API key, if any. */
  apiKeySecret?: { name: string; key: string };
  /** API and metrics port. */
  port: number;
  /** Node labels the pods require. */
  nodeSelector: Record<string, string>;
  /** Pod tolerations. */
  tolerations: IToleration[];
  /** Packing group whose pods share one node, if any. */
  packGroup?: string;
  /** CPU/memory requests, optional memory limit and ephemeral-storage request. */
  resources: { cpu: string; memory: string; memoryLimit?: string; ephemeralStorage?: string };
  /** RuntimeClass, if set. */
  runtimeClassName?: string;
  /** `/dev/shm` size limit. */
  shmSize: string;
  /** Seconds the startup probe allows. */
  startupTimeoutSeconds: number;
  /** Extra labels on every object. */
  labels: Record<string, string>;
  /** Planner GPU type, if given. */
  gpuType?: string;
}

/**
 * Validates `VllmServer` arguments and applies defaults.
 * @param defaultName Kubernetes name used when `args.name` is unset (the component's name).
 * @param root prefix of every error path (e.g. `models[0]` when the args come from stack config).
 * @throws ConfigError listing every problem by path.
 */
export function validateVllmServerArgs(
  args: VllmServerArgs,
  defaultName: string,
  root = "",
): VllmServerConfig {
  const withName = { ...args, name: args.name ?? defaultName };
  const result = schema.safeParse(withName);
  if (!result.success) {
    throw new ConfigError(
      `VllmServer "${withName.name}"`,
      result.error.issues.map((i) => ({ path: formatPath(root, i.path), message: i.message })),
    );
  }
  const v = result.data;
  const p = v.parallelism;
  const autoscaling =
    v.autoscaling === undefined ? undefined : validateAutoscaling(v.autoscaling, false).config;
  const world = p.tensor * p.pipeline;
  const nim = v.runtime === "nim";
  const cacheMount = nim ? NIM_CACHE_MOUNT : DEFAULT_MODEL_CACHE_MOUNT;
  return {
    name: v.name as string,
    namespace: v.namespace,
    createNamespace: v.createNamespace,
    image: v.image ?? (nim ? versions.nimImage : versions.vllmImage),
    runtime: v.runtime ?? "vllm",
    ...(nim ? { nim: v.nim ?? nimArgsSchema.parse({}) } : {}),
    model: { ...v.model, servedName: v.model.servedName ?? v.model.id },
    parallelism: { ...p, gpusPerNode: p.gpusPerNode ?? world / p.nodes },
    replicas: autoscaling ? initialReplicas(autoscaling) : (v.replicas ?? 1),
    ...(autoscaling ? { autoscaling } : {}),
    engine: v.engine,
    network: resolvedNetworkProfile(v.network),
    launcher: nim ? "ray" : (v.launcher ?? "mp"),
    modelCache: v.modelCache
      ? modelCacheMount({
          ...(v.modelCache as ModelCacheArgs),
          mountPath: (v.modelCache as ModelCacheArgs).mountPath ?? cacheMount,
        })
      : { mountPath: cacheMount, volume: { name: MODEL_CACHE_VOLUME, emptyDir: {} } },
    modelStore: resolveModelStore(v.modelStore as VllmModelStoreArgs | undefined),
    tokenSecret: v.tokenSecret,
    apiKeySecret: v.apiKeySecret,
    port: v.port,
    nodeSelector: v.nodeSelector,
    tolerations: v.tolerations,
    packGroup: v.packGroup,
    resources: v.resources,
    runtimeClassName: v.runtimeClassName,
    shmSize: v.shmSize,
    startupTimeoutSeconds: v.startupTimeoutSeconds,
    labels: v.labels,
    ...(v.gpuType ? { gpuType: v.gpuType.toLowerCase() } : {}),
  };
}
