import { ENGINE_LABEL, type EngineLaunch } from "./engines";
import { describeTemplate } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, engineLaunchesOf, groupGpus, type TemplateFacts } from "./workload";

function describeGroup(templates: TemplateFacts[]): string {
  const parts = templates.map((t) => {
    const pods = t.template.podsPerGroup;
    const label = t.template.role === "single" ? "" : ` ${t.template.role}${pods === 1 ? "" : "s"}`;
    return `${pods}${label} × ${t.podGpus}`;
  });
  return parts.join(" + ");
}

/**
 * The GPUs a launch's world must fill, and how to say it: the LWS group (or the lone pod), or
 * for an engine that spans `--nnodes` pods of a StatefulSet/Deployment, nodes × GPUs per pod.
 */
function available(
  templates: TemplateFacts[],
  t: TemplateFacts,
  launch: EngineLaunch,
): { gpus: number; what: string } {
  const nnodes = launch.nnodes ?? 1;
  if (t.template.role === "single" && nnodes > 1) {
    return {
      gpus: nnodes * t.podGpus,
      what: `its ${nnodes} nodes have ${nnodes * t.podGpus} (${nnodes} pods × ${t.podGpus})`,
    };
  }
  const total = groupGpus(templates);
  return {
    gpus: total,
    what:
      templates.length > 1 || t.template.groupSize > 1
        ? `its group has ${total} (${describeGroup(templates)})`
        : `its pod has ${total}`,
  };
}

/**
 * An engine needs exactly TP × PP (× DP) GPUs across its group: more and they sit idle, fewer
 * and startup fails ("world size larger than the number of GPUs") or hangs waiting for ranks
 * that never come. Applies to vLLM, SGLang, TensorRT-LLM (`trtllm-serve`) and NIM alike.
 */
export const vllmParallelismMatchesGpus: ResourceRule = {
  id: "vllm-parallelism-matches-gpus",
  scope: "resource",
  description:
    "An inference server's tensor × pipeline (× data) parallel size equals the GPUs of its group: GPUs per pod × pods in the group (a lone Deployment pod is a group of one). Read from vLLM, SGLang and trtllm-serve flags and NIM's NIM_TENSOR_PARALLEL_SIZE/NIM_PIPELINE_PARALLEL_SIZE.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Make the tensor parallel size the GPUs per pod and the pipeline parallel size the pods per group (LWS `size`, or `--nnodes`), or change the `nvidia.com/gpu` limit / group size to match. Use `$(LWS_GROUP_SIZE)` rather than a literal so the two cannot drift.",
  configSchema: {},
  validate(object: K8sObject, _config: RuleConfig): Finding[] {
    const templates = analyzeObject(object);
    const findings: Finding[] = [];
    const reported = new Set<string>();
    for (const t of templates) {
      for (const { container, launch } of engineLaunchesOf(t)) {
        const world = launch.worldSize;
        if (world === null) continue;
        const { gpus, what } = available(templates, t, launch);
        const key = `${launch.engine}:${world}:${gpus}`;
        if (world === gpus || reported.has(key)) continue;
        if (gpus === 0 && world === 1) continue; // CPU build or GPUs outside our view
        reported.add(key);
        findings.push({
          message: `${describeTemplate(t.template)}: container "${container.name}" runs ${ENGINE_LABEL[launch.engine]} with ${launch.parallelism} = ${world} GPUs but ${what}; make TP × PP equal GPUs per pod × pods in the group.`,
        });
      }
    }
    return findings;
  },
};
