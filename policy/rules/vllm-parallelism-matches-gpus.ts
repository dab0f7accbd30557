import { ENGINE_LABEL, type EngineLaunch } from "./engines";
import { containerGpus, describeTemplate, TPU_RESOURCES } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, engineLaunchesOf, groupGpus, type TemplateFacts } from "./workload";

/**
 * What a group's world is made of: GPUs, or for a group that asks for TPUs and no GPU (vLLM's
 * TPU image on a GKE TPU slice), TPU chips — vLLM on TPU runs one rank per chip, so
 * `--tensor-parallel-size` × `--pipeline-parallel-size` is the slice's chip count (GKE's
 * `ai-ml/vllm-tpu` sample: TP 8 on a `2x4` slice; the LWS TPU example: TP 16 on four hosts of
 * four chips; Ray Serve LLM's TPU guide: "tensor_parallel_size * pipeline_parallel_size as the
 * number of TPU chips").
 */
interface Accelerators {
  unit: "GPUs" | "TPU chips";
  perPod: (t: TemplateFacts) => number;
}

const GPUS: Accelerators = { unit: "GPUs", perPod: (t) => t.podGpus };
const TPUS: Accelerators = {
  unit: "TPU chips",
  perPod: (t) => t.containers.reduce((n, c) => n + containerGpus(c.container, TPU_RESOURCES), 0),
};

/**
 * True when the pod gets devices through Dynamic Resource Allocation (`spec.resourceClaims`,
 * GA in Kubernetes 1.34): how many is decided by a ResourceClaim(Template)'s device requests,
 * not by a count in the pod, so "0 GPUs" would be wrong (llm-d's experimental XPU guide runs
 * `--tensor-parallel-size 4` on GPUs from an `xpu-claim` template).
 */
function claimsDevices(t: TemplateFacts): boolean {
  const claims = t.template.spec.resourceClaims;
  return Array.isArray(claims) && claims.length > 0;
}

/** The accelerators to count, or undefined when the pods get theirs from claims we cannot count. */
function acceleratorsOf(templates: TemplateFacts[]): Accelerators | undefined {
  if (groupGpus(templates) > 0) return GPUS;
  if (templates.some((t) => TPUS.perPod(t) > 0)) return TPUS;
  return templates.some(claimsDevices) ? undefined : GPUS;
}

function describeGroup(templates: TemplateFacts[], acc: Accelerators): string {
  const parts = templates.map((t) => {
    const pods = t.template.podsPerGroup;
    const label = t.template.role === "single" ? "" : ` ${t.template.role}${pods === 1 ? "" : "s"}`;
    return `${pods}${label} × ${acc.perPod(t)}`;
  });
  return parts.join(" + ");
}

/**
 * The accelerators a launch's world must fill, and how to say it: the LWS group (or the lone
 * pod), or for an engine that spans `--nnodes` pods of a StatefulSet/Deployment, nodes ×
 * accelerators per pod.
 */
function available(
  templates: TemplateFacts[],
  t: TemplateFacts,
  launch: EngineLaunch,
  acc: Accelerators,
): { count: number; what: string } {
  const nnodes = launch.nnodes ?? 1;
  const perPod = acc.perPod(t);
  if (t.template.role === "single" && nnodes > 1) {
    return {
      count: nnodes * perPod,
      what: `its ${nnodes} nodes have ${nnodes * perPod} (${nnodes} pods × ${perPod})`,
    };
  }
  const total = templates.reduce((sum, x) => sum + x.template.podsPerGroup * acc.perPod(x), 0);
  return {
    count: total,
    what:
      templates.length > 1 || t.template.groupSize > 1
        ? `its group has ${total} (${describeGroup(templates, acc)})`
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
    let acc: Accelerators | null | undefined;
    for (const t of templates) {
      for (const { container, launch } of engineLaunchesOf(t)) {
        const world = launch.worldSize;
        if (world === null) continue;
        acc ??= acceleratorsOf(templates) ?? null;
        if (acc === null) return findings; // devices from DRA claims: not counted here
        const { count, what } = available(templates, t, launch, acc);
        const key = `${launch.engine}:${world}:${count}`;
        if (world === count || reported.has(key)) continue;
        if (count === 0 && world === 1) continue; // CPU build or GPUs outside our view
        reported.add(key);
        findings.push({
          message: `${describeTemplate(t.template)}: container "${container.name}" runs ${ENGINE_LABEL[launch.engine]} with ${launch.parallelism} = ${world} ${acc.unit} but ${what}; make TP × PP equal ${acc.unit} per pod × pods in the group.`,
        });
      }
    }
    return findings;
  },
};
