/**
 * Everything a `VllmServer` creates, decided in one pure function: the component only
 * instantiates what this returns.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IService } from "kubernetes-models/v1/Service";
import { type ShapePlan, summarize } from "../planner/plan";
import {
  checkServerMemory,
  GPU_TYPE_ANNOTATION,
  MEMORY_ESTIMATE_ANNOTATION,
} from "../planner/server";
import { ConfigError } from "../validation";
import { type VllmServerArgs, type VllmServerConfig, validateVllmServerArgs } from "./args";
import { type IScaledObject, type ScaleTarget, vllmScaledObject } from "./autoscaling";
import { vllmNetworkPolicies } from "./network-policy";
import { serviceName, serviceUrl, servingSelector, vllmNamespace, vllmService } from "./service";
import { type ILeaderWorkerSet, vllmDeployment, vllmLeaderWorkerSet } from "./workload";

/** The objects of one vLLM server and its URLs. */
export interface VllmServerPlan {
  /** The validated config the objects were built from. */
  config: VllmServerConfig;
  /** The namespace, when `createNamespace` is set. */
  namespace?: INamespace;
  /** The workload when the server fits one node. */
  deployment?: IDeployment;
  /** The workload when the server spans nodes. */
  leaderWorkerSet?: ILeaderWorkerSet;
  /** The Service selecting serving pods. */
  service: IService;
  /** What an autoscaler scales: the workload above, by apiVersion, kind and name. */
  scaleTarget: ScaleTarget;
  /**
   * KEDA's ScaledObject, when `autoscaling` is set. KEDA then owns the workload's
   * `spec.replicas`: the component tells Pulumi to leave that field alone.
   */
  scaledObject?: IScaledObject;
  /** Who may reach the API port and the group's internal ports. */
  networkPolicies: INetworkPolicy[];
  /** The Service's name. */
  serviceName: string;
  /**
   * Labels of the pods that answer API requests (Deployment pods, or each LWS group's
   * leader): the one source of truth for the Service, an InferencePool and a scale target.
   */
  servingSelector: Record<string, string>;
  /** Port of the OpenAI API and `/metrics` on the serving pods (and on the Service). */
  port: number;
  /** In-cluster base URL. */
  url: string;
  /** OpenAI-compatible base URL (`url` + `/v1`). */
  openaiBaseUrl: string;
  /** The planner's memory estimate, when the model is in its catalog and `gpuType` is set. */
  memory?: ShapePlan;
  /** Planner warnings (thin KV cache) the component logs. */
  warnings: string[];
}

/**
 * Validates `args` and builds every object of the server.
 * @param defaultName Kubernetes name when `args.name` is unset (the component's name).
 * @param root prefix of error paths (e.g. `models[0]`).
 * @throws ConfigError listing every problem by path, before anything is built.
 */
export function vllmServerPlan(
  args: VllmServerArgs,
  defaultName: string,
  root = "",
): VllmServerPlan {
  const c = validateVllmServerArgs(args, defaultName, root);
  const memory = c.gpuType
    ? checkServerMemory(
        { modelId: c.model.id, gpuType: c.gpuType, parallelism: c.parallelism, engine: c.engine },
        root,
      )
    : { problems: [], warnings: [] };
  if (memory.problems.length > 0) throw new ConfigError(`VllmServer "${c.name}"`, memory.problems);
  const multiNode = c.parallelism.nodes > 1;
  const url = serviceUrl(c);
  const workload = multiNode ? vllmLeaderWorkerSet(c) : vllmDeployment(c);
  if (c.gpuType) {
    workload.metadata = {
      ...workload.metadata,
      annotations: {
        ...workload.metadata?.annotations,
        [GPU_TYPE_ANNOTATION]: c.gpuType,
        ...(memory.plan ? { [MEMORY_ESTIMATE_ANNOTATION]: summarize(memory.plan) } : {}),
      },
    };
  }
  const scaleTarget: ScaleTarget = {
    apiVersion: workload.apiVersion as string,
    kind: workload.kind as string,
    name: workload.metadata?.name as string,
  };
  return {
    config: c,
    ...(c.createNamespace ? { namespace: vllmNamespace(c) } : {}),
    ...(multiNode
      ? { leaderWorkerSet: workload as ILeaderWorkerSet }
      : { deployment: workload as IDeployment }),
    service: vllmService(c),
    scaleTarget,
    ...(c.autoscaling
      ? {
          scaledObject: vllmScaledObject(
            {
              name: c.name,
              namespace: c.namespace,
              labels: workload.metadata?.labels ?? {},
              runtime: c.runtime,
            },
            c.autoscaling,
            scaleTarget,
          ),
        }
      : {}),
    networkPolicies: vllmNetworkPolicies(c),
    serviceName: serviceName(c),
    servingSelector: servingSelector(c),
    port: c.port,
    url,
    openaiBaseUrl: `${url}/v1`,
    ...(memory.plan ? { memory: memory.plan } : {}),
    warnings: memory.warnings,
  };
}
