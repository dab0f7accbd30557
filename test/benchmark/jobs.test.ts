import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stackServers } from "../../cli/benchmark-servers";
import { busBandwidthFactor } from "../../components/benchmark/bandwidth";
import { NCCL_TEST_PY } from "../../components/benchmark/nccl-test";
import { vllmBenchmarkPlan } from "../../components/benchmark/plan";
import { parseServingResult } from "../../components/benchmark/results";
import { RESULT_MARKER, SERVING_BENCHMARK_SCRIPT } from "../../components/benchmark/serving-job";
import { ConfigError } from "../../components/validation";
import { vllmServerPlan } from "../../components/vllm/plan";
import { expectValidManifest } from "../support/k8s-schema";
import { baseArgs, PROFILE_ARGS } from "../vllm/fixtures";

/** The home lab's server as the shipped example config defines it. */
const homelabArgs = () => stackServers("homelab")[0];

describe("serving benchmark Job", () => {
  const plan = vllmBenchmarkPlan({
    server: homelabArgs(),
    benchmark: { concurrency: [1, 4, 16, 64], apiKeySecret: { name: "vllm-api-key" } },
  });
  const pod = plan.job.spec?.template.spec;
  const container = pod?.containers[0];
  const env = Object.fromEntries(
    (container?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]),
  );

  it("is a valid Job in the server's namespace, on the server's image and Service", () => {
    expectValidManifest(plan.job);
    const server = vllmServerPlan(homelabArgs(), "vllm");
    expect(plan.job.metadata?.namespace).toBe("llm");
    expect(container?.image).toBe(server.config.image);
    expect(env.BASE_URL).toBe(server.url);
    expect(env.CONCURRENCY).toBe("1 4 16 64");
  });

  it("takes the API key and the HF token from Secrets, never as values", () => {
    expect(env.OPENAI_API_KEY).toEqual({ secretKeyRef: { name: "vllm-api-key", key: "api-key" } });
    expect(env.HF_TOKEN).toEqual({ secretKeyRef: { name: "hf-token", key: "token" } });
  });

  it("passes every flag the issue asks for", () => {
    for (const flag of [
      "--dataset-name random",
      "--random-input-len",
      "--random-output-len",
      "--max-concurrency",
      "--percentile-metrics ttft,tpot,itl,e2el",
      "--metric-percentiles 50,95,99",
      "--save-result",
      "--result-dir",
      "--metadata",
    ]) {
      expect(SERVING_BENCHMARK_SCRIPT).toContain(flag);
    }
  });

  it("passes shellcheck", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-sc-"));
    const file = join(dir, "bench.sh");
    writeFileSync(file, `#!/bin/bash\n${SERVING_BENCHMARK_SCRIPT}`);
    execFileSync("shellcheck", ["-s", "bash", file]);
  });

  /** A stub `vllm` that checks its flags like argparse and writes a result like serve.py. */
  function stubVllm(dir: string, failAt?: number): void {
    writeFileSync(
      join(dir, "vllm"),
      `#!/bin/bash
set -eu
[ "$1 $2" = "bench serve" ] || { echo "usage: vllm bench serve" >&2; exit 2; }
shift 2
declare -A a=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ignore-eos|--save-result|--disable-tqdm) a[$1]=1; shift ;;
    --*) [ $# -ge 2 ] || { echo "error: argument $1: expected one argument" >&2; exit 2; }; a[$1]=$2; shift 2 ;;
    *) echo "error: unrecognized arguments: $1" >&2; exit 2 ;;
  esac
done
if [ "\${a[--max-concurrency]}" = "${failAt ?? -1}" ]; then echo "ValueError: Initial test run failed" >&2; exit 1; fi
printf '{"date": "x", "server": "%s", "max_concurrency": %s, "num_prompts": %s, "request_throughput": 1.5, "output_throughput": 100.0, "total_token_throughput": 500.0, "p95_e2el_ms": NaN}' \\
  "\${a[--metadata]#server=}" "\${a[--max-concurrency]}" "\${a[--num-prompts]}" > "\${a[--result-dir]}/\${a[--result-filename]}"
`,
    );
    chmodSync(join(dir, "vllm"), 0o755);
  }

  function run(failAt?: number) {
    const dir = mkdtempSync(join(tmpdir(), "bench-run-"));
    stubVllm(dir, failAt);
    const vars = Object.fromEntries(
      Object.entries(env).filter(([, v]) => typeof v === "string") as [string, string][],
    );
    return spawnSync("bash", ["-c", SERVING_BENCHMARK_SCRIPT], {
      env: { ...vars, PATH: `${dir}:/usr/bin:/bin`, RESULT_DIR: join(dir, "results") },
      encoding: "utf8",
    });
  }

  it("runs every level and prints each result after its marker", () => {
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    const blocks = r.stdout.split(`${RESULT_MARKER} `).slice(1);
    expect(blocks).toHaveLength(4);
    const runs = blocks.map((b) => {
      const [file, json] = b.split("\n");
      return parseServingResult(json, file);
    });
    expect(runs.map((x) => [x.server, x.maxConcurrency])).toEqual([
      ["vllm", 1],
      ["vllm", 4],
      ["vllm", 16],
      ["vllm", 64],
    ]);
  });

  it("stops at the first failing level, with vLLM's error in the log", () => {
    const r = run(16);
    expect(r.status).toBe(1);
    expect(r.stdout.split(`${RESULT_MARKER} `)).toHaveLength(3);
    expect(r.stderr).toContain("Initial test run failed");
  });

  it.each([
    [{ concurrency: [] }, "benchmark.concurrency"],
    [{ concurrency: [0] }, "benchmark.concurrency[0]"],
    [{ inputLen: 0 }, "benchmark.inputLen"],
    [{ name: "Bench" }, "benchmark.name"],
  ])("rejects %j naming %s", (benchmark, path) => {
    try {
      vllmBenchmarkPlan({ server: homelabArgs(), benchmark: benchmark as never });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.path)).toContain(path);
    }
  });
});

describe("NCCL test", () => {
  it.each([
    ["home lab (roce-hostnet, 2 nodes)", homelabArgs(), 2],
    [
      "GKE (gke-rdma, 2 nodes of 8)",
      baseArgs({
        parallelism: { tensor: 8, pipeline: 2, nodes: 2, gpusPerNode: 8 },
        network: PROFILE_ARGS["gke-rdma"],
      }),
      16,
    ],
    [
      "one node, TP 4 (nvlink)",
      baseArgs({ parallelism: { tensor: 4 }, network: PROFILE_ARGS.nvlink }),
      4,
    ],
  ])("%s: same network profile as the server's pods", (_, server, ranks) => {
    const plan = vllmBenchmarkPlan({ server, nccl: true });
    const nccl = plan.nccl;
    if (!nccl) throw new Error("no NCCL plan");
    expectValidManifest(nccl.job);
    if (nccl.service) expectValidManifest(nccl.service);
    const s = vllmServerPlan(server, "vllm");
    const serverTemplate =
      s.leaderWorkerSet?.spec.leaderWorkerTemplate.workerTemplate ?? s.deployment?.spec?.template;
    const sp = serverTemplate?.spec;
    const tp = nccl.job.spec?.template;
    const np = tp?.spec;
    expect(np?.hostNetwork).toBe(sp?.hostNetwork);
    expect(np?.dnsPolicy).toBe(sp?.dnsPolicy);
    expect(np?.runtimeClassName).toBe(sp?.runtimeClassName);
    expect(np?.nodeSelector).toEqual(sp?.nodeSelector);
    expect(np?.volumes).toEqual(sp?.volumes);
    for (const [k, v] of Object.entries(s.config.network.annotations)) {
      expect(tp?.metadata?.annotations?.[k]).toBe(v);
    }
    const [nc] = np?.containers ?? [];
    const [sc] = sp?.containers ?? [];
    expect(nc.image).toBe(sc.image);
    expect(nc.securityContext).toEqual(sc.securityContext);
    expect(nc.resources).toEqual(sc.resources);
    expect(nc.volumeMounts).toEqual(sc.volumeMounts);
    expect(nc.env?.slice(0, sc.env?.length)).toEqual(sc.env);
    expect(nc.env).toContainEqual({
      name: "BUSBW_FACTOR_ALL_REDUCE",
      value: String(busBandwidthFactor("all_reduce", ranks)),
    });
    const script = nc.command?.[2] ?? "";
    for (const line of s.config.network.preamble) expect(script).toContain(line);
    expect(nccl.job.spec?.completions).toBe(s.config.parallelism.nodes);
    expect(Boolean(nccl.service)).toBe(s.config.parallelism.nodes > 1);
  });

  it("refuses a single-GPU server", () => {
    expect(() => vllmBenchmarkPlan({ server: baseArgs(), nccl: true })).toThrow(ConfigError);
  });

  it("its script compiles and its launcher passes shellcheck", () => {
    const dir = mkdtempSync(join(tmpdir(), "nccl-"));
    writeFileSync(join(dir, "nccl_bw.py"), NCCL_TEST_PY);
    execFileSync("python3", ["-m", "py_compile", join(dir, "nccl_bw.py")]);
    const plan = vllmBenchmarkPlan({ server: homelabArgs(), nccl: true });
    const script = plan.nccl?.job.spec?.template.spec?.containers[0].command?.[2] ?? "";
    writeFileSync(join(dir, "run.sh"), `#!/bin/bash\n${script}\n`);
    execFileSync("shellcheck", ["-s", "bash", join(dir, "run.sh")]);
    expect(readFileSync(join(dir, "run.sh"), "utf8")).toContain("torchrun --nnodes");
  });
});
