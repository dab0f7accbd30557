/**
 * Alert rules as a Prometheus Operator `PrometheusRule`: a server that stopped answering
 * scrapes, a request queue that keeps growing, a KV cache that stays full, and GPU XID
 * errors. Every expression is checked by the tests against the PromQL grammar and the
 * exporters' metric lists (`metrics.ts`). The serving rules cover both runtimes: a NIM for
 * LLMs 2.0.x server exports vLLM's series (`SERVING_METRICS` in vllm/nim.ts).
 */
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { SERVER_LABEL } from "./scrape";

/** Thresholds of the alert rules. */
export interface AlertThresholds {
  /** Waiting requests above which a still-growing queue alerts. Defaults to 10. */
  queueWaiting?: number;
  /** KV-cache usage (0–1) above which the cache counts as saturated. Defaults to 0.95. */
  kvCacheUsage?: number;
}

/** One rule as the PrometheusRule CRD takes it. */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

/** The rules, in the order the runbook lists them. */
export function alertRules(t: AlertThresholds = {}): AlertRule[] {
  const queue = t.queueWaiting ?? 10;
  const kv = t.kvCacheUsage ?? 0.95;
  const vllm = `${SERVER_LABEL}!=""`;
  return [
    {
      alert: "VllmServerDown",
      // `up` carries the server label from the PodMonitor's relabeling: 0 = scrape failed.
      expr: `up{${vllm}} == 0`,
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Server {{ $labels.server }} is not answering its metrics endpoint",
        description:
          "Prometheus could not scrape pod {{ $labels.namespace }}/{{ $labels.pod }} for 5 minutes: the engine is down, restarting or wedged.",
      },
    },
    {
      alert: "VllmQueueGrowing",
      expr: `sum by (namespace, ${SERVER_LABEL}) (vllm:num_requests_waiting{${vllm}}) > ${queue} and sum by (namespace, ${SERVER_LABEL}) (deriv(vllm:num_requests_waiting{${vllm}}[10m])) > 0`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "Requests are piling up on {{ $labels.server }}",
        description: `More than ${queue} requests have waited and the queue kept growing for 10 minutes: the server is past its capacity; add replicas or shed load.`,
      },
    },
    {
      alert: "VllmKvCacheSaturated",
      expr: `max by (namespace, ${SERVER_LABEL}, pod) (vllm:kv_cache_usage_perc{${vllm}}) > ${kv}`,
      for: "10m",
      labels: { severity: "warning" },
      annotations: {
        summary: "KV cache of {{ $labels.server }} is nearly full",
        description: `KV-cache usage stayed above ${kv * 100}% for 10 minutes: new requests wait or preempt running ones (see vllm:num_preemptions_total).`,
      },
    },
    {
      alert: "GpuXidError",
      // The exporter reports the last XID seen; any non-zero value is a driver-reported fault.
      expr: "max by (Hostname, gpu, UUID) (DCGM_FI_DEV_XID_ERRORS) > 0",
      for: "0m",
      labels: { severity: "critical" },
      annotations: {
        summary: "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID {{ $value }}",
        description:
          "The NVIDIA driver reported an XID error: look the code up in NVIDIA's XID catalogue; many need a GPU reset or node reboot.",
      },
    },
  ];
}

/** The PrometheusRule holding {@link alertRules}. */
export function alertPrometheusRule(namespace: string, t: AlertThresholds = {}): IPrometheusRule {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: "llm-serving-alerts",
      namespace,
      labels: { "app.kubernetes.io/part-of": "llm-serving" },
    },
    spec: { groups: [{ name: "llm-serving", rules: alertRules(t) }] },
  };
}
