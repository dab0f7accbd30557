import { describe, expect, it } from "vitest";
import { alertPrometheusRule, alertRules } from "../../components/monitoring/alerts";
import {
  DASHBOARD_LABEL,
  dashboardQueries,
  gpuDashboard,
  servingDashboard,
} from "../../components/monitoring/dashboards";
import { allowedMetricNames, expositionNames } from "../../components/monitoring/metrics";
import { monitoringPlan } from "../../components/monitoring/plan";
import { checkPromql } from "../../components/monitoring/promql";
import { vllmPodMonitor } from "../../components/monitoring/scrape";
import { ConfigError } from "../../components/validation";
import { API_CLIENT_LABEL } from "../../components/vllm/network-policy";
import { SERVING_METRICS } from "../../components/vllm/nim";
import { vllmServerPlan } from "../../components/vllm/plan";
import { HTTP_PORT_NAME } from "../../components/vllm/workload";
import { expectValidManifest } from "../support/k8s-schema";
import { baseArgs, PROFILE_ARGS } from "../vllm/fixtures";
import { promOperatorProblems } from "./prom-schema";

const allowed = allowedMetricNames();

describe("PromQL checks", () => {
  it("accepts valid expressions and lists the metrics they select", () => {
    expect(
      checkPromql(
        'histogram_quantile(0.95, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket{server="a"}[$__rate_interval])))',
        allowed,
      ),
    ).toEqual({ metrics: ["vllm:e2e_request_latency_seconds_bucket"], problems: [] });
    expect(checkPromql('{__name__="up"} == 0', allowed).metrics).toEqual(["up"]);
    expect(checkPromql("DCGM_FI_DEV_GPU_UTIL > 90", allowed).problems).toEqual([]);
  });

  it.each([
    ["unbalanced parentheses", "sum(rate(vllm:prompt_tokens_total[5m])"],
    ["a dangling operator", "vllm:num_requests_running /"],
    ["an empty expression", "  "],
  ])("rejects %s", (_, expr) => {
    expect(checkPromql(expr, allowed).problems.length).toBeGreaterThan(0);
  });

  it.each([
    // Names vLLM's V0 engine exported and V1 removed.
    "vllm:gpu_cache_usage_perc",
    "vllm:time_per_output_token_seconds_bucket",
    "vllm:gpu_prefix_cache_hits_total",
    // A counter without the _total prometheus_client appends.
    "vllm:prompt_tokens",
    "DCGM_FI_DEV_NVLINK_BANDWIDTH_L0",
  ])("rejects the metric %s, which the pinned exporters do not export", (name) => {
    expect(checkPromql(`rate(${name}[5m])`, allowed).problems).toEqual([
      `metric ${name} is not exported by the pinned exporters`,
    ]);
  });

  it("expands counters and histograms to their exposition names", () => {
    expect(expositionNames({ name: "vllm:num_preemptions", kind: "counter" })).toEqual([
      "vllm:num_preemptions_total",
    ]);
    expect(expositionNames({ name: "vllm:iteration_tokens_total", kind: "histogram" })).toEqual([
      "vllm:iteration_tokens_total_bucket",
      "vllm:iteration_tokens_total_sum",
      "vllm:iteration_tokens_total_count",
    ]);
  });
});

describe("dashboards", () => {
  const dashboards = { serving: servingDashboard(), gpu: gpuDashboard() };

  it.each(Object.entries(dashboards))(
    "%s: every query parses and names only exported metrics",
    (_, d) => {
      const queries = dashboardQueries(d);
      expect(queries.length).toBeGreaterThan(5);
      for (const q of queries) {
        const { metrics, problems } = checkPromql(q, allowed);
        expect(problems, q).toEqual([]);
        expect(metrics.length, q).toBeGreaterThan(0);
      }
    },
  );

  it("the serving dashboard covers what the issue lists", () => {
    const text = dashboardQueries(dashboards.serving).join("\n");
    for (const m of [
      "vllm:num_requests_running",
      "vllm:num_requests_waiting",
      "vllm:time_to_first_token_seconds_bucket",
      "vllm:inter_token_latency_seconds_bucket",
      "vllm:e2e_request_latency_seconds_bucket",
      "vllm:prompt_tokens_total",
      "vllm:generation_tokens_total",
      "vllm:kv_cache_usage_perc",
      "vllm:prefix_cache_hits_total",
      "vllm:num_preemptions_total",
    ]) {
      expect(text).toContain(m);
    }
    for (const q of [
      "histogram_quantile(0.5,",
      "histogram_quantile(0.95,",
      "histogram_quantile(0.99,",
    ]) {
      expect(text).toContain(q);
    }
  });

  it.each(Object.entries(SERVING_METRICS))(
    "a %s server's queue, KV cache, latency and tokens are charted (its runtime's names)",
    (_, m) => {
      const text = dashboardQueries(dashboards.serving).join("\n");
      for (const name of [
        m.waiting,
        m.running,
        m.kvCacheUsage,
        `${m.timeToFirstToken}_bucket`,
        `${m.e2eLatency}_bucket`,
        m.promptTokens,
        m.generationTokens,
      ]) {
        expect(text).toContain(`${name}{`);
      }
    },
  );

  it("the GPU dashboard repeats a row per pod (every LWS group member) and shows RDMA ports", () => {
    const d = dashboards.gpu;
    const rows = (d.panels ?? []).filter((p) => p.type === "row");
    expect(rows[0]).toMatchObject({ repeat: "pod" });
    const text = dashboardQueries(d).join("\n");
    for (const m of [
      "DCGM_FI_DEV_GPU_UTIL",
      "DCGM_FI_DEV_FB_USED",
      "DCGM_FI_DEV_POWER_USAGE",
      "DCGM_FI_DEV_GPU_TEMP",
      "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL",
      "DCGM_FI_PROF_PCIE_TX_BYTES",
      "DCGM_FI_DEV_XID_ERRORS",
      "node_infiniband_port_data_transmitted_bytes_total",
    ]) {
      expect(text).toContain(m);
    }
  });

  it("panels do not overlap", () => {
    for (const d of Object.values(dashboards)) {
      const boxes = (d.panels ?? []).map(
        (p) => p.gridPos as { x: number; y: number; w: number; h: number },
      );
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i], boxes[j]];
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${i} and ${j}`).toBe(false);
        }
      }
    }
  });
});

describe("alert rules", () => {
  it("cover server down, queue growing, KV cache saturated and XID errors", () => {
    expect(alertRules().map((r) => r.alert)).toEqual([
      "VllmServerDown",
      "VllmQueueGrowing",
      "VllmKvCacheSaturated",
      "GpuXidError",
    ]);
  });

  it("every expression parses and names only exported metrics", () => {
    for (const r of alertRules({ queueWaiting: 3, kvCacheUsage: 0.9 })) {
      const { metrics, problems } = checkPromql(r.expr, allowed);
      expect(problems, r.expr).toEqual([]);
      expect(metrics.length).toBeGreaterThan(0);
    }
  });

  it.each(Object.entries(SERVING_METRICS))(
    "a %s server's queue and KV cache are alerted on (its runtime's names)",
    (_, m) => {
      const exprs = alertRules().map((r) => checkPromql(r.expr).metrics);
      expect(exprs.some((names) => names.includes(m.waiting))).toBe(true);
      expect(exprs.some((names) => names.includes(m.kvCacheUsage))).toBe(true);
    },
  );

  it("the PrometheusRule is valid against the prometheus-operator CRD", () => {
    expect(promOperatorProblems(alertPrometheusRule("monitoring")).problems).toEqual([]);
  });
});

describe("PodMonitor ↔ VllmServer", () => {
  const cases = [
    { title: "single node (Deployment)", parallelism: { tensor: 2 }, network: PROFILE_ARGS.nvlink },
    {
      title: "two nodes (LeaderWorkerSet, home lab)",
      parallelism: { tensor: 2, nodes: 2, gpusPerNode: 1 },
      network: PROFILE_ARGS["roce-hostnet"],
    },
    {
      title: "two nodes of 8 GPUs (GKE)",
      parallelism: { tensor: 8, pipeline: 2, nodes: 2, gpusPerNode: 8 },
      network: PROFILE_ARGS["gke-rdma"],
    },
  ];

  it.each(cases)("$title: selects exactly the serving pods, on a port they declare", (c) => {
    const plan = vllmServerPlan(
      baseArgs({ parallelism: c.parallelism, network: c.network }),
      "chat",
    );
    const pm = vllmPodMonitor(
      { name: "chat", namespace: plan.config.namespace, nodes: plan.config.parallelism.nodes },
      "monitoring",
    );
    expect(promOperatorProblems(pm).problems).toEqual([]);
    expect(pm.spec.namespaceSelector).toEqual({ matchNames: ["llm"] });
    const selector = pm.spec.selector.matchLabels ?? {};
    // The same pods the server's Service selects.
    expect(selector).toEqual(plan.service.spec?.selector);
    const lws = plan.leaderWorkerSet?.spec.leaderWorkerTemplate;
    const templates = plan.deployment
      ? [{ role: "server", t: plan.deployment.spec?.template, serves: true }]
      : [
          { role: "leader", t: lws?.leaderTemplate, serves: true },
          { role: "worker", t: lws?.workerTemplate, serves: false },
        ];
    for (const { role, t, serves } of templates) {
      // LWS adds its own labels to each pod: name and worker index (0 = leader).
      const podLabels: Record<string, string> = {
        ...t?.metadata?.labels,
        ...(lws
          ? {
              "leaderworkerset.sigs.k8s.io/name": "chat",
              "leaderworkerset.sigs.k8s.io/worker-index": role === "leader" ? "0" : "1",
            }
          : {}),
      };
      const matches = Object.entries(selector).every(([k, v]) => podLabels[k] === v);
      expect(matches, role).toBe(serves);
      if (serves) {
        const ports = t?.spec?.containers.flatMap((ct) => ct.ports ?? []) ?? [];
        const port = pm.spec.podMetricsEndpoints?.[0].port;
        expect(port).toBe(HTTP_PORT_NAME);
        expect(ports.map((p) => p.name)).toContain(port);
      }
    }
  });

  it("labels multi-node series with the LWS group", () => {
    const pm = vllmPodMonitor({ name: "big", namespace: "llm", nodes: 2 }, "monitoring");
    expect(pm.spec.podMetricsEndpoints?.[0].relabelings).toContainEqual({
      action: "replace",
      sourceLabels: ["__meta_kubernetes_pod_label_leaderworkerset_sigs_k8s_io_group_index"],
      targetLabel: "group",
    });
  });
});

describe("monitoringPlan", () => {
  const plan = monitoringPlan({ servers: [{ name: "vllm", namespace: "llm", nodes: 2 }] });

  it("labels the namespace as an API client of the vLLM servers", () => {
    expect(plan.namespace.metadata?.labels?.[API_CLIENT_LABEL]).toBe("true");
    expect(plan.namespace.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe(
      "privileged",
    );
    expectValidManifest(plan.namespace);
  });

  it("ships dashboards with the label the chart's Grafana sidecar watches", () => {
    const sidecar = plan.release.values.grafana.sidecar.dashboards;
    for (const cm of plan.dashboards) {
      expect(cm.metadata?.labels?.[sidecar.label]).toBe(sidecar.labelValue);
      expect(cm.metadata?.labels).toMatchObject(DASHBOARD_LABEL);
      expectValidManifest(cm);
      const [json] = Object.values(cm.data ?? {});
      expect(JSON.parse(json).uid).toMatch(/^llm-serving-/);
    }
  });

  it("gives Grafana its admin credentials from the generated Secret", () => {
    expect(plan.release.values.grafana.admin).toEqual({
      existingSecret: "monitoring-grafana-admin",
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
    expect(plan.grafanaPortForward).toBe(
      "kubectl -n monitoring port-forward svc/monitoring-grafana 3000:80",
    );
  });

  it("lets Prometheus pick up monitors and rules without the release label", () => {
    expect(plan.release.values.prometheus.prometheusSpec).toMatchObject({
      podMonitorSelectorNilUsesHelmValues: false,
      serviceMonitorSelectorNilUsesHelmValues: false,
      ruleSelectorNilUsesHelmValues: false,
    });
    expect(plan.podMonitors.map((p) => p.metadata?.name)).toEqual(["vllm-vllm"]);
  });

  it.each([
    [{ namespace: "Mon" }, "namespace"],
    [{ version: "v88.5.3" }, "version"],
    [{ retention: "two weeks" }, "retention"],
    [
      {
        servers: [
          { name: "a", namespace: "llm" },
          { name: "a", namespace: "llm2" },
        ],
      },
      "servers[1].name",
    ],
    [{ alerts: { kvCacheUsage: 1.5 } }, "alerts.kvCacheUsage"],
  ])("rejects %j naming %s", (args, path) => {
    try {
      monitoringPlan(args as never);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.path)).toContain(path);
    }
  });
});

describe("the schema check itself", () => {
  it("fails a PodMonitor with a misspelt field or a missing port", () => {
    const pm = vllmPodMonitor({ name: "a", namespace: "llm" }, "monitoring");
    const typo = { ...pm, spec: { ...pm.spec, podMetricEndpoints: pm.spec.podMetricsEndpoints } };
    const result = promOperatorProblems(typo);
    if (result.strict) expect(result.problems.join("\n")).toContain("additional properties");
    const badInterval = {
      ...pm,
      spec: { ...pm.spec, podMetricsEndpoints: [{ port: "http", interval: "soon" }] },
    };
    expect(promOperatorProblems(badInterval).problems.length).toBeGreaterThan(0);
  });
});
