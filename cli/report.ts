/**
 * `llm-serving report <files or dirs…> [--json] [--out DIR]`: `vllm bench serve` result files
 * and NCCL test logs → the seeds' table (Markdown), the numbers (`--json`), and a chart of
 * throughput against P95 latency (SVG and PNG).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseColdStart } from "../components/benchmark/cold-start";
import {
  markdownReport,
  type Report,
  sortRuns,
  throughputLatencySvg,
} from "../components/benchmark/report";
import { parseNcclLog, parseServingResult } from "../components/benchmark/results";

/** Where `report` writes. */
export interface ReportOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Directory the report files go to when `--out` is not given. */
export const DEFAULT_REPORT_DIR = "llm-serving-report";

/** The usage text. */
export const REPORT_USAGE = `Usage: llm-serving report [--json] [--out DIR] PATH...

Reads vllm bench serve result files (*.json), NCCL test logs (*.log, *.txt) and cold starts
(NAME.pod.json from kubectl get pod NAME -o json, beside NAME.log from kubectl logs NAME -c
vllm --timestamps) — files, or directories searched recursively — and writes report.md,
report.json, chart.svg and chart.png (output tokens/s against P95 latency, one line per
server) to DIR.

  --json       print {"runs": [...], "nccl": [...]} instead of the Markdown table
  --out DIR    where the files go (default: ${DEFAULT_REPORT_DIR})
  -h, --help   show this help

Exit status: 0 written, 2 bad arguments or unreadable input.
`;

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Reads every path into a report. Explicit files must be results; files found in
 * directories that are neither (other JSON, vLLM's `*.pytorch.json` side files) are skipped.
 * @throws Error naming the first unreadable explicit file.
 */
export function collectReport(paths: string[]): Report {
  const report: Report = { runs: [], nccl: [] };
  const coldStarts: Report["coldStarts"] = [];
  for (const path of paths) {
    const explicit = !statSync(path).isDirectory();
    const files = filesUnder(path);
    const podLogs = new Set(
      files.filter((f) => f.endsWith(".pod.json")).map((f) => f.replace(/\.pod\.json$/, ".log")),
    );
    for (const file of files) {
      if (file.endsWith(".pytorch.json") || podLogs.has(file)) continue;
      const text = readFileSync(file, "utf8");
      if (file.endsWith(".pod.json")) {
        const log = file.replace(/\.pod\.json$/, ".log");
        try {
          coldStarts.push(parseColdStart(text, existsSync(log) ? readFileSync(log, "utf8") : ""));
        } catch (e) {
          throw new Error(`${file}: ${(e as Error).message}`);
        }
        continue;
      }
      if (file.endsWith(".json")) {
        try {
          report.runs.push(parseServingResult(text, file));
        } catch (e) {
          if (explicit) throw e;
        }
      } else if (/\.(log|txt)$/.test(file) || explicit) {
        const rows = parseNcclLog(text);
        if (rows.length === 0 && explicit) {
          throw new Error(`${file}: neither a vllm bench serve result nor an NCCL test log`);
        }
        report.nccl.push(...rows);
      }
    }
  }
  report.runs = sortRuns(report.runs);
  return coldStarts.length > 0 ? { ...report, coldStarts } : report;
}

/** Renders the SVG to PNG with resvg (prebuilt binaries from npm, system fonts). */
export function svgToPng(svg: string): Buffer {
  const { Resvg } = require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
  return new Resvg(svg, {
    fitTo: { mode: "width", value: 1600 },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  })
    .render()
    .asPng();
}

/** Runs `report`; resolves to the exit code. */
export async function runReport(argv: string[], out: ReportOutput): Promise<number> {
  let json = false;
  let dir = DEFAULT_REPORT_DIR;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") {
      out.stdout.write(REPORT_USAGE);
      return 0;
    }
    if (a === "--json") json = true;
    else if (a === "--out") {
      const v = argv[++i];
      if (!v) {
        out.stderr.write(`report: --out needs a directory\n\n${REPORT_USAGE}`);
        return 2;
      }
      dir = v;
    } else if (a.startsWith("-")) {
      out.stderr.write(`report: unknown option ${a}\n\n${REPORT_USAGE}`);
      return 2;
    } else paths.push(a);
  }
  if (paths.length === 0) {
    out.stderr.write(`report: no result files or directories given\n\n${REPORT_USAGE}`);
    return 2;
  }
  let report: Report;
  try {
    report = collectReport(paths);
  } catch (e) {
    out.stderr.write(`report: ${(e as Error).message}\n`);
    return 2;
  }
  const markdown = markdownReport(report);
  const svg = throughputLatencySvg(report.runs);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "report.md"), markdown);
  writeFileSync(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, "chart.svg"), svg);
  writeFileSync(join(dir, "chart.png"), svgToPng(svg));
  out.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : markdown);
  out.stderr.write(
    `report: ${report.runs.length} serving runs, ${report.nccl.length} NCCL rows, ${report.coldStarts?.length ?? 0} cold starts; wrote report.md, report.json, chart.svg, chart.png to ${dir}\n`,
  );
  return 0;
}
