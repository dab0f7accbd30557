/**
 * Everything an `InferenceGateway` creates, decided in one pure function from validated args.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IService } from "kubernetes-models/v1/Service";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { z } from "zod";
import { parseCidr } from "../gke/cidr";
import { ConfigError, type ConfigProblem, dnsLabelSchema, parseOrThrow } from "../validation";
import { versions } from "../versions";
import type { VllmServerPlan } from "../vllm/plan";
import {
  type GatewayRef,
  GCP_HEALTH_CHECK_RANGES,
  GKE_INTERNAL_GATEWAY_CLASS,
  gkeBackendPolicy,
  gkeGateway,
  gkeHealthCheckPolicy,
  gkeHttpRoute,
  gkeServingNetworkPolicy,
  type IGateway,
  type IGCPBackendPolicy,
  type IHealthCheckPolicy,
  type IHTTPRoute,
  routePrefix,
} from "./gke";
import {
  type IInferencePool,
  inferencePool,
  type PickerTarget,
  pickerAuthDelegation,
  pickerConfigMap,
  pickerDeployment,
  pickerNetworkPolicy,
  pickerRole,
  pickerRoleBinding,
  pickerService,
  pickerServiceAccount,
} from "./picker";
import { PROXY_PORT, proxyConfigMap, proxyService, proxySidecar } from "./standalone";

/**
 * How requests reach the endpoint picker. Closed set; other languages see it as an enum.
 * - `gke`: GKE Inference Gateway (a GKE-managed internal load balancer calls the picker).
 * - `standalone`: an Envoy proxy in the picker's pod (no Gateway implementation needed),
 *   published on every node's address through a NodePort.
 */
export const GatewayMode = { gke: "gke", standalone: "standalone" } as const;
/** One of {@link GatewayMode}'s values. */
export type GatewayMode = (typeof GatewayMode)[keyof typeof GatewayMode];

/**
 * The InferencePool CRD the standalone mode installs (GKE ≥ 1.34.0-gke.1626000 installs it
 * itself): the `v1-manifests.yaml` asset of the Gateway API Inference Extension release,
 * built from `config/crd` (its Makefile's `artifacts` target keeps the v1 CRDs only).
 */
export function inferencePoolCrdUrl(version: string): string {
  return `https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/${version}/v1-manifests.yaml`;
}

/** One vLLM server behind the gateway: the facts `vllmServerPlan` decided for it. */
export interface InferenceGatewayServer {
  /** The server's name (`VllmServerPlan.config.name`); names its pool, picker and route. */
  name: string;
  /** The server's namespace. */
  namespace: string;
  /** Labels of its serving pods (`VllmServerPlan.servingSelector`, or the `VllmServer` output). */
  servingSelector: Record<string, string>;
  /** Its API port (`VllmServerPlan.port`). */
  port: number;
  /** Standalone mode: the node port its proxy listens on (30000–32767). Defaults to 30080. */
  nodePort?: number;
}

/**
 * A server as the gateway takes it, read off its plan: the same selector and port its Service
 * uses, so the pool's members are exactly the serving pods (one source of truth).
 */
export function gatewayServerOf(plan: VllmServerPlan, nodePort?: number): InferenceGatewayServer {
  return {
    name: plan.config.name,
    namespace: plan.config.namespace,
    servingSelector: plan.servingSelector,
    port: plan.port,
    ...(nodePort !== undefined ? { nodePort } : {}),
  };
}

/** Arguments of `InferenceGateway`. */
export interface InferenceGatewayArgs {
  /** `gke` or `standalone` (see {@link GatewayMode}). Required. */
  mode: GatewayMode;
  /** The servers to put behind the gateway, at least one; names must be unique. */
  servers: InferenceGatewayServer[];
  /** Endpoint picker image. Defaults to `versions.endpointPickerImage`. */
  pickerImage?: string;
  /** Standalone proxy image. Defaults to `versions.envoyImage`. */
  proxyImage?: string;
  /** CPU request of each picker. Defaults to `500m`. */
  pickerCpu?: string;
  /** Memory request and limit of each picker. Defaults to `1Gi`. */
  pickerMemory?: string;
  /** GKE: name of the Gateway. Defaults to `inference-gateway`. */
  gatewayName?: string;
  /** GKE: namespace of the Gateway. Defaults to the first server's namespace. */
  gatewayNamespace?: string;
  /** GKE: Gateway class. Defaults to `gke-l7-rilb` (regional internal Application Load Balancer). */
  gatewayClassName?: string;
  /**
   * GKE: the region's proxy-only subnet range: the load balancer's proxies connect to the
   * pods and the picker from it, so the NetworkPolicies admit it. Required in `gke` mode.
   */
  proxyOnlySubnetCidr?: string;
  /**
   * Standalone: install the InferencePool CRD (Gateway API Inference Extension
   * `versions.inferencePoolCrd`). Turn off when something else installs it. Defaults to true.
   */
  installCrd?: boolean;
}

/** Validated args with defaults. */
export type InferenceGatewayConfig = z.output<typeof argsSchema>;

/** The default node port of a standalone server. */
export const DEFAULT_NODE_PORT = 30080;

const cidr = z.string().refine((v) => typeof parseCidr(v) !== "string", {
  message: "must be an IPv4 CIDR like 192.168.0.0/23",
});

const argsSchema = z
  .object({
    mode: z.enum([GatewayMode.gke, GatewayMode.standalone]),
    servers: z
      .array(
        z
          .object({
            name: dnsLabelSchema,
            namespace: dnsLabelSchema,
            servingSelector: z
              .record(z.string(), z.string())
              .refine(
                (s) => Object.keys(s).length > 0,
                "must select the serving pods (no labels given)",
              ),
            port: z.number().int().min(1).max(65535),
            nodePort: z.number().int().min(30000).max(32767).optional(),
          })
          .strict(),
      )
      .min(1, "put at least one server behind the gateway"),
    pickerImage: z.string().min(1).default(versions.endpointPickerImage),
    proxyImage: z.string().min(1).default(versions.envoyImage),
    pickerCpu: z.string().min(1).default("500m"),
    pickerMemory: z.string().min(1).default("1Gi"),
    gatewayName: dnsLabelSchema.default("inference-gateway"),
    gatewayNamespace: dnsLabelSchema.optional(),
    gatewayClassName: z.string().min(1).default(GKE_INTERNAL_GATEWAY_CLASS),
    proxyOnlySubnetCidr: cidr.optional(),
    installCrd: z.boolean().default(true),
  })
  .strict();

/** Everything one server's picker brings, per kind. */
export interface PickerObjects {
  /** The server as the gateway sees it. */
  target: PickerTarget;
  /** Its InferencePool. */
  pool: IInferencePool;
  serviceAccount: IServiceAccount;
  role: IRole;
  roleBinding: IRoleBinding;
  authDelegation: IClusterRoleBinding;
  configMap: IConfigMap;
  deployment: IDeployment;
  service: IService;
  /** NetworkPolicies: the picker's own, and on GKE the widening of the serving pods' policy. */
  networkPolicies: INetworkPolicy[];
  /** Standalone: the proxy's config and its NodePort Service. */
  proxyConfigMap?: IConfigMap;
  proxyService?: IService;
  /** GKE: the route and the pool's policies. */
  route?: IHTTPRoute;
  healthCheckPolicy?: IHealthCheckPolicy;
  backendPolicy?: IGCPBackendPolicy;
  /**
   * Where clients send OpenAI requests, relative to the gateway's address: `/v1` in
   * standalone mode (`http://<node>:<nodePort>/v1`), `/<server>/v1` on GKE.
   */
  basePath: string;
  /** Standalone: the node port. */
  nodePort?: number;
}

/** The whole gateway. */
export interface InferenceGatewayPlan {
  config: InferenceGatewayConfig;
  /** GKE: the Gateway. */
  gateway?: IGateway;
  /** Standalone: URL of the InferencePool CRD manifest to apply first. */
  crdUrl?: string;
  /** One entry per server, in the order given. */
  pickers: PickerObjects[];
}

function crossChecks(c: InferenceGatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const ports = new Map<number, string>();
  c.servers.forEach((s, i) => {
    if (seen.has(s.name)) {
      problems.push({
        path: `servers[${i}].name`,
        message: `"${s.name}" appears twice; each server gets its own pool, picker and route`,
      });
    }
    seen.add(s.name);
    if (c.mode === GatewayMode.standalone) {
      const port = s.nodePort ?? DEFAULT_NODE_PORT;
      const other = ports.get(port);
      if (other !== undefined) {
        problems.push({
          path: `servers[${i}].nodePort`,
          message: `${port} is already the node port of "${other}"; give each server its own`,
        });
      }
      ports.set(port, s.name);
    }
  });
  if (c.mode === GatewayMode.gke && !c.proxyOnlySubnetCidr) {
    problems.push({
      path: "proxyOnlySubnetCidr",
      message:
        "required in gke mode: the range of the region's proxy-only subnet, from which the load balancer reaches the pods",
    });
  }
  return problems;
}

/**
 * Validates `args` and builds every object of the gateway.
 * @throws ConfigError listing every problem by path, before anything is built.
 */
export function inferenceGatewayPlan(args: InferenceGatewayArgs, root = ""): InferenceGatewayPlan {
  const c = parseOrThrow(argsSchema, args, "InferenceGateway", root);
  const problems = crossChecks(c).map((p) => ({
    ...p,
    path: root ? `${root}.${p.path}` : p.path,
  }));
  if (problems.length > 0) throw new ConfigError("InferenceGateway", problems);

  const gke = c.mode === GatewayMode.gke;
  const gw: GatewayRef = {
    name: c.gatewayName,
    namespace: c.gatewayNamespace ?? (c.servers[0] as InferenceGatewayServer).namespace,
  };
  const sources = gke ? [c.proxyOnlySubnetCidr as string, ...GCP_HEALTH_CHECK_RANGES] : [];
  const resources = { cpu: c.pickerCpu, memory: c.pickerMemory };

  const pickers = c.servers.map((s): PickerObjects => {
    const target: PickerTarget = {
      name: s.name,
      namespace: s.namespace,
      servingSelector: s.servingSelector,
      port: s.port,
    };
    const common = {
      target,
      pool: inferencePool(target),
      serviceAccount: pickerServiceAccount(target),
      role: pickerRole(target),
      roleBinding: pickerRoleBinding(target),
      authDelegation: pickerAuthDelegation(target),
      configMap: pickerConfigMap(target),
      service: pickerService(target),
    };
    if (gke) {
      return {
        ...common,
        deployment: pickerDeployment(target, c.pickerImage, resources),
        networkPolicies: [
          pickerNetworkPolicy(target, { extProcFrom: sources }),
          gkeServingNetworkPolicy(target, sources),
        ],
        route: gkeHttpRoute(target, gw),
        healthCheckPolicy: gkeHealthCheckPolicy(target),
        backendPolicy: gkeBackendPolicy(target),
        basePath: `${routePrefix(target)}/v1`,
      };
    }
    const nodePort = s.nodePort ?? DEFAULT_NODE_PORT;
    return {
      ...common,
      deployment: pickerDeployment(
        target,
        c.pickerImage,
        resources,
        proxySidecar(target, c.proxyImage),
      ),
      networkPolicies: [pickerNetworkPolicy(target, { extProcFrom: [], openPort: PROXY_PORT })],
      proxyConfigMap: proxyConfigMap(target),
      proxyService: proxyService(target, nodePort),
      basePath: "/v1",
      nodePort,
    };
  });

  return {
    config: c,
    ...(gke
      ? {
          gateway: gkeGateway(
            gw,
            c.gatewayClassName,
            c.servers.map((s) => s.namespace),
          ),
        }
      : {}),
    ...(!gke && c.installCrd ? { crdUrl: inferencePoolCrdUrl(versions.inferencePoolCrd) } : {}),
    pickers,
  };
}

/** Every Kubernetes object of the plan, in creation order (for checks and `plan`-style listings). */
export function gatewayObjects(plan: InferenceGatewayPlan): object[] {
  return [
    ...(plan.gateway ? [plan.gateway] : []),
    ...plan.pickers.flatMap((p) => [
      p.serviceAccount,
      p.role,
      p.roleBinding,
      p.authDelegation,
      p.configMap,
      ...(p.proxyConfigMap ? [p.proxyConfigMap] : []),
      p.deployment,
      p.service,
      ...(p.proxyService ? [p.proxyService] : []),
      ...p.networkPolicies,
      p.pool,
      ...(p.route ? [p.route] : []),
      ...(p.healthCheckPolicy ? [p.healthCheckPolicy] : []),
      ...(p.backendPolicy ? [p.backendPolicy] : []),
    ]),
  ];
}
