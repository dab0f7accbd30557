/**
 * GKE Inference Gateway: one GKE-managed `Gateway` for the stack, and per server an
 * `HTTPRoute` to its `InferencePool`, the `HealthCheckPolicy` and `GCPBackendPolicy` on that
 * pool (GKE's `networking.gke.io/v1` kinds, as llm-d-router v0.10.0's
 * `config/charts/llm-d-router-gateway/templates/gke.yaml` renders them), and the NetworkPolicy
 * that lets GKE's proxies and health checkers reach the serving pods.
 */
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { INFERENCE_POOL_GROUP, type PickerTarget, pickerLabels, poolName } from "./picker";

/**
 * The fields this module sets, typed locally: the full types live in
 * `@kubernetes-models/gateway-api` and `@kubernetes-models/gke`, which the tests validate
 * against but the published package does not depend on.
 */
interface Meta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
}
/** A `gateway.networking.k8s.io/v1` Gateway (the fields set here). */
export interface IGateway {
  apiVersion: "gateway.networking.k8s.io/v1";
  kind: "Gateway";
  metadata: Meta;
  spec: {
    gatewayClassName: string;
    listeners: {
      name: string;
      port: number;
      protocol: string;
      allowedRoutes?: {
        kinds?: { group?: string; kind: string }[];
        namespaces?: {
          from?: "All" | "Same" | "Selector";
          selector?: {
            matchExpressions?: { key: string; operator: string; values?: string[] }[];
          };
        };
      };
    }[];
  };
}
/** A `gateway.networking.k8s.io/v1` HTTPRoute (the fields set here). */
export interface IHTTPRoute {
  apiVersion: "gateway.networking.k8s.io/v1";
  kind: "HTTPRoute";
  metadata: Meta;
  spec: {
    parentRefs: { group?: string; kind?: string; name: string; namespace?: string }[];
    rules: {
      matches?: { path?: { type?: string; value?: string } }[];
      filters?: {
        type: string;
        urlRewrite?: { path?: { type: string; replacePrefixMatch?: string } };
      }[];
      backendRefs?: { group?: string; kind?: string; name: string }[];
    }[];
  };
}
/** The target of a GKE policy: a Gateway API object by group, kind and name. */
interface PolicyTarget {
  group: string;
  kind: string;
  name: string;
}
/** GKE's `networking.gke.io/v1` HealthCheckPolicy (the fields set here). */
export interface IHealthCheckPolicy {
  apiVersion: "networking.gke.io/v1";
  kind: "HealthCheckPolicy";
  metadata: Meta;
  spec: {
    targetRef: PolicyTarget;
    default?: {
      timeoutSec?: number;
      checkIntervalSec?: number;
      config?: {
        type: "HTTP" | "HTTPS" | "HTTP2" | "GRPC" | "TCP";
        httpHealthCheck?: {
          portSpecification?: "USE_FIXED_PORT" | "USE_NAMED_PORT" | "USE_SERVING_PORT";
          port?: number;
          requestPath?: string;
        };
      };
    };
  };
}
/** GKE's `networking.gke.io/v1` GCPBackendPolicy (the fields set here). */
export interface IGCPBackendPolicy {
  apiVersion: "networking.gke.io/v1";
  kind: "GCPBackendPolicy";
  metadata: Meta;
  spec: { targetRef: PolicyTarget; default?: { timeoutSec?: number } };
}

/**
 * GKE's Gateway class for a regional internal Application Load Balancer: reachable from the
 * VPC only (internal by default), and it needs a proxy-only subnet (purpose
 * `REGIONAL_MANAGED_PROXY`) in the cluster's region.
 */
export const GKE_INTERNAL_GATEWAY_CLASS = "gke-l7-rilb";

/**
 * Google Cloud's health-check source ranges, which a NetworkPolicy must admit to the pods a
 * load balancer checks.
 */
export const GCP_HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"] as const;

/** The stack's one Gateway. */
export interface GatewayRef {
  /** Gateway name. */
  name: string;
  /** Gateway namespace. */
  namespace: string;
}

/**
 * The Gateway: one HTTP listener on port 80, accepting routes from the servers' namespaces
 * only (matched by the `kubernetes.io/metadata.name` label every namespace carries).
 */
export function gkeGateway(gw: GatewayRef, className: string, routeNamespaces: string[]): IGateway {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: {
      name: gw.name,
      namespace: gw.namespace,
      labels: { "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec: {
      gatewayClassName: className,
      listeners: [
        {
          name: "http",
          port: 80,
          protocol: "HTTP",
          allowedRoutes: {
            kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
            namespaces: {
              from: "Selector",
              selector: {
                matchExpressions: [
                  {
                    key: "kubernetes.io/metadata.name",
                    operator: "In",
                    values: [...new Set(routeNamespaces)].sort(),
                  },
                ],
              },
            },
          },
        },
      ],
    },
  };
}

/** The path prefix a server answers under on the shared Gateway: `/<server>`. */
export function routePrefix(t: PickerTarget): string {
  return `/${t.name}`;
}

/**
 * The server's HTTPRoute: `/<server>/…` on the Gateway goes to the server's InferencePool
 * with the prefix removed, so `/<server>/v1/chat/completions` reaches vLLM as
 * `/v1/chat/completions`. Headers (the `Authorization` bearer token) pass unchanged.
 */
export function gkeHttpRoute(t: PickerTarget, gw: GatewayRef): IHTTPRoute {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: {
      name: t.name,
      namespace: t.namespace,
      labels: { ...pickerLabels(t), "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec: {
      parentRefs: [
        {
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          name: gw.name,
          namespace: gw.namespace,
        },
      ],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: routePrefix(t) } }],
          filters: [
            {
              type: "URLRewrite",
              urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } },
            },
          ],
          backendRefs: [{ group: INFERENCE_POOL_GROUP, kind: "InferencePool", name: poolName(t) }],
        },
      ],
    },
  };
}

const poolTarget = (t: PickerTarget) => ({
  group: INFERENCE_POOL_GROUP,
  kind: "InferencePool",
  name: poolName(t),
});

/**
 * Health checks of the pool's pods: HTTP `/health` on the API port (vLLM answers it without
 * the API key), every 2 s with a 2 s timeout, as the llm-d-router chart sets them.
 */
export function gkeHealthCheckPolicy(t: PickerTarget): IHealthCheckPolicy {
  return {
    apiVersion: "networking.gke.io/v1",
    kind: "HealthCheckPolicy",
    metadata: { name: t.name, namespace: t.namespace, labels: pickerLabels(t) },
    spec: {
      targetRef: poolTarget(t),
      default: {
        timeoutSec: 2,
        checkIntervalSec: 2,
        config: {
          type: "HTTP",
          httpHealthCheck: {
            portSpecification: "USE_FIXED_PORT",
            port: t.port,
            requestPath: "/health",
          },
        },
      },
    },
  };
}

/**
 * The pool's backend service: a 300 s request timeout (the chart's value; long generations
 * stream for minutes). Request logging stays at GKE's default (off): it is billed per entry.
 */
export function gkeBackendPolicy(t: PickerTarget): IGCPBackendPolicy {
  return {
    apiVersion: "networking.gke.io/v1",
    kind: "GCPBackendPolicy",
    metadata: { name: t.name, namespace: t.namespace, labels: pickerLabels(t) },
    spec: { targetRef: poolTarget(t), default: { timeoutSec: 300 } },
  };
}

/**
 * Lets the load balancer's proxies (the proxy-only subnet) and Google's health checkers reach
 * the serving pods' API port. NetworkPolicies add up, so this widens the server's own API
 * policy (components/vllm/network-policy.ts) by exactly these sources and that port.
 */
export function gkeServingNetworkPolicy(t: PickerTarget, sources: string[]): INetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: `${t.name}-gateway`,
      namespace: t.namespace,
      labels: { ...pickerLabels(t), "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec: {
      podSelector: { matchLabels: { ...t.servingSelector } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: sources.map((cidr) => ({ ipBlock: { cidr } })),
          ports: [{ protocol: "TCP", port: t.port }],
        },
      ],
    },
  };
}
