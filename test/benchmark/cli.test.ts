import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { resultsFromLog, runBenchmark } from "../../cli/benchmark";
import { stackServers } from "../../cli/benchmark-servers";
import { parseServingResult } from "../../components/benchmark/results";
import { RESULT_MARKER } from "../../components/benchmark/serving-job";
import { vllmServerPlan } from "../../components/vllm/plan";
import { expectValidManifest } from "../support/k8s-schema";
import { capture } from "./capture";

describe("benchmark --dry-run", () => {
  it("writes a benchmark Job and an NCCL test whose pods carry the server's network profile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-dry-"));
    const { text, out } = capture();
    expect(await runBenchmark(["homelab", "--dry-run", "--nccl", "--out", dir], out)).toBe(0);
    expect(text.stdout).toContain("vllm-bench.yaml");
    const docs = readdirSync(join(dir, "manifests")).flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, "manifests", f), "utf8")).map((d) => d.toJSON()),
    );
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      "Job/vllm-bench",
      "Job/vllm-nccl",
      "Service/vllm-nccl",
    ]);
    for (const d of docs) expectValidManifest(d);
    const server = vllmServerPlan(stackServers("homelab")[0], "vllm");
    const worker = server.leaderWorkerSet?.spec.leaderWorkerTemplate.workerTemplate.spec;
    const nccl = docs.find((d) => d.metadata.name === "vllm-nccl" && d.kind === "Job").spec.template
      .spec;
    expect(nccl.hostNetwork).toBe(true);
    expect(nccl.hostNetwork).toBe(worker?.hostNetwork);
    expect(nccl.containers[0].securityContext).toEqual(worker?.containers[0].securityContext);
    expect(nccl.containers[0].env.slice(0, worker?.containers[0].env?.length)).toEqual(
      worker?.containers[0].env,
    );
    const bench = docs.find((d) => d.metadata.name === "vllm-bench").spec.template.spec;
    expect(bench.containers[0].image).toBe(server.config.image);
  });

  it.each([
    [["nowhere"], /STACK: must be one of homelab, gke/],
    [["homelab", "--concurrency", "1,x"], /--concurrency: must be a positive integer/],
    [["homelab", "--server", "nope", "--dry-run"], /no server named 'nope'/],
    [["homelab", "--bogus"], /--bogus: unknown option/],
  ])("%j exits 2 naming the problem", async (argv, message) => {
    const { text, out } = capture();
    expect(await runBenchmark(argv as string[], out)).toBe(2);
    expect(text.stderr).toMatch(message);
    expect(text.stderr).not.toMatch(/\n\s+at /);
  });
});

/** A loopback API server speaking the paths `benchmark` uses. */
interface FakeCluster {
  server: Server;
  requests: { method: string; path: string; auth?: string; body?: unknown }[];
  kubeconfig: string;
}

function result(server: string, c: number): string {
  return JSON.stringify({
    date: "20261129-100000",
    server,
    max_concurrency: c,
    request_throughput: c / 2,
    output_throughput: c * 50,
    total_token_throughput: c * 250,
    p50_ttft_ms: 10,
    p95_ttft_ms: 20,
    p99_ttft_ms: 30,
  });
}

async function fakeCluster(jobOutcome: "succeeded" | "failed"): Promise<FakeCluster> {
  const requests: FakeCluster["requests"] = [];
  const polls: Record<string, number> = {};
  const completions: Record<string, number> = {};
  const body = (req: IncomingMessage) =>
    new Promise<unknown>((resolve) => {
      let data = "";
      req.on("data", (c) => (data += c));
      req.on("end", () => resolve(data ? JSON.parse(data) : undefined));
    });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push({
      method: req.method ?? "",
      path: url.pathname + url.search,
      auth: req.headers.authorization,
      body: await body(req),
    });
    const json = (code: number, o: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(o));
    };
    let m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/.exec(url.pathname);
    if (m && req.method === "POST") {
      const job = requests.at(-1)?.body as {
        metadata: { name: string };
        spec: { completions?: number };
      };
      completions[job.metadata.name] = job.spec.completions ?? 1;
      return json(201, job);
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/services$/.exec(url.pathname);
    if (m && req.method === "POST") return json(201, requests.at(-1)?.body);
    m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)\/status$/.exec(url.pathname);
    if (m && req.method === "GET") {
      polls[m[2]] = (polls[m[2]] ?? 0) + 1;
      const done = polls[m[2]] >= 3;
      const status = !done
        ? { active: 1 }
        : jobOutcome === "succeeded"
          ? { succeeded: completions[m[2]] }
          : { failed: 1 };
      return json(200, { apiVersion: "batch/v1", kind: "Job", metadata: { name: m[2] }, status });
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (m && req.method === "GET") {
      const job = (url.searchParams.get("labelSelector") ?? "").replace("job-name=", "");
      return json(200, {
        apiVersion: "v1",
        kind: "PodList",
        metadata: {},
        items: [
          {
            metadata: {
              name: `${job}-0-abcde`,
              annotations: { "batch.kubernetes.io/job-completion-index": "0" },
            },
            status: { phase: "Running" },
          },
        ],
      });
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (m && req.method === "GET") {
      res.writeHead(200, { "content-type": "text/plain" });
      const lines = ["benchmark: vllm max-concurrency 1, 16 prompts"];
      for (const c of [1, 4])
        lines.push(`${RESULT_MARKER} vllm-concurrency${c}.json`, result("vllm", c), "");
      return res.end(lines.join("\n"));
    }
    json(404, { kind: "Status", code: 404, message: `no route ${req.method} ${url.pathname}` });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), "fake-k8s-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: loopback-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
  );
  return { server, requests, kubeconfig };
}

describe("benchmark against a cluster (loopback API server)", () => {
  let ok: FakeCluster;
  let bad: FakeCluster;
  beforeAll(async () => {
    [ok, bad] = await Promise.all([fakeCluster("succeeded"), fakeCluster("failed")]);
  });
  afterAll(() => {
    ok.server.close();
    bad.server.close();
  });

  it("applies the Jobs, shows progress, collects the results from the logs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-run-"));
    const { text, out } = capture();
    const code = await runBenchmark(
      ["homelab", "--kubeconfig", ok.kubeconfig, "--nccl", "--out", dir, "--concurrency", "1,4"],
      out,
      { pollMs: 5 },
    );
    expect(code, text.stderr).toBe(0);
    const calls = ok.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toContain("POST /api/v1/namespaces/llm/services");
    expect(calls).toContain("POST /apis/batch/v1/namespaces/llm/jobs");
    expect(calls).toContain("GET /apis/batch/v1/namespaces/llm/jobs/vllm-bench/status");
    expect(calls).toContain("GET /api/v1/namespaces/llm/pods/vllm-bench-0-abcde/log");
    expect(ok.requests.every((r) => r.auth === "Bearer loopback-token")).toBe(true);
    const posted = ok.requests
      .filter((r) => r.method === "POST" && r.path.endsWith("/jobs"))
      .map((r) => (r.body as { metadata: { name: string } }).metadata.name);
    expect(posted).toEqual(["vllm-nccl", "vllm-bench"]);
    expect(text.stderr).toMatch(/job llm\/vllm-bench: 1 running, 0\/1 done, 0 failed/);
    expect(text.stderr).toMatch(/job llm\/vllm-bench: succeeded/);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["vllm-concurrency1.json", "vllm-concurrency4.json", "vllm-nccl.log"]);
    const run = parseServingResult(readFileSync(join(dir, "vllm-concurrency4.json"), "utf8"), "f");
    expect(run).toMatchObject({ server: "vllm", maxConcurrency: 4, outputThroughput: 200 });
  });

  it("exits 1 when a Job fails, after writing what it could", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-fail-"));
    const { text, out } = capture();
    expect(
      await runBenchmark(["homelab", "--kubeconfig", bad.kubeconfig, "--out", dir], out, {
        pollMs: 5,
      }),
    ).toBe(1);
    expect(text.stderr).toMatch(/FAILED/);
  });

  it("splits logs at the markers only", () => {
    expect(
      resultsFromLog(`x\n${RESULT_MARKER} a.json\n{"a": 1}\n${RESULT_MARKER} b.json\nnot json\n`),
    ).toEqual([{ file: "a.json", json: '{"a": 1}' }]);
  });
});
