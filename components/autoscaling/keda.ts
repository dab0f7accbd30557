import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { withDependencies } from "../vllm/server";
import { type KedaArgs, kedaPlan } from "./plan";

export type { KedaArgs } from "./plan";

/**
 * KEDA (operator, metrics API server, admission webhooks and its CRDs) from kedacore's
 * Helm chart, pinned, into its own namespace, with permissions narrowed to scaling
 * Deployments and LeaderWorkerSets. `VllmServer`s with `autoscaling` need it: give them
 * `dependsOn: [keda]` so their ScaledObjects come after the CRD, and go before KEDA on
 * `pulumi destroy` (KEDA's finalizer on a ScaledObject needs the operator running).
 */
export class Keda extends pulumi.ComponentResource {
  /** Namespace KEDA runs in. */
  public readonly namespace: pulumi.Output<string>;
  /** Chart (and KEDA) version installed. */
  public readonly version: pulumi.Output<string>;

  constructor(name: string, args: KedaArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const plan = kedaPlan(args);
    super("llm-serving:index:Keda", name, {}, opts);
    // Children do not inherit the component's dependsOn: the namespace, first of all, takes it.
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, plan.namespace, {
      parent: this,
      dependsOn: withDependencies(opts?.dependsOn, []),
    });
    const release = new k8s.helm.v3.Release(name, plan.release, {
      parent: this,
      dependsOn: [ns],
    });
    this.namespace = release.namespace;
    this.version = pulumi.output(plan.release.version);
    this.registerOutputs({ namespace: this.namespace, version: this.version });
  }
}
