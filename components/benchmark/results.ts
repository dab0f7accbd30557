/**
 * Reading what the benchmarks write: `vllm bench serve --save-result` JSON files and
 * nccl-tests-format logs (the NCCL test prints that format; real nccl-tests logs read too).
 * Numbers are taken as the tools wrote them; nothing the file states is recomputed.
 */

/** Percentiles the report shows, as `vllm bench serve --metric-percentiles 50,95,99` names them. */
export const REPORT_PERCENTILES = [50, 95, 99] as const;

/** Latency metrics the report shows, as `--percentile-metrics ttft,tpot,itl,e2el` names them. */
export const REPORT_METRICS = ["ttft", "tpot", "itl", "e2el"] as const;

/** P50/P95/P99 of one latency metric in milliseconds; null where the file has no such key. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** One `vllm bench serve` run, as the report's `--json` prints it. */
export interface ServingRun {
  file: string;
  server: string;
  maxConcurrency: number | null;
  requestThroughput: number;
  outputThroughput: number;
  totalTokenThroughput: number;
  ttftMs: Percentiles;
  tpotMs: Percentiles;
  itlMs: Percentiles;
  e2elMs: Percentiles;
}

/** One nccl-tests row (out-of-place numbers). */
export interface NcclRow {
  op: string;
  bytes: number;
  algbwGBs: number;
  busbwGBs: number;
}

/**
 * Python's `json.dump` writes `NaN`, `Infinity` and `-Infinity` for non-finite floats (a run
 * whose requests all failed has NaN means); JSON.parse rejects them. Replaces those bare
 * tokens outside strings with null.
 */
export function parsePythonJson(text: string): unknown {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === "\\") out += text[++i] ?? "";
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const token = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9));
    if (token) {
      out += "null";
      i += token[0].length - 1;
      continue;
    }
    out += ch;
  }
  return JSON.parse(out);
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Parses one `vllm bench serve` result file. The server is the `server` metadata key the
 * benchmark Job passes (`--metadata server=<name>`), else the `label`, else the model id.
 * @throws Error naming the file when it is not a serving-benchmark result.
 */
export function parseServingResult(text: string, file: string): ServingRun {
  let data: unknown;
  try {
    data = parsePythonJson(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new Error(`${file}: not a vllm bench serve result (expected a JSON object)`);
  }
  const r = data as Record<string, unknown>;
  const missing = ["request_throughput", "output_throughput", "total_token_throughput"].filter(
    (k) => typeof r[k] !== "number",
  );
  if (missing.length > 0) {
    throw new Error(`${file}: not a vllm bench serve result (no ${missing.join(", ")})`);
  }
  const pct = (metric: string): Percentiles => ({
    p50: num(r[`p50_${metric}_ms`]),
    p95: num(r[`p95_${metric}_ms`]),
    p99: num(r[`p99_${metric}_ms`]),
  });
  const server = [r.server, r.label, r.model_id].find((v) => typeof v === "string" && v !== "");
  return {
    file,
    server: (server as string | undefined) ?? file,
    maxConcurrency: num(r.max_concurrency),
    requestThroughput: r.request_throughput as number,
    outputThroughput: r.output_throughput as number,
    totalTokenThroughput: r.total_token_throughput as number,
    ttftMs: pct("ttft"),
    tpotMs: pct("tpot"),
    itlMs: pct("itl"),
    e2elMs: pct("e2el"),
  };
}

/**
 * Parses nccl-tests output (src/util.cu's table, v2.19.6): the collective from
 * `# Collective test starting: <program>` (`all_reduce_perf` → `all_reduce`), then each
 * data row `size count type redop root time algbw busbw #wrong …` (out-of-place columns).
 * Several tests in one log are read in turn.
 */
export function parseNcclLog(text: string): NcclRow[] {
  const rows: NcclRow[] = [];
  let op: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const start = /^# Collective test starting: (\S+)/.exec(line);
    if (start) {
      op = (start[1].split("/").pop() ?? start[1]).replace(/_perf(_mpi)?$/, "");
      continue;
    }
    if (/^# Collective test concluded/.test(line)) {
      op = undefined;
      continue;
    }
    if (!op || line.startsWith("#")) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+$/.test(f[0])) continue;
    const [algbw, busbw] = [Number(f[6]), Number(f[7])];
    if (!Number.isFinite(algbw) || !Number.isFinite(busbw)) continue;
    rows.push({ op, bytes: Number(f[0]), algbwGBs: algbw, busbwGBs: busbw });
  }
  return rows;
}
