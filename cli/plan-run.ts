/**
 * Runs a Pulumi program in this process under `plan`'s mocks, the way the Node language host
 * would: config and mocks first, then the program module inside a root `pulumi:pulumi:Stack`,
 * its exports (or the result of an exported function) as the stack outputs. Mocks are
 * process-global: one program per process.
 */

import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockState } from "./plan-mocks";
import type { PlanProject, StackConfig } from "./plan-project";
import { type RecordedResource, recordRegistrations, wrapSecret } from "./recorder";

/** What a program run produced. */
export interface ProgramRun {
  /** Every registration, in order, the root stack first; secrets in wire form. */
  resources: RecordedResource[];
  /** Stack outputs as plain data; secret outputs wrapped in wire form (redact before showing). */
  outputs: Record<string, unknown>;
}

/**
 * Makes `require` load TypeScript when this CLI runs as compiled JavaScript (the `llm-serving`
 * bin): Pulumi programs here are `.ts` run by tsx (`nodeargs: --import tsx` in Pulumi.yaml).
 */
function ensureTypeScriptLoader(main: string): void {
  if (!/\.[cm]?ts$/.test(main)) return;
  // tsx's CommonJS hook registers these extensions; under `tsx cli/main.ts` it is already there.
  if (require.extensions[".ts"]) return;
  let api: { register(): unknown };
  try {
    api = require("tsx/cjs/api");
  } catch {
    throw new Error(`${main} is TypeScript: plan needs the \`tsx\` package installed to load it`);
  }
  api.register();
}

/** Resolves outputs to plain data; secret outputs become wire-form secrets. */
async function settleOutput(value: unknown, depth = 0): Promise<unknown> {
  if (depth > 32) return "[too deep]";
  if (pulumi.Output.isInstance(value)) {
    const o = value as unknown as { isSecret: Promise<boolean>; promise(): Promise<unknown> };
    const [inner, secret] = await Promise.all([o.promise(), o.isSecret]);
    const resolved = await settleOutput(inner, depth + 1);
    return secret ? wrapSecret(resolved) : resolved;
  }
  if (value instanceof Promise) return settleOutput(await value, depth + 1);
  if (pulumi.Resource.isInstance(value)) {
    return { urn: await settleOutput((value as pulumi.Resource).urn, depth + 1) };
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => settleOutput(v, depth + 1)));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([k, v]) => [k, await settleOutput(v, depth + 1)] as const),
    );
    return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  }
  if (typeof value === "function") return undefined;
  return value;
}

/**
 * Runs `project`'s program for `stack` with `config` under mocks and records everything.
 * Errors the program throws (synchronously, in an `apply`, or in a registration) reject.
 */
export async function runProgram(
  project: PlanProject,
  stack: string,
  config: StackConfig,
): Promise<ProgramRun> {
  const failures: unknown[] = [];
  const onRejection = (err: unknown) => failures.push(err);
  process.on("unhandledRejection", onRejection);
  const cwd = process.cwd();
  try {
    const rec = await recordRegistrations({
      project: project.name,
      stack,
      config: config.config,
      secretKeys: config.secretKeys,
      state: mockState,
      call: mockCall,
    });
    ensureTypeScriptLoader(project.main);
    // Programs read files relative to the project directory, as under `pulumi up`.
    process.chdir(project.dir);
    let exported: unknown;
    await pulumi.runtime.runInPulumiStack(async () => {
      const mod = require(path.resolve(project.main));
      exported = typeof mod === "function" ? await mod() : mod;
      return exported as Record<string, unknown>;
    });
    await rec.settle();
    const outputs = (await settleOutput(exported)) as Record<string, unknown> | undefined;
    await rec.settle();
    if (failures.length > 0) throw failures[0];
    process.off("unhandledRejection", onRejection);
    return { resources: rec.resources, outputs: outputs ?? {} };
  } finally {
    // On failure the listener stays: the root stack's own promise rejects with the same error
    // a turn later, and that must not crash the process after the error was reported.
    process.chdir(cwd);
  }
}
