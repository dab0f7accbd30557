import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectReport, runReport } from "../../cli/report";
import { busBandwidthFactor, collectiveBandwidth } from "../../components/benchmark/bandwidth";
import { markdownReport, throughputLatencySvg } from "../../components/benchmark/report";
import {
  parseNcclLog,
  parsePythonJson,
  parseServingResult,
} from "../../components/benchmark/results";
import { capture } from "./capture";

const FIXTURES = join(__dirname, "..", "fixtures", "benchmark");
const resultFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .map((f) => join(FIXTURES, f));

describe("bandwidth maths (nccl-tests doc/PERFORMANCE.md)", () => {
  it("uses nccl-tests' bus-bandwidth factors", () => {
    expect(busBandwidthFactor("all_reduce", 2)).toBe(1);
    expect(busBandwidthFactor("all_reduce", 8)).toBe(1.75);
    expect(busBandwidthFactor("all_gather", 2)).toBe(0.5);
    expect(busBandwidthFactor("all_gather", 16)).toBe(15 / 16);
    expect(busBandwidthFactor("broadcast", 16)).toBe(1);
    expect(busBandwidthFactor("all_reduce", 1)).toBe(0);
  });

  it("algbw is bytes / time in 1e9 B/s; busbw applies the factor", () => {
    expect(collectiveBandwidth("all_gather", 268435456, 0.0120934, 2)).toEqual({
      algbwGBs: 268435456 / 0.0120934 / 1e9,
      busbwGBs: (268435456 / 0.0120934 / 1e9) * 0.5,
    });
    expect(() => collectiveBandwidth("all_reduce", 1, 0, 2)).toThrow(/positive/);
    expect(() => busBandwidthFactor("all_reduce", 0)).toThrow(/ranks/);
  });
});

describe("reading results", () => {
  it("reads Python's NaN / Infinity as null and leaves strings alone", () => {
    expect(
      parsePythonJson('{"a": NaN, "b": -Infinity, "c": "NaN Infinity", "d": [Infinity]}'),
    ).toEqual({ a: null, b: null, c: "NaN Infinity", d: [null] });
  });

  it("takes every number as vllm bench serve wrote it", () => {
    for (const file of resultFiles) {
      const raw = parsePythonJson(readFileSync(file, "utf8")) as Record<string, number | string>;
      const run = parseServingResult(readFileSync(file, "utf8"), file);
      expect(run.server).toBe(raw.server);
      expect(run.maxConcurrency).toBe(raw.max_concurrency);
      expect(run.requestThroughput).toBe(raw.request_throughput);
      expect(run.outputThroughput).toBe(raw.output_throughput);
      expect(run.totalTokenThroughput).toBe(raw.total_token_throughput);
      for (const m of ["ttft", "tpot", "itl", "e2el"] as const) {
        expect(run[`${m}Ms`]).toEqual({
          p50: raw[`p50_${m}_ms`],
          p95: raw[`p95_${m}_ms`],
          p99: raw[`p99_${m}_ms`],
        });
      }
    }
  });

  it("names percentiles it does not find null (vLLM writes no e2el keys unless asked)", () => {
    const run = parseServingResult(
      JSON.stringify({
        request_throughput: 1,
        output_throughput: 2,
        total_token_throughput: 3,
        max_concurrency: null,
        p99_ttft_ms: 5,
        label: "x",
      }),
      "f.json",
    );
    expect(run).toMatchObject({ server: "x", maxConcurrency: null });
    expect(run.ttftMs).toEqual({ p50: null, p95: null, p99: 5 });
    expect(run.e2elMs).toEqual({ p50: null, p95: null, p99: null });
  });

  it.each([
    ["not JSON", "{", /not JSON/],
    ["a list", "[]", /expected a JSON object/],
    ["vLLM's pytorch side file", '[{"benchmark": {}}]', /expected a JSON object/],
    ["a throughput result", '{"elapsed_time": 1, "tokens_per_second": 2}', /no request_throughput/],
  ])("rejects %s", (_, text, error) => {
    expect(() => parseServingResult(text, "r.json")).toThrow(error);
  });

  it("reads nccl-tests tables, out-of-place columns, per collective", () => {
    const rows = parseNcclLog(readFileSync(join(FIXTURES, "nccl-all-gather.log"), "utf8"));
    expect(rows).toHaveLength(5);
    expect(rows[4]).toEqual({ op: "all_gather", bytes: 268435456, algbwGBs: 22.2, busbwGBs: 11.1 });
    expect(parseNcclLog("no table here\n 1 2 3\n")).toEqual([]);
  });
});

describe("llm-serving report", () => {
  it("--json prints the numbers in the files and writes the table and both charts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "report-"));
    const { text, out } = capture();
    const code = await runReport([FIXTURES, "--json", "--out", dir], out);
    expect(code, text.stderr).toBe(0);
    const report = JSON.parse(text.stdout);
    expect(report.runs).toHaveLength(8);
    expect(Object.keys(report.runs[0])).toEqual([
      "file",
      "server",
      "maxConcurrency",
      "requestThroughput",
      "outputThroughput",
      "totalTokenThroughput",
      "ttftMs",
      "tpotMs",
      "itlMs",
      "e2elMs",
    ]);
    expect(
      report.runs.map(
        (r: { server: string; maxConcurrency: number }) => `${r.server}@${r.maxConcurrency}`,
      ),
    ).toEqual([
      "single-node@1",
      "single-node@4",
      "single-node@16",
      "single-node@64",
      "tp2-roce@1",
      "tp2-roce@4",
      "tp2-roce@16",
      "tp2-roce@64",
    ]);
    expect(report.nccl[4]).toEqual({
      op: "all_gather",
      bytes: 268435456,
      algbwGBs: 22.2,
      busbwGBs: 11.1,
    });
    const md = readFileSync(join(dir, "report.md"), "utf8");
    expect(md).toContain("| tp2-roce | 64 | 4.40 | 1126.4 | 5632.0 |");
    expect(md).toContain("| all_gather | 256 MiB | 22.20 | 11.10 |");
    const svg = readFileSync(join(dir, "chart.svg"), "utf8");
    expect(svg.match(/<path /g)).toHaveLength(2);
    const png = readFileSync(join(dir, "chart.png"));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1600);
  });

  it("fails with exit 2 on an explicit file that is no result, and without paths", async () => {
    const { text, out } = capture();
    expect(await runReport([join(FIXTURES, "README.md")], out)).toBe(2);
    expect(text.stderr).toMatch(
      /README\.md: neither a vllm bench serve result nor an NCCL test log/,
    );
    expect(await runReport([], capture().out)).toBe(2);
    expect(await runReport(["--out"], capture().out)).toBe(2);
  });

  it("renders a table and a chart that say so when there is nothing", () => {
    expect(markdownReport({ runs: [], nccl: [] })).toBe("No results.\n");
    expect(throughputLatencySvg([])).toContain("no serving results");
    expect(collectReport([join(FIXTURES, "nccl-all-gather.log")]).runs).toEqual([]);
  });
});
