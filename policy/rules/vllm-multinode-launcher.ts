import { describeTemplate } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { describeParallelism, stockVllmVersion, type VllmFlags, vllmReplicaSize } from "./vllm";
import { analyzeObject, type ContainerFacts, launchesOf, uniqueFindings } from "./workload";

/** The first stock `vllm/vllm-openai` release without Ray (kubernetes-sigs/lws#835). */
const FIRST_WITHOUT_RAY: [number, number, number] = [0, 19, 0];

/** Ranks one pod must host: TP × PP × PCP × (local DP if given, else DP). Null when unknown. */
function ranksPerPod(f: VllmFlags): number | null {
  const dp = f.dataParallelSizeLocal === undefined ? f.dataParallelSize : f.dataParallelSizeLocal;
  const replica = vllmReplicaSize(f);
  return replica === null || dp === null ? null : replica * dp;
}

function before(a: [number, number, number], b: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  return false;
}

/**
 * Whether the container's image has Ray: `yes` for a stock image tagged before v0.19.0 or a
 * container that installs Ray, `no` for a stock image from v0.19.0 on, `floating` for a stock
 * image on a moving tag (today's image: no Ray), `unknown` for any other image.
 */
function rayInImage(c: ContainerFacts): "yes" | "no" | "floating" | "unknown" {
  if (c.installsRay) return "yes";
  const stock = stockVllmVersion(c.container.image);
  if (stock === undefined || stock === "unknown") return "unknown";
  if (stock === "floating") return "floating";
  return before(stock.version, FIRST_WITHOUT_RAY) ? "yes" : "no";
}

const NATIVE =
  "add --nnodes $(LWS_GROUP_SIZE) --node-rank $(LWS_WORKER_INDEX) --master-addr $(LWS_LEADER_ADDRESS) (workers also --headless)";

/**
 * A vLLM world that spans pods needs a launcher that knows about the other nodes: vLLM's own
 * (`--nnodes`, ≥ 0.11) or Ray. vLLM picks Ray by itself when the world exceeds the pod's GPUs
 * and Ray is importable (`ParallelConfig`), so an image that ships Ray and a container that
 * starts the Ray cluster (the image's `multi-node-serving.sh`, or `ray start`) work without a
 * backend flag. Stock `vllm/vllm-openai` images ship Ray until v0.19.0: from then on, and on a
 * floating tag, a Ray setup without an install of Ray fails.
 */
export const vllmMultinodeLauncher: ResourceRule = {
  id: "vllm-multinode-launcher",
  scope: "resource",
  description:
    "A vLLM server whose world (TP × PP) is larger than its pod's GPUs uses a multi-node launcher that its image can run: vLLM's own (--nnodes), or Ray started in the pod on an image that ships Ray (stock vllm/vllm-openai before v0.19.0, pinned) or installs it.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "With vLLM >= 0.11 and no Ray: leader `vllm serve … --nnodes $(LWS_GROUP_SIZE) --node-rank $(LWS_WORKER_INDEX) --master-addr $(LWS_LEADER_ADDRESS)`, workers the same plus `--headless`. With Ray: pin an image that ships Ray (vllm/vllm-openai before v0.19.0, or one that installs `vllm[ray]`), start the Ray cluster across the group (`multi-node-serving.sh leader/worker`), and optionally pass `--distributed-executor-backend ray`.",
  configSchema: {},
  validate(object: K8sObject, _config: RuleConfig): Finding[] {
    const findings: Finding[] = [];
    for (const t of analyzeObject(object)) {
      for (const { container, flags } of launchesOf(t)) {
        const where = `${describeTemplate(t.template)}: container "${container.name}"`;
        const nnodes = flags.nnodes;
        if (
          t.template.role !== "single" &&
          typeof nnodes === "number" &&
          nnodes > 1 &&
          nnodes !== t.template.groupSize
        ) {
          findings.push({
            message: `${where} passes --nnodes ${nnodes} but the LeaderWorkerSet group has ${t.template.groupSize} pods; pass --nnodes $(LWS_GROUP_SIZE).`,
          });
        }
        const ranks = ranksPerPod(flags);
        if (ranks === null || t.podGpus === 0 || ranks <= t.podGpus) continue;
        if (nnodes === null || nnodes > 1) continue;
        const world = `runs vLLM with ${describeParallelism(flags)} = ${ranks} GPUs but its pod has ${t.podGpus}`;
        const explicitRay = flags.distributedExecutorBackend === "ray";
        const ray = rayInImage(container);
        const image = `${container.container.image ?? "(no image)"}`;
        if (ray === "no" || ray === "floating") {
          if (!explicitRay && !container.startsRay) {
            findings.push({
              message: `${where} ${world}, and passes neither --nnodes nor --distributed-executor-backend ray; ${NATIVE}.`,
            });
            continue;
          }
          const why =
            ray === "no"
              ? `${image} is from v0.19.0 on, which no longer ships Ray`
              : `${image} is a floating tag (current images no longer ship Ray)`;
          findings.push({
            message: `${where} ${world} and relies on Ray, but ${why} and the container does not install it; ${NATIVE}, or pin an image with Ray.`,
          });
          continue;
        }
        // The image has (or may have) Ray: explicit Ray, or auto-selected Ray with a cluster.
        if (explicitRay || container.startsRay) continue;
        findings.push({
          message: `${where} ${world}, passes neither --nnodes nor --distributed-executor-backend ray, and starts no Ray cluster; ${NATIVE}, or start Ray across the group.`,
        });
      }
    }
    return uniqueFindings(findings);
  },
};
