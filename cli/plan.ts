/**
 * `llm-serving plan STACK`: runs a stack program offline under Pulumi mocks, shows every
 * resource, manifest and script it would create, and runs the policy pack over the resources
 * as CrossGuard would. Secrets never appear in the output (`[secret]` instead).
 * Exit codes as `check`: 0 no mandatory violation, 1 at least one, 2 bad input.
 */

import * as fs from "node:fs";
import type { Violation } from "../policy/rules/types";
import {
  diffResourceOf,
  isPlanDirectory,
  readPlanDirectory,
  recordOldSettings,
} from "./plan-against";
import { type DiffResource, diffResources, type PlanDiff } from "./plan-diff";
import { diffDocument, renderDiff } from "./plan-diff-view";
import { writePlanFiles } from "./plan-out";
import {
  isInputError,
  PlanInputError,
  type PlanProject,
  readProject,
  readStackConfig,
  SECRET_PLACEHOLDER,
  stackConfigFile,
} from "./plan-project";
import { REDACTED, redactorFor } from "./plan-redact";
import {
  manifestFiles,
  type PlanFile,
  type PlanResource,
  planResources,
  renderTree,
  resourcesDocument,
  scriptFiles,
  withAutoNames,
} from "./plan-view";
import { unwrapSecrets } from "./recorder";

/** Command-line options of `plan`. */
export interface PlanOptions {
  /** Stack name (selects `Pulumi.<stack>.yaml` and `pulumi.getStack()`). */
  stack: string;
  /** Project directory holding `Pulumi.yaml`. Defaults to the working directory. */
  cwd: string;
  /** Stack settings file instead of `<stackConfigDir>/Pulumi.<stack>.yaml`. */
  config?: string;
  /** Directory to write `manifests/`, `scripts/`, `resources.json` and `policy.json` into. */
  out?: string;
  /** Write into a non-empty `out` that no plan wrote (never deleting what is there). */
  force: boolean;
  /** A settings file or a `plan --out` directory to diff against (`--against`). */
  against?: string;
  /** Print one JSON document instead of the tree and table. */
  json: boolean;
  /** CrossGuard policy config (JSON) as `pulumi preview --policy-pack-config` takes it. */
  policyConfig?: string;
}

/** Everything a plan found, secrets redacted. */
export interface PlanReport {
  project: string;
  stack: string;
  resources: PlanResource[];
  /** Stack outputs, secrets redacted. */
  outputs: Record<string, unknown>;
  /** Resources the policies were run over. */
  checked: number;
  violations: Violation[];
  /** The files `--out` writes (also computed without it, for tests and `--json`). */
  files: PlanFile[];
  /** With `--against`: what changes from the old side to this plan. */
  diff?: PlanDiff;
}

/** Usage text for `plan`. */
export const PLAN_USAGE = `usage: llm-serving plan STACK [--config FILE] [--against OLD] [--out DIR [--force]] [--json] [--cwd DIR] [--policy-config FILE]

Runs the stack program offline under Pulumi mocks with its stack config (default
<stackConfigDir>/Pulumi.STACK.yaml), prints every resource it would create and the policy
verdicts. --against OLD (a settings file, or a directory written by --out) shows instead what
would be created, updated, replaced (and why) and deleted going from OLD to this config.
--out never deletes a file it did not write; a non-empty directory it did not write needs
--force. Secrets are shown as ${SECRET_PLACEHOLDER}. Exit 0: no mandatory violation; 1: at
least one; 2: bad input.`;

/** Parses `plan`'s arguments (after the `plan` word). */
export function parsePlanArgs(argv: readonly string[]): PlanOptions | "help" {
  const options: Partial<PlanOptions> & { json: boolean; cwd: string; force: boolean } = {
    json: false,
    cwd: ".",
    force: false,
  };
  const valued = new Map<string, "config" | "out" | "cwd" | "policyConfig" | "against">([
    ["--config", "config"],
    ["--out", "out"],
    ["--cwd", "cwd"],
    ["--policy-config", "policyConfig"],
    ["--against", "against"],
  ]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "--json" || arg === "--force") {
      options[arg === "--json" ? "json" : "force"] = true;
      continue;
    }
    const [flag, inline] = arg.startsWith("--") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const key = valued.get(flag);
    if (key) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === "") throw new PlanInputError(`${flag} needs a value`);
      options[key] = value;
      continue;
    }
    if (arg.startsWith("-")) throw new PlanInputError(`unknown option ${arg}\n${PLAN_USAGE}`);
    if (options.stack !== undefined) {
      throw new PlanInputError(`one stack at a time (got "${options.stack}" and "${arg}")`);
    }
    options.stack = arg;
  }
  if (!options.stack) throw new PlanInputError(`name the stack to plan\n${PLAN_USAGE}`);
  if (options.force && !options.out) throw new PlanInputError("--force only applies to --out DIR");
  return options as PlanOptions;
}

function readPolicyConfig(file: string | undefined): unknown {
  if (!file) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PlanInputError(`${file}: cannot read the policy config (${(err as Error).message})`);
  }
}

/**
 * The old side of `--against`, and whether it is compared redacted: a `--out` directory only
 * holds redacted inputs, so the new side is then compared redacted too.
 */
async function oldSide(
  project: PlanProject,
  stack: string,
  against: string,
): Promise<{ resources: DiffResource[]; redacted: boolean }> {
  const old = await recordOldSettings(project.dir, stack, against);
  const redact = redactorFor(old.resources, old.outputs, old.secretValues);
  return { resources: old.resources.map((r) => diffResourceOf(r, redact, false)), redacted: false };
}

/**
 * Plans `options.stack` in this process (mocks are process-global: once per process).
 * @param engine the policy engine; defaults to `policy/engine` (tests may pass a stub).
 * @throws PlanInputError for missing or malformed project/stack files; whatever the program
 *   throws (a `ConfigError` for a bad config) otherwise.
 */
export async function plan(
  options: PlanOptions,
  engine?: Pick<typeof import("../policy/engine"), "evaluateStack">,
): Promise<PlanReport> {
  const project = readProject(options.cwd);
  const file = stackConfigFile(project, options.stack, options.config);
  const config = readStackConfig(project, file, options.stack);
  const policyConfig = readPolicyConfig(options.policyConfig);
  // A directory is read now; old settings run in their own process while this one runs.
  let against: Promise<{ resources: DiffResource[]; redacted: boolean }> | undefined;
  if (options.against && isPlanDirectory(options.against)) {
    against = Promise.resolve({ resources: readPlanDirectory(options.against), redacted: true });
  } else if (options.against) {
    against = oldSide(project, options.stack, options.against);
    // Awaited below; until then a rejection must not count as unhandled.
    against.catch(() => undefined);
  }
  // Loaded only now: the SDK is slow to load and needless for bad input.
  const { runProgram } = require("./plan-run") as typeof import("./plan-run");
  const { evaluateStack } =
    engine ?? (require("../policy/engine") as typeof import("../policy/engine"));
  const run = await runProgram(project, options.stack, config);
  const recorded = withAutoNames(run.resources);
  const redact = redactorFor(run.resources, run.outputs, config.secretValues);
  const resources = planResources(recorded, redact);
  const violations = (await evaluateStack(recorded, policyConfig)).map((v) => ({
    ...v,
    resource: redact.secretsIn(v.resource),
    message: redact.secretsIn(v.message),
  }));
  const report: PlanReport = {
    project: project.name,
    stack: options.stack,
    resources,
    // Like `pulumi stack output`: a secret output is hidden whole, whatever it contains.
    outputs: redact.value(unwrapSecrets(run.outputs, REDACTED)) as Record<string, unknown>,
    checked: recorded.length,
    violations,
    files: [],
  };
  if (against) {
    const old = await against;
    const news = recorded.map((r) => diffResourceOf(r, redact, old.redacted));
    report.diff = diffResources(old.resources, news);
  }
  report.files = [
    ...manifestFiles(resources),
    ...scriptFiles(resources),
    {
      path: "resources.json",
      content: `${JSON.stringify(resourcesDocument(resources), null, 2)}\n`,
    },
    { path: "policy.json", content: `${JSON.stringify(policyDocument(report), null, 2)}\n` },
  ].map((f) => ({ ...f, content: redact.text(f.content) }));
  return report;
}

/** `policy.json` and the policy part of `--json`: the `check --json` shape. */
export function policyDocument(report: Pick<PlanReport, "checked" | "violations">): {
  checked: number;
  violations: Violation[];
} {
  return { checked: report.checked, violations: report.violations };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join("  "))
    .join("\n");
}

function renderOutputs(outputs: Record<string, unknown>): string {
  const keys = Object.keys(outputs);
  if (keys.length === 0) return "Outputs: none";
  const lines = keys.map((k) => {
    const v = outputs[k];
    return `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`;
  });
  return `Outputs:\n${lines.join("\n")}`;
}

/** The human-readable report: tree, outputs, verdicts. */
export function renderReport(report: PlanReport, against?: string): string {
  const mandatory = report.violations.filter((v) => v.level === "mandatory").length;
  const advisory = report.violations.length - mandatory;
  const heading = `Plan of stack "${report.stack}" (project ${report.project})`;
  const body = report.diff
    ? renderDiff(report.diff, `${heading}: changes against ${against ?? "the old plan"}`).trimEnd()
    : `${heading}: ${report.resources.length} resources\n\n${renderTree(report.resources)}`;
  const parts = [
    body,
    "",
    renderOutputs(report.outputs),
    "",
    `Policies: ${report.checked} resources checked, ${mandatory} mandatory and ${advisory} advisory violations`,
  ];
  if (report.violations.length > 0) {
    parts.push(
      "",
      table([
        ["LEVEL", "POLICY", "RESOURCE", "MESSAGE"],
        ...report.violations.map((v) => [v.level, v.policy, v.resource, v.message]),
      ]),
    );
  }
  return `${parts.join("\n")}\n`;
}

/**
 * The `--json` document: resources, outputs and violations, secrets redacted; with
 * `--against`, the diff (`summary`, `steps`) instead of the resources.
 */
export function jsonReport(report: PlanReport): object {
  return {
    project: report.project,
    stack: report.stack,
    ...(report.diff
      ? diffDocument(report.diff)
      : { resources: resourcesDocument(report.resources) }),
    outputs: report.outputs,
    ...policyDocument(report),
  };
}

/** Where `plan` writes (the process's streams, or buffers in tests). */
export interface PlanIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** The `plan` command: parses `argv`, plans, prints, writes; returns the exit code. */
export async function runPlan(argv: readonly string[], io: PlanIO = process): Promise<number> {
  try {
    const options = parsePlanArgs(argv);
    if (options === "help") {
      io.stdout.write(`${PLAN_USAGE}\n`);
      return 0;
    }
    const report = await plan(options);
    const text = options.json
      ? `${JSON.stringify(jsonReport(report), null, 2)}\n`
      : renderReport(report, options.against);
    io.stdout.write(text);
    if (options.out) {
      writePlanFiles(options.out, report.files, options.force);
      io.stderr.write(`plan: wrote ${report.files.length} files to ${options.out}\n`);
    }
    return report.violations.some((v) => v.level === "mandatory") ? 1 : 0;
  } catch (err) {
    if (isInputError(err)) {
      io.stderr.write(`plan: ${err.message}\n`);
    } else {
      io.stderr.write(
        `plan: the program failed: ${err instanceof Error ? err.stack : String(err)}\n`,
      );
    }
    return 2;
  }
}
