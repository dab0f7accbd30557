/**
 * The endpoint picker (EPP) of one vLLM server and the `InferencePool` it serves, as plain
 * objects. The picker is llm-d's router (llm-d/llm-d-router v0.10.0): the Gateway API
 * Inference Extension moved its EPP there in 2026 and keeps only the `InferencePool` API
 * (kubernetes-sigs/gateway-api-inference-extension v1.6.0 README). Ports, flags, probes and
 * RBAC follow that tag's `config/charts/routerlib/templates/` and `pkg/epp/server/options.go`.
 */

import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { stringify } from "yaml";
import { API_CLIENT_LABEL } from "../vllm/network-policy";

/** `InferencePool`'s group and version (GAIE v1.6.0, `config/crd/bases`: v1 is the only served version). */
export const INFERENCE_POOL_API_VERSION = "inference.networking.k8s.io/v1";
/** The group alone, as `--pool-group`, route backendRefs and policy targetRefs name it. */
export const INFERENCE_POOL_GROUP = "inference.networking.k8s.io";

/** EPP's ext-proc gRPC port (`DefaultGrpcPort`, options.go). */
export const EPP_EXT_PROC_PORT = 9002;
/** EPP's gRPC health port (`GRPCHealthPort` default; GKE health-checks the EPP here by default). */
export const EPP_HEALTH_PORT = 9003;
/** EPP's Prometheus port (`MetricsPort` default). */
export const EPP_METRICS_PORT = 9090;
/** Where the EPP reads its `EndpointPickerConfig` (the ConfigMap is mounted at `/config`). */
const CONFIG_DIR = "/config";
const CONFIG_KEY = "config.yaml";

/** `apiVersion` of the picker's config at llm-d-router v0.10.0 (`apix/config/v1alpha1`, group `llm-d.ai`). */
export const EPP_CONFIG_API_VERSION = "llm-d.ai/v1alpha1";

/** What the picker needs to know about one vLLM server (all from `vllmServerPlan`). */
export interface PickerTarget {
  /** The server's name; every object here is named after it. */
  name: string;
  /** The server's namespace (an InferencePool selects pods in its own namespace only). */
  namespace: string;
  /** Labels of the serving pods (`VllmServerPlan.servingSelector`). */
  servingSelector: Record<string, string>;
  /** The serving pods' API and `/metrics` port (`VllmServerPlan.port`). */
  port: number;
}

/** Name of the server's InferencePool: `<server>-pool`. */
export function poolName(t: PickerTarget): string {
  return `${t.name}-pool`;
}

/** Name of the picker's Deployment, Service, ServiceAccount, Role and ConfigMap: `<server>-epp`. */
export function pickerName(t: PickerTarget): string {
  return `${t.name}-epp`;
}

/** Labels of the picker's pods (never the vLLM pods' labels, so no vLLM selector matches them). */
export function pickerLabels(t: PickerTarget): Record<string, string> {
  return {
    "app.kubernetes.io/name": "endpoint-picker",
    "app.kubernetes.io/instance": pickerName(t),
    "app.kubernetes.io/part-of": t.name,
  };
}

function meta(t: PickerTarget, name: string) {
  return {
    name,
    namespace: t.namespace,
    labels: { ...pickerLabels(t), "app.kubernetes.io/managed-by": "pulumi" },
  };
}

/** The InferencePool as the upstream CRD defines it. */
export interface IInferencePool {
  apiVersion: typeof INFERENCE_POOL_API_VERSION;
  kind: "InferencePool";
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    targetPorts: { number: number }[];
    appProtocol?: "http" | "kubernetes.io/h2c";
    endpointPickerRef: {
      group?: string;
      kind?: string;
      name: string;
      port: { number: number };
      failureMode?: "FailOpen" | "FailClose";
    };
  };
}

/**
 * The server's InferencePool: the serving pods (the plan's selector, so LWS workers are never
 * members) on the API port, and the picker's Service as its endpoint picker. `FailOpen`: when
 * the picker is down the gateway still routes (routing is an optimisation; vLLM still checks
 * the API key), as the llm-d-router chart defaults (`router.inferencePool.failureMode`).
 */
export function inferencePool(t: PickerTarget): IInferencePool {
  return {
    apiVersion: INFERENCE_POOL_API_VERSION,
    kind: "InferencePool",
    metadata: meta(t, poolName(t)),
    spec: {
      selector: { matchLabels: { ...t.servingSelector } },
      targetPorts: [{ number: t.port }],
      appProtocol: "http",
      endpointPickerRef: {
        group: "",
        kind: "Service",
        name: pickerName(t),
        port: { number: EPP_EXT_PROC_PORT },
        failureMode: "FailOpen",
      },
    },
  };
}

/** Scorer weights of the default scheduling profile (the llm-d-router chart's defaults). */
export const SCORER_WEIGHTS = {
  "queue-scorer": 2,
  "kv-cache-utilization-scorer": 2,
  "prefix-cache-scorer": 3,
} as const;

/**
 * The picker's `EndpointPickerConfig`: prefix-cache-aware (requests sharing a prompt prefix go
 * where that prefix is cached), queue-aware (`vllm:num_requests_waiting`) and KV-cache-aware
 * (`vllm:kv_cache_usage_perc`) scoring, the highest total score wins (`max-score-picker`).
 * The metrics come from each pod's `/metrics` over HTTP (`metrics-data-source`), read by the
 * `core-metrics-extractor`, whose vLLM defaults are those two names plus
 * `vllm:num_requests_running`, `vllm:lora_requests_info` and `vllm:cache_config_info`
 * (`pkg/epp/framework/plugins/datalayer/extractor/metrics/factories.go`). The loader decodes
 * strictly (`serializer.EnableStrict`), so only fields of the Go types may appear.
 */
export function endpointPickerConfig(): Record<string, unknown> {
  return {
    apiVersion: EPP_CONFIG_API_VERSION,
    kind: "EndpointPickerConfig",
    plugins: [
      { type: "queue-scorer" },
      { type: "kv-cache-utilization-scorer" },
      { type: "prefix-cache-scorer" },
      { type: "max-score-picker" },
      {
        type: "metrics-data-source",
        parameters: { scheme: "http", path: "/metrics", insecureSkipVerify: false },
      },
      { type: "core-metrics-extractor" },
    ],
    schedulingProfiles: [
      {
        name: "default",
        plugins: [
          ...Object.entries(SCORER_WEIGHTS).map(([pluginRef, weight]) => ({ pluginRef, weight })),
          { pluginRef: "max-score-picker" },
        ],
      },
    ],
  };
}

/** The ConfigMap holding {@link endpointPickerConfig} as YAML. */
export function pickerConfigMap(t: PickerTarget): IConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(t, pickerName(t)),
    data: { [CONFIG_KEY]: stringify(endpointPickerConfig()) },
  };
}

/** The picker's own identity (its token is the only credential it gets). */
export function pickerServiceAccount(t: PickerTarget): IServiceAccount {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(t, pickerName(t)) };
}

/**
 * Read-only, namespace-scoped access to what the picker watches: the pods (its pod
 * reconciler), its own InferencePool (the cache lists it with a `metadata.name` field
 * selector, so `resourceNames` can pin it; `controller_manager.go`), and the
 * InferenceObjective / InferenceModelRewrite kinds, which the picker watches whenever their
 * CRDs exist (`controller_config.go` probes both groups; without read access it would never
 * sync). Nothing cluster-wide except the metrics delegation below.
 */
export function pickerRole(t: PickerTarget): IRole {
  const read = ["get", "list", "watch"];
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: meta(t, pickerName(t)),
    rules: [
      { apiGroups: [""], resources: ["pods"], verbs: read },
      {
        apiGroups: [INFERENCE_POOL_GROUP],
        resources: ["inferencepools"],
        resourceNames: [poolName(t)],
        verbs: read,
      },
      {
        apiGroups: ["llm-d.ai", "inference.networking.x-k8s.io"],
        resources: ["inferenceobjectives", "inferencemodelrewrites"],
        verbs: read,
      },
    ],
  };
}

/** Binds {@link pickerRole} to the picker's ServiceAccount. */
export function pickerRoleBinding(t: PickerTarget): IRoleBinding {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta(t, pickerName(t)),
    subjects: [{ kind: "ServiceAccount", name: pickerName(t), namespace: t.namespace }],
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: pickerName(t) },
  };
}

/**
 * The picker authenticates scrapes of its `/metrics` (`--metrics-endpoint-auth`, on by
 * default) through TokenReviews and SubjectAccessReviews: Kubernetes' built-in
 * `system:auth-delegator` ClusterRole grants exactly those two creates, so no new
 * ClusterRole is written. Named `<namespace>-<server>-epp-auth`: cluster-scoped names must
 * not collide across namespaces.
 */
export function pickerAuthDelegation(t: PickerTarget): IClusterRoleBinding {
  const { namespace: _cluster, ...m } = meta(t, `${t.namespace}-${pickerName(t)}-auth`);
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: m,
    subjects: [{ kind: "ServiceAccount", name: pickerName(t), namespace: t.namespace }],
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "system:auth-delegator",
    },
  };
}

/** Resource requests of the picker (the chart's 8 CPU / 8 GiB target far larger fleets). */
export interface PickerResources {
  /** CPU request. */
  cpu: string;
  /** Memory request and limit. */
  memory: string;
}

/** No privilege escalation, no capabilities: the picker and Envoy need none (the pod runs non-root). */
export function restrictedContainer(): ISecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
}

/** The EPP container: pinned image, flags from options.go, gRPC probes as the chart sets them. */
export function pickerContainer(
  t: PickerTarget,
  image: string,
  resources: PickerResources,
): IContainer {
  const probe = { grpc: { port: EPP_HEALTH_PORT, service: "inference-extension" } };
  return {
    name: "epp",
    image,
    imagePullPolicy: "IfNotPresent",
    args: [
      "--pool-name",
      poolName(t),
      "--pool-namespace",
      t.namespace,
      "--pool-group",
      INFERENCE_POOL_GROUP,
      "--config-file",
      `${CONFIG_DIR}/${CONFIG_KEY}`,
      "--grpc-port",
      String(EPP_EXT_PROC_PORT),
      "--grpc-health-port",
      String(EPP_HEALTH_PORT),
      "--metrics-port",
      String(EPP_METRICS_PORT),
      "--zap-encoder",
      "json",
      // No OpenTelemetry collector here: the default (true) would export to localhost:4317.
      "--tracing=false",
      // A profiling endpoint has no business on a router (the default is true).
      "--enable-pprof=false",
    ],
    ports: [
      { name: "grpc", containerPort: EPP_EXT_PROC_PORT, protocol: "TCP" },
      { name: "grpc-health", containerPort: EPP_HEALTH_PORT, protocol: "TCP" },
      { name: "metrics", containerPort: EPP_METRICS_PORT, protocol: "TCP" },
    ],
    env: [
      { name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ],
    livenessProbe: { ...probe, initialDelaySeconds: 5, periodSeconds: 10 },
    readinessProbe: { ...probe, periodSeconds: 2 },
    resources: {
      requests: { cpu: resources.cpu, memory: resources.memory },
      limits: { memory: resources.memory },
    },
    securityContext: restrictedContainer(),
    volumeMounts: [{ name: "config", mountPath: CONFIG_DIR, readOnly: true }],
  };
}

/** Extra containers and volumes a mode adds to the picker's pod (the standalone proxy). */
export interface PickerSidecar {
  /** Containers added beside the EPP. */
  containers: IContainer[];
  /** Volumes those containers mount. */
  volumes: NonNullable<NonNullable<IDeployment["spec"]>["template"]["spec"]>["volumes"];
}

/**
 * The picker's Deployment: one replica with `Recreate` (the chart's choice: the prefix-cache
 * index lives in the active replica's memory, and two pickers would split it), non-root.
 */
export function pickerDeployment(
  t: PickerTarget,
  image: string,
  resources: PickerResources,
  sidecar?: PickerSidecar,
): IDeployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(t, pickerName(t)),
    spec: {
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: pickerLabels(t) },
      template: {
        metadata: { labels: pickerLabels(t) },
        spec: {
          serviceAccountName: pickerName(t),
          // The chart's value: as long as the longest request it may still be streaming.
          terminationGracePeriodSeconds: 130,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [pickerContainer(t, image, resources), ...(sidecar?.containers ?? [])],
          volumes: [
            { name: "config", configMap: { name: pickerName(t) } },
            ...(sidecar?.volumes ?? []),
          ],
        },
      },
    },
  };
}

/** The picker's ClusterIP Service: ext-proc (HTTP/2 cleartext app protocol, as the chart) and metrics. */
export function pickerService(t: PickerTarget): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(t, pickerName(t)),
    spec: {
      type: "ClusterIP",
      selector: pickerLabels(t),
      ports: [
        {
          name: "grpc-ext-proc",
          port: EPP_EXT_PROC_PORT,
          targetPort: EPP_EXT_PROC_PORT,
          protocol: "TCP",
          appProtocol: "kubernetes.io/h2c",
        },
        {
          name: "http-metrics",
          port: EPP_METRICS_PORT,
          targetPort: EPP_METRICS_PORT,
          protocol: "TCP",
        },
      ],
    },
  };
}

/** Who may reach the picker's pods: one ingress rule per port group. */
export interface PickerIngress {
  /** CIDRs allowed to the ext-proc and health ports (the gateway's proxies and health checkers); empty: none. */
  extProcFrom: string[];
  /** A port every client may reach (the standalone proxy's listener), if any. */
  openPort?: number;
}

/**
 * The picker's NetworkPolicy: ext-proc and health from the gateway's ranges only, metrics from
 * the namespace and {@link API_CLIENT_LABEL} namespaces (as vLLM's `/metrics`), and in
 * standalone mode the proxy's listener from anywhere (it is the entry point; vLLM checks the
 * API key behind it).
 */
export function pickerNetworkPolicy(t: PickerTarget, ingress: PickerIngress): INetworkPolicy {
  const tcp = (port: number) => ({ protocol: "TCP" as const, port });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta(t, pickerName(t)),
    spec: {
      podSelector: { matchLabels: pickerLabels(t) },
      policyTypes: ["Ingress"],
      ingress: [
        ...(ingress.extProcFrom.length > 0
          ? [
              {
                from: ingress.extProcFrom.map((cidr) => ({ ipBlock: { cidr } })),
                ports: [tcp(EPP_EXT_PROC_PORT), tcp(EPP_HEALTH_PORT)],
              },
            ]
          : []),
        {
          from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { [API_CLIENT_LABEL]: "true" } } },
          ],
          ports: [tcp(EPP_METRICS_PORT)],
        },
        ...(ingress.openPort !== undefined ? [{ ports: [tcp(ingress.openPort)] }] : []),
      ],
    },
  };
}
