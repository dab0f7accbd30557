import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Pulumi mocks are process-global state: each test file gets its own worker.
    pool: "forks",
    testTimeout: 30_000,
    // In CI, also a machine-readable report: .ci/run prints its plain "N passed, N failed".
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".vitest-report.json" }]]
      : ["default"],
  },
});
