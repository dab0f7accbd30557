/**
 * The GKE stack's vLLM servers as plain `VllmServer` args, and the placement check over the
 * manifests those args render. The stack program creates exactly these servers, so the
 * check sees the placement the cluster will enforce.
 */
import { MODEL_READER_KSA } from "../components/coldstart/gcs";
import { startupAllowanceSeconds } from "../components/coldstart/store";
import { A3_ULTRA_GPUS } from "../components/gke/cluster-args";
import { a3UltraResourceNames } from "../components/gke/network-plan";
import { checkGpuPlacement, gpuPodSets, placementFailures } from "../components/gke/placement";
import type { PodSecurityLevel } from "../components/namespace";
import { ConfigError } from "../components/validation";
import { DEFAULT_API_KEY_SECRET, type VllmServerArgs } from "../components/vllm/args";
import { vllmServerPlan } from "../components/vllm/plan";
import { AUTOSCALING_KEY } from "./autoscaling";
import type { GkeModel, GkeSettings } from "./gke-settings";
import { podSecurityFor } from "./namespaces";

/** Port every vLLM Service listens on. */
export const PORT = 8000;
/** The Secret the token lives in, in each namespace. */
export const TOKEN_SECRET = "hf-token";
/**
 * Packing group of every server smaller than a node: they all share one H200 node, so the
 * others stay whole for the multi-node group. Chosen over a separate small-GPU pool (a
 * second A3 Ultra pool would hold a whole node per pool minimum and split the reservation)
 * and over scoring preferences (which the scheduler may ignore, so no check could rely on them).
 */
export const SHARED_NODE_GROUP = "shared-gpu-node";

/**
 * Seconds the multi-node model may take to start when its size is unknown to the planner:
 * each node downloads the whole checkpoint, and a 405B model in BF16 is about 810 GB.
 */
export const MULTI_NODE_STARTUP_SECONDS = 4 * 3600;

/**
 * The multi-node model's startup allowance for its load path (`startupAllowanceSeconds`):
 * Llama 3.1 405B streamed from the bucket is 2 × 405 GB per node / 1 GB/s + 20 min ≈ 34 min;
 * downloaded from the Hub, 2 × 810 GB / 100 MB/s + 20 min ≈ 4.8 h.
 */
export function multiNodeStartupSeconds(s: GkeSettings, m: GkeModel): number {
  return startupAllowanceSeconds(s.modelStore, m.id, m.pipeline) ?? MULTI_NODE_STARTUP_SECONDS;
}

/**
 * Where a model runs: RDMA models (IPC_LOCK, host paths) in `<namespace>-rdma` at the
 * `privileged` level; everything else in `<namespace>` at `baseline`.
 */
export function namespaceOf(
  s: GkeSettings,
  m: GkeModel,
): { name: string; level: PodSecurityLevel } {
  const level = podSecurityFor([{ profile: m.profile }]);
  return { name: level === "privileged" ? `${s.namespace}-rdma` : s.namespace, level };
}

/** The `VllmServer` args of one enabled model. */
export function gkeServerArgs(s: GkeSettings, m: GkeModel): VllmServerArgs {
  const multiNode = m.nodes > 1;
  const partialNode = !multiNode && m.gpusPerNode < A3_ULTRA_GPUS;
  const nim = m.runtime === "nim";
  return {
    name: m.name,
    model: { id: m.id },
    // vLLM: the stack's VllmApiKey Secret, one per namespace under this name. NIM has no
    // API key (see NIM_API_KEY_NOTE); it reads the NgcCredentials Secrets (default names).
    ...(nim
      ? { runtime: "nim" as const, image: s.nimImage }
      : { apiKeySecret: { name: DEFAULT_API_KEY_SECRET }, image: s.image }),
    parallelism: {
      tensor: m.tensor,
      pipeline: m.pipeline,
      nodes: m.nodes,
      gpusPerNode: m.gpusPerNode,
    },
    network: { profile: m.profile },
    ...(nim ? {} : { launcher: "mp" as const }),
    // The multi-node model streams its weights from the stack's bucket (modelStore bucket,
    // docs/gke.md "Model store"); the others, and `hub`, download into vLLM's emptyDir,
    // which a3-ultragpu-8g backs with 32 local SSDs (~12 TB). Downloading pods request room
    // for the weights, so none is placed where they cannot land.
    ...(multiNode && s.modelStore === "bucket"
      ? {
          startupTimeoutSeconds: multiNodeStartupSeconds(s, m),
          modelStore: {
            kind: "bucket" as const,
            bucket: s.modelBucket,
            serviceAccountName: MODEL_READER_KSA,
          },
        }
      : multiNode
        ? {
            startupTimeoutSeconds: multiNodeStartupSeconds(s, m),
            resources: { ephemeralStorage: s.multiNodeModelStorage },
          }
        : {}),
    ...(partialNode ? { packGroup: SHARED_NODE_GROUP } : {}),
    // Model-specific NIMs download from NGC with the NGC key; only vLLM needs the HF token.
    ...(nim ? {} : { tokenSecret: { name: TOKEN_SECRET } }),
    namespace: namespaceOf(s, m).name,
    port: PORT,
    nodeSelector: { "cloud.google.com/gke-nodepool": a3UltraResourceNames(s.namePrefix).gpuPool },
    // a3-ultragpu-8g: eight H200s a node; turns on the planner's memory check.
    gpuType: "h200",
    ...(m.autoscaling ? { autoscaling: m.autoscaling } : {}),
  };
}

/** The config key that switches each model on. */
const ENABLED_KEY: Record<GkeModel["name"], string> = {
  "single-gpu": "singleGpuEnabled",
  "one-node": "oneNodeEnabled",
  "multi-node": "multiNodeEnabled",
  nim: "nimEnabled",
};

/**
 * Renders every enabled server and checks that the H200 pool (at most `gpuNodeCount` nodes)
 * can place all of their pods in any order the manifests allow, with every autoscaled
 * server at its maxReplicas (the most KEDA may ask for).
 * @throws ConfigError naming `gpuNodeCount` when even the servers' starting replicas do not
 *   fit, else each autoscaling key whose maxReplicas overshoots; with the missing nodes and the fix.
 */
export function checkGkePlacement(s: GkeSettings): void {
  const plans = s.models.map((m) => ({ m, plan: vllmServerPlan(gkeServerArgs(s, m), m.name) }));
  const pool = { maxNodes: s.gpuNodeCount, gpusPerNode: A3_ULTRA_GPUS };
  const report = (atMax: boolean) =>
    checkGpuPlacement(
      pool,
      plans.flatMap(({ plan }) => {
        const workload = plan.deployment ?? plan.leaderWorkerSet;
        const max = atMax ? plan.config.autoscaling?.maxReplicas : undefined;
        return workload ? gpuPodSets(workload, max) : [];
      }),
    );
  const worst = report(true);
  if (worst.fits) return;
  const start = report(false);
  if (!start.fits) {
    const disable = s.models.map((m) => ENABLED_KEY[m.name]);
    throw new ConfigError("gke stack config", [
      {
        path: "gpuNodeCount",
        message: `${placementFailures(start).join("; ")}. Raise gpuNodeCount to at least ${start.nodesNeeded}, or set one of ${disable.join(", ")} to false`,
      },
    ]);
  }
  const failures = placementFailures(worst).join("; ");
  throw new ConfigError(
    "gke stack config",
    plans
      .filter(
        ({ plan }) =>
          plan.config.autoscaling && plan.config.autoscaling.maxReplicas > plan.config.replicas,
      )
      .map(({ m, plan }) => ({
        path: `${AUTOSCALING_KEY[m.name as keyof typeof AUTOSCALING_KEY]}.maxReplicas`,
        message: `at maxReplicas ${plan.config.autoscaling?.maxReplicas} × ${plan.config.parallelism.nodes * plan.config.parallelism.gpusPerNode} GPUs the pool cannot place every replica: ${failures}. Lower maxReplicas, or raise gpuNodeCount to at least ${worst.nodesNeeded}`,
      })),
  );
}
