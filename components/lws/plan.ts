import type { INamespace } from "kubernetes-models/v1/Namespace";
import { z } from "zod";
import { type HelmValues, mergeHelmValues } from "../gpu-operator/merge";
import { podSecurityNamespace } from "../namespace";
import { dnsLabelSchema, parseOrThrow } from "../validation";
import { versions } from "../versions";
import type { LeaderWorkerSetOperatorArgs } from "./operator";

/** Where the LWS project publishes its Helm chart (OCI; one chart version per LWS release). */
export const LWS_CHART = "oci://registry.k8s.io/lws/charts/lws";

/** The namespace the upstream install docs use. */
export const DEFAULT_LWS_NAMESPACE = "lws-system";

/** Helm release name; the chart names its objects after it (`lws-controller-manager`, …). */
export const DEFAULT_LWS_RELEASE = "lws";

/** Everything the component creates, decided. */
export interface LwsOperatorPlan {
  /** The namespace object (Pod Security `baseline`: the controller needs nothing more). */
  namespace: INamespace;
  /** Arguments for the Helm release. */
  release: {
    name: string;
    chart: string;
    /** Chart version as published: the release tag without its `v`. */
    version: string;
    namespace: string;
    values: HelmValues;
    /** Seconds Helm waits for the controller (and its webhook) to become ready. */
    timeout: number;
  };
  /** The LWS release installed, `vX.Y.Z`. */
  appVersion: string;
}

const semver = z
  .string()
  .regex(/^v?\d+\.\d+\.\d+$/, "must be a release version like v0.10.0 (no ranges, no 'latest')");

const optionsSchema = z
  .object({
    version: semver.optional(),
    namespace: dnsLabelSchema.optional(),
    releaseName: dnsLabelSchema.optional(),
    values: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * Decides the LWS controller install: a namespace and a Helm release of the upstream chart.
 * The chart ships the CRDs in `crds/`, which Helm installs on first install only (it never
 * upgrades CRDs): bumping `version` later also needs the new CRDs applied, as the LWS docs say.
 * @throws ConfigError for a malformed version, namespace or release name.
 */
export function lwsOperatorPlan(options: LeaderWorkerSetOperatorArgs, path = ""): LwsOperatorPlan {
  const o = parseOrThrow(optionsSchema, options, "LeaderWorkerSetOperator", path);
  const version = o.version ?? versions.leaderWorkerSet;
  const namespace = o.namespace ?? DEFAULT_LWS_NAMESPACE;
  const bare = version.replace(/^v/, "");
  return {
    namespace: podSecurityNamespace(namespace, "baseline"),
    release: {
      name: o.releaseName ?? DEFAULT_LWS_RELEASE,
      chart: LWS_CHART,
      version: bare,
      namespace,
      values: mergeHelmValues(o.values as HelmValues | undefined),
      timeout: 600,
    },
    appVersion: `v${bare}`,
  };
}
