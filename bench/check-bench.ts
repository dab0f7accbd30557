/**
 * `npm run bench [-- --objects N --runs R]`: times `check` against a bare YAML parse of the same
 * file (bench/parse-only.ts), both as whole processes started the same way (node + tsx), so
 * startup, module loading and the rules all count. The file is a realistic mix: serving
 * workloads (Deployments, LeaderWorkerSets, Pods), each with its Service (bench/manifests.ts).
 * By default it measures 5,000 objects (5 runs each) and 200,000 objects (1 run each) and
 * reports the median wall-clock and CPU ratio and the peak memory of each, against the goals:
 * check ≤ 1.3× the parse at 5,000, ≤ 1.5× at 200,000, peak memory under 2 GB.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchYaml } from "./manifests";

const ROOT = join(__dirname, "..");

/** The sizes measured by default, with their runs and ratio goals. */
const DEFAULT_SIZES = [
  { objects: 5_000, runs: 5, goal: 1.3 },
  { objects: 200_000, runs: 1, goal: 1.5 },
];
/** Peak resident memory goal for check, in MB. */
const MEMORY_GOAL_MB = 2048;

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`bench: ${name} needs a positive integer\n`);
    process.exit(2);
  }
  return value;
}

/** `/usr/bin/time` (GNU) reports a child's CPU time and peak RSS; without it only wall-clock. */
const GNU_TIME =
  existsSync("/usr/bin/time") &&
  spawnSync("/usr/bin/time", ["-f", "%U", "true"], { stdio: "ignore" }).status === 0
    ? "/usr/bin/time"
    : undefined;

interface Timing {
  /** Wall-clock milliseconds of the whole process. */
  wall: number;
  /** User + system CPU milliseconds (robust when other work shares the machine), if known. */
  cpu?: number;
  /** Peak resident set size in MB, if known. */
  rss?: number;
}

/** Times one process run; fails loudly if it did not do its job. */
function time(args: string[], okCodes: number[], dir: string): Timing {
  const node = [process.execPath, "--import", "tsx", ...args];
  const out = join(dir, "time.txt");
  const [cmd, ...rest] = GNU_TIME ? [GNU_TIME, "-o", out, "-f", "%U %S %M", ...node] : node;
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, rest, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 30 });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status === null || !okCodes.includes(r.status)) {
    throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  }
  if (!GNU_TIME) return { wall };
  const last = readFileSync(out, "utf8").trim().split("\n").pop() ?? "";
  const [user, sys, kb] = last.split(" ").map(Number);
  return {
    wall,
    cpu: Number.isFinite(user + sys) ? (user + sys) * 1000 : undefined,
    rss: Number.isFinite(kb) ? kb / 1024 : undefined,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function measure(n: number, runs: number, goal: number, dir: string, warm: boolean): string[] {
  const file = join(dir, `manifests-${n}.yaml`);
  const text = benchYaml(n);
  writeFileSync(file, text);
  const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
  const check = ["cli/main.ts", "check", file];
  const parse = ["bench/parse-only.ts", file];
  if (warm) {
    // One untimed run each warms tsx's transform cache and the OS file cache.
    time(check, [0, 1], dir);
    time(parse, [0], dir);
  }
  const checks: Timing[] = [];
  const parses: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved, so load from elsewhere on the machine hits both alike.
    parses.push(time(parse, [0], dir));
    checks.push(time(check, [1], dir)); // every 10th workload breaks a mandatory rule
  }
  rmSync(file, { force: true });
  const lines = [`objects: ${n} (${mb} MB of YAML), runs: ${runs}`];
  const report = (what: string, pick: (t: Timing) => number | undefined) => {
    const p = parses.map(pick);
    const c = checks.map(pick);
    if (p.some((x) => x === undefined) || c.some((x) => x === undefined)) return;
    const pm = median(p as number[]);
    const cm = median(c as number[]);
    const fmt = (xs: (number | undefined)[]) => xs.map((x) => (x as number).toFixed(0)).join(", ");
    const ratio = cm / pm;
    lines.push(
      `${what}: parse median ${pm.toFixed(0)} ms (${fmt(p)}); check median ${cm.toFixed(0)} ms (${fmt(c)}); ` +
        `check/parse = ${ratio.toFixed(2)} (goal <= ${goal.toFixed(2)}) ${ratio <= goal ? "OK" : "OVER"}`,
    );
  };
  report("wall", (t) => t.wall);
  report("cpu ", (t) => t.cpu);
  const rss = checks.map((t) => t.rss);
  if (rss.every((x) => x !== undefined)) {
    const peak = Math.max(...(rss as number[]));
    const parsePeak = Math.max(...parses.map((t) => t.rss ?? 0));
    lines.push(
      `memory: parse peak ${parsePeak.toFixed(0)} MB; check peak ${peak.toFixed(0)} MB (goal < ${MEMORY_GOAL_MB} MB) ${peak < MEMORY_GOAL_MB ? "OK" : "OVER"}`,
    );
  }
  return lines;
}

function main(): void {
  const objects = flag("--objects");
  const runs = flag("--runs");
  const sizes =
    objects === undefined
      ? DEFAULT_SIZES.map((s) => ({ ...s, runs: runs ?? s.runs }))
      : [{ objects, runs: runs ?? 5, goal: objects > 50_000 ? 1.5 : 1.3 }];
  const dir = mkdtempSync(join(tmpdir(), "llm-serving-bench-"));
  try {
    process.stdout.write(`node ${process.version}, ${cpus().length} CPUs\n`);
    sizes.forEach((s, i) => {
      // The first size warms caches for all; a 200,000-object warm-up would double the run.
      const lines = measure(s.objects, s.runs, s.goal, dir, i === 0 && s.objects <= 50_000);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
