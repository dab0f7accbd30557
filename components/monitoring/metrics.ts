/**
 * The metric names dashboards and alerts may use: exactly what the pinned exporters export.
 * A dashboard naming a metric that is not here shows "No data" forever, so every PromQL
 * expression this project renders is checked against these lists (see `promql.ts`).
 *
 * Names are the Prometheus exposition names: `prometheus_client` (Python) adds `_total` to
 * a Counter's name and exposes a Histogram as `_bucket`, `_sum` and `_count`.
 */

/** How an exporter declares a metric; decides the exposition names. */
export type MetricKind = "gauge" | "counter" | "histogram";

/** One metric as its exporter declares it. */
export interface MetricSpec {
  /** Declared name (before `_total` / `_bucket` suffixes). */
  name: string;
  /** Declared type. */
  kind: MetricKind;
}

/**
 * vLLM's V1 engine metrics (`PrometheusStatLogger` in `vllm/v1/metrics/loggers.py`,
 * vllm-project/vllm). Checked against that file at the newest revision this project could
 * read, plus the V1 renames the project verified at v0.31.0 (docs/architecture.md, "facts
 * that bite"): `vllm:kv_cache_usage_perc` replaces `vllm:gpu_cache_usage_perc`,
 * `vllm:inter_token_latency_seconds` replaces `vllm:time_per_output_token_seconds`, and
 * `vllm:prefix_cache_{queries,hits}` replace the `gpu_`-prefixed counters. The old names
 * are deliberately absent, so using one fails the tests.
 *
 * NIM for LLMs 2.0.x servers export these same series on `/v1/metrics`: NIM's proxy passes
 * the vLLM backend's metrics through unrenamed (docs.nvidia.com/nim/large-language-models,
 * 2.0.0 and 2.0.8 reference/architecture; 2.x reference/logging-and-observability). NIM
 * 1.x's unprefixed names (`num_requests_waiting`, `gpu_cache_usage_perc`, …) are not
 * listed: a 2.0.x server has none of them.
 */
export const VLLM_METRICS: readonly MetricSpec[] = [
  { name: "vllm:num_requests_running", kind: "gauge" },
  { name: "vllm:num_requests_waiting", kind: "gauge" },
  { name: "vllm:kv_cache_usage_perc", kind: "gauge" },
  { name: "vllm:prefix_cache_queries", kind: "counter" },
  { name: "vllm:prefix_cache_hits", kind: "counter" },
  { name: "vllm:num_preemptions", kind: "counter" },
  { name: "vllm:prompt_tokens", kind: "counter" },
  { name: "vllm:generation_tokens", kind: "counter" },
  { name: "vllm:request_success", kind: "counter" },
  { name: "vllm:request_prompt_tokens", kind: "histogram" },
  { name: "vllm:request_generation_tokens", kind: "histogram" },
  { name: "vllm:iteration_tokens_total", kind: "histogram" },
  { name: "vllm:time_to_first_token_seconds", kind: "histogram" },
  { name: "vllm:inter_token_latency_seconds", kind: "histogram" },
  { name: "vllm:e2e_request_latency_seconds", kind: "histogram" },
  { name: "vllm:request_queue_time_seconds", kind: "histogram" },
  { name: "vllm:request_prefill_time_seconds", kind: "histogram" },
  { name: "vllm:request_decode_time_seconds", kind: "histogram" },
];

/**
 * DCGM exporter's default counters: NVIDIA/dcgm-exporter `etc/default-counters.csv` at tag
 * `4.4.2-4.7.0`, the exporter image GPU Operator chart v25.10.1 pins
 * (`dcgmExporter.version` in its values.yaml). All are exposed as written (DCGM names carry
 * no `_total`), so each is listed as a gauge here whatever the CSV's type column says.
 */
export const DCGM_METRICS: readonly MetricSpec[] = [
  "DCGM_FI_DEV_SM_CLOCK",
  "DCGM_FI_DEV_MEM_CLOCK",
  "DCGM_FI_DEV_MEMORY_TEMP",
  "DCGM_FI_DEV_GPU_TEMP",
  "DCGM_FI_DEV_POWER_USAGE",
  "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
  "DCGM_FI_DEV_PCIE_REPLAY_COUNTER",
  "DCGM_FI_DEV_GPU_UTIL",
  "DCGM_FI_DEV_MEM_COPY_UTIL",
  "DCGM_FI_DEV_ENC_UTIL",
  "DCGM_FI_DEV_DEC_UTIL",
  "DCGM_FI_DEV_XID_ERRORS",
  "DCGM_FI_DEV_FB_FREE",
  "DCGM_FI_DEV_FB_USED",
  "DCGM_FI_DEV_FB_RESERVED",
  "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL",
  "DCGM_FI_DEV_VGPU_LICENSE_STATUS",
  "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",
  "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS",
  "DCGM_FI_DEV_ROW_REMAP_FAILURE",
  "DCGM_FI_DRIVER_VERSION",
  "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
  "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
  "DCGM_FI_PROF_DRAM_ACTIVE",
  "DCGM_FI_PROF_PCIE_TX_BYTES",
  "DCGM_FI_PROF_PCIE_RX_BYTES",
].map((name) => ({ name, kind: "gauge" as const }));

/**
 * RDMA/RoCE port counters: node_exporter's `infiniband` collector (on by default; reads
 * `/sys/class/infiniband`, where RoCE devices such as a DGX Spark's `rocep1s0f1` appear too),
 * prometheus/node_exporter v1.12.1 `collector/infiniband_linux.go` — the node exporter
 * kube-prometheus-stack 88.5.3 installs (prometheus-node-exporter chart 4.56.1). The
 * collector registers these names with `_total` already in them.
 */
export const RDMA_METRICS: readonly MetricSpec[] = [
  "node_infiniband_port_data_received_bytes_total",
  "node_infiniband_port_data_transmitted_bytes_total",
  "node_infiniband_port_packets_received_total",
  "node_infiniband_port_packets_transmitted_total",
  "node_infiniband_port_errors_received_total",
  "node_infiniband_port_discards_received_total",
  "node_infiniband_port_transmit_wait_total",
].map((name) => ({ name, kind: "gauge" as const }));

/** Prometheus' own per-target series (every scrape job has them). */
export const SCRAPE_METRICS: readonly MetricSpec[] = [{ name: "up", kind: "gauge" }];

/** The names a metric is exposed under, as a Prometheus query sees them. */
export function expositionNames(m: MetricSpec): string[] {
  switch (m.kind) {
    case "gauge":
      return [m.name];
    case "counter":
      // prometheus_client appends `_total` (and adds `_created`, which nobody queries).
      return [m.name.endsWith("_total") ? m.name : `${m.name}_total`];
    case "histogram":
      return [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`];
  }
}

/** Every name the dashboards and alerts may query. */
export function allowedMetricNames(): Set<string> {
  return new Set(
    [...VLLM_METRICS, ...DCGM_METRICS, ...RDMA_METRICS, ...SCRAPE_METRICS].flatMap(expositionNames),
  );
}
