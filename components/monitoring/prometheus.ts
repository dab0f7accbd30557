/**
 * Where the `Monitoring` stack's Prometheus answers in the cluster, and the label its scrape
 * objects put on every vLLM series. Kept free of imports from `vllm/`: the vLLM server's
 * autoscaling reads these, and `vllm/` is imported by the rest of this directory.
 */

/** Label on every vLLM series and its `up` naming the server it came from. */
export const SERVER_LABEL = "server";

/** Port of the chart's Prometheus Service (`prometheus.service.port`, kube-prometheus-stack 88.5.3). */
export const PROMETHEUS_PORT = 9090;

/**
 * The chart's `kube-prometheus-stack.fullname` (templates/_helpers.tpl at 88.5.3): the
 * release name when it contains the chart name, else `<release>-kube-prometheus-stack`,
 * either truncated to 26 characters without a trailing `-`.
 */
export function kubePrometheusStackFullname(releaseName: string): string {
  const chart = "kube-prometheus-stack";
  const full = releaseName.includes(chart) ? releaseName : `${releaseName}-${chart}`;
  return full.slice(0, 26).replace(/-+$/, "");
}

/**
 * In-cluster URL of the Prometheus a `Monitoring` release runs: its Service
 * `<fullname>-prometheus` (templates/prometheus/service.yaml) on port 9090. KEDA's
 * Prometheus trigger reads the vLLM queue from here.
 */
export function prometheusUrl(namespace = "monitoring", releaseName = "monitoring"): string {
  const service = `${kubePrometheusStackFullname(releaseName)}-prometheus`;
  return `http://${service}.${namespace}.svc.cluster.local:${PROMETHEUS_PORT}`;
}
