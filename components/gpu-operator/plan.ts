import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { z } from "zod";
import { podSecurityNamespace } from "../namespace";
import { dnsLabelSchema, parseOrThrow } from "../validation";
import { versions } from "../versions";
import { type HelmReleasePlan, type HelmValues, mergeHelmValues } from "./merge";
import type { GpuOperatorArgs } from "./operator";
import { GPU_OPERATOR_PRESETS, gpuOperatorPresetValues } from "./presets";

/** NVIDIA's Helm repository (NGC). */
export const GPU_OPERATOR_REPO = "https://helm.ngc.nvidia.com/nvidia";

/** The chart name in {@link GPU_OPERATOR_REPO}. */
export const GPU_OPERATOR_CHART = "gpu-operator";

/** Namespace NVIDIA's docs install into. */
export const DEFAULT_GPU_OPERATOR_NAMESPACE = "gpu-operator";

/** Everything the GpuOperator component creates, decided. */
export interface GpuOperatorPlan {
  /** The namespace, Pod Security `privileged`: the operands are privileged host-path pods. */
  namespace: INamespace;
  /** Extra objects in the namespace before the chart (GKE's ResourceQuota). */
  resourceQuotas: IResourceQuota[];
  /** Arguments for the Helm release. */
  release: HelmReleasePlan;
}

/** Oldest chart whose device plugin (>= v0.17.4) does not crash on GB10 (DGX Spark). */
const MIN_CHART = [25, 10, 0] as const;

const chartVersion = z
  .string()
  .regex(/^v\d+\.\d+\.\d+$/, "must be a chart version like v25.10.1 (NVIDIA's tags start with v)")
  .refine((v) => {
    // A malformed string is already reported by the regex above.
    if (!/^v\d+\.\d+\.\d+$/.test(v)) return true;
    const [major, minor, patch] = v.slice(1).split(".").map(Number);
    const cmp = major - MIN_CHART[0] || minor - MIN_CHART[1] || patch - MIN_CHART[2];
    return cmp >= 0;
  }, "must be >= v25.10.0: older device plugins crash on GB10 (DGX Spark) nodes");

const optionsSchema = z
  .object({
    preset: z
      .enum(GPU_OPERATOR_PRESETS, {
        error: `must be one of ${GPU_OPERATOR_PRESETS.join(", ")}`,
      })
      .optional(),
    version: chartVersion.optional(),
    namespace: dnsLabelSchema.optional(),
    releaseName: dnsLabelSchema.optional(),
    driverEnabled: z.boolean().optional(),
    dcgmExporter: z.boolean().optional(),
    serviceMonitor: z.boolean().optional(),
    values: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .superRefine(
    (o, ctx) => {
      if (o.serviceMonitor === true && o.dcgmExporter === false) {
        ctx.addIssue({
          code: "custom",
          path: ["serviceMonitor"],
          message: "a ServiceMonitor needs the DCGM exporter: drop dcgmExporter: false",
        });
      }
    },
    // Two booleans: safe to compare even when another key failed, so one run shows all.
    { when: () => true },
  );

/** GKE admits system-node-critical pods outside kube-system only under such a quota. */
function gkeCriticalPodsQuota(namespace: string): IResourceQuota {
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name: "gpu-operator-quota", namespace },
    spec: {
      hard: { pods: "100" },
      scopeSelector: {
        matchExpressions: [
          {
            operator: "In",
            scopeName: "PriorityClass",
            values: ["system-node-critical", "system-cluster-critical"],
          },
        ],
      },
    },
  };
}

/**
 * Decides the GPU Operator install: namespace, platform extras and Helm values, layered
 * chart defaults < preset < options (driverEnabled, dcgmExporter, serviceMonitor) < `values`.
 * @throws ConfigError for an unknown preset, a chart older than v25.10.0, bad names.
 */
export function gpuOperatorPlan(options: GpuOperatorArgs, path = ""): GpuOperatorPlan {
  const o = parseOrThrow(optionsSchema, options, "GpuOperator", path);
  const preset = o.preset ?? "generic";
  const namespace = o.namespace ?? DEFAULT_GPU_OPERATOR_NAMESPACE;
  const toggles: HelmValues = {};
  if (o.driverEnabled !== undefined) toggles.driver = { enabled: o.driverEnabled };
  if (o.dcgmExporter !== undefined || o.serviceMonitor !== undefined) {
    toggles.dcgmExporter = {
      ...(o.dcgmExporter !== undefined ? { enabled: o.dcgmExporter } : {}),
      ...(o.serviceMonitor !== undefined ? { serviceMonitor: { enabled: o.serviceMonitor } } : {}),
    };
  }
  return {
    namespace: podSecurityNamespace(namespace, "privileged"),
    resourceQuotas: preset === "gke" ? [gkeCriticalPodsQuota(namespace)] : [],
    release: {
      name: o.releaseName ?? "gpu-operator",
      chart: GPU_OPERATOR_CHART,
      repositoryOpts: { repo: GPU_OPERATOR_REPO },
      version: o.version ?? versions.gpuOperatorChart,
      namespace,
      values: mergeHelmValues(
        gpuOperatorPresetValues(preset),
        toggles,
        o.values as HelmValues | undefined,
      ),
      timeout: 600,
    },
  };
}
