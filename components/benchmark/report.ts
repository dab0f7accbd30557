/**
 * The seeds' table and chart from benchmark results: one row per server and concurrency
 * (requests/s, output and total tokens/s, TTFT/TPOT/ITL/E2EL at P50/P95/P99), one row per
 * NCCL collective and size (algbw/busbw), and throughput against P95 latency as an SVG.
 */
import { type ColdStart, coldStartTable } from "./cold-start";
import type { NcclRow, Percentiles, ServingRun } from "./results";

/** What `llm-serving report --json` prints. */
export interface Report {
  runs: ServingRun[];
  nccl: NcclRow[];
  /** One row per pod whose `<name>.pod.json` and `<name>.log` were given. */
  coldStarts?: ColdStart[];
}

/** Runs in table order: by server, then concurrency (unlimited last). */
export function sortRuns(runs: ServingRun[]): ServingRun[] {
  return [...runs].sort(
    (a, b) =>
      a.server.localeCompare(b.server) ||
      (a.maxConcurrency ?? Number.POSITIVE_INFINITY) -
        (b.maxConcurrency ?? Number.POSITIVE_INFINITY),
  );
}

const fmt = (v: number | null, digits = 2): string => (v === null ? "–" : v.toFixed(digits));
const trio = (p: Percentiles): string => `${fmt(p.p50, 1)} / ${fmt(p.p95, 1)} / ${fmt(p.p99, 1)}`;

/** Bytes as nccl-tests sizes read: 1 KiB steps with binary prefixes. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** The report as Markdown tables. */
export function markdownReport(r: Report): string {
  const lines: string[] = [];
  if (r.runs.length > 0) {
    lines.push(
      "## Serving (vllm bench serve)",
      "",
      "Latencies in ms as P50 / P95 / P99.",
      "",
      "| server | max concurrency | requests/s | output tokens/s | total tokens/s | TTFT | TPOT | ITL | E2E |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const run of sortRuns(r.runs)) {
      lines.push(
        `| ${run.server} | ${run.maxConcurrency ?? "unlimited"} | ${fmt(run.requestThroughput)} | ${fmt(run.outputThroughput, 1)} | ${fmt(run.totalTokenThroughput, 1)} | ${trio(run.ttftMs)} | ${trio(run.tpotMs)} | ${trio(run.itlMs)} | ${trio(run.e2elMs)} |`,
      );
    }
    lines.push("");
  }
  if (r.nccl.length > 0) {
    lines.push(
      "## NCCL bandwidth",
      "",
      "| collective | size | algbw (GB/s) | busbw (GB/s) |",
      "|---|---:|---:|---:|",
    );
    for (const row of r.nccl) {
      lines.push(
        `| ${row.op} | ${formatBytes(row.bytes)} | ${fmt(row.algbwGBs)} | ${fmt(row.busbwGBs)} |`,
      );
    }
    lines.push("");
  }
  lines.push(...coldStartTable(r.coldStarts ?? []));
  return lines.length > 0 ? lines.join("\n") : "No results.\n";
}

/** The latency the chart plots: P95 end-to-end, else P95 TTFT when E2E was not recorded. */
function p95Latency(run: ServingRun): number | null {
  return run.e2elMs.p95 ?? run.ttftMs.p95;
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

function escapeXml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );
}

/** 0, a round upper bound and 4 ticks between. */
function axis(max: number): number[] {
  const top = max > 0 ? max : 1;
  const step = 10 ** Math.floor(Math.log10(top / 4));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => s * 4 >= top) ?? step * 10;
  return [0, 1, 2, 3, 4].map((i) => i * nice);
}

/**
 * Output throughput (x) against P95 latency (y), one line per server through its
 * concurrency points (each labelled with its concurrency). Self-contained SVG, system fonts.
 */
export function throughputLatencySvg(runs: ServingRun[]): string {
  const W = 800;
  const H = 500;
  const m = { left: 80, right: 180, top: 50, bottom: 60 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const points = sortRuns(runs).filter((r) => p95Latency(r) !== null);
  const xs = axis(Math.max(0, ...points.map((r) => r.outputThroughput)));
  const ys = axis(Math.max(0, ...points.map((r) => p95Latency(r) as number)));
  const x = (v: number) => m.left + (v / xs[4]) * pw;
  const y = (v: number) => m.top + ph - (v / ys[4]) * ph;
  const usesE2e = points.every((r) => r.e2elMs.p95 !== null);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.left}" y="28" font-size="17" font-weight="bold">Throughput vs P95 latency</text>`,
  ];
  for (const t of xs) {
    out.push(
      `<line x1="${x(t)}" y1="${m.top}" x2="${x(t)}" y2="${m.top + ph}" stroke="#e0e0e0"/>`,
      `<text x="${x(t)}" y="${m.top + ph + 18}" text-anchor="middle">${t}</text>`,
    );
  }
  for (const t of ys) {
    out.push(
      `<line x1="${m.left}" y1="${y(t)}" x2="${m.left + pw}" y2="${y(t)}" stroke="#e0e0e0"/>`,
      `<text x="${m.left - 8}" y="${y(t) + 4}" text-anchor="end">${t}</text>`,
    );
  }
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 18}" text-anchor="middle">output tokens/s</text>`,
    `<text transform="translate(22 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">P95 ${usesE2e ? "end-to-end" : "latency"} (ms)</text>`,
  );
  const servers = [...new Set(points.map((r) => r.server))];
  servers.forEach((server, i) => {
    const color = PALETTE[i % PALETTE.length];
    const mine = points.filter((r) => r.server === server);
    const path = mine
      .map(
        (r, j) =>
          `${j === 0 ? "M" : "L"}${x(r.outputThroughput).toFixed(1)},${y(p95Latency(r) as number).toFixed(1)}`,
      )
      .join(" ");
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
    for (const r of mine) {
      const [cx, cy] = [x(r.outputThroughput), y(p95Latency(r) as number)];
      out.push(
        `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4.5" fill="${color}"/>`,
        `<text x="${(cx + 7).toFixed(1)}" y="${(cy - 7).toFixed(1)}" font-size="11" fill="${color}">c=${r.maxConcurrency ?? "∞"}</text>`,
      );
    }
    const ly = m.top + 10 + i * 22;
    out.push(
      `<line x1="${m.left + pw + 16}" y1="${ly}" x2="${m.left + pw + 40}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${m.left + pw + 46}" y="${ly + 4}">${escapeXml(server)}</text>`,
    );
  });
  if (points.length === 0) {
    out.push(
      `<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle">no serving results</text>`,
    );
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
