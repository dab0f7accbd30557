/**
 * Everything the `Monitoring` component creates, decided in one pure function: the
 * namespace, the kube-prometheus-stack Helm release, the dashboards' ConfigMaps, one
 * PodMonitor per vLLM server and the alert rules.
 */
import type { IPodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import { z } from "zod";
import { type HelmReleasePlan, type HelmValues, mergeHelmValues } from "../gpu-operator/merge";
import { podSecurityNamespace } from "../namespace";
import { dnsLabelSchema, parseOrThrow } from "../validation";
import { versions } from "../versions";
import { API_CLIENT_LABEL } from "../vllm/network-policy";
import { ServingRuntime } from "../vllm/nim";
import { type AlertThresholds, alertPrometheusRule } from "./alerts";
import { dashboardConfigMap, gpuDashboard, servingDashboard } from "./dashboards";
import { prometheusUrl } from "./prometheus";
import { type MonitoredServerArgs, vllmPodMonitor } from "./scrape";

/** prometheus-community's Helm repository. */
export const KUBE_PROMETHEUS_STACK_REPO = "https://prometheus-community.github.io/helm-charts";

/** Length of the generated Grafana admin password (letters and digits). */
export const GRAFANA_PASSWORD_LENGTH = 24;

/** Keys of the Grafana admin Secret (the chart's `grafana.admin.userKey` / `passwordKey` defaults). */
export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;

/** Arguments of the `Monitoring` component. */
export interface MonitoringArgs {
  /**
   * Namespace, created here, labelled `llm-serving.dev/api-client: "true"` (Prometheus
   * scrapes the vLLM API port) and Pod Security `privileged` (the node exporter runs with the
   * host's network, PID namespace and `/sys`, to read RDMA port counters). Defaults to
   * `monitoring`.
   */
  namespace?: string;
  /** Helm release name; Grafana's Service is `<releaseName>-grafana`. Defaults to `monitoring`. */
  releaseName?: string;
  /** kube-prometheus-stack chart version. Defaults to `versions.kubePrometheusStackChart`. */
  version?: string;
  /** vLLM servers to scrape (one PodMonitor each). Defaults to none. */
  servers?: MonitoredServerArgs[];
  /** How long Prometheus keeps samples (`prometheus.prometheusSpec.retention`). Defaults to `15d`. */
  retention?: string;
  /** Alert thresholds. Defaults to those of `alertRules`. */
  alerts?: AlertThresholds;
  /**
   * Raw chart values merged last, over this component's (maps merge, lists replace).
   * Defaults to none.
   */
  // biome-ignore lint/suspicious/noExplicitAny: Helm values are free-form, and `any` is what Pulumi's schema analyzer maps to pulumi.json#/Any.
  values?: { [key: string]: any };
}

/** What the Monitoring component creates. */
export interface MonitoringPlan {
  /** The namespace. */
  namespace: INamespace;
  /** Name of the Secret holding Grafana's admin user and (generated) password. */
  adminSecretName: string;
  /** Arguments of the Helm release. */
  release: HelmReleasePlan;
  /** Grafana dashboards for the sidecar. */
  dashboards: IConfigMap[];
  /** One PodMonitor per server. */
  podMonitors: IPodMonitor[];
  /** The alert rules. */
  rules: IPrometheusRule;
  /** Name of Grafana's Service (port 80). */
  grafanaService: string;
  /** The command that opens Grafana on http://localhost:3000. */
  grafanaPortForward: string;
  /** In-cluster URL of Prometheus' HTTP API (see {@link prometheusUrl}). */
  prometheusUrl: string;
}

const argsSchema = z
  .object({
    namespace: dnsLabelSchema.optional(),
    // The chart appends "-grafana" etc.; keep room for it within 63 characters.
    releaseName: dnsLabelSchema
      .refine((s) => s.length <= 40, "must be at most 40 characters (the chart appends suffixes)")
      .optional(),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, "must be a chart version like 88.5.3")
      .optional(),
    servers: z
      .array(
        z
          .object({
            name: dnsLabelSchema,
            namespace: dnsLabelSchema,
            nodes: z.number().int().min(1, "must be at least 1").optional(),
            runtime: z.enum(ServingRuntime).optional(),
          })
          .strict(),
      )
      .superRefine((servers, ctx) => {
        const seen = new Set<string>();
        servers.forEach((s, i) => {
          if (seen.has(s.name)) {
            ctx.addIssue({
              code: "custom",
              path: [i, "name"],
              message: `server "${s.name}" is listed twice: names label every series and must be unique`,
            });
          }
          seen.add(s.name);
        });
      })
      .optional(),
    retention: z
      .string()
      .regex(/^\d+(ms|s|m|h|d|w|y)$/, "must be a Prometheus duration like 15d")
      .optional(),
    alerts: z
      .object({
        queueWaiting: z.number().int().min(1, "must be at least 1").optional(),
        kvCacheUsage: z.number().gt(0, "must be in (0, 1]").max(1, "must be in (0, 1]").optional(),
      })
      .strict()
      .optional(),
    values: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * Validates `args` and decides every object of the monitoring stack.
 * @throws ConfigError naming every bad field.
 */
export function monitoringPlan(args: MonitoringArgs = {}, path = ""): MonitoringPlan {
  const a = parseOrThrow(argsSchema, args, "Monitoring", path);
  const namespace = a.namespace ?? "monitoring";
  const releaseName = a.releaseName ?? "monitoring";
  const adminSecretName = `${releaseName}-grafana-admin`;
  const grafanaService = `${releaseName}-grafana`;
  const values: HelmValues = {
    // Install the CRDs the PodMonitors and PrometheusRule below need.
    crds: { enabled: true },
    // A Deployment-side Alertmanager with no receivers would only drop alerts; the rules are
    // still evaluated and shown in Prometheus and Grafana.
    alertmanager: { enabled: false },
    grafana: {
      // Explicit, so the port-forward line below names the Service the chart creates.
      fullnameOverride: grafanaService,
      service: { port: 80 },
      // Credentials from a Secret this component generates, never from chart defaults.
      admin: {
        existingSecret: adminSecretName,
        userKey: GRAFANA_ADMIN_KEYS.user,
        passwordKey: GRAFANA_ADMIN_KEYS.password,
      },
      sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1" } },
    },
    prometheus: {
      prometheusSpec: {
        retention: a.retention ?? "15d",
        // Without these, the operator only picks monitors and rules labelled with the release.
        podMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
      },
    },
  };
  return {
    namespace: podSecurityNamespace(namespace, "privileged", {
      "app.kubernetes.io/part-of": "llm-serving",
      [API_CLIENT_LABEL]: "true",
    }),
    adminSecretName,
    release: {
      name: releaseName,
      chart: "kube-prometheus-stack",
      repositoryOpts: { repo: KUBE_PROMETHEUS_STACK_REPO },
      version: a.version ?? versions.kubePrometheusStackChart,
      namespace,
      values: mergeHelmValues(values, (a.values ?? {}) as HelmValues),
      timeout: 900,
    },
    dashboards: [
      dashboardConfigMap("llm-serving-vllm", namespace, servingDashboard()),
      dashboardConfigMap("llm-serving-gpu", namespace, gpuDashboard()),
    ],
    podMonitors: (a.servers ?? []).map((s) => vllmPodMonitor(s, namespace)),
    rules: alertPrometheusRule(namespace, a.alerts ?? {}),
    grafanaService,
    grafanaPortForward: `kubectl -n ${namespace} port-forward svc/${grafanaService} 3000:80`,
    prometheusUrl: prometheusUrl(namespace, releaseName),
  };
}
