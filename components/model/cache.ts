import type { IVolume } from "kubernetes-models/v1/Volume";
import { z } from "zod";
import { parseOrThrow } from "../validation";

/** Where vLLM pods find (and fill) the Hugging Face cache. Set exactly one source. */
export interface ModelCacheArgs {
  /** Name of an existing PersistentVolumeClaim (e.g. the one `ModelCache` creates). */
  claimName?: string;
  /** A directory on each node (hostPath): simplest, but every node downloads its own copy. */
  hostPath?: string;
  /** NFS server address: one cache shared by every node (set with `nfsPath`). */
  nfsServer?: string;
  /** Exported path on `nfsServer`. */
  nfsPath?: string;
  /** Mount path in the container; `HF_HOME` points here. Defaults to `/root/.cache/huggingface`. */
  mountPath?: string;
}

/** Default mount path: the Hugging Face home of the root user the vLLM images run as. */
export const DEFAULT_MODEL_CACHE_MOUNT = "/root/.cache/huggingface";

/** Name of the pod volume that holds the model cache. */
export const MODEL_CACHE_VOLUME = "model-cache";

/**
 * Host directories that are never a model cache: the root itself and the top-level system
 * directories (refused exactly: a cache *under* `/srv`, `/home/me` or `/var/cache` is fine),
 * and the trees of the OS, the kernel's pseudo-filesystems, root's home and the kubelet/
 * MicroK8s state (refused with everything under them). Exporting or mounting one of these
 * into a privileged pod, or writing a model into it, hands the host away.
 */
const SYSTEM_DIRS = ["/", "/home", "/var", "/srv", "/opt", "/mnt", "/media", "/tmp", "/var/lib"];
const SYSTEM_TREES = [
  "/etc",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/boot",
  "/proc",
  "/sys",
  "/dev",
  "/run",
  "/root",
  "/snap",
  "/var/lib/kubelet",
  "/var/snap",
  "/var/lib/snapd",
  "/var/log",
];

/**
 * Why `path` cannot hold a model cache on a host (NFS export or hostPath), or undefined.
 * The path is normalised first (`//`, trailing `/`), and `.`/`..` segments are refused, so
 * `/srv/../etc` cannot slip through.
 */
export function systemPathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute path (starts with /)";
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === "." || s === "..")) return "must not contain . or .. segments";
  const normal = `/${segments.join("/")}`;
  const tree = SYSTEM_TREES.find((t) => normal === t || normal.startsWith(`${t}/`));
  if (SYSTEM_DIRS.includes(normal) || tree !== undefined) {
    return `${normal} is a system directory${tree && tree !== normal ? ` (under ${tree})` : ""}: use a directory of its own, e.g. /srv/llm-serving/hf-cache`;
  }
  return undefined;
}

const absolute = z.string().regex(/^\//, "must be an absolute path (starts with /)");
const hostDirectory = z.string().superRefine((v, ctx) => {
  const problem = systemPathProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const modelCacheSchema = z
  .object({
    claimName: z.string().min(1).optional(),
    hostPath: hostDirectory.optional(),
    nfsServer: z.string().min(1).optional(),
    nfsPath: hostDirectory.optional(),
    mountPath: absolute.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const sources = [v.claimName, v.hostPath, v.nfsServer ?? v.nfsPath].filter(
      (s) => s !== undefined,
    );
    if (sources.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `set exactly one of claimName, hostPath or nfsServer+nfsPath (got ${sources.length})`,
      });
    }
    if ((v.nfsServer === undefined) !== (v.nfsPath === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [v.nfsServer === undefined ? "nfsServer" : "nfsPath"],
        message: "nfsServer and nfsPath go together: set both",
      });
    }
  });

/** The pod volume and mount path for a model cache, validated. */
export interface ModelCacheMount {
  /** The pod volume, named {@link MODEL_CACHE_VOLUME}. */
  volume: IVolume;
  /** Where containers mount it (and what `HF_HOME` is set to). */
  mountPath: string;
}

/**
 * Builds the pod volume for a model cache.
 * @param path config path of `args`, used in error messages (e.g. `modelCache`).
 * @throws ConfigError when no source or more than one is set.
 */
export function modelCacheMount(args: ModelCacheArgs, path = "modelCache"): ModelCacheMount {
  const v = parseOrThrow(modelCacheSchema, args, "model cache", path);
  const mountPath = v.mountPath ?? DEFAULT_MODEL_CACHE_MOUNT;
  if (v.claimName) {
    return {
      mountPath,
      volume: { name: MODEL_CACHE_VOLUME, persistentVolumeClaim: { claimName: v.claimName } },
    };
  }
  if (v.hostPath) {
    return {
      mountPath,
      volume: {
        name: MODEL_CACHE_VOLUME,
        hostPath: { path: v.hostPath, type: "DirectoryOrCreate" },
      },
    };
  }
  return {
    mountPath,
    volume: {
      name: MODEL_CACHE_VOLUME,
      nfs: { server: v.nfsServer as string, path: v.nfsPath as string },
    },
  };
}
