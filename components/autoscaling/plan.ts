/**
 * The KEDA install, decided in one pure function: a namespace and a Helm release of
 * kedacore's chart, pinned, with values that narrow KEDA's default permissions to what
 * scaling vLLM servers needs.
 */
import type { INamespace } from "kubernetes-models/v1/Namespace";
import { z } from "zod";
import { type HelmReleasePlan, type HelmValues, mergeHelmValues } from "../gpu-operator/merge";
import { podSecurityNamespace } from "../namespace";
import { dnsLabelSchema, parseOrThrow } from "../validation";
import { versions } from "../versions";

/** kedacore's Helm repository (kedacore/charts). */
export const KEDA_CHART_REPO = "https://kedacore.github.io/charts";

/** The namespace KEDA's install docs use. */
export const DEFAULT_KEDA_NAMESPACE = "keda";

/**
 * A custom resource KEDA may scale: its API group and its RESOURCE (plural) name; the
 * chart renders RBAC for `<resource>/scale` and `get` on `<resource>`
 * (keda/templates/manager/clusterrole.yaml at v2.20.2, which names the field `kind`).
 */
export interface KedaScaledResource {
  /** API group, e.g. `leaderworkerset.x-k8s.io`. */
  apiGroup: string;
  /** Plural resource name, e.g. `leaderworkersets`. */
  resource: string;
}

/**
 * The custom resources KEDA scales here: LeaderWorkerSets (multi-node servers), whose CRD
 * has a scale subresource (lws v0.10.0 CRD: `.spec.replicas`, selector
 * `.status.hpaPodSelector`). Deployments are in the chart's base role.
 */
export const LWS_SCALED_RESOURCE: KedaScaledResource = {
  apiGroup: "leaderworkerset.x-k8s.io",
  resource: "leaderworkersets",
};

/** The port the control plane can reach on a private GKE cluster's pods (besides 443). */
export const CONTROL_PLANE_PORT = 10250;

/** Arguments of the `Keda` component. */
export interface KedaArgs {
  /** KEDA chart version (the chart and KEDA share it), `X.Y.Z`. Defaults to `versions.kedaChart`. */
  version?: string;
  /** Namespace created for KEDA (Pod Security `restricted`: the chart's pods comply). Defaults to `keda`. */
  namespace?: string;
  /** Helm release name. Defaults to `keda`. */
  releaseName?: string;
  /**
   * Raw chart values merged last, over this component's (maps merge, lists replace): the
   * escape hatch for anything not modelled here. Defaults to none.
   */
  // biome-ignore lint/suspicious/noExplicitAny: Helm values are free-form, and `any` is what Pulumi's schema analyzer maps to pulumi.json#/Any.
  values?: { [key: string]: any };
}

/** Everything the `Keda` component creates. */
export interface KedaPlan {
  /** The namespace. */
  namespace: INamespace;
  /** Arguments of the Helm release. */
  release: HelmReleasePlan;
}

const argsSchema = z
  .object({
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, "must be a chart version like 2.20.2 (no ranges, no 'latest')")
      .optional(),
    namespace: dnsLabelSchema.optional(),
    releaseName: dnsLabelSchema.optional(),
    values: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * The chart values (keda chart v2.20.2 values.yaml), each a narrowing of a default:
 * - `rbac.scaledRefKinds`: the default `{apiGroup: "*", kind: "*"}` lets the operator read
 *   and scale every resource of every API group; here only LeaderWorkerSets.
 * - `permissions.operator.restrict.secret` / `permissions.metricServer.restrict.secret`:
 *   by default the operator lists and watches every Secret in the cluster (for
 *   TriggerAuthentications); the vLLM triggers read an in-cluster Prometheus without
 *   credentials, so KEDA reads Secrets only in its own namespace (its TLS certificates).
 * - `crds.install`: the chart's CRDs (ScaledObject, …), installed and upgraded with it.
 * - `service.portHttpsTarget` and `webhooks.port`: the metrics API server (6443) and the
 *   admission webhooks (9443) listen on {@link CONTROL_PLANE_PORT} instead. The API server
 *   calls both on the pod IP, and a private GKE cluster's firewall lets the control plane
 *   reach nodes and pods on 443 and 10250 only (kedacore/keda#1642): on the default ports
 *   the HPA never gets KEDA's metrics there. Inside the pod's own network namespace 10250
 *   collides with nothing (KEDA's `useHostNetwork` stays false).
 * Left at the chart's defaults, and relied on: the admission webhooks (they reject a second
 * autoscaler on the same workload), non-root pods dropping every capability, metrics and
 * profiling endpoints off (`prometheus.*.enabled`, `profiling.*.enabled`: false).
 */
export function kedaValues(): HelmValues {
  return {
    crds: { install: true },
    service: { portHttpsTarget: CONTROL_PLANE_PORT },
    webhooks: { port: CONTROL_PLANE_PORT },
    rbac: {
      enabledCustomScaledRefKinds: true,
      scaledRefKinds: [
        { apiGroup: LWS_SCALED_RESOURCE.apiGroup, kind: LWS_SCALED_RESOURCE.resource },
      ],
    },
    permissions: {
      operator: { restrict: { secret: true } },
      metricServer: { restrict: { secret: true } },
    },
  };
}

/**
 * Validates `args` and decides the KEDA install.
 * @throws ConfigError naming every bad field.
 */
export function kedaPlan(args: KedaArgs = {}, path = ""): KedaPlan {
  const a = parseOrThrow(argsSchema, args, "Keda", path);
  const namespace = a.namespace ?? DEFAULT_KEDA_NAMESPACE;
  return {
    namespace: podSecurityNamespace(namespace, "restricted", {
      "app.kubernetes.io/part-of": "llm-serving",
    }),
    release: {
      name: a.releaseName ?? "keda",
      chart: "keda",
      repositoryOpts: { repo: KEDA_CHART_REPO },
      version: a.version ?? versions.kedaChart,
      namespace,
      values: mergeHelmValues(kedaValues(), (a.values ?? {}) as HelmValues),
      timeout: 600,
    },
  };
}
