import { describeTemplate } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { describeParallelism, type VllmFlags, vllmReplicaSize } from "./vllm";
import { analyzeObject, launchesOf, uniqueFindings } from "./workload";

/** Ranks one pod must host: TP × PP × PCP × (local DP if given, else DP). Null when unknown. */
function ranksPerPod(f: VllmFlags): number | null {
  const dp = f.dataParallelSizeLocal === undefined ? f.dataParallelSize : f.dataParallelSizeLocal;
  const replica = vllmReplicaSize(f);
  return replica === null || dp === null ? null : replica * dp;
}

/**
 * A vLLM world that spans pods needs a launcher that knows about the other nodes: vLLM's own
 * (`--nnodes`, ≥ 0.11) or Ray (`--distributed-executor-backend ray`, image with Ray). With
 * neither, current vLLM uses its single-node executor and fails because the node lacks the
 * GPUs; the LWS repository's vLLM example relies on Ray being auto-detected and breaks on
 * current images.
 */
export const vllmMultinodeLauncher: ResourceRule = {
  id: "vllm-multinode-launcher",
  scope: "resource",
  description:
    "A vLLM server whose world (TP × PP) is larger than its pod's GPUs passes --nnodes (vLLM's multiprocessing launcher) or --distributed-executor-backend ray; without either, current vLLM starts a single-node executor and fails.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "With vLLM >= 0.11 and no Ray: leader `vllm serve … --nnodes $(LWS_GROUP_SIZE) --node-rank $(LWS_WORKER_INDEX) --master-addr $(LWS_LEADER_ADDRESS)`, workers the same plus `--headless`. With Ray: start a Ray cluster across the group and pass `--distributed-executor-backend ray`, using an image that ships Ray.",
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
        if (nnodes === null || nnodes > 1 || flags.distributedExecutorBackend === "ray") continue;
        findings.push({
          message: `${where} runs vLLM with ${describeParallelism(flags)} = ${ranks} GPUs but its pod has ${t.podGpus}, and passes neither --nnodes nor --distributed-executor-backend ray; add --nnodes $(LWS_GROUP_SIZE) --node-rank $(LWS_WORKER_INDEX) --master-addr $(LWS_LEADER_ADDRESS) (workers also --headless), or use Ray explicitly.`,
        });
      }
    }
    return uniqueFindings(findings);
  },
};
