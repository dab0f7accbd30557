import { GiB } from "../../components/planner/estimate";
import { type GpuSpec, gpuByName, gpuByNodeLabel } from "../../components/planner/gpus";
import { modelById } from "../../components/planner/models";
import { planShape, recommend } from "../../components/planner/plan";
import { GPU_TYPE_ANNOTATION } from "../../components/planner/server";
import { describeTemplate } from "./podspecs";
import { baseName } from "./shell";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, type ContainerFacts, launchesOf, type TemplateFacts } from "./workload";

/** Node labels that name the GPU model: GKE's accelerator label, GPU feature discovery's product. */
const GPU_LABELS = ["cloud.google.com/gke-accelerator", "nvidia.com/gpu.product"];

/** The GPU the manifest states: the workload's planner annotation, else a node selector. */
function statedGpu(object: K8sObject, t: TemplateFacts): GpuSpec | undefined {
  const meta = (object as { metadata?: { annotations?: Record<string, unknown> } }).metadata;
  const annotated = meta?.annotations?.[GPU_TYPE_ANNOTATION];
  if (typeof annotated === "string" && gpuByName(annotated)) return gpuByName(annotated);
  const selector = (t.template.spec as { nodeSelector?: Record<string, unknown> }).nodeSelector;
  for (const key of GPU_LABELS) {
    const v = selector?.[key];
    if (typeof v === "string" && gpuByNodeLabel(v)) return gpuByNodeLabel(v);
  }
  return undefined;
}

/** The model a container serves: `--model`, else the word after `vllm serve`. */
function servedModel(c: ContainerFacts, flags: Record<string, string | true>): string | undefined {
  if (typeof flags.model === "string") return flags.model;
  for (const words of c.commands) {
    const at = words.findIndex(
      (w, i) => w === "serve" && i > 0 && baseName(words[i - 1] as string) === "vllm",
    );
    const next = at >= 0 ? words[at + 1] : undefined;
    if (next && !next.startsWith("-")) return next;
  }
  return undefined;
}

/**
 * A numeric engine flag: from the parsed flags when the parser kept its value, else from the
 * container's words (`--flag value` or `--flag=value`, dashes or underscores).
 */
function numericFlag(
  c: ContainerFacts,
  flags: Record<string, string | true>,
  name: string,
): number | undefined {
  let raw = typeof flags[name] === "string" ? (flags[name] as string) : undefined;
  const spellings = [`--${name}`, `--${name.replace(/-/g, "_")}`];
  for (const words of c.commands) {
    if (raw !== undefined) break;
    words.forEach((w, i) => {
      if (raw !== undefined) return;
      if (spellings.includes(w)) raw = words[i + 1];
      else {
        const s = spellings.find((f) => w.startsWith(`${f}=`));
        if (s) raw = w.slice(s.length + 1);
      }
    });
  }
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * A known model on a stated GPU type with a parallelism that cannot start: the weights do not
 * fit, the KV cache cannot hold one max-model-len request, or the utilization asks for more
 * than a unified-memory GPU can free. vLLM finds out minutes into a download; this finds out
 * before. Uses the planner's estimate (docs/planner.md), hence advisory.
 */
export const vllmFitsMemory: ResourceRule = {
  id: "vllm-fits-memory",
  scope: "resource",
  description:
    "A vLLM server of a known model, on a GPU type the manifest states (GKE accelerator label, `nvidia.com/gpu.product` selector, or `llm-serving.dev/gpu-type`), can hold the weights and one max-model-len request in its KV cache.",
  enforcementLevel: "advisory",
  remediationSteps:
    "Raise `--tensor-parallel-size` (or `--pipeline-parallel-size` across nodes) to the shape `npm run size -- --model ID --gpu TYPE` recommends, quantise, lower `--max-model-len`, or (GB10) lower `--gpu-memory-utilization`.",
  configSchema: {},
  validate(object: K8sObject, _config: RuleConfig): Finding[] {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const t of analyzeObject(object)) {
      const gpu = statedGpu(object, t);
      if (!gpu) continue;
      for (const { container, flags } of launchesOf(t)) {
        const id = servedModel(container, flags.flags);
        const model = id ? modelById(id) : undefined;
        const tp = flags.tensorParallelSize;
        const pp = flags.pipelineParallelSize;
        if (!model || tp === null || pp === null) continue;
        const engine = {
          maxModelLen: numericFlag(container, flags.flags, "max-model-len"),
          gpuMemoryUtilization: numericFlag(container, flags.flags, "gpu-memory-utilization"),
          maxNumSeqs: numericFlag(container, flags.flags, "max-num-seqs"),
        };
        const plan = planShape(
          { model, gpu, engine },
          { tensor: tp, pipeline: pp, nodes: 1, gpusPerNode: tp },
        );
        if (!["no-weights", "no-kv", "over-utilization"].includes(plan.verdict)) continue;
        const key = `${model.id}/${tp}/${pp}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const rec =
          plan.verdict === "over-utilization" ? undefined : recommend({ model, gpu, engine });
        const fix = rec
          ? `; ${gpu.name} needs TP ${rec.shape.tensor} × PP ${rec.shape.pipeline} (${rec.shape.nodes} node(s)) for ${rec.estimate.maxModelLen} tokens`
          : "";
        findings.push({
          message: `${describeTemplate(t.template)}: container "${container.name}" serves ${model.id} at TP ${tp} × PP ${pp} on ${gpu.name}: ${plan.reason} (weights ${(plan.estimate.weightBytesPerGpu / GiB).toFixed(1)} GiB/GPU)${fix}.`,
        });
      }
    }
    return findings;
  },
};
