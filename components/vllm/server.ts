import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { VllmServerArgs } from "./args";
import type { ScaleTarget } from "./autoscaling";
import { vllmServerPlan } from "./plan";

/**
 * Resource options of a workload whose replica count an autoscaler owns. With
 * `ignoreChanges`, pulumi-kubernetes (provider/pkg/await/await.go, `handleSSAIgnoreFields`)
 * drops `spec.replicas` from its server-side apply when another field manager (the HPA
 * KEDA creates) owns it, and otherwise re-applies the live value: `pulumi up` neither
 * resets the count nor conflicts with the HPA, also when autoscaling is turned on for a
 * workload Pulumi created with a fixed count. Without it, every update would apply the
 * planned count (a conflict, or a reset with `patchForce`). Client-side apply
 * (`handleCSAIgnoreFields`) likewise keeps the live value.
 */
export const AUTOSCALED_WORKLOAD_OPTIONS = { ignoreChanges: ["spec.replicas"] } as const;

/**
 * `dependsOn` = what the caller gave plus `extra`, in whichever form the caller used
 * (one resource, an array, or an Output/Promise of either), so an LWS still waits for the
 * LWS controller the caller installed when this component adds its own Namespace.
 */
export function withDependencies(
  base: pulumi.ComponentResourceOptions["dependsOn"],
  extra: pulumi.Resource[],
): pulumi.Input<pulumi.Input<pulumi.Resource>[]> {
  const merge = (b: unknown): pulumi.Input<pulumi.Resource>[] => [
    ...((Array.isArray(b) ? b : [b]) as pulumi.Input<pulumi.Resource>[]),
    ...extra,
  ];
  if (base === undefined) return extra;
  if (Array.isArray(base) || pulumi.Resource.isInstance(base)) return merge(base);
  if (pulumi.Output.isInstance(base)) {
    return (base as pulumi.Output<unknown>).apply(merge) as pulumi.Output<pulumi.Resource[]>;
  }
  return Promise.resolve(base as unknown).then(merge) as Promise<pulumi.Resource[]>;
}

/**
 * Serves one model with vLLM: a Deployment when it fits one node, a LeaderWorkerSet when it
 * spans several, and a Service in front of the serving pods. Every decision is made by
 * `vllmServerPlan`; this class only creates what the plan lists. Invalid arguments throw a
 * `ConfigError` before anything is registered.
 */
export class VllmServer extends pulumi.ComponentResource {
  /** Name of the Service in front of the serving pods. */
  public readonly serviceName: pulumi.Output<string>;
  /** In-cluster URL, `http://<service>.<namespace>.svc.cluster.local:<port>`. */
  public readonly url: pulumi.Output<string>;
  /** OpenAI-compatible base URL (`url` + `/v1`). */
  public readonly openaiBaseUrl: pulumi.Output<string>;
  /** Labels of the serving pods (Deployment pods, or LWS leaders), as the plan decided them. */
  public readonly servingSelector: pulumi.Output<Record<string, string>>;
  /** Port of the OpenAI API and `/metrics` on the serving pods. */
  public readonly port: pulumi.Output<number>;
  /** Namespace of the server's objects. */
  public readonly namespace: pulumi.Output<string>;
  /**
   * The workload an autoscaler scales (`{apiVersion, kind, name}`, in the server's
   * namespace): the Deployment, or the LeaderWorkerSet through its scale subresource.
   */
  public readonly scaleTarget: pulumi.Output<ScaleTarget>;

  constructor(name: string, args: VllmServerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything: a bad config must leave nothing half-created.
    const plan = vllmServerPlan(args, name);
    super("llm-serving:index:VllmServer", name, {}, opts);
    for (const warning of plan.warnings) pulumi.log.warn(warning, this);

    const namespace = plan.namespace
      ? new k8s.core.v1.Namespace(`${name}-namespace`, plan.namespace, { parent: this })
      : undefined;
    // Children do not inherit the component's dependsOn: forward it, plus our Namespace.
    const dependsOn = withDependencies(opts?.dependsOn, namespace ? [namespace] : []);
    const childOpts = { parent: this, dependsOn };

    const workloadOpts = plan.scaledObject
      ? { ...childOpts, ...AUTOSCALED_WORKLOAD_OPTIONS }
      : childOpts;
    const workload: pulumi.CustomResource = plan.deployment
      ? new k8s.apps.v1.Deployment(
          `${name}-deployment`,
          plan.deployment as k8s.apps.v1.DeploymentArgs,
          workloadOpts,
        )
      : new k8s.apiextensions.CustomResource(
          `${name}-lws`,
          plan.leaderWorkerSet as k8s.apiextensions.CustomResourceArgs,
          workloadOpts,
        );
    if (plan.scaledObject) {
      // After the workload, so `pulumi destroy` deletes the ScaledObject (and KEDA its HPA)
      // before the workload: nothing scales an object that is going away. The caller's
      // dependsOn (the KEDA install, whose CRD this needs) is forwarded as to every child.
      new k8s.apiextensions.CustomResource(`${name}-scaledobject`, plan.scaledObject, {
        parent: this,
        dependsOn: withDependencies(opts?.dependsOn, [...(namespace ? [namespace] : []), workload]),
      });
    }
    for (const policy of plan.networkPolicies) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${policy.metadata?.name}`,
        policy as k8s.networking.v1.NetworkPolicyArgs,
        childOpts,
      );
    }
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      plan.service as k8s.core.v1.ServiceArgs,
      childOpts,
    );

    this.serviceName = service.metadata.name;
    this.url = service.metadata.name.apply(() => plan.url);
    this.openaiBaseUrl = service.metadata.name.apply(() => plan.openaiBaseUrl);
    this.servingSelector = pulumi.output(plan.servingSelector);
    this.port = pulumi.output(plan.port);
    this.namespace = pulumi.output(plan.config.namespace);
    this.scaleTarget = workload.urn.apply(() => plan.scaleTarget);
    this.registerOutputs({
      scaleTarget: this.scaleTarget,
      serviceName: this.serviceName,
      url: this.url,
      openaiBaseUrl: this.openaiBaseUrl,
      servingSelector: this.servingSelector,
      port: this.port,
      namespace: this.namespace,
    });
  }
}
