/**
 * Verdicts and recommendations on top of the estimate: does a shape hold the model with a
 * useful KV cache, and what is the smallest shape that does (seed 003's decision tree:
 * one GPU; else tensor parallel inside a node; else TP inside nodes and PP across them).
 */
import type { WeightDtype } from "./dtypes";
import { type EngineSettings, type Estimate, estimate, GiB } from "./estimate";
import type { GpuSpec } from "./gpus";
import type { ModelArch } from "./models";

/**
 * Concurrency below which the estimate is not sure vLLM starts: the KV estimate is good to
 * about ±25 % (docs/planner.md), so fewer than 1.25 requests at max-model-len may be under 1.
 */
export const UNCERTAIN_CONCURRENCY = 1.25;
/** Requests at max-model-len a useful cache holds at once; fewer is "thin". */
export const USEFUL_CONCURRENCY = 2;
/** Nodes the recommendation tries before giving up. */
const MAX_NODES = 16;

/** How a shape fares. */
export type Verdict = "fits" | "thin" | "tight" | "no-kv" | "no-weights" | "over-utilization";

/** A parallel shape. */
export interface Shape {
  /** Tensor-parallel size. */
  tensor: number;
  /** Pipeline-parallel size. */
  pipeline: number;
  /** Nodes. */
  nodes: number;
  /** GPUs per node. */
  gpusPerNode: number;
}

/** The estimate for one shape with its verdict. */
export interface ShapePlan {
  /** The shape. */
  shape: Shape;
  /** vLLM's numbers for it. */
  estimate: Estimate;
  /** The verdict. */
  verdict: Verdict;
  /** One sentence saying why. */
  reason: string;
}

/** Judges an estimate. */
export function verdictOf(e: Estimate, gpu: GpuSpec): { verdict: Verdict; reason: string } {
  const gib = (b: number) => `${(b / GiB).toFixed(1)} GiB`;
  if (e.gpuMemoryUtilization > gpu.maxUtilization) {
    return {
      verdict: "over-utilization",
      reason: `--gpu-memory-utilization ${e.gpuMemoryUtilization} asks for more than ${gpu.name} can free at startup (at most ${gpu.maxUtilization} of ${gpu.totalGiB} GiB)`,
    };
  }
  if (!e.weightsFit) {
    return {
      verdict: "no-weights",
      reason: `weights need ${gib(e.weightBytesPerGpu)} per GPU; with vLLM's working memory that exceeds ${e.gpuMemoryUtilization} × ${gpu.totalGiB} GiB`,
    };
  }
  const x = e.maxConcurrency;
  if (x < 1) {
    return {
      verdict: "no-kv",
      reason: `the KV cache holds ${e.kvTokens} tokens, less than one ${e.maxModelLen}-token request: vLLM refuses to start`,
    };
  }
  if (x < UNCERTAIN_CONCURRENCY) {
    return {
      verdict: "tight",
      reason: `the KV cache holds only ${x.toFixed(2)} requests of ${e.maxModelLen} tokens, within the estimate's error of vLLM refusing to start`,
    };
  }
  if (x < USEFUL_CONCURRENCY) {
    return {
      verdict: "thin",
      reason: `the KV cache holds only ${x.toFixed(2)} requests of ${e.maxModelLen} tokens at once`,
    };
  }
  return {
    verdict: "fits",
    reason: `${x.toFixed(2)} requests of ${e.maxModelLen} tokens fit at once`,
  };
}

/** Input of {@link planShape} and {@link recommend}. */
export interface PlanInput {
  /** The model. */
  model: ModelArch;
  /** Weight precision override. */
  dtype?: WeightDtype;
  /** The GPU. */
  gpu: GpuSpec;
  /** Engine settings. */
  engine?: EngineSettings;
}

/** Estimates and judges one shape. */
export function planShape(input: PlanInput, shape: Shape): ShapePlan {
  const e = estimate({
    model: input.model,
    dtype: input.dtype,
    gpu: input.gpu,
    tensor: shape.tensor,
    pipeline: shape.pipeline,
    engine: input.engine,
  });
  return { shape, estimate: e, ...verdictOf(e, input.gpu) };
}

/** Tensor sizes vLLM accepts for `m`: powers of two that divide its attention heads. */
function tensorSizes(m: ModelArch, most: number): number[] {
  const sizes: number[] = [];
  for (let tp = 1; tp <= most; tp *= 2) if (m.attentionHeads % tp === 0) sizes.push(tp);
  return sizes;
}

/**
 * The smallest shape that leaves a useful KV cache ({@link USEFUL_CONCURRENCY} requests at
 * max-model-len), following the decision tree: one GPU; else the smallest TP inside one node;
 * else TP = a whole node and PP = the fewest nodes. Undefined when even {@link MAX_NODES}
 * nodes are not enough.
 */
export function recommend(input: PlanInput): ShapePlan | undefined {
  const perNode = input.gpu.gpusPerNode;
  for (const tp of tensorSizes(input.model, perNode)) {
    const p = planShape(input, { tensor: tp, pipeline: 1, nodes: 1, gpusPerNode: tp });
    if (p.verdict === "fits") return p;
  }
  const tp = Math.max(...tensorSizes(input.model, perNode));
  for (let nodes = 2; nodes <= MAX_NODES; nodes++) {
    if (nodes > input.model.layers) break;
    const p = planShape(input, { tensor: tp, pipeline: nodes, nodes, gpusPerNode: tp });
    if (p.verdict === "fits") return p;
  }
  return undefined;
}

/** A one-line summary: weights/GPU, KV tokens, concurrency at max-model-len. */
export function summarize(p: ShapePlan): string {
  const e = p.estimate;
  return `TP ${e.tensor} × PP ${e.pipeline}: weights ${(e.weightBytesPerGpu / GiB).toFixed(1)} GiB/GPU, KV cache ${(e.kvBytesPerGpu / GiB).toFixed(1)} GiB/GPU = ${e.kvTokens.toLocaleString("en-US")} tokens, ${e.maxConcurrency.toFixed(2)}x at ${e.maxModelLen.toLocaleString("en-US")} tokens (${p.verdict})`;
}
