/**
 * The planner as a config-time check: what `VllmServer` (and through it both stacks) asks
 * before building anything when it knows the model and the GPU type.
 */
import type { ConfigProblem } from "../validation";
import { GiB } from "./estimate";
import { type GpuSpec, gpuByName } from "./gpus";
import { modelById } from "./models";
import { type PlanInput, planShape, recommend, type ShapePlan, summarize } from "./plan";

/** Workload annotation naming the planner GPU type (read by `plan` and `vllm-fits-memory`). */
export const GPU_TYPE_ANNOTATION = "llm-serving.dev/gpu-type";
/** Workload annotation carrying the planner's one-line estimate (shown by `plan`). */
export const MEMORY_ESTIMATE_ANNOTATION = "llm-serving.dev/memory-estimate";

/** What a server asks of the planner. */
export interface ServerPlanInput {
  /** Hugging Face model id. */
  modelId: string;
  /** GPU catalog name. */
  gpuType: string;
  /** Parallelism as configured. */
  parallelism: { tensor: number; pipeline: number; nodes: number; gpusPerNode: number };
  /** Engine options as configured (unset: vLLM's defaults). */
  engine: { maxModelLen?: number; gpuMemoryUtilization?: number; maxNumSeqs?: number };
}

/** The planner's answer for one server. */
export interface ServerMemoryCheck {
  /** The estimate and verdict, when the model is in the catalog. */
  plan?: ShapePlan;
  /** Errors by config path: the shape cannot start. */
  problems: ConfigProblem[];
  /** Warnings: it starts, but with a thin KV cache. */
  warnings: string[];
}

/**
 * Runs the planner for a configured server. Unknown models are not checked (no plan, no
 * problems); a GPU type must be in the catalog (the caller validates that).
 * @param root prefix of problem paths (e.g. `models[0]`).
 */
export function checkServerMemory(input: ServerPlanInput, root = ""): ServerMemoryCheck {
  const model = modelById(input.modelId);
  const gpu = gpuByName(input.gpuType);
  if (!model || !gpu) return { problems: [], warnings: [] };
  const at = (p: string) => (root ? `${root}.${p}` : p);
  const planInput: PlanInput = { model, gpu, engine: input.engine };
  const plan = planShape(planInput, input.parallelism);
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const e = plan.estimate;
  const fix = () => fixFor(planInput, gpu);
  switch (plan.verdict) {
    case "over-utilization":
      problems.push({
        path: at("engine.gpuMemoryUtilization"),
        message: `${plan.reason}: set it to ${gpu.maxUtilization} or less`,
      });
      break;
    case "no-weights":
      problems.push({
        path: at("parallelism.tensor"),
        message: `${model.id} ${plan.reason} on ${gpu.name}: ${fix()}`,
      });
      break;
    case "no-kv": {
      const most = Math.floor(e.kvTokens / 16) * 16;
      problems.push({
        path: at("engine.maxModelLen"),
        message: `${plan.reason}: set engine.maxModelLen to ${most > 0 ? `at most ${most}` : "a smaller value"}, raise engine.gpuMemoryUtilization, or ${fix()}`,
      });
      break;
    }
    case "tight":
    case "thin":
      warnings.push(
        `${model.id} on ${e.tensor * e.pipeline} × ${gpu.name}: ${plan.reason} (${(e.kvBytesPerGpu / GiB).toFixed(1)} GiB KV cache per GPU); consider a smaller engine.maxModelLen or more GPUs`,
      );
      break;
    case "fits":
      break;
  }
  return { plan, problems, warnings };
}

/** "needs ≥ N gpu: set parallelism.tensor to N" from the recommendation. */
function fixFor(input: PlanInput, gpu: GpuSpec): string {
  const r = recommend(input);
  if (!r)
    return `no shape of up to 16 nodes of ${gpu.name} holds it: quantise it or use larger GPUs`;
  const s = r.shape;
  const gpus = s.tensor * s.pipeline;
  const shape =
    s.pipeline === 1
      ? `set parallelism.tensor to ${s.tensor}`
      : `set parallelism.tensor to ${s.tensor}, parallelism.pipeline to ${s.pipeline} and parallelism.nodes to ${s.nodes}`;
  return `needs ≥ ${gpus} ${gpu.name} (${summarize(r)}): ${shape}`;
}
