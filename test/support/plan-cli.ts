/**
 * Runs the `llm-serving plan` CLI in its own process, as users run it: Pulumi's mocks are
 * process-global, so every plan of a program needs a fresh process.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";

/** The repository root. */
export const REPO_ROOT = path.join(__dirname, "..", "..");

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `plan ARGS…` under tsx from the repository root; resolves (never rejects) with the result. */
export function runPlanCli(args: readonly string[], timeout = 60_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", path.join(REPO_ROOT, "cli", "main.ts"), "plan", ...args],
      { cwd: REPO_ROOT, timeout, env: { ...process.env, NODE_OPTIONS: "" } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? -1) : 0;
        resolve({ code: typeof code === "number" ? code : -1, stdout, stderr });
      },
    );
  });
}
