/**
 * Where a vLLM server reads its weights (`VllmServerArgs.modelStore`): from the Hugging Face
 * Hub on every start, from a directory a prefetch Job filled in the model cache, or streamed
 * from a Cloud Storage bucket with vLLM's Run:ai Model Streamer. Pure: the validation, the
 * store layout both the prefetch Job and the server agree on, and what each kind changes in
 * the `vllm serve` command and the pod.
 */
import { z } from "zod";
import { paramCounts } from "../planner/estimate";
import { modelById } from "../planner/models";
import { ConfigError, type ConfigProblem } from "../validation";

/** How a server gets its weights (an enum in the package schema). */
export const ModelStoreKind = {
  /** vLLM downloads from the Hub into the model cache on start (the default). */
  Hub: "hub",
  /** A prefetch Job filled `<cache>/llm-serving/models/<id>/<revision>`; vLLM reads it with the Hub offline. */
  Cache: "cache",
  /** A prefetch Job filled `gs://<bucket>/models/<id>/<revision>`; vLLM streams it (`--load-format runai_streamer`). */
  Bucket: "bucket",
} as const;
/** One of {@link ModelStoreKind}'s values. */
export type ModelStoreKind = (typeof ModelStoreKind)[keyof typeof ModelStoreKind];

/** `VllmServerArgs.modelStore`: where the weights come from. */
export interface VllmModelStoreArgs {
  /** `hub`, `cache` or `bucket`. Required. */
  kind: ModelStoreKind;
  /** Cloud Storage bucket holding the prefetched model (`bucket` only). */
  bucket?: string;
  /**
   * Kubernetes service account the pods run as (`bucket` only): the one Workload Identity
   * grants read access to the bucket. Required with `bucket`.
   */
  serviceAccountName?: string;
  /**
   * Streamer threads (clients) per process reading the bucket (`concurrency` of
   * `--model-loader-extra-config`). Defaults to the streamer's own (8 for object storage).
   */
  concurrency?: number;
}

/** The validated store the builders apply. */
export type ModelStore = VllmModelStoreArgs;

/**
 * Flags a `bucket` store sets itself; the same in `engine.extraArgs` would contradict it
 * (`--revision` is refused for every server: the component sets it from `model.revision`).
 */
export const STORE_FLAGS = ["--load-format", "--model-loader-extra-config"];

/** The store's root inside a model cache mounted at `mountPath`. */
export function cacheStoreRoot(mountPath: string): string {
  return `${mountPath}/llm-serving`;
}

/** Revision the store holds when the model pins none. */
export const DEFAULT_REVISION = "main";

const bucketName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/,
    "must be a Cloud Storage bucket name: 3-63 lowercase letters, digits, - and _ (no dots)",
  );

const storeSchema = z
  .object({
    kind: z.enum(ModelStoreKind, { error: "must be hub, cache or bucket" }),
    bucket: bucketName.optional(),
    serviceAccountName: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a service account name (DNS subdomain)")
      .max(253)
      .optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    if (v.kind === "bucket") {
      if (!v.bucket) issue("bucket", "a bucket store needs the bucket's name");
      if (!v.serviceAccountName) {
        issue(
          "serviceAccountName",
          "a bucket store needs the service account Workload Identity lets read the bucket",
        );
      }
    } else {
      for (const key of ["bucket", "serviceAccountName", "concurrency"] as const) {
        if (v[key] !== undefined) issue(key, `only a bucket store uses ${key}: remove it`);
      }
    }
  });

/**
 * Validates `modelStore` together with the arguments it interacts with: a `bucket` store
 * owns `--load-format`, `--model-loader-extra-config` and the revision, so those may not
 * come from `engine.extraArgs` too. Returns the problems (paths relative to the server args).
 */
export function modelStoreProblems(store: unknown, extraArgs: unknown): ConfigProblem[] {
  const r = storeSchema.safeParse(store);
  if (!r.success) {
    return r.error.issues.map((i) => ({
      path: ["modelStore", ...i.path.map(String)].join("."),
      message: i.message,
    }));
  }
  if (r.data.kind !== "bucket" || !Array.isArray(extraArgs)) return [];
  return extraArgs.flatMap((arg, i) => {
    const flag = typeof arg === "string" ? arg.split("=")[0] : "";
    return STORE_FLAGS.includes(flag as string)
      ? [
          {
            path: `engine.extraArgs[${i}]`,
            message: `${flag} is set by the bucket model store: remove it`,
          },
        ]
      : [];
  });
}

/** The validated store, `hub` when none is given. */
export function resolveModelStore(store: VllmModelStoreArgs | undefined): ModelStore {
  if (store === undefined) return { kind: "hub" };
  const problems = modelStoreProblems(store, []);
  if (problems.length > 0) throw new ConfigError("modelStore", problems);
  return storeSchema.parse(store);
}

/**
 * Where one model revision lives inside a store: `models/<org>/<name>/<revision>`. The
 * prefetch Job writes there and the server reads there, so both call this.
 */
export function storePrefix(modelId: string, revision: string | undefined): string {
  return `models/${modelId}/${revision ?? DEFAULT_REVISION}`;
}

/** The `vllm serve` model argument for a store: the Hub id, a directory, or a `gs://` URI. */
export function modelSource(
  store: ModelStore,
  model: { id: string; revision?: string },
  cacheMountPath: string,
): string {
  if (store.kind === "bucket") {
    return `gs://${store.bucket}/${storePrefix(model.id, model.revision)}`;
  }
  if (store.kind === "cache") {
    return `${cacheStoreRoot(cacheMountPath)}/${storePrefix(model.id, model.revision)}`;
  }
  return model.id;
}

/**
 * `vllm serve` flags a store adds. A bucket is streamed by the Run:ai Model Streamer, which
 * vLLM's OpenAI image ships with its S3 and GCS backends (`runai-model-streamer[s3,gcs]`,
 * docker/Dockerfile). With tensor parallelism each rank of a node streams its share and
 * they exchange it over NVLink (`distributed`), instead of every rank reading every file.
 */
export function storeServeArgs(store: ModelStore, tensorParallel: number): string[] {
  if (store.kind !== "bucket") return [];
  const extra: Record<string, unknown> = {};
  if (tensorParallel > 1) extra.distributed = true;
  if (store.concurrency !== undefined) extra.concurrency = store.concurrency;
  return [
    "--load-format",
    "runai_streamer",
    ...(Object.keys(extra).length > 0
      ? ["--model-loader-extra-config", JSON.stringify(extra)]
      : []),
  ];
}

/**
 * Env a store adds to the vLLM containers: with the weights prefetched and verified, the Hub
 * is never asked (`HF_HUB_OFFLINE=1`, huggingface_hub's offline switch): a restart cannot
 * start a second download or hang on a Hub outage.
 */
export function storeEnv(store: ModelStore): { name: string; value: string }[] {
  return store.kind === "hub" ? [] : [{ name: "HF_HUB_OFFLINE", value: "1" }];
}

/** Bytes of a catalog model's BF16 weights, or undefined for a model the planner does not know. */
export function modelWeightBytes(modelId: string): number | undefined {
  const m = modelById(modelId);
  if (!m) return undefined;
  return paramCounts(m).total * 2;
}

/**
 * Throughput assumptions of each load path, in bytes per second per node, and where they
 * come from. Conservative on purpose: the allowance must hold on a bad day.
 */
export const LOAD_THROUGHPUT = {
  /**
   * Hugging Face Hub download: 100 MB/s per node (a single `hf download` over the internet
   * behind Cloud NAT, well under the link; hf_transfer/Xet can do several times more).
   */
  hub: 100e6,
  /**
   * Cloud Storage streamed with the Run:ai streamer: 1 GB/s per node. An a3-ultragpu-8g has
   * 2 × 200 Gbps gVNIC (the GPU NICs carry RDMA only); 1 GB/s is 4 % of one of them.
   */
  bucket: 1e9,
  /** A verified local or NFS directory: 500 MB/s (one 10 GbE link, or page cache after the first read). */
  cache: 500e6,
} as const;

/** Seconds vLLM needs besides reading weights: CUDA graph capture, torch.compile, KV cache profiling. */
export const ENGINE_WARMUP_SECONDS = 1200;

/**
 * The startup-probe allowance for a server: twice the time to read the weights each node
 * loads over the store's path, plus {@link ENGINE_WARMUP_SECONDS}. A Hub download fetches
 * the whole checkpoint on every node (vLLM downloads every shard before picking its own);
 * the streamer and a prefetched directory read only the node's pipeline stage.
 * @returns undefined when the model's size is unknown (keep the caller's default).
 */
export function startupAllowanceSeconds(
  kind: ModelStoreKind,
  modelId: string,
  pipeline: number,
): number | undefined {
  const bytes = modelWeightBytes(modelId);
  if (bytes === undefined) return undefined;
  const perNode = kind === "hub" ? bytes : bytes / pipeline;
  return Math.ceil((2 * perNode) / LOAD_THROUGHPUT[kind]) + ENGINE_WARMUP_SECONDS;
}
