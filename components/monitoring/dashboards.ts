/**
 * Grafana dashboards as code, built with Grafana's own typed builders
 * (`@grafana/grafana-foundation-sdk`): a serving dashboard (vLLM's series, which NIM for LLMs
 * 2.0.x servers export too: `SERVING_METRICS` in vllm/nim.ts) and a GPU dashboard
 * (DCGM + RDMA port counters), shipped as ConfigMaps the Grafana sidecar of
 * kube-prometheus-stack loads (label `grafana_dashboard: "1"`, the chart's default
 * `grafana.sidecar.dashboards.label`/`labelValue` at 88.5.3).
 */
import {
  type Dashboard,
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as TimeseriesBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { SERVER_LABEL } from "./scrape";

/** Label and value the Grafana sidecar looks for on dashboard ConfigMaps. */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** The datasource every panel queries: the dashboard's `datasource` variable. */
const DS = { type: "prometheus", uid: "${datasource}" };

/** Matchers of the serving dashboard: the chosen server in the chosen namespace. */
const SERVER = `namespace="$namespace", ${SERVER_LABEL}="$server"`;
/** Matchers of the GPU dashboard: the chosen pod (one LWS group member per row). */
const POD = `namespace="$namespace", pod="$pod"`;

const PERCENTILES = [0.5, 0.95, 0.99] as const;

function panel(title: string, unit: string, w = 12): TimeseriesBuilder {
  return new TimeseriesBuilder()
    .title(title)
    .unit(unit)
    .datasource(DS)
    .gridPos({ x: 0, y: 0, w, h: 8 });
}

function target(expr: string, legend: string): DataqueryBuilder {
  return new DataqueryBuilder().expr(expr).legendFormat(legend);
}

/** P50/P95/P99 of a vLLM histogram, per pod (the leader of each LWS group). */
function quantilePanel(title: string, histogram: string): TimeseriesBuilder {
  let p = panel(title, "s");
  for (const q of PERCENTILES) {
    p = p.withTarget(
      target(
        `histogram_quantile(${q}, sum by (le, pod) (rate(${histogram}_bucket{${SERVER}}[$__rate_interval])))`,
        `P${q * 100} {{pod}}`,
      ),
    );
  }
  return p;
}

function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus");
}

function queryVariable(name: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name).datasource(DS).query(query).refresh(2).sort(1);
}

/** Lays panels out two per row, in order (the SDK leaves positions to the caller). */
function laidOut(b: DashboardBuilder, panels: TimeseriesBuilder[], startY: number): number {
  let y = startY;
  panels.forEach((p, i) => {
    const x = (i % 2) * 12;
    if (i > 0 && x === 0) y += 8;
    b.withPanel(p.gridPos({ x, y, w: 12, h: 8 }));
  });
  return y + 8;
}

/**
 * The serving dashboard: requests running/waiting, TTFT / inter-token / end-to-end latency
 * at P50/P95/P99, prompt and generation tokens/s, KV-cache usage, prefix-cache hit rate and
 * preemptions, one line per serving pod (each LWS group's leader).
 */
export function servingDashboard(): Dashboard {
  const b = new DashboardBuilder("vLLM serving")
    .uid("llm-serving-vllm")
    .tags(["llm-serving", "vllm"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .withVariable(datasourceVariable())
    .withVariable(
      queryVariable("server", `label_values(vllm:num_requests_running, ${SERVER_LABEL})`),
    )
    .withVariable(
      queryVariable(
        "namespace",
        `label_values(vllm:num_requests_running{${SERVER_LABEL}="$server"}, namespace)`,
      ),
    );
  laidOut(
    b,
    [
      panel("Requests running / waiting", "short")
        .withTarget(
          target(`sum by (pod) (vllm:num_requests_running{${SERVER}})`, "running {{pod}}"),
        )
        .withTarget(
          target(`sum by (pod) (vllm:num_requests_waiting{${SERVER}})`, "waiting {{pod}}"),
        ),
      quantilePanel("Time to first token", "vllm:time_to_first_token_seconds"),
      quantilePanel("Inter-token latency", "vllm:inter_token_latency_seconds"),
      quantilePanel("End-to-end request latency", "vllm:e2e_request_latency_seconds"),
      panel("Tokens per second", "short")
        .withTarget(
          target(
            `sum by (pod) (rate(vllm:prompt_tokens_total{${SERVER}}[$__rate_interval]))`,
            "prompt {{pod}}",
          ),
        )
        .withTarget(
          target(
            `sum by (pod) (rate(vllm:generation_tokens_total{${SERVER}}[$__rate_interval]))`,
            "generation {{pod}}",
          ),
        ),
      panel("KV-cache usage", "percentunit").withTarget(
        target(`max by (pod) (vllm:kv_cache_usage_perc{${SERVER}})`, "{{pod}}"),
      ),
      panel("Prefix-cache hit rate", "percentunit").withTarget(
        target(
          `sum by (pod) (rate(vllm:prefix_cache_hits_total{${SERVER}}[$__rate_interval])) / clamp_min(sum by (pod) (rate(vllm:prefix_cache_queries_total{${SERVER}}[$__rate_interval])), 1)`,
          "{{pod}}",
        ),
      ),
      panel("Preemptions", "short").withTarget(
        target(
          `sum by (pod) (increase(vllm:num_preemptions_total{${SERVER}}[$__rate_interval]))`,
          "{{pod}}",
        ),
      ),
    ],
    0,
  );
  return b.build();
}

/**
 * The GPU dashboard: one row per pod of the chosen server (every LWS group member, leader
 * and workers), repeated by Grafana over the `pod` variable, each with utilisation, memory,
 * power, temperature, NVLink and PCIe traffic and XID errors of that pod's GPUs; then the
 * RDMA/RoCE port traffic of every node.
 */
export function gpuDashboard(): Dashboard {
  const b = new DashboardBuilder("GPUs and interconnect")
    .uid("llm-serving-gpu")
    .tags(["llm-serving", "gpu", "dcgm"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .withVariable(datasourceVariable())
    .withVariable(queryVariable("namespace", "label_values(DCGM_FI_DEV_GPU_UTIL, namespace)"))
    .withVariable(
      queryVariable("pod", 'label_values(DCGM_FI_DEV_GPU_UTIL{namespace="$namespace"}, pod)')
        .multi(true)
        .includeAll(true),
    );
  b.withRow(new RowBuilder("GPUs of $pod").repeat("pod").gridPos({ x: 0, y: 0, w: 24, h: 1 }));
  const y = laidOut(
    b,
    [
      panel("GPU utilisation", "percent").withTarget(
        target(`DCGM_FI_DEV_GPU_UTIL{${POD}}`, "GPU {{gpu}}"),
      ),
      panel("Framebuffer memory", "mbytes")
        .withTarget(target(`DCGM_FI_DEV_FB_USED{${POD}}`, "used GPU {{gpu}}"))
        .withTarget(target(`DCGM_FI_DEV_FB_FREE{${POD}}`, "free GPU {{gpu}}")),
      panel("Power", "watt").withTarget(target(`DCGM_FI_DEV_POWER_USAGE{${POD}}`, "GPU {{gpu}}")),
      panel("Temperature", "celsius")
        .withTarget(target(`DCGM_FI_DEV_GPU_TEMP{${POD}}`, "GPU {{gpu}}"))
        .withTarget(target(`DCGM_FI_DEV_MEMORY_TEMP{${POD}}`, "memory GPU {{gpu}}")),
      panel("NVLink traffic", "short").withTarget(
        target(`rate(DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL{${POD}}[$__rate_interval])`, "GPU {{gpu}}"),
      ),
      panel("PCIe traffic", "Bps")
        .withTarget(target(`DCGM_FI_PROF_PCIE_TX_BYTES{${POD}}`, "tx GPU {{gpu}}"))
        .withTarget(target(`DCGM_FI_PROF_PCIE_RX_BYTES{${POD}}`, "rx GPU {{gpu}}")),
      panel("Last XID error", "none").withTarget(
        target(`DCGM_FI_DEV_XID_ERRORS{${POD}}`, "GPU {{gpu}}"),
      ),
      panel("Tensor pipe active", "percentunit").withTarget(
        target(`DCGM_FI_PROF_PIPE_TENSOR_ACTIVE{${POD}}`, "GPU {{gpu}}"),
      ),
    ],
    1,
  );
  b.withRow(new RowBuilder("RDMA / RoCE ports").gridPos({ x: 0, y, w: 24, h: 1 }));
  laidOut(
    b,
    [
      panel("RDMA port traffic", "Bps")
        .withTarget(
          target(
            "rate(node_infiniband_port_data_transmitted_bytes_total[$__rate_interval])",
            "tx {{instance}} {{device}}/{{port}}",
          ),
        )
        .withTarget(
          target(
            "rate(node_infiniband_port_data_received_bytes_total[$__rate_interval])",
            "rx {{instance}} {{device}}/{{port}}",
          ),
        ),
      panel("RDMA port errors and discards", "short")
        .withTarget(
          target(
            "rate(node_infiniband_port_errors_received_total[$__rate_interval])",
            "errors {{instance}} {{device}}/{{port}}",
          ),
        )
        .withTarget(
          target(
            "rate(node_infiniband_port_discards_received_total[$__rate_interval])",
            "discards {{instance}} {{device}}/{{port}}",
          ),
        ),
    ],
    y + 1,
  );
  return b.build();
}

/**
 * Every PromQL expression of a dashboard: panel targets, and the selector inside each
 * `label_values(<selector>, <label>)` variable query (Grafana syntax around PromQL).
 */
export function dashboardQueries(d: Dashboard): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (k === "expr" && typeof child === "string") out.push(child);
        else walk(child);
      }
    }
  };
  walk(d.panels ?? []);
  for (const variable of d.templating?.list ?? []) {
    if (variable.type !== "query" || typeof variable.query !== "string") continue;
    const m = /^label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$/.exec(variable.query);
    out.push(m ? m[1] : variable.query);
  }
  return out;
}

/** The ConfigMap the Grafana sidecar loads a dashboard from. */
export function dashboardConfigMap(name: string, namespace: string, d: Dashboard): IConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      labels: { ...DASHBOARD_LABEL, "app.kubernetes.io/part-of": "llm-serving" },
    },
    data: { [`${name}.json`]: JSON.stringify(d, null, 1) },
  };
}
