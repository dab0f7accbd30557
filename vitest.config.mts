import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

const TESTS = "test/**/*.test.ts";

/*
 * Files that run Pulumi programs in this process (mocks, the plan recorder, a mock engine) or
 * change process-wide state need a fresh module graph each: Pulumi's runtime settings are
 * process-global. Every other file is pure and shares its worker's modules with the next one,
 * which saves re-importing @pulumi/pulumi, kubernetes-models and the rules for every file
 * (about 40 % of the suite's CPU time).
 */
const NEEDS_ISOLATION =
  /recorder|stack-run|plan-mocks|plan-run|stack-support|support\/outputs|mock-monitor|runtime|cli\/main|cli\/plan|process\.chdir|vi\.mock|process\.env\.[A-Z_]+ *=/;
const isolated = readdirSync("test", { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".test.ts"))
  .map((file) => join("test", file))
  .filter((file) => NEEDS_ISOLATION.test(readFileSync(file, "utf8")));

export default defineConfig({
  test: {
    pool: "forks",
    testTimeout: 30_000,
    // In CI, also a machine-readable report: .ci/run prints its plain "N passed, N failed".
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".vitest-report.json" }]]
      : ["default"],
    projects: [
      { extends: true, test: { name: "isolated", include: isolated } },
      {
        extends: true,
        test: { name: "shared", include: [TESTS], exclude: isolated, isolate: false },
      },
    ],
  },
});
