/**
 * The old side of `plan --against OLD`: another stack settings file (the program runs again
 * with it, in a child process, because Pulumi's mocks are process-global), or a directory a
 * previous `plan --out` wrote (its `resources.json`, already redacted). This file is also the
 * child's entry point: it runs the program and sends the recording back over the IPC channel,
 * so no secret touches a disk or a terminal.
 */

import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DiffResource } from "./plan-diff";
import {
  isInputError,
  PlanInputError,
  readProject,
  readStackConfig,
  stackConfigFile,
} from "./plan-project";
import type { Redactor } from "./plan-redact";
import type { RecordedOptions, RecordedResource } from "./recorder";

/** What the child sends back. */
type ChildResult =
  | {
      ok: true;
      resources: RecordedResource[];
      outputs: Record<string, unknown>;
      secretValues: string[];
    }
  | { ok: false; input: boolean; message: string };

/** What the child is asked to plan. */
interface ChildRequest {
  cwd: string;
  stack: string;
  config: string;
}

/** A recording of the old settings, as the parent needs it to diff and redact. */
export interface OldRecording {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Clear values of secrets in the old settings file. */
  secretValues: string[];
}

/** Options missing from a recording made before they were recorded: the engine's defaults. */
export const DEFAULT_OPTIONS: RecordedOptions = {
  replaceOnChanges: [],
  ignoreChanges: [],
  retainOnDelete: false,
  protect: false,
  replaceWith: [],
  aliases: [],
  provider: "",
  propertyDependencies: {},
};

/** The diff's view of a recorded resource: `inputs` compared, `shown` redacted. */
export function diffResourceOf(
  r: RecordedResource,
  redact: Redactor,
  compareRedacted: boolean,
): DiffResource {
  const shown = redact.value(r.inputs) as Record<string, unknown>;
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent,
    custom: r.custom,
    inputs: compareRedacted ? shown : r.inputs,
    shown,
    options: r.options ?? DEFAULT_OPTIONS,
  };
}

/** The file a previous `plan --out` wrote its resources to. */
export const RESOURCES_FILE = "resources.json";

/**
 * Reads the resources of a `plan --out` directory. Its inputs are redacted, so a changed secret
 * is not seen; everything else is compared as recorded.
 * @throws PlanInputError when the directory holds no `resources.json` of this format.
 */
export function readPlanDirectory(dir: string): DiffResource[] {
  const file = path.join(dir, RESOURCES_FILE);
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PlanInputError(
      `--against ${dir}: no readable ${RESOURCES_FILE} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); name a directory written by plan --out, or a stack settings file`,
    );
  }
  const valid =
    Array.isArray(doc) &&
    doc.every(
      (r) =>
        typeof r?.urn === "string" &&
        typeof r.type === "string" &&
        typeof r.custom === "boolean" &&
        typeof r.options === "object",
    );
  if (!valid) {
    throw new PlanInputError(
      `--against ${dir}: ${RESOURCES_FILE} lacks urn/type/custom/options (written by an older plan?); write it again with plan --out`,
    );
  }
  return (doc as (DiffResource & { inputs: Record<string, unknown> })[]).map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent,
    custom: r.custom,
    inputs: r.inputs,
    shown: r.inputs,
    options: { ...DEFAULT_OPTIONS, ...r.options },
  }));
}

/** True if `against` names a `plan --out` directory rather than a settings file. */
export function isPlanDirectory(against: string): boolean {
  try {
    return fs.statSync(against).isDirectory();
  } catch {
    throw new PlanInputError(`--against ${against}: no such file or directory`);
  }
}

/** How to start this file as a child: TypeScript needs tsx's CommonJS hook first. */
function childExecArgv(): string[] {
  return __filename.endsWith(".ts") ? ["--require", require.resolve("tsx/cjs")] : [];
}

/**
 * Runs the program with another settings file in a child process and returns its recording.
 * @throws PlanInputError when the old settings are bad input (the child's message, prefixed).
 */
export function recordOldSettings(
  cwd: string,
  stack: string,
  config: string,
): Promise<OldRecording> {
  const request: ChildRequest = { cwd: path.resolve(cwd), stack, config: path.resolve(config) };
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [JSON.stringify(request)], {
      execArgv: childExecArgv(),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
    });
    let stderr = "";
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    // The program's own prints would only mix into the parent's output: dropped.
    child.stdout?.resume();
    let result: ChildResult | undefined;
    child.on("message", (m) => {
      result = m as ChildResult;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (result?.ok) resolve(result);
      else if (result?.ok === false && result.input)
        reject(new PlanInputError(`--against ${config}: ${result.message}`));
      else {
        const why = result?.message ?? (stderr.trim() || `exit code ${code}`);
        reject(new Error(`--against ${config}: the program failed with the old settings: ${why}`));
      }
    });
  });
}

/** The child: plans the requested settings and sends the recording to the parent. */
async function childMain(request: ChildRequest): Promise<void> {
  const send = (m: ChildResult) =>
    new Promise<void>((resolve) => process.send?.(m, undefined, {}, () => resolve()));
  try {
    const project = readProject(request.cwd);
    const file = stackConfigFile(project, request.stack, request.config);
    const config = readStackConfig(project, file, request.stack);
    const { runProgram } = require("./plan-run") as typeof import("./plan-run");
    const { withAutoNames } = require("./plan-view") as typeof import("./plan-view");
    const run = await runProgram(project, request.stack, config);
    await send({
      ok: true,
      resources: withAutoNames(run.resources),
      outputs: run.outputs,
      secretValues: config.secretValues,
    });
    process.exit(0);
  } catch (err) {
    await send({
      ok: false,
      input: isInputError(err),
      message: isInputError(err)
        ? err.message
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err),
    });
    process.exit(2);
  }
}

// `require` is absent when a test runner loads this file as an ES module.
if (typeof require !== "undefined" && require.main === module && process.send) {
  void childMain(JSON.parse(process.argv[2]) as ChildRequest);
}
