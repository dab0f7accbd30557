/**
 * NVIDIA NIM for LLMs as the second runtime of `VllmServer` (`runtime: "nim"`): the facts that
 * differ from vLLM — environment, probes, metrics path, cache path, launch commands, NGC
 * credentials — as data and pure functions the shared builders call. Everything else (shape,
 * network profile, shm, cache volume kinds, Service, NetworkPolicies, planner) is the vLLM
 * code path unchanged. A NIM fetches its own weights (from NGC, with `NGC_API_KEY`) into
 * `NIM_CACHE_PATH`; model prefetch and streaming loaders built for vLLM do not apply to it.
 *
 * Sources, for the pinned image (`versions.nimImage`, NIM for LLMs 2.0.12):
 * - docs.nvidia.com/nim/large-language-models/2.0.12/reference/environment-variables.html and
 *   the 2.0.10 index of `nim_llm.utils.envs` (genindex.html): `NIM_CACHE_PATH` (default
 *   `/opt/nim/.cache`), `NIM_SERVER_PORT`, `NIM_SERVED_MODEL_NAME`, `NIM_MAX_MODEL_LEN`,
 *   `NIM_PIPELINE_PARALLEL_SIZE`, `NIM_PASSTHROUGH_ARGS`, `NIM_NUM_COMPUTE_NODES`, `NGC_API_KEY`,
 *   `HF_TOKEN`; no API-key variable for the server (see {@link NIM_API_KEY_NOTE}).
 * - .../2.0.11/reference/advanced-configuration.html: `NIM_PASSTHROUGH_ARGS` is parsed as
 *   CLI-style backend arguments, below CLI arguments and above `NIM_*` variables; the
 *   arguments of `nim-serve`.
 * - .../2.0.13/deployment/multi-node-deployment.html: multi-node forms a Ray cluster (leader =
 *   Ray head that downloads the model and serves; workers join), LeaderWorkerSet, readiness on
 *   `/v1/health/ready`, JSON logging off for Ray workers.
 * - NVIDIA/k8s-nim-operator v3.1.2 `api/apps/v1alpha1/nimservice_types.go` (probes
 *   `/v1/health/live` + `/v1/health/ready` on the API port, metrics `/v1/metrics`, LWS env
 *   `NIM_MULTI_NODE`, `NIM_NUM_COMPUTE_NODES`, `NIM_TENSOR_PARALLEL_SIZE`,
 *   `NIM_PIPELINE_PARALLEL_SIZE`, `NIM_NODE_RANK`, `NIM_LEADER_ROLE`, user 1000 / group 2000)
 *   and `internal/controller/platform/standalone/nimservice.go` (NIM 2.0+ Ray: leader
 *   `nim-serve-ray --head --port 6379`, workers `nim-serve-ray --head-address
 *   <leader>:6379`, worker startup probe `ray status`).
 * - The image pull Secret: `kubernetes.io/dockerconfigjson` for `nvcr.io`, user `$oauthtoken`,
 *   password the NGC API key (k8s-nim-operator v3.1.2 `test/e2e/e2e_test.go`;
 *   NVIDIA/dgx-spark-playbooks `nvidia/nim-llm/README.md`).
 */
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import { z } from "zod";
import { secretPlacementSchema } from "../model/token";

/** The runtime a `VllmServer` runs (an enum in the package schema). */
export const ServingRuntime = {
  /** vLLM's OpenAI server (`vllm serve`). */
  Vllm: "vllm",
  /** NVIDIA NIM for LLMs (`nim-serve`; multi-node `nim-serve-ray`). */
  Nim: "nim",
} as const;
/** One of {@link ServingRuntime}'s values. */
export type ServingRuntime = (typeof ServingRuntime)[keyof typeof ServingRuntime];

/** Where NIM keeps its cache (`NIM_CACHE_PATH`'s default): the model cache mounts here. */
export const NIM_CACHE_MOUNT = "/opt/nim/.cache";

/** Registry of NIM images; the pull Secret authenticates to it. */
export const NGC_REGISTRY = "nvcr.io";
/** The user name NGC's registry takes with an API key as password. */
export const NGC_REGISTRY_USER = "$oauthtoken";
/** Default name of the Secret holding the NGC API key. */
export const DEFAULT_NGC_API_KEY_SECRET = "ngc-api-key";
/** Default key in it: the variable name, as NVIDIA's chart and operator use it. */
export const DEFAULT_NGC_API_KEY_KEY = "NGC_API_KEY";
/** Default name of the `kubernetes.io/dockerconfigjson` Secret for `nvcr.io`. */
export const DEFAULT_NGC_PULL_SECRET = "ngc-registry";

/**
 * Why `apiKeySecret` is refused with NIM: NIM for LLMs documents no variable or flag that
 * makes its self-hosted OpenAI server require a key (the `nim_llm.utils.envs` index of 2.0.x
 * lists CORS, TLS and NGC/HF credentials, no server key). Setting `VLLM_API_KEY` would only
 * look protected. The API port is closed by the server's NetworkPolicy instead.
 */
export const NIM_API_KEY_NOTE =
  "NIM for LLMs has no API key for its OpenAI server (its environment reference documents none), so a key here would protect nothing; remove apiKeySecret: the API port is reachable only from the namespace and namespaces labelled llm-serving.dev/api-client (NetworkPolicy), put a gateway that authenticates in front of it";

/**
 * The NIMs NVIDIA publishes for DGX Spark (GB10, arm64), by the Hugging Face id of their
 * model: NVIDIA/dgx-spark-playbooks `nvidia/nim-llm/README.md` (Llama 3.1 8B Instruct, and
 * Qwen3-32B "available for DGX Spark" per the NIM for LLMs 1.14.0 release notes). The
 * playbook names only `:latest`, so the tag is the user's to pin (`nimImage`).
 */
export const DGX_SPARK_NIMS: Readonly<Record<string, string>> = {
  "meta-llama/Llama-3.1-8B-Instruct": "nvcr.io/nim/meta/llama-3.1-8b-instruct-dgx-spark",
  "Qwen/Qwen3-32B": "nvcr.io/nim/qwen/qwen3-32b-dgx-spark",
};

/** Where the NGC API key lives: a key of an existing Secret in the namespace. */
export interface NimApiKeySecretArgs {
  /** Secret name (e.g. the one `NgcCredentials` creates). Required. */
  name: string;
  /** Key inside the Secret. Defaults to `NGC_API_KEY`. */
  key?: string;
}

/** NIM-only options of a server. */
export interface NimArgs {
  /** Secret holding the NGC API key (`NGC_API_KEY`, model downloads). Defaults to `ngc-api-key` / key `NGC_API_KEY`. */
  ngcApiKeySecret?: NimApiKeySecretArgs;
  /** `kubernetes.io/dockerconfigjson` Secret for `nvcr.io` (image pulls). Defaults to `ngc-registry`. */
  imagePullSecret?: string;
}

/** Validated NIM options. */
export interface NimConfig {
  /** Secret and key of the NGC API key. */
  ngcApiKeySecret: { name: string; key: string };
  /** Name of the registry pull Secret. */
  imagePullSecret: string;
}

/** A Secret name, as the shared Secret placement checks it. */
const dnsSubdomain = secretPlacementSchema.shape.name.unwrap();

/** Schema of {@link NimArgs} (used by `validateVllmServerArgs`). */
export const nimArgsSchema = z
  .object({
    ngcApiKeySecret: z
      .object({
        name: dnsSubdomain,
        key: z
          .string()
          .regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key")
          .default(DEFAULT_NGC_API_KEY_KEY),
      })
      .strict()
      .default({ name: DEFAULT_NGC_API_KEY_SECRET, key: DEFAULT_NGC_API_KEY_KEY }),
    imagePullSecret: dnsSubdomain.default(DEFAULT_NGC_PULL_SECRET),
  })
  .strict();

/** The repository of an image reference (no tag, no digest). */
export function imageRepositoryOf(image: string): string {
  return image.split("@")[0]?.replace(/:[^/:]+$/, "") ?? "";
}

/** A NIM LLM image: a repository under `nvcr.io/nim/<org>/<model>` (what `isNimImage` in the policy reads). */
export function isNimImageRef(image: string): boolean {
  return /^nvcr\.io\/nim\/[^/]+\/[^/]+$/.test(imageRepositoryOf(image));
}

/**
 * Cross-field problems of a NIM server (path, message), for `validateVllmServerArgs`.
 * @param v the raw (schema-typed) arguments.
 */
export function nimProblems(v: {
  runtime?: string;
  nim?: unknown;
  image?: string;
  launcher?: string;
  apiKeySecret?: unknown;
}): { path: PropertyKey[]; message: string }[] {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  if (v.runtime !== "nim") {
    if (v.nim !== undefined) {
      problems.push({
        path: ["nim"],
        message: 'NIM options need runtime "nim": set runtime: nim, or remove nim',
      });
    }
    return problems;
  }
  if (v.image !== undefined && !isNimImageRef(v.image)) {
    problems.push({
      path: ["image"],
      message:
        "runtime nim runs a NIM for LLMs image: nvcr.io/nim/<org>/<model>:<tag> (e.g. nvcr.io/nim/meta/llama-3.1-8b-instruct:2.0.12)",
    });
  }
  if (v.launcher !== undefined) {
    problems.push({
      path: ["launcher"],
      message:
        "the launcher is vLLM's; a multi-node NIM always forms a Ray cluster with nim-serve-ray: remove it",
    });
  }
  if (v.apiKeySecret !== undefined)
    problems.push({ path: ["apiKeySecret"], message: NIM_API_KEY_NOTE });
  return problems;
}

/** NIM's probe paths on the API port (k8s-nim-operator v3.1.2 defaults). */
export const NIM_HEALTH = {
  startup: "/v1/health/ready",
  ready: "/v1/health/ready",
  live: "/v1/health/live",
};
/** vLLM's: `/health` for all three. */
export const VLLM_HEALTH = { startup: "/health", ready: "/health", live: "/health" };

/** Path of the Prometheus metrics on the API port, per runtime. */
export function metricsPath(runtime: ServingRuntime | undefined): string {
  return runtime === "nim" ? "/v1/metrics" : "/metrics";
}

/**
 * The Prometheus series a runtime's server exports that autoscaling, dashboards and alerts
 * read (exposition names: counters with `_total`, histograms by their base name).
 */
export interface ServingMetrics {
  /** Gauge: requests waiting for a slot (the autoscaler's queue). */
  waiting: string;
  /** Gauge: requests running. */
  running: string;
  /** Gauge: KV-cache usage, a fraction in [0, 1]. */
  kvCacheUsage: string;
  /** Histogram (base name): time to first token, seconds. */
  timeToFirstToken: string;
  /** Histogram (base name): end-to-end request latency, seconds. */
  e2eLatency: string;
  /** Counter: prompt tokens processed. */
  promptTokens: string;
  /** Counter: tokens generated. */
  generationTokens: string;
}

/** vLLM's V1 names (`vllm/v1/metrics/loggers.py`; see `VLLM_METRICS` in monitoring/metrics.ts). */
const VLLM_SERVING_METRICS: ServingMetrics = {
  waiting: "vllm:num_requests_waiting",
  running: "vllm:num_requests_running",
  kvCacheUsage: "vllm:kv_cache_usage_perc",
  timeToFirstToken: "vllm:time_to_first_token_seconds",
  e2eLatency: "vllm:e2e_request_latency_seconds",
  promptTokens: "vllm:prompt_tokens_total",
  generationTokens: "vllm:generation_tokens_total",
};

/**
 * The metric names each runtime's server exports on its {@link metricsPath}.
 *
 * NIM for LLMs 2.0.x exports vLLM's own series, unrenamed: its proxy forwards `/v1/metrics`
 * to the vLLM backend (docs.nvidia.com/nim/large-language-models/2.0.0 and 2.0.8,
 * reference/architecture: `/v1/metrics` → `proxy_pass` → vLLM backend), and "NIM passes
 * through the inference backend's native Prometheus metrics without modification"
 * (reference/logging-and-observability, NIM LLM 2.x). Every 2.0.x release bundles a vLLM V1
 * engine (2.0.1: vLLM 0.17.1; 2.0.8: 0.23.0 — release notes), so the names are vLLM's V1
 * names, with vLLM's `model_name` label. The unprefixed names NIM's older docs list
 * (`num_requests_waiting`, `gpu_cache_usage_perc`, …: the 1.x observability page) are
 * NIM 1.x's and do not exist on a 2.0.x server.
 */
export const SERVING_METRICS: Readonly<Record<ServingRuntime, ServingMetrics>> = {
  vllm: VLLM_SERVING_METRICS,
  nim: VLLM_SERVING_METRICS,
};

/** The metric names of a runtime's server (vLLM's when unset). */
export function servingMetrics(runtime: ServingRuntime | undefined): ServingMetrics {
  return SERVING_METRICS[runtime ?? ServingRuntime.Vllm];
}

/**
 * The pod's user and groups: NIM images run as a non-root user, and NVIDIA's operator runs
 * them as 1000 with group (and `fsGroup`) 2000 so a PVC cache is writable. hostPath and NFS
 * caches ignore `fsGroup`: make those directories writable for that user or group.
 */
export const NIM_POD_SECURITY: IPodSecurityContext = {
  runAsUser: 1000,
  runAsGroup: 2000,
  fsGroup: 2000,
};

/** What the NIM env builder needs from the validated config. */
export interface NimEnvInput {
  cacheMount: string;
  port: number;
  servedName: string;
  tensor: number;
  pipeline: number;
  nodes: number;
  maxModelLen?: number;
  /** Backend arguments for `NIM_PASSTHROUGH_ARGS`, already quoted CLI-style; empty for none. */
  passthrough: string;
  nim: NimConfig;
}

/** LWS's label holding a pod's index in its group (`0` on the leader). */
const WORKER_INDEX_LABEL = "leaderworkerset.sigs.k8s.io/worker-index";

/**
 * NIM's environment for one role: cache, NGC key, port, served name, parallelism, engine
 * options, and for a multi-node group the role and rank NIM reads.
 */
export function nimEnv(n: NimEnvInput, role: "server" | "leader" | "worker"): IEnvVar[] {
  const vars: IEnvVar[] = [
    { name: "NIM_CACHE_PATH", value: n.cacheMount },
    {
      name: "NGC_API_KEY",
      valueFrom: {
        secretKeyRef: { name: n.nim.ngcApiKeySecret.name, key: n.nim.ngcApiKeySecret.key },
      },
    },
    { name: "NIM_TENSOR_PARALLEL_SIZE", value: String(n.tensor) },
    { name: "NIM_PIPELINE_PARALLEL_SIZE", value: String(n.pipeline) },
  ];
  if (role !== "worker") {
    vars.push(
      { name: "NIM_SERVER_PORT", value: String(n.port) },
      { name: "NIM_SERVED_MODEL_NAME", value: n.servedName },
    );
  }
  if (n.maxModelLen !== undefined) {
    vars.push({ name: "NIM_MAX_MODEL_LEN", value: String(n.maxModelLen) });
  }
  if (n.passthrough !== "") vars.push({ name: "NIM_PASSTHROUGH_ARGS", value: n.passthrough });
  if (role !== "server") {
    vars.push(
      { name: "NIM_MULTI_NODE", value: "1" },
      { name: "NIM_NUM_COMPUTE_NODES", value: String(n.nodes) },
      { name: "NIM_LEADER_ROLE", value: role === "leader" ? "1" : "0" },
      {
        name: "NIM_NODE_RANK",
        valueFrom: { fieldRef: { fieldPath: `metadata.labels['${WORKER_INDEX_LABEL}']` } },
      },
    );
  }
  return vars;
}
