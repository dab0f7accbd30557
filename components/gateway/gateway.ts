import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type InferenceGatewayArgs, inferenceGatewayPlan } from "./plan";

/**
 * Puts vLLM servers behind an inference gateway: per server an `InferencePool` (its serving
 * pods, from `vllmServerPlan`), an endpoint picker (llm-d-router's EPP) with prefix-cache-,
 * queue- and KV-cache-aware scoring, and either GKE Inference Gateway objects (`Gateway`,
 * `HTTPRoute`, health-check and backend policies) or the picker's standalone Envoy proxy on a
 * NodePort. Every decision is made by `inferenceGatewayPlan`; invalid arguments throw a
 * `ConfigError` before anything is registered.
 */
export class InferenceGateway extends pulumi.ComponentResource {
  /** Per server name: the path of its OpenAI API on the gateway (`/v1`, or `/<server>/v1` on GKE). */
  public readonly basePaths: pulumi.Output<Record<string, string>>;
  /** Per server name: its InferencePool's name. */
  public readonly poolNames: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: InferenceGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    const plan = inferenceGatewayPlan(args);
    super("llm-serving:index:InferenceGateway", name, {}, opts);
    const parent = { parent: this };
    // The InferencePool kind must exist before any pool is created.
    const crd = plan.crdUrl
      ? [new k8s.yaml.v2.ConfigFile(`${name}-inferencepool-crd`, { file: plan.crdUrl }, parent)]
      : [];
    if (plan.gateway) {
      new k8s.apiextensions.CustomResource(`${name}-gateway`, plan.gateway, parent);
    }
    for (const p of plan.pickers) {
      const id = `${name}-${p.target.name}`;
      const sa = new k8s.core.v1.ServiceAccount(`${id}-epp-sa`, p.serviceAccount, parent);
      const role = new k8s.rbac.v1.Role(`${id}-epp-role`, p.role as k8s.rbac.v1.RoleArgs, parent);
      const binding = new k8s.rbac.v1.RoleBinding(
        `${id}-epp-rolebinding`,
        p.roleBinding as k8s.rbac.v1.RoleBindingArgs,
        { parent: this, dependsOn: [sa, role] },
      );
      const delegation = new k8s.rbac.v1.ClusterRoleBinding(
        `${id}-epp-auth`,
        p.authDelegation as k8s.rbac.v1.ClusterRoleBindingArgs,
        { parent: this, dependsOn: [sa] },
      );
      const configs = [
        new k8s.core.v1.ConfigMap(`${id}-epp-config`, p.configMap, parent),
        ...(p.proxyConfigMap
          ? [new k8s.core.v1.ConfigMap(`${id}-proxy-config`, p.proxyConfigMap, parent)]
          : []),
      ];
      const pool = new k8s.apiextensions.CustomResource(`${id}-pool`, p.pool, {
        parent: this,
        dependsOn: crd,
      });
      // The picker starts by reading its pool, with the rights the bindings grant.
      new k8s.apps.v1.Deployment(`${id}-epp`, p.deployment as k8s.apps.v1.DeploymentArgs, {
        parent: this,
        dependsOn: [binding, delegation, pool, ...configs],
      });
      new k8s.core.v1.Service(`${id}-epp-svc`, p.service as k8s.core.v1.ServiceArgs, parent);
      if (p.proxyService) {
        new k8s.core.v1.Service(
          `${id}-proxy-svc`,
          p.proxyService as k8s.core.v1.ServiceArgs,
          parent,
        );
      }
      for (const policy of p.networkPolicies) {
        new k8s.networking.v1.NetworkPolicy(
          `${id}-${policy.metadata?.name}`,
          policy as k8s.networking.v1.NetworkPolicyArgs,
          parent,
        );
      }
      for (const [suffix, object] of [
        ["route", p.route],
        ["healthcheck", p.healthCheckPolicy],
        ["backend", p.backendPolicy],
      ] as const) {
        if (object) {
          new k8s.apiextensions.CustomResource(`${id}-${suffix}`, object, {
            parent: this,
            dependsOn: [pool],
          });
        }
      }
    }
    this.basePaths = pulumi.output(
      Object.fromEntries(plan.pickers.map((p) => [p.target.name, p.basePath])),
    );
    this.poolNames = pulumi.output(
      Object.fromEntries(plan.pickers.map((p) => [p.target.name, p.pool.metadata.name])),
    );
    this.registerOutputs({ basePaths: this.basePaths, poolNames: this.poolNames });
  }
}
