/**
 * Scrape objects (Prometheus Operator `PodMonitor`) for vLLM servers. They select exactly
 * the pods `VllmServer` renders as serving pods — Deployment pods, or the leader of each
 * LeaderWorkerSet group (workers run headless and serve no `/metrics`) — on the container
 * port named {@link HTTP_PORT_NAME}.
 */
import type { IPodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { metricsPath, type ServingRuntime } from "../vllm/nim";
import { HTTP_PORT_NAME, LWS_NAME_LABEL, LWS_WORKER_INDEX_LABEL } from "../vllm/workload";
import { SERVER_LABEL } from "./prometheus";

export { SERVER_LABEL } from "./prometheus";

/** Label on vLLM series naming the LeaderWorkerSet group (its index) of a multi-node server. */
export const GROUP_LABEL = "group";

/** A vLLM server to scrape, as the stack created it. */
export interface MonitoredServerArgs {
  /** The server's Kubernetes name (`VllmServerArgs.name`). Required. */
  name: string;
  /** Namespace the server runs in. Required. */
  namespace: string;
  /** Nodes one server spans (`parallelism.nodes`); more than 1 means a LeaderWorkerSet. Defaults to 1. */
  nodes?: number;
  /** What serves (`VllmServerArgs.runtime`): NIM publishes its metrics at `/v1/metrics`. Defaults to `vllm` (`/metrics`). */
  runtime?: ServingRuntime;
}

/**
 * The labels of a server's serving pods, as `VllmServer` renders them: the Deployment's
 * selector for one node, LWS name + worker index 0 (the leader) for several.
 */
export function servingPodSelector(s: MonitoredServerArgs): Record<string, string> {
  return (s.nodes ?? 1) > 1
    ? { [LWS_NAME_LABEL]: s.name, [LWS_WORKER_INDEX_LABEL]: "0" }
    : { "app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": s.name };
}

/** Prometheus' name for a pod label in service discovery (`__meta_kubernetes_pod_label_…`). */
function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/** `leaderworkerset.sigs.k8s.io/group-index`: the group a pod belongs to. */
const LWS_GROUP_INDEX_LABEL = "leaderworkerset.sigs.k8s.io/group-index";

/**
 * The PodMonitor of one server, in the monitoring namespace, selecting the server's pods in
 * theirs. Every series gets `server=<name>` (dashboards and alerts filter on it) and, for a
 * multi-node server, `group=<LWS group index>`.
 */
export function vllmPodMonitor(s: MonitoredServerArgs, monitoringNamespace: string): IPodMonitor {
  const multiNode = (s.nodes ?? 1) > 1;
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: {
      name: `vllm-${s.name}`,
      namespace: monitoringNamespace,
      labels: { "app.kubernetes.io/part-of": "llm-serving", [SERVER_LABEL]: s.name },
    },
    spec: {
      namespaceSelector: { matchNames: [s.namespace] },
      selector: { matchLabels: servingPodSelector(s) },
      podMetricsEndpoints: [
        {
          port: HTTP_PORT_NAME,
          path: metricsPath(s.runtime),
          interval: "15s",
          relabelings: [
            { action: "replace", targetLabel: SERVER_LABEL, replacement: s.name },
            ...(multiNode
              ? [
                  {
                    action: "replace" as const,
                    sourceLabels: [podLabelMeta(LWS_GROUP_INDEX_LABEL)],
                    targetLabel: GROUP_LABEL,
                  },
                ]
              : []),
          ],
        },
      ],
    },
  };
}

/**
 * GPU Operator values that let the Monitoring stack scrape the DCGM exporter: the chart's
 * own ServiceMonitor (`dcgmExporter.serviceMonitor`, GPU Operator v25.10.1 values.yaml),
 * with `honorLabels` so the exporter's `pod`/`namespace` labels (the pod using the GPU)
 * stay as they are instead of being renamed `exported_pod`/`exported_namespace` under the
 * exporter pod's own target labels: the GPU dashboard selects GPUs by the workload's pod.
 */
export function dcgmServiceMonitorValues(): { dcgmExporter: Record<string, unknown> } {
  return { dcgmExporter: { serviceMonitor: { enabled: true, honorLabels: true } } };
}
