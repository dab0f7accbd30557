/**
 * Replays published vLLM startup lines (fixtures/published-runs.json) through the planner
 * and compares. `npx tsx test/planner/validation.ts` prints the table docs/planner.md shows.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  customGpu,
  type EngineSettings,
  GiB,
  gpuByName,
  modelById,
  planShape,
  type ShapePlan,
  type WeightDtype,
} from "../../components/planner";

/** One published run. */
export interface PublishedRun {
  id: string;
  source: string;
  vllm: string;
  model: string;
  dtype?: WeightDtype;
  gpu?: string;
  gpuMemoryGiB?: number;
  gpuLabel?: string;
  tensor: number;
  pipeline: number;
  engine: EngineSettings;
  /** vLLM's own lines the observed figures are copied from. */
  quote?: string;
  assumed?: string;
  observed: {
    weightsGiB?: number;
    kvGiB?: number;
    kvTokens?: number;
    concurrency?: number;
    started?: boolean;
  };
}

/** A run and what the planner says of it. */
export interface Replay {
  run: PublishedRun;
  plan: ShapePlan;
  /** Relative error of weights per GPU, when vLLM printed them. */
  weightsError?: number;
  /** Relative error of KV tokens, when vLLM printed them. */
  kvTokensError?: number;
  /** Relative error of KV GiB, when vLLM printed it (negative when the weights did not fit). */
  kvGiBError?: number;
  /** KV GiB per GPU the planner leaves, negative when weights and overhead exceed the budget. */
  kvGiB: number;
  /** Whether the planner says the run starts (fits or thin). */
  plannerStarts: boolean;
}

/** The fixture's runs. */
export function publishedRuns(): PublishedRun[] {
  const file = join(__dirname, "fixtures", "published-runs.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { cases: PublishedRun[] }).cases;
}

/** Replays one run. */
export function replay(run: PublishedRun): Replay {
  const model = modelById(run.model);
  if (!model) throw new Error(`${run.id}: ${run.model} is not in the catalog`);
  const gpu = run.gpu ? gpuByName(run.gpu) : customGpu(run.gpuMemoryGiB as number);
  if (!gpu) throw new Error(`${run.id}: unknown GPU ${run.gpu}`);
  const plan = planShape(
    { model, dtype: run.dtype, gpu, engine: run.engine },
    {
      tensor: run.tensor,
      pipeline: run.pipeline,
      nodes: 1,
      gpusPerNode: run.tensor * run.pipeline,
    },
  );
  const e = plan.estimate;
  // vLLM prints a negative "Available KV cache memory" when nothing is left: compare with that.
  const kvGiB = Math.min(...e.stages.map((s) => s.kvBytes)) / GiB;
  const rel = (est: number, obs: number | undefined) =>
    obs === undefined ? undefined : (est - obs) / obs;
  return {
    run,
    plan,
    weightsError: rel(e.weightBytesPerGpu / GiB, run.observed.weightsGiB),
    kvTokensError: rel(e.kvTokens, run.observed.kvTokens),
    kvGiB,
    kvGiBError: rel(kvGiB, run.observed.kvGiB),
    plannerStarts: plan.verdict === "fits" || plan.verdict === "thin",
  };
}

const pct = (x: number | undefined) =>
  x === undefined ? "–" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)} %`;
const num = (x: number | undefined, d = 2) => (x === undefined ? "–" : x.toFixed(d));

/** The validation table as Markdown. */
export function validationTable(replays: Replay[]): string {
  const rows = replays.map((r) => {
    const o = r.run.observed;
    const e = r.plan.estimate;
    const gpu = r.run.gpuLabel ?? r.run.gpu;
    return [
      `[${r.run.id}](${r.run.source.split(" ")[0]})`,
      `${r.run.model}${r.run.dtype ? ` ${r.run.dtype}` : ""}, ${r.run.tensor * r.run.pipeline}× ${gpu}, vLLM ${r.run.vllm}`,
      `${num(o.weightsGiB)} / ${num(e.weightBytesPerGpu / GiB)} (${pct(r.weightsError)})`,
      `${num(o.kvGiB)} / ${num(r.kvGiB)} (${pct(r.kvGiBError)})`,
      `${o.kvTokens?.toLocaleString("en-US") ?? "–"} / ${e.kvTokens.toLocaleString("en-US")} (${pct(r.kvTokensError)})`,
      `${o.started === undefined ? "–" : o.started ? "started" : "failed"} / ${r.plan.verdict}`,
    ];
  });
  const head = [
    "case",
    "run",
    "weights GiB/GPU vLLM / est.",
    "KV GiB/GPU vLLM / est.",
    "KV tokens vLLM / est.",
    "vLLM / planner",
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

if (require.main === module) {
  process.stdout.write(`${validationTable(publishedRuns().map(replay))}\n`);
}
