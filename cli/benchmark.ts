/**
 * `llm-serving benchmark <stack> …`: builds the serving benchmark Job (and with `--nccl` the
 * NCCL test) for the stack's servers, applies them with `@kubernetes/client-node`, shows
 * their progress, collects their logs and writes the results `report` reads. `--dry-run`
 * writes the manifests and touches no cluster.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { type VllmBenchmarkPlan, vllmBenchmarkPlan } from "../components/benchmark/plan";
import { RESULT_MARKER } from "../components/benchmark/serving-job";
import { ConfigError } from "../components/validation";
import { type ClusterClient, kubeClient, runJob } from "./benchmark-cluster";
import { BENCHMARK_STACKS, stackServers } from "./benchmark-servers";

/** Where `benchmark` writes. */
export interface BenchmarkOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Test seams: the cluster client and the poll interval. */
export interface BenchmarkOptions {
  client?: ClusterClient;
  pollMs?: number;
}

/** The usage text. */
export const BENCHMARK_USAGE = `Usage: llm-serving benchmark STACK [options]

Runs vllm bench serve in the cluster against STACK's vLLM servers (homelab or gke), and with
--nccl the NCCL bandwidth test on the servers' nodes with their network profile, then writes
the results (vllm bench serve JSON, NCCL logs) to DIR for "llm-serving report DIR".

  --config FILE          stack config (default: stacks/Pulumi.STACK.yaml)
  --kubeconfig FILE      cluster credentials (default: $KUBECONFIG or ~/.kube/config)
  --namespace N          namespace of the servers (default: the stack's)
  --server NAME          only this server (default: every server of the stack)
  --concurrency LIST     --max-concurrency levels, comma-separated (default: 1,4,16,64)
  --input-len N          prompt tokens per request (default: 1024)
  --output-len N         generated tokens per request (default: 256)
  --api-key-secret NAME  Secret (key api-key) holding the servers' API key (default: the server's own)
  --nccl                 also run the NCCL all-reduce / all-gather sweep (needs the GPUs free)
  --out DIR              where results go (default: benchmark-results)
  --dry-run              write the manifests to DIR/manifests; touch no cluster
  -h, --help             show this help

Exit status: 0 done, 1 a Job failed, 2 bad arguments or config.
`;

interface Parsed {
  stack: (typeof BENCHMARK_STACKS)[number];
  config?: string;
  kubeconfig?: string;
  namespace?: string;
  server?: string;
  concurrency?: number[];
  inputLen?: number;
  outputLen?: number;
  apiKeySecret?: string;
  nccl: boolean;
  out: string;
  dryRun: boolean;
}

const VALUE_FLAGS = [
  "--config",
  "--kubeconfig",
  "--namespace",
  "--server",
  "--concurrency",
  "--input-len",
  "--output-len",
  "--api-key-secret",
  "--out",
];

function positiveInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new ConfigError("benchmark", [
      { path: flag, message: `must be a positive integer, got '${text}'` },
    ]);
  }
  return Number(text);
}

function parseArgs(argv: string[]): Parsed | "help" {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") return "help";
    if (VALUE_FLAGS.includes(a)) {
      const v = argv[++i];
      if (v === undefined)
        throw new ConfigError("benchmark", [{ path: a, message: "needs a value" }]);
      values[a] = v;
    } else if (a === "--nccl" || a === "--dry-run") flags.add(a);
    else if (a.startsWith("-"))
      throw new ConfigError("benchmark", [{ path: a, message: "unknown option" }]);
    else positional.push(a);
  }
  const [stack, ...extra] = positional;
  if (!BENCHMARK_STACKS.includes(stack as never) || extra.length > 0) {
    throw new ConfigError("benchmark", [
      {
        path: "STACK",
        message: `must be one of ${BENCHMARK_STACKS.join(", ")} (got '${positional.join(" ")}')`,
      },
    ]);
  }
  return {
    stack: stack as Parsed["stack"],
    config: values["--config"],
    kubeconfig: values["--kubeconfig"],
    namespace: values["--namespace"],
    server: values["--server"],
    concurrency: values["--concurrency"]
      ?.split(",")
      .map((c) => positiveInt("--concurrency", c.trim())),
    inputLen: values["--input-len"] ? positiveInt("--input-len", values["--input-len"]) : undefined,
    outputLen: values["--output-len"]
      ? positiveInt("--output-len", values["--output-len"])
      : undefined,
    apiKeySecret: values["--api-key-secret"],
    nccl: flags.has("--nccl"),
    out: values["--out"] ?? "benchmark-results",
    dryRun: flags.has("--dry-run"),
  };
}

/** The plans of every selected server. */
function plans(p: Parsed): { server: string; plan: VllmBenchmarkPlan }[] {
  const servers = stackServers(p.stack, p.config)
    .map((s) => (p.namespace ? { ...s, namespace: p.namespace } : s))
    .filter((s) => !p.server || s.name === p.server);
  if (servers.length === 0) {
    throw new ConfigError("benchmark", [
      { path: "--server", message: `no server named '${p.server}' in stack ${p.stack}` },
    ]);
  }
  return servers.map((s) => ({
    server: s.name ?? "vllm",
    plan: vllmBenchmarkPlan(
      {
        server: s,
        nccl: p.nccl,
        benchmark: {
          ...(p.concurrency ? { concurrency: p.concurrency } : {}),
          ...(p.inputLen ? { inputLen: p.inputLen } : {}),
          ...(p.outputLen ? { outputLen: p.outputLen } : {}),
          // The server's own key Secret unless the user names another.
          ...(p.apiKeySecret
            ? { apiKeySecret: { name: p.apiKeySecret } }
            : s.apiKeySecret
              ? { apiKeySecret: s.apiKeySecret }
              : {}),
        },
      },
      s.name ?? "vllm",
    ),
  }));
}

/** Splits a serving Job's log into its result files (`<marker> <file>` then one JSON line). */
export function resultsFromLog(log: string): { file: string; json: string }[] {
  const out: { file: string; json: string }[] = [];
  const lines = log.split(/\r?\n/);
  lines.forEach((line, i) => {
    const m = new RegExp(`^${RESULT_MARKER} (\\S+)$`).exec(line);
    if (m && lines[i + 1]?.trim().startsWith("{")) out.push({ file: m[1], json: lines[i + 1] });
  });
  return out;
}

/** Runs `benchmark`; resolves to the exit code. */
export async function runBenchmark(
  argv: string[],
  out: BenchmarkOutput,
  options: BenchmarkOptions = {},
): Promise<number> {
  let p: Parsed;
  let selected: { server: string; plan: VllmBenchmarkPlan }[];
  try {
    const parsed = parseArgs(argv);
    if (parsed === "help") {
      out.stdout.write(BENCHMARK_USAGE);
      return 0;
    }
    p = parsed;
    selected = plans(p);
  } catch (e) {
    if (e instanceof ConfigError) {
      out.stderr.write(`benchmark: ${e.message}\n\n${BENCHMARK_USAGE}`);
      return 2;
    }
    throw e;
  }
  mkdirSync(p.out, { recursive: true });
  if (p.dryRun) {
    const dir = join(p.out, "manifests");
    mkdirSync(dir, { recursive: true });
    for (const { plan } of selected) {
      const files: [string, object[]][] = [[`${plan.job.metadata?.name}.yaml`, [plan.job]]];
      if (plan.nccl) {
        files.push([
          `${plan.nccl.job.metadata?.name}.yaml`,
          [...(plan.nccl.service ? [plan.nccl.service] : []), plan.nccl.job],
        ]);
      }
      for (const [name, docs] of files) {
        writeFileSync(join(dir, name), docs.map((d) => stringify(d)).join("---\n"));
        out.stdout.write(`wrote ${join(dir, name)}\n`);
      }
    }
    return 0;
  }
  const client = options.client ?? kubeClient(p.kubeconfig);
  const log = (line: string) => out.stderr.write(`${line}\n`);
  let failed = false;
  for (const { server, plan } of selected) {
    if (plan.nccl) {
      const r = await runJob(client, plan.nccl.job, plan.nccl.service, log, options.pollMs);
      const file = join(p.out, `${server}-nccl.log`);
      writeFileSync(file, r.logs[0] ?? "");
      out.stdout.write(`wrote ${file}\n`);
      failed ||= !r.succeeded;
    }
    const r = await runJob(client, plan.job, undefined, log, options.pollMs);
    for (const { file, json } of resultsFromLog(r.logs.join("\n"))) {
      writeFileSync(join(p.out, file), `${json}\n`);
      out.stdout.write(`wrote ${join(p.out, file)}\n`);
    }
    failed ||= !r.succeeded;
  }
  out.stdout.write(`next: llm-serving report ${p.out}\n`);
  return failed ? 1 : 0;
}
