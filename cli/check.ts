/**
 * `llm-serving check [--json] [--policy-config FILE] PATH...`: the policy pack's rules over
 * plain Kubernetes YAML (hand-written manifests, `helm template` output, `kubectl get -o yaml`).
 * Deliberately free of the Pulumi SDK (only the pure rules and `yaml` load), so it starts and
 * runs about as fast as parsing the YAML does.
 */
import { readFileSync } from "node:fs";
import {
  evaluateManifests,
  hasMandatory,
  PolicyConfigError,
  resolvePolicyConfig,
} from "../policy/engine";
import { rules as defaultRules } from "../policy/rules";
import type { Rule, Violation } from "../policy/rules/types";
import { loadManifests } from "./check-input";
import { formatTable } from "./check-output";

/** Where `check` writes (process.stdout/stderr, or buffers in tests). */
export interface CheckOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Test seams; the CLI uses the defaults. */
export interface CheckOptions {
  /** The rules to run; defaults to the pack's rules. */
  rules?: readonly Rule[];
  /** Supplies stdin's bytes (or text) for the `-` path. */
  readStdin?: () => string | Uint8Array;
}

/** The usage text (printed for `--help` and for bad arguments). */
export const CHECK_USAGE = `Usage: llm-serving check [--json] [--policy-config FILE] PATH...

Runs the llm-serving policies over plain Kubernetes manifests.
PATH is a file, a directory (searched recursively for .yaml, .yml and .json) or - for stdin.
All paths form one manifest set (Service selectors are matched across them). Files are UTF-8
(UTF-16 with a byte-order mark is read too); anything but a regular file is skipped.
Findings are grouped by file, each with its line.

  --json                 print {"checked": N, "violations": [{policy, level, resource, message,
                         file, line}], "errors": [...] (only when some input failed)}
  --policy-config FILE   CrossGuard policy config JSON ({"<policy>": "<level>" | {...}})
  -h, --help             show this help

Exit status: 0 no mandatory violation, 1 at least one, 2 bad arguments or unreadable or
invalid input (every other file is still checked and reported first).
`;

interface ParsedArgs {
  json: boolean;
  policyConfig?: string;
  paths: string[];
}

/** Parses argv, or returns the problem to print with the usage. */
function parseArgs(argv: readonly string[]): ParsedArgs | { error: string } | "help" {
  const out: ParsedArgs = { json: false, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      out.paths.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "--json") out.json = true;
    else if (arg === "--policy-config" || arg.startsWith("--policy-config=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (value === undefined || value === "") return { error: "--policy-config needs a FILE" };
      out.policyConfig = value;
    } else if (arg.startsWith("-") && arg !== "-") return { error: `unknown option ${arg}` };
    else out.paths.push(arg);
  }
  if (out.paths.length === 0) return { error: "no PATH given" };
  return out;
}

/** Reads and parses a policy config file; returns the parsed JSON or an error line. */
function readPolicyConfig(file: string): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: `${file}: cannot read: ${code === "ENOENT" ? "no such file" : String(err)}` };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split("\n").length : undefined;
    return { error: `${file}${line ? `:${line}` : ""}: not valid JSON: ${msg}` };
  }
}

/**
 * Runs `check` with `argv` (the arguments after `check`). Never throws for user input.
 * @returns the exit code: 0 no mandatory violation, 1 at least one, 2 bad arguments or input.
 */
export async function runCheck(
  argv: string[],
  out: CheckOutput,
  options: CheckOptions = {},
): Promise<number> {
  const args = parseArgs(argv);
  if (args === "help") {
    out.stdout.write(CHECK_USAGE);
    return 0;
  }
  if ("error" in args) {
    out.stderr.write(`check: ${args.error}\n\n${CHECK_USAGE}`);
    return 2;
  }
  const rules = options.rules ?? defaultRules;

  let settings: ReturnType<typeof resolvePolicyConfig> | undefined;
  try {
    if (args.policyConfig !== undefined) {
      const raw = readPolicyConfig(args.policyConfig);
      if ("error" in raw) {
        out.stderr.write(`check: ${raw.error}\n`);
        return 2;
      }
      settings = resolvePolicyConfig(raw.value, rules, args.policyConfig);
    }
  } catch (err) {
    if (err instanceof PolicyConfigError) {
      out.stderr.write(`check: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const input = loadManifests(args.paths, options.readStdin);
  for (const w of input.warnings) out.stderr.write(`check: warning: ${w}\n`);
  // One bad file must not hide the others: check what was read, then report the failures.
  const violations: Violation[] = evaluateManifests(input.objects, settings, rules);
  if (args.json) {
    const report: Record<string, unknown> = { checked: input.objects.length, violations };
    if (input.errors.length > 0) report.errors = input.errors;
    out.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    out.stdout.write(formatTable(input.objects.length, violations));
  }
  for (const e of input.errors) out.stderr.write(`check: ${e}\n`);
  if (input.errors.length > 0) return 2;
  return hasMandatory(violations) ? 1 : 0;
}
