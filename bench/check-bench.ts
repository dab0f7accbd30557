/**
 * `npm run bench [-- --objects N --runs R]`: times `check` over N pod-bearing objects (mixed
 * Deployments, LeaderWorkerSets and Pods) against a bare YAML parse of the same file. Both run
 * as whole processes started the same way (node + tsx), so startup, module loading and the
 * rules all count. Goal: check ≤ 2× the parse. Prints medians and the ratio.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchYaml } from "./manifests";

const ROOT = join(__dirname, "..");

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`bench: ${name} needs a positive integer\n`);
    process.exit(2);
  }
  return value;
}

/** `/usr/bin/time` (GNU) reports a child's CPU time; without it only wall-clock is measured. */
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
}

/** Times one process run; fails loudly if it did not do its job. */
function time(args: string[], okCodes: number[], dir: string): Timing {
  const node = [process.execPath, "--import", "tsx", ...args];
  const out = join(dir, "time.txt");
  const [cmd, ...rest] = GNU_TIME ? [GNU_TIME, "-o", out, "-f", "%U %S", ...node] : node;
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, rest, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status === null || !okCodes.includes(r.status)) {
    throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  }
  if (!GNU_TIME) return { wall };
  const last = readFileSync(out, "utf8").trim().split("\n").pop() ?? "";
  const [user, sys] = last.split(" ").map(Number);
  return { wall, cpu: Number.isFinite(user + sys) ? (user + sys) * 1000 : undefined };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main(): void {
  const n = flag("--objects", 5000);
  const runs = flag("--runs", 5);
  const dir = mkdtempSync(join(tmpdir(), "llm-serving-bench-"));
  try {
    const file = join(dir, "manifests.yaml");
    const text = benchYaml(n);
    writeFileSync(file, text);
    const check = ["cli/main.ts", "check", file];
    const parse = ["bench/parse-only.ts", file];
    // One untimed run each warms tsx's transform cache and the OS file cache.
    time(check, [0, 1], dir);
    time(parse, [0], dir);
    const checks: Timing[] = [];
    const parses: Timing[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so load from elsewhere on the machine hits both alike.
      parses.push(time(parse, [0], dir));
      checks.push(time(check, [0, 1], dir));
    }
    const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
    const lines = [
      `objects: ${n} (${mb} MB of YAML), runs: ${runs}, node ${process.version}, ${cpus().length} CPUs`,
    ];
    const report = (what: string, pick: (t: Timing) => number | undefined) => {
      const p = parses.map(pick);
      const c = checks.map(pick);
      if (p.some((x) => x === undefined) || c.some((x) => x === undefined)) return;
      const pm = median(p as number[]);
      const cm = median(c as number[]);
      const fmt = (xs: (number | undefined)[]) =>
        xs.map((x) => (x as number).toFixed(0)).join(", ");
      const ratio = cm / pm;
      lines.push(
        `${what}: parse median ${pm.toFixed(0)} ms (${fmt(p)}); check median ${cm.toFixed(0)} ms (${fmt(c)}); ` +
          `check/parse = ${ratio.toFixed(2)} (goal <= 2.00) ${ratio <= 2 ? "OK" : "OVER"}`,
      );
    };
    report("wall", (t) => t.wall);
    report("cpu ", (t) => t.cpu);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
