import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const TESTS = "test/**/*.test.ts";

/*
 * Three projects, by what a test file does to its process:
 *
 * - "isolated": it changes what no reset restores (cwd, env, module mocks, spies, the CLI's
 *   in-process `runPlan`/`main`/`runProgram`, a mock engine's gRPC server): a fresh process
 *   per file.
 * - "pulumi": it runs Pulumi programs under mocks (the recorder, the stack/plan runners,
 *   `pulumi.runtime`). Pulumi's runtime state is process-global, but a fresh process per file
 *   cost about 2.5 s of CPU each, mostly re-loading @pulumi/pulumi (and the TypeScript compiler
 *   it loads), @pulumi/kubernetes and kubernetes-models. These files share their worker;
 *   `test/support/fresh-pulumi.ts` gives each a fresh Pulumi runtime and fresh project modules.
 * - "shared": everything else is pure and shares its worker's modules with the next file.
 *
 * The patterns name exactly those things: a bare word like "runtime" matched
 * `runtimeClassName` and `process.env.X =` matched `===`, which isolated a third of the pure
 * files for nothing.
 */
/** Files that run Pulumi programs in this process. */
const RUNS_PULUMI =
  /recordRegistrations|stack-run|plan-mocks|stack-support|support\/outputs|pulumi\.runtime|@pulumi\/pulumi\/runtime/;
/**
 * Files that change process state no per-file reset restores (`plan-run` chdirs and loads the
 * program through Node's own module cache, which `vi.resetModules` does not clear).
 */
const NEEDS_PROCESS =
  /mock-monitor|cli\/main"|cli\/plan"|plan-run|process\.chdir|vi\.(mock|spyOn|stub)|process\.env(\.\w+|\[[^\]]+\]) *=(?!=)|delete process\.env/;
const files = readdirSync("test", { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".test.ts"))
  .map((file) => join("test", file))
  .map((file) => ({ file, text: readFileSync(file, "utf8") }));
const isolated = files.filter(({ text }) => NEEDS_PROCESS.test(text)).map(({ file }) => file);
const pulumi = files
  .filter(({ text }) => !NEEDS_PROCESS.test(text) && RUNS_PULUMI.test(text))
  .map(({ file }) => file);

/**
 * The files that take longest (seconds of wall time each on the 2-core CI machine, most of it
 * in child processes: the provider plugin, `plan` runs, bash with stub commands), longest
 * first. A clean checkout has no duration cache, so Vitest would order them by file size and
 * one could start last and run alone at the end; started first, the short files fill the
 * other worker meanwhile. A file missing here only loses that head start.
 */
const SLOW_FIRST = [
  // isolated
  "test/provider/schema.test.ts",
  "test/cli/plan-against.test.ts",
  "test/cli/plan.test.ts",
  // pulumi
  "test/nfs/nfs.test.ts",
  "test/vllm/injection.test.ts",
  // shared
  "test/stacks/plan-stacks.test.ts",
  "test/stacks/homelab-against.test.ts",
  "test/microk8s/join-scripts.test.ts",
  "test/cli/check-bench.test.ts",
  "test/cli/check-input.test.ts",
  "test/provider/policy-pack.test.ts",
  "test/coldstart/prefetch-script.test.ts",
  "test/microk8s/delete-scripts.test.ts",
  "test/microk8s/scripts.test.ts",
  "test/microk8s/preflight-scripts.test.ts",
  "test/cli/check.test.ts",
  "test/policy/analyzer.test.ts",
  "test/vllm/rollout-placement.test.ts",
];

/**
 * Vitest's order (the projects in blocks: isolated, pulumi, shared; within each by cached
 * duration or size), except that the {@link SLOW_FIRST} files lead their project's block. The
 * blocks stay whole: a worker keeps its module graph only while the next queued file belongs
 * to the same project.
 */
class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const blocks = [...new Set(base.map((spec) => spec.project.name))];
    const rank = (spec: TestSpecification) => {
      const i = SLOW_FIRST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    const block = (spec: TestSpecification) => blocks.indexOf(spec.project.name);
    return base
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => block(a.spec) - block(b.spec) || rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map(({ spec }) => spec);
  }
}

export default defineConfig({
  test: {
    pool: "forks",
    // Vitest's default for `run` is one worker less than the cores: ONE on the 2-core CI
    // machine, which then idles a core while a file waits on its child processes.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: SlowFirstSequencer },
    // One temporary root for the whole run, removed at its end (test/support/temp-root.ts).
    globalSetup: ["test/support/temp-root.ts"],
    testTimeout: 30_000,
    // In CI, also a machine-readable report: .ci/run prints its plain "N passed, N failed".
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".vitest-report.json" }]]
      : ["default"],
    projects: [
      { extends: true, test: { name: "isolated", include: isolated } },
      {
        extends: true,
        test: {
          name: "pulumi",
          include: pulumi,
          isolate: false,
          setupFiles: ["test/support/fresh-pulumi.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "shared",
          include: [TESTS],
          exclude: [...isolated, ...pulumi],
          isolate: false,
        },
      },
    ],
  },
});
