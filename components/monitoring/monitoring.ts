import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { withDependencies } from "../vllm/server";
import {
  GRAFANA_ADMIN_KEYS,
  GRAFANA_PASSWORD_LENGTH,
  type MonitoringArgs,
  monitoringPlan,
} from "./plan";

export type { MonitoringArgs } from "./plan";

/**
 * Prometheus, Grafana and the Prometheus Operator (kube-prometheus-stack, pinned) with the
 * project's scrape objects, dashboards and alert rules: one PodMonitor per vLLM server, the
 * GPU Operator's DCGM exporter through its own ServiceMonitor (`GpuOperator` with
 * `serviceMonitor: true`), RDMA/RoCE port counters through the chart's node exporter.
 * Grafana's admin password is generated and kept in a Secret; read it from the
 * `grafanaAdminPassword` output (a Pulumi secret).
 */
export class Monitoring extends pulumi.ComponentResource {
  /** Namespace everything runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** `kubectl port-forward` line that opens Grafana on http://localhost:3000. */
  public readonly grafanaPortForward: pulumi.Output<string>;
  /** Grafana admin user. */
  public readonly grafanaAdminUser: pulumi.Output<string>;
  /** Grafana admin password (secret). */
  public readonly grafanaAdminPassword: pulumi.Output<string>;
  /** In-cluster URL of Prometheus' HTTP API (KEDA's Prometheus triggers read it). */
  public readonly prometheusUrl: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const plan = monitoringPlan(args);
    super("llm-serving:index:Monitoring", name, {}, opts);
    // Children do not inherit the component's dependsOn: the namespace, first of all, takes it.
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, plan.namespace, {
      parent: this,
      dependsOn: withDependencies(opts?.dependsOn, []),
    });
    const inNs = { parent: this, dependsOn: [ns] };
    const password = new random.RandomPassword(
      `${name}-grafana-admin`,
      { length: GRAFANA_PASSWORD_LENGTH, special: false },
      { parent: this },
    );
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: plan.adminSecretName, namespace: plan.release.namespace },
        type: "Opaque",
        stringData: {
          [GRAFANA_ADMIN_KEYS.user]: "admin",
          [GRAFANA_ADMIN_KEYS.password]: password.result,
        },
      },
      inNs,
    );
    const dashboards = plan.dashboards.map(
      (cm) => new k8s.core.v1.ConfigMap(`${name}-${cm.metadata?.name}`, cm, inNs),
    );
    const release = new k8s.helm.v3.Release(name, plan.release, {
      parent: this,
      dependsOn: [ns, adminSecret, ...dashboards],
    });
    // The chart installs the CRDs these objects need.
    const afterChart = { parent: this, dependsOn: [release] };
    for (const pm of plan.podMonitors) {
      new k8s.apiextensions.CustomResource(`${name}-${pm.metadata?.name}`, pm, afterChart);
    }
    new k8s.apiextensions.CustomResource(`${name}-rules`, plan.rules, afterChart);

    this.namespace = release.namespace;
    this.grafanaPortForward = pulumi.output(plan.grafanaPortForward);
    this.grafanaAdminUser = pulumi.output("admin");
    this.grafanaAdminPassword = pulumi.secret(password.result);
    this.prometheusUrl = release.status.apply(() => plan.prometheusUrl);
    this.registerOutputs({
      prometheusUrl: this.prometheusUrl,
      namespace: this.namespace,
      grafanaPortForward: this.grafanaPortForward,
      grafanaAdminUser: this.grafanaAdminUser,
      grafanaAdminPassword: this.grafanaAdminPassword,
    });
  }
}
