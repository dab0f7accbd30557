/**
 * `ModelPrefetch` arguments and the one pure function that turns them into the Job: into a
 * model cache (home lab NFS, any PVC) or into a Cloud Storage bucket (GKE, through Cloud
 * Storage FUSE).
 */
import type { IJob } from "kubernetes-models/batch/v1/Job";
import { z } from "zod";
import { type ModelCacheArgs, modelCacheMount } from "../model/cache";
import { ConfigError, parseOrThrow } from "../validation";
import { versions } from "../versions";
import { bucketVolume, GCSFUSE_ANNOTATION } from "./gcs";
import { BUCKET_MOUNT, prefetchJob } from "./prefetch";
import { cacheStoreRoot } from "./store";

/** A toleration, as the Job's pod takes it. */
export interface ModelPrefetchToleration {
  /** Taint key. Defaults to all keys (with operator `Exists`). */
  key?: string;
  /** `Exists` or `Equal`. Defaults to `Equal`. */
  operator?: string;
  /** Taint value (with `Equal`). Defaults to empty. */
  value?: string;
  /** Taint effect. Defaults to all effects. */
  effect?: string;
}

/** The Secret key holding the Hub token. */
export interface ModelPrefetchTokenSecretArgs {
  /** Secret name. Required. */
  name: string;
  /** Key inside the Secret. Defaults to `token`. */
  key?: string;
}

/** Arguments of `ModelPrefetch`. Set exactly one of `modelCache` and `bucket`. */
export interface ModelPrefetchArgs {
  /** Namespace of the Job: the one the servers and the token Secret live in. Required. */
  namespace: string;
  /** Job name. Defaults to the component's name. */
  name?: string;
  /** Hugging Face model id. Required. */
  modelId: string;
  /** Branch, tag or commit to fetch. Defaults to `main` (the Job records the commit it got). */
  revision?: string;
  /** Image with bash, python3 and huggingface_hub's `hf` CLI. Defaults to `versions.vllmImage`. */
  image?: string;
  /** Secret key holding the Hub token (gated models). Defaults to none. */
  tokenSecret?: ModelPrefetchTokenSecretArgs;
  /** Fill this model cache (the same volume the servers mount). */
  modelCache?: ModelCacheArgs;
  /** Fill this Cloud Storage bucket (GKE: needs the Cloud Storage FUSE CSI add-on). */
  bucket?: string;
  /** Service account of the Job (with `bucket`: the one allowed to write it). Defaults to the namespace's default. */
  serviceAccountName?: string;
  /** Local scratch for one file in flight (with `bucket`). Defaults to `50Gi`. */
  scratchSize?: string;
  /** Node labels the Job's pod requires. Defaults to none. */
  nodeSelector?: { [key: string]: string };
  /** Tolerations of the Job's pod. Defaults to none. */
  tolerations?: ModelPrefetchToleration[];
}

const label = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label");
const schema = z
  .object({
    namespace: label,
    name: label.max(63),
    modelId: z
      .string()
      .max(96)
      .regex(
        /^([A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/,
        "must be a Hugging Face model id, [org/]name",
      ),
    revision: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, "must be a branch, tag or commit without /")
      .refine((r) => r !== "." && r !== "..", "must name a revision")
      .optional(),
    image: z
      .string()
      .regex(
        /^\S+:[A-Za-z0-9_][A-Za-z0-9_.-]*$|@sha256:[a-f0-9]{64}$/,
        "pin the image by tag or digest",
      ),
    tokenSecret: z
      .object({
        name: label,
        key: z
          .string()
          .regex(/^[-._a-zA-Z0-9]+$/)
          .default("token"),
      })
      .strict()
      .optional(),
    modelCache: z.unknown().optional(),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/, "must be a bucket name")
      .optional(),
    serviceAccountName: label.optional(),
    scratchSize: z
      .string()
      .regex(/^\d+(Ki|Mi|Gi|Ti|k|M|G|T)?$/, "must be a quantity like 50Gi")
      .default("50Gi"),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    tolerations: z.array(z.record(z.string(), z.string())).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.modelCache === undefined) === (v.bucket === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["bucket"],
        message: "set exactly one of modelCache and bucket: the store the Job fills",
      });
    }
  });

/**
 * The prefetch Job for `args`.
 * @throws ConfigError naming every bad field, before anything exists.
 */
export function modelPrefetchPlan(args: ModelPrefetchArgs, defaultName: string): IJob {
  const v = parseOrThrow(
    schema,
    { image: versions.vllmImage, ...args, name: args.name ?? defaultName },
    "ModelPrefetch",
  );
  const labels = {
    "app.kubernetes.io/name": "model-prefetch",
    "app.kubernetes.io/instance": v.name,
    "app.kubernetes.io/managed-by": "pulumi",
  };
  const common = {
    name: v.name,
    namespace: v.namespace,
    image: v.image,
    modelId: v.modelId,
    revision: v.revision,
    tokenSecret: v.tokenSecret,
    serviceAccountName: v.serviceAccountName,
    nodeSelector: v.nodeSelector,
    tolerations: v.tolerations,
    labels,
  };
  if (v.bucket) {
    return prefetchJob({
      ...common,
      store: {
        volume: bucketVolume("store", v.bucket),
        mountPath: BUCKET_MOUNT,
        root: BUCKET_MOUNT,
      },
      scratch: { sizeLimit: v.scratchSize },
      podAnnotations: { [GCSFUSE_ANNOTATION]: "true" },
    });
  }
  let mount: ReturnType<typeof modelCacheMount>;
  try {
    mount = modelCacheMount(v.modelCache as ModelCacheArgs);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError("ModelPrefetch", e.problems);
    throw e;
  }
  return prefetchJob({
    ...common,
    store: {
      volume: mount.volume,
      mountPath: mount.mountPath,
      root: cacheStoreRoot(mount.mountPath),
    },
  });
}
