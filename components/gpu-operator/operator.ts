import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gpuOperatorPlan } from "./plan";
import type { GpuOperatorPreset } from "./presets";

/** Arguments of {@link GpuOperator}. */
export interface GpuOperatorArgs {
  /**
   * Values preset for the platform: `microk8s` (host drivers, MicroK8s' containerd paths),
   * `gke` (Google's driver installer, NVIDIA's documented GKE values) or `generic` (chart
   * defaults: the operator installs the driver). Defaults to `generic`.
   */
  preset?: GpuOperatorPreset;
  /** Chart version, `vXX.YY.Z`, at least v25.10.0. Defaults to `versions.gpuOperatorChart`. */
  version?: string;
  /**
   * Namespace, created here and labelled Pod Security `privileged` (the operands are
   * privileged pods with host paths). Defaults to `gpu-operator`.
   */
  namespace?: string;
  /** Helm release name. Defaults to `gpu-operator`. */
  releaseName?: string;
  /**
   * Whether the operator installs the NVIDIA driver (`driver.enabled`). Defaults to the
   * preset's choice: false for `microk8s` and `gke`, true for `generic`.
   */
  driverEnabled?: boolean;
  /** Runs the DCGM exporter (GPU metrics for Prometheus). Defaults to true (chart default). */
  dcgmExporter?: boolean;
  /**
   * Creates a ServiceMonitor for the DCGM exporter; needs the Prometheus Operator's CRDs in
   * the cluster. Defaults to false.
   */
  serviceMonitor?: boolean;
  /**
   * Raw chart values merged last, over the preset and the options above (maps merge, lists
   * replace: overriding `toolkit.env` replaces the preset's list). Defaults to none.
   */
  // biome-ignore lint/suspicious/noExplicitAny: Helm values are free-form, and `any` is what Pulumi's schema analyzer maps to pulumi.json#/Any.
  values?: { [key: string]: any };
}

/**
 * Installs the NVIDIA GPU Operator (driver, container toolkit, device plugin, GPU feature
 * discovery, DCGM exporter) from NVIDIA's Helm repository into its own privileged namespace.
 * Workloads that request `nvidia.com/gpu` schedule once the device plugin has advertised
 * the GPUs; give them `dependsOn: [gpuOperator]` so they are not created first.
 */
export class GpuOperator extends pulumi.ComponentResource {
  /** Namespace the operator runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** Chart version installed. */
  public readonly version: pulumi.Output<string>;

  constructor(name: string, args: GpuOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const plan = gpuOperatorPlan(args);
    super("llm-serving:index:GpuOperator", name, {}, opts);
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, plan.namespace, { parent: this });
    const quotas = plan.resourceQuotas.map(
      (quota) =>
        new k8s.core.v1.ResourceQuota(
          `${name}-${quota.metadata?.name}`,
          {
            // kubernetes-models types quantities as string | number; the plan uses strings.
            ...(quota as k8s.core.v1.ResourceQuotaArgs),
            metadata: { ...quota.metadata, namespace: ns.metadata.name },
          },
          { parent: this },
        ),
    );
    const release = new k8s.helm.v3.Release(
      name,
      { ...plan.release, namespace: ns.metadata.name },
      { parent: this, dependsOn: quotas },
    );
    this.namespace = release.namespace;
    this.version = pulumi.output(plan.release.version);
    this.registerOutputs({ namespace: this.namespace, version: this.version });
  }
}
