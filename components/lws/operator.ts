import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { lwsOperatorPlan } from "./plan";

/** Arguments of {@link LeaderWorkerSetOperator}. */
export interface LeaderWorkerSetOperatorArgs {
  /**
   * LeaderWorkerSet release to install, `vX.Y.Z` (the chart version is the same without the
   * `v`). Defaults to `versions.leaderWorkerSet`.
   */
  version?: string;
  /** Namespace created for the controller. Defaults to `lws-system`. */
  namespace?: string;
  /** Helm release name (the chart names its objects after it). Defaults to `lws`. */
  releaseName?: string;
  /**
   * Raw values for the `lws` chart, merged over ours (maps merge, lists replace): the escape
   * hatch for anything this component does not model, e.g. `{enablePrometheus: true}`.
   * Defaults to none.
   */
  // biome-ignore lint/suspicious/noExplicitAny: Helm values are free-form, and `any` is what Pulumi's schema analyzer maps to pulumi.json#/Any.
  values?: { [key: string]: any };
}

/**
 * Installs the LeaderWorkerSet controller (CRD, webhook, controller manager) from the
 * upstream Helm chart `oci://registry.k8s.io/lws/charts/lws` into its own namespace.
 *
 * LeaderWorkerSet objects must not be created before the CRD and the webhook exist: give
 * them `dependsOn: [operator]`. Depending on this component waits for all its children,
 * and the Helm release waits until the controller Deployment is ready.
 */
export class LeaderWorkerSetOperator extends pulumi.ComponentResource {
  /** Namespace the controller runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** LWS release installed, `vX.Y.Z`. */
  public readonly version: pulumi.Output<string>;

  constructor(
    name: string,
    args: LeaderWorkerSetOperatorArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // Validate first: a bad config registers nothing, not even this component.
    const plan = lwsOperatorPlan(args);
    super("llm-serving:index:LeaderWorkerSetOperator", name, {}, opts);
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, plan.namespace, { parent: this });
    const release = new k8s.helm.v3.Release(
      name,
      { ...plan.release, namespace: ns.metadata.name },
      { parent: this },
    );
    this.namespace = release.namespace;
    this.version = pulumi.output(plan.appVersion);
    this.registerOutputs({ namespace: this.namespace, version: this.version });
  }
}
