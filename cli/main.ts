#!/usr/bin/env node
/**
 * The `llm-serving` command: `plan` (a stack, offline) and `check` (plain YAML). Subcommands
 * load lazily so `check` never pays for `plan`'s Pulumi SDK.
 */

const USAGE = `Usage: llm-serving <command> [options]

Commands:
  plan STACK [--config FILE] [--against OLD] [--out DIR [--force]] [--json] [--cwd DIR]
                                                    run a stack offline and check its policies;
                                                    --against: what changes from OLD
  check [--json] [--policy-config FILE] PATH...     check plain Kubernetes manifests
  size (--model ID | --hf-config FILE) (--gpu TYPE | --gpu-memory-gib N) [...]
                                                    how a model fits GPUs under vLLM
  benchmark STACK [--dry-run] [--out DIR] [...]     run the serving benchmark (and NCCL test) in the cluster
  report [--json] [--out DIR] PATH...               benchmark results -> table, JSON and chart

Run "llm-serving <command> --help" for a command's options.
`;

/** Where commands write. */
interface Output {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Dispatches argv (without node and script) to a subcommand; resolves to the exit code. */
export async function main(argv: string[], out: Output): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "check") {
    // require, not import(): under nodenext a CommonJS file's import() stays a native ESM import.
    const { runCheck } = require("./check") as typeof import("./check");
    return runCheck(rest, out);
  }
  if (command === "plan") {
    const { runPlan } = require("./plan") as typeof import("./plan");
    return runPlan(rest, out);
  }
  if (command === "size") {
    const { runSize } = require("./size") as typeof import("./size");
    return runSize(rest, out);
  }
  if (command === "benchmark") {
    const { runBenchmark } = require("./benchmark") as typeof import("./benchmark");
    return runBenchmark(rest, out);
  }
  if (command === "report") {
    const { runReport } = require("./report") as typeof import("./report");
    return runReport(rest, out);
  }
  if (command === "-h" || command === "--help") {
    out.stdout.write(USAGE);
    return 0;
  }
  out.stderr.write(`${command ? `unknown command ${command}\n\n` : ""}${USAGE}`);
  return 2;
}

// `require` is absent when a test runner loads this file as an ES module.
if (typeof require !== "undefined" && require.main === module) {
  main(process.argv.slice(2), process).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`llm-serving: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
