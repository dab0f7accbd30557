import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { z } from "zod";
import { parseOrThrow } from "../validation";

/** Default claim name. */
export const DEFAULT_MODEL_CACHE_CLAIM = "model-cache";

/** Default size: room for a few 70B-class checkpoints in bf16. */
export const DEFAULT_MODEL_CACHE_SIZE = "200Gi";

/** Access modes a model cache claim may ask for (an enum in the package schema). */
export const ModelCacheAccessMode = {
  /** Every node mounts the cache: what multi-node groups need. */
  ReadWriteMany: "ReadWriteMany",
  /** Pods on one node. */
  ReadWriteOnce: "ReadWriteOnce",
  /** Read-only, many nodes (a cache filled elsewhere). */
  ReadOnlyMany: "ReadOnlyMany",
  /** One pod. */
  ReadWriteOncePod: "ReadWriteOncePod",
} as const;
/** One of {@link ModelCacheAccessMode}'s values. */
export type ModelCacheAccessMode = (typeof ModelCacheAccessMode)[keyof typeof ModelCacheAccessMode];

/** Access modes a PVC may ask for, as a list. */
export const ACCESS_MODES = Object.values(ModelCacheAccessMode) as [
  ModelCacheAccessMode,
  ...ModelCacheAccessMode[],
];

/** A model cache claim, as plain validated data. */
export interface ModelCacheClaimOptions {
  /** Namespace of the claim (the one the vLLM pods run in). */
  namespace: string;
  /** Claim name. Defaults to `model-cache`. */
  name?: string;
  /** StorageClass; omit for the cluster default, `""` for a pre-created PV. */
  storageClassName?: string;
  /** Requested size (a Kubernetes quantity). Defaults to `200Gi`. */
  size?: string;
  /** One of {@link ACCESS_MODES}. Defaults to `ReadWriteMany`. */
  accessMode?: string;
}

const quantity = z
  .string()
  .regex(
    /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/,
    "must be a Kubernetes quantity like 200Gi or 1Ti",
  );

const optionsSchema = z
  .object({
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label (a namespace name)"),
    name: z
      .string()
      .max(253)
      .regex(
        /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
        "must be a DNS subdomain: lowercase letters, digits, '-' and '.'",
      )
      .optional(),
    storageClassName: z.string().optional(),
    size: quantity.optional(),
    accessMode: z
      .enum(ACCESS_MODES, {
        error:
          `must be one of ${ACCESS_MODES.join(", ")} ` +
          "(ReadWriteMany lets pods on several nodes share one cache)",
      })
      .optional(),
  })
  .strict();

/**
 * Builds the PersistentVolumeClaim for a model cache. ReadWriteMany by default because a
 * multi-node group mounts the cache on every node; a ReadWriteOnce claim only works when
 * every pod that mounts it lands on one node.
 * @throws ConfigError for bad names, sizes or access modes.
 */
export function modelCacheClaim(
  options: ModelCacheClaimOptions,
  path = "",
): IPersistentVolumeClaim {
  const o = parseOrThrow(optionsSchema, options, "ModelCache", path);
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: o.name ?? DEFAULT_MODEL_CACHE_CLAIM,
      namespace: o.namespace,
      labels: { "app.kubernetes.io/component": "model-cache" },
    },
    spec: {
      accessModes: [o.accessMode ?? "ReadWriteMany"],
      ...(o.storageClassName !== undefined ? { storageClassName: o.storageClassName } : {}),
      resources: { requests: { storage: o.size ?? DEFAULT_MODEL_CACHE_SIZE } },
    },
  };
}
