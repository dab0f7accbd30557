import { describeTemplate } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { describeParallelism, vllmWorldSize } from "./vllm";
import { analyzeObject, groupGpus, launchesOf, type TemplateFacts } from "./workload";

function describeGroup(templates: TemplateFacts[]): string {
  const parts = templates.map((t) => {
    const pods = t.template.podsPerGroup;
    const label = t.template.role === "single" ? "" : ` ${t.template.role}${pods === 1 ? "" : "s"}`;
    return `${pods}${label} × ${t.podGpus}`;
  });
  return parts.join(" + ");
}

/**
 * vLLM needs exactly TP × PP (× DP) GPUs across its group: more and they sit idle, fewer
 * and startup fails ("world size larger than the number of GPUs") or hangs waiting for
 * ranks that never come.
 */
export const vllmParallelismMatchesGpus: ResourceRule = {
  id: "vllm-parallelism-matches-gpus",
  scope: "resource",
  description:
    "A vLLM server's tensor × pipeline (× data) parallel size equals the GPUs of its group: GPUs per pod × pods in the group (a lone Deployment pod is a group of one).",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Make `--tensor-parallel-size` the GPUs per pod and `--pipeline-parallel-size` the pods per group (LWS `size`), or change the `nvidia.com/gpu` limit / group size to match. Use `$(LWS_GROUP_SIZE)` rather than a literal so the two cannot drift.",
  configSchema: {},
  validate(object: K8sObject, _config: RuleConfig): Finding[] {
    const templates = analyzeObject(object);
    const total = groupGpus(templates);
    const findings: Finding[] = [];
    const reported = new Set<number>();
    for (const t of templates) {
      for (const { container, flags } of launchesOf(t)) {
        const world = vllmWorldSize(flags);
        if (world === null || world === total || reported.has(world)) continue;
        if (total === 0 && world === 1) continue; // CPU build or GPUs outside our view
        reported.add(world);
        const group =
          templates.length > 1 || t.template.groupSize > 1
            ? `its group has ${total} (${describeGroup(templates)})`
            : `its pod has ${total}`;
        findings.push({
          message: `${describeTemplate(t.template)}: container "${container.name}" runs vLLM with ${describeParallelism(flags)} = ${world} GPUs but ${group}; make TP × PP equal GPUs per pod × pods in the group.`,
        });
      }
    }
    return findings;
  },
};
