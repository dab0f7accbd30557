/**
 * `llm-serving size`: how a model fits a GPU type under vLLM, offline. Without a shape it
 * recommends one; with one it shows vLLM's startup numbers for it.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  customGpu,
  GiB,
  GPU_NAMES,
  type GpuSpec,
  gpuByName,
  type ModelArch,
  modelById,
  modelCatalog,
  modelFromHfConfig,
  type PlanInput,
  parseWeightDtype,
  planShape,
  recommend,
  type ShapePlan,
  summarize,
} from "../components/planner";

const USAGE = `Usage: llm-serving size (--model ID | --hf-config FILE) (--gpu TYPE | --gpu-memory-gib N)
                         [--tensor N] [--pipeline N] [--nodes N] [--max-model-len N]
                         [--gpu-memory-utilization F] [--dtype bf16|fp16|fp8|int8|int4] [--json]

GPU types: ${GPU_NAMES.join(", ")}
Without --tensor/--pipeline/--nodes it recommends the smallest shape with a useful KV cache.
Exit code: 0 fits, 1 the shape does not fit (or nothing does), 2 bad input.
`;

/** Where the command writes. */
interface Output {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** The `--json` document. */
export interface SizeReport {
  model: string;
  gpu: string;
  tensor: number | null;
  pipeline: number | null;
  weightsGiBPerGpu: number | null;
  kvCacheGiBPerGpu: number | null;
  kvCacheTokens: number | null;
  maxConcurrency: { tokensPerRequest: number; x: number } | null;
  fits: boolean;
  recommendation: { tensor: number; pipeline: number; nodes: number; gpusPerNode: number } | null;
}

class UsageError extends Error {}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v))
    throw new UsageError(`--${flag} must be a whole number ≥ 1, got "${v}"`);
  return Number(v);
}

function loadModel(id: string | undefined, file: string | undefined): ModelArch {
  if ((id === undefined) === (file === undefined)) {
    throw new UsageError("give exactly one of --model ID and --hf-config FILE");
  }
  if (file !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new UsageError(`--hf-config ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      return modelFromHfConfig(id ?? file, raw);
    } catch (e) {
      throw new UsageError(`--hf-config ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const m = modelById(id as string);
  if (!m) {
    throw new UsageError(
      `--model ${id} is not in the catalog; pass its config.json with --hf-config FILE. Known: ${modelCatalog.map((c) => c.id).join(", ")}`,
    );
  }
  return m;
}

function loadGpu(name: string | undefined, gib: string | undefined): GpuSpec {
  if ((name === undefined) === (gib === undefined)) {
    throw new UsageError("give exactly one of --gpu TYPE and --gpu-memory-gib N");
  }
  if (gib !== undefined) {
    const n = Number(gib);
    if (!Number.isFinite(n) || n <= 0)
      throw new UsageError(`--gpu-memory-gib must be a positive number, got "${gib}"`);
    return customGpu(n);
  }
  const g = gpuByName(name as string);
  if (!g) throw new UsageError(`--gpu ${name} is not a known GPU type: ${GPU_NAMES.join(", ")}`);
  return g;
}

/** Builds the report from parsed flags. Pure apart from reading `--hf-config`. */
export function sizeReport(argv: string[]): { report: SizeReport; text: string } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: "string" },
      "hf-config": { type: "string" },
      gpu: { type: "string" },
      "gpu-memory-gib": { type: "string" },
      tensor: { type: "string" },
      pipeline: { type: "string" },
      nodes: { type: "string" },
      "max-model-len": { type: "string" },
      "gpu-memory-utilization": { type: "string" },
      dtype: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const model = loadModel(values.model, values["hf-config"]);
  const gpu = loadGpu(values.gpu, values["gpu-memory-gib"]);
  const dtype = values.dtype === undefined ? undefined : parseWeightDtype(values.dtype);
  if (values.dtype !== undefined && (!dtype || dtype === "mxfp4")) {
    throw new UsageError(`--dtype must be bf16, fp16, fp8, int8 or int4, got "${values.dtype}"`);
  }
  const util = values["gpu-memory-utilization"];
  const utilization = util === undefined ? undefined : Number(util);
  if (utilization !== undefined && !(utilization > 0 && utilization <= 1)) {
    throw new UsageError(`--gpu-memory-utilization must be in (0, 1], got "${util}"`);
  }
  const input: PlanInput = {
    model,
    dtype,
    gpu,
    engine: {
      maxModelLen: positiveInt("max-model-len", values["max-model-len"]),
      gpuMemoryUtilization: utilization ?? gpu.recommendedUtilization,
    },
  };
  const tp = positiveInt("tensor", values.tensor);
  const pp = positiveInt("pipeline", values.pipeline);
  const nodes = positiveInt("nodes", values.nodes);
  const rec = recommend(input);
  let chosen: ShapePlan | undefined = rec;
  if (tp !== undefined || pp !== undefined || nodes !== undefined) {
    const tensor = tp ?? 1;
    const pipeline = pp ?? 1;
    const n = nodes ?? 1;
    if ((tensor * pipeline) % n !== 0) {
      throw new UsageError(
        `--tensor × --pipeline = ${tensor * pipeline} GPUs do not split over ${n} nodes`,
      );
    }
    chosen = planShape(input, { tensor, pipeline, nodes: n, gpusPerNode: (tensor * pipeline) / n });
  }
  const e = chosen?.estimate;
  const fits = chosen !== undefined && (chosen.verdict === "fits" || chosen.verdict === "thin");
  const report: SizeReport = {
    model: model.id,
    gpu: gpu.name,
    tensor: e ? e.tensor : null,
    pipeline: e ? e.pipeline : null,
    weightsGiBPerGpu: e ? round(e.weightBytesPerGpu / GiB) : null,
    kvCacheGiBPerGpu: e ? round(e.kvBytesPerGpu / GiB) : null,
    kvCacheTokens: e ? e.kvTokens : null,
    maxConcurrency: e ? { tokensPerRequest: e.maxModelLen, x: round(e.maxConcurrency) } : null,
    fits,
    recommendation: rec ? { ...rec.shape } : null,
  };
  const lines = [
    `${model.id} (${e?.dtype ?? model.dtype}) on ${gpu.label}, ${gpu.totalGiB} GiB as vLLM sees it`,
    chosen ? `  ${summarize(chosen)}: ${chosen.reason}` : "  no shape of up to 16 nodes holds it",
    rec
      ? `  recommended: ${rec.shape.nodes} node(s) × ${rec.shape.gpusPerNode} GPU(s): --tensor-parallel-size ${rec.shape.tensor} --pipeline-parallel-size ${rec.shape.pipeline}`
      : "  recommended: none (quantise, or use GPUs with more memory)",
    `  config: ${model.source.repo}/${model.source.path}${model.source.note ? ` (${model.source.note})` : ""}`,
  ];
  return { report, text: `${lines.join("\n")}\n` };
}

/** Runs `size`; resolves to the exit code. */
export function runSize(argv: string[], out: Output): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    out.stdout.write(USAGE);
    return 0;
  }
  try {
    const { report, text } = sizeReport(argv);
    out.stdout.write(argv.includes("--json") ? `${JSON.stringify(report, null, 2)}\n` : text);
    return report.fits ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && "code" in e)) {
      out.stderr.write(`llm-serving size: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}
