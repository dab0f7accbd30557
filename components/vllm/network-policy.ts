/**
 * NetworkPolicies of one vLLM server: who may reach its API port, and that the internal
 * ports of a multi-node group (torch's store, vLLM's message queues, NCCL/Gloo bootstrap,
 * Ray) answer only the server's own pods. Pure functions of the validated config.
 *
 * A NetworkPolicy does nothing for host-network pods (the `roce-hostnet` profile): there the
 * host firewall in docs/security.md is the control. The policies are rendered anyway, so a
 * server moved to another profile is never left open.
 */
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { VllmServerConfig } from "./args";
import { servingSelector } from "./service";
import { commonLabels, LWS_NAME_LABEL } from "./workload";

/**
 * The namespace label that lets a namespace's pods call every vLLM API port (monitoring, a
 * gateway, a benchmark): `llm-serving.dev/api-client: "true"`.
 */
export const API_CLIENT_LABEL = "llm-serving.dev/api-client";

/** Name of the API policy: `<name>-api`. */
export function apiPolicyName(c: VllmServerConfig): string {
  return `${c.name}-api`;
}

/** Name of the group-internal policy: `<name>-group`. */
export function groupPolicyName(c: VllmServerConfig): string {
  return `${c.name}-group`;
}

/**
 * The API port (OpenAI API, `/health`, `/metrics`) of the serving pods, reachable from pods of
 * the server's own namespace and of namespaces labelled {@link API_CLIENT_LABEL}; nothing
 * else reaches those pods except what the group policy allows.
 */
export function apiNetworkPolicy(c: VllmServerConfig): INetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: apiPolicyName(c), namespace: c.namespace, labels: commonLabels(c) },
    spec: {
      podSelector: { matchLabels: servingSelector(c) },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { [API_CLIENT_LABEL]: "true" } } },
          ],
          ports: [{ protocol: "TCP", port: c.port }],
        },
      ],
    },
  };
}

/**
 * Every port of a multi-node server's pods, from the server's own pods only. vLLM's message
 * queues and NCCL's bootstrap listen on ports chosen at start, so the rule cannot name them;
 * it names the peers instead. (Pods of the server's other replicas match too: LWS's group key
 * is a hash known only once the group exists.)
 */
export function groupNetworkPolicy(c: VllmServerConfig): INetworkPolicy {
  const group = { matchLabels: { [LWS_NAME_LABEL]: c.name } };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: groupPolicyName(c), namespace: c.namespace, labels: commonLabels(c) },
    spec: {
      podSelector: group,
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: group }] }],
    },
  };
}

/** The server's NetworkPolicies: the API policy, plus the group policy when it spans nodes. */
export function vllmNetworkPolicies(c: VllmServerConfig): INetworkPolicy[] {
  return c.parallelism.nodes > 1
    ? [apiNetworkPolicy(c), groupNetworkPolicy(c)]
    : [apiNetworkPolicy(c)];
}
