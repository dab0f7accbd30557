/**
 * KEDA autoscaling of a vLLM server: the `autoscaling` argument, its validation, and the
 * `ScaledObject` (keda.sh/v1alpha1, KEDA v2.20.2) that scales the server's workload on its
 * request queue as Prometheus scrapes it. The queue and KV-cache series are the runtime's
 * (`servingMetrics` in nim.ts): vLLM's, which NIM for LLMs 2.0.x passes through unrenamed.
 *
 * Why KEDA rather than a bare HPA: an HPA reads custom metrics only through a metrics
 * adapter, which this project would have to install and configure per metric; KEDA's
 * Prometheus scaler runs a PromQL query itself and can scale to zero.
 */
import { z } from "zod";
// Not monitoring/plan or scrape: they import vllm/, which imports this module (a cycle
// would leave args.ts' constants undefined while command.ts initialises).
import { prometheusUrl as defaultPrometheusUrl, SERVER_LABEL } from "../monitoring/prometheus";
import { checkPromql } from "../monitoring/promql";
import type { ConfigProblem } from "../validation";
import { type ServingRuntime, servingMetrics } from "./nim";

/** KEDA autoscaling of one server (see `VllmServerArgs.autoscaling`). */
export interface VllmAutoscalingArgs {
  /**
   * Most replicas (Deployment pods or LeaderWorkerSet groups). maxReplicas × GPUs per
   * replica must fit the GPUs the cluster has for the server: the stacks check it. Required.
   */
  maxReplicas: number;
  /**
   * Fewest replicas. 0 scales the server to zero when idle, which needs `wakeQuery`: the
   * server's own queue metric disappears with its last pod, so nothing else could scale it
   * back up. Defaults to 1.
   */
  minReplicas?: number;
  /**
   * Requests waiting (`vllm:num_requests_waiting`, which NIM 2.0.x exports too) per replica
   * the autoscaler aims for: it wants ceil(waiting across the server / queueDepth) replicas.
   * Defaults to 5.
   */
  queueDepth?: number;
  /**
   * KV-cache usage per replica, a fraction in (0, 1] (`vllm:kv_cache_usage_perc`), as a
   * second trigger: the server also scales out when its replicas' average usage passes it,
   * before requests queue. Defaults to none (queue depth only).
   */
  kvCacheUsage?: number;
  /**
   * Waiting requests above which a server at zero replicas wakes (KEDA's
   * `activationThreshold` of the queue and wake triggers). Only used with minReplicas 0.
   * Defaults to 0 (any waiting request wakes it).
   */
  activationQueueDepth?: number;
  /**
   * Seconds without demand before a replica is removed: the HPA's scale-down stabilization
   * window, and KEDA's `cooldownPeriod` before the last replica goes (minReplicas 0).
   * Defaults to 300.
   */
  cooldownSeconds?: number;
  /** Seconds between KEDA's queries (`pollingInterval`). Defaults to 15 (the scrape interval). */
  pollingSeconds?: number;
  /**
   * PromQL counting requests for this server that wait OUTSIDE it (e.g. at a gateway or
   * a client queue), so a server at zero replicas can be woken. Required when minReplicas
   * is 0; a third trigger otherwise unused. Must return one series. Defaults to none.
   */
  wakeQuery?: string;
  /**
   * Prometheus' HTTP API KEDA queries. Defaults to the in-cluster Prometheus of a
   * `Monitoring` component with its default namespace and release name
   * (`http://monitoring-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090`).
   */
  prometheusUrl?: string;
}

/** Validated autoscaling with defaults applied. */
export interface VllmAutoscalingConfig {
  /** Fewest replicas (0: scale to zero). */
  minReplicas: number;
  /** Most replicas. */
  maxReplicas: number;
  /** Target waiting requests per replica. */
  queueDepth: number;
  /** Target KV-cache usage per replica, if that trigger is on. */
  kvCacheUsage?: number;
  /** Waking threshold at zero replicas. */
  activationQueueDepth: number;
  /** Scale-down stabilization and cooldown to zero, seconds. */
  cooldownSeconds: number;
  /** KEDA polling interval, seconds. */
  pollingSeconds: number;
  /** The wake query, if any. */
  wakeQuery?: string;
  /** Prometheus' base URL. */
  prometheusUrl: string;
}

/** A KEDA ScaledObject trigger (the fields this project sets). */
export interface IScaledObjectTrigger {
  type: "prometheus";
  name: string;
  metricType: "AverageValue";
  /** KEDA's trigger metadata: every value a string. */
  metadata: Record<string, string>;
}

/** KEDA's `ScaledObject` (keda.sh/v1alpha1), the fields this project sets. */
export interface IScaledObject {
  apiVersion: "keda.sh/v1alpha1";
  kind: "ScaledObject";
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    scaleTargetRef: ScaleTarget;
    pollingInterval: number;
    cooldownPeriod: number;
    minReplicaCount: number;
    maxReplicaCount: number;
    fallback: {
      failureThreshold: number;
      replicas: number;
      behavior: "currentReplicas";
    };
    advanced: {
      horizontalPodAutoscalerConfig: {
        behavior: {
          scaleUp: HpaRules;
          scaleDown: HpaRules;
        };
      };
    };
    triggers: IScaledObjectTrigger[];
  };
}

/** An HPA scaling rule (autoscaling/v2 `HPAScalingRules`). */
interface HpaRules {
  stabilizationWindowSeconds: number;
  policies: { type: "Pods"; value: number; periodSeconds: number }[];
}

/** What an autoscaler scales: KEDA's `scaleTargetRef` and the `scaleTarget` output. */
export interface ScaleTarget {
  /** API version of the workload (`apps/v1`, `leaderworkerset.x-k8s.io/v1`). */
  apiVersion: string;
  /** Its kind (`Deployment`, `LeaderWorkerSet`: both have a `scale` subresource). */
  kind: string;
  /** Its name, in the ScaledObject's namespace. */
  name: string;
}

/** KEDA checks its Prometheus query this many times in a row before falling back. */
const FALLBACK_FAILURES = 3;

const positiveInt = z.number().int("must be a whole number").min(1, "must be at least 1");

const schema = z
  .object({
    maxReplicas: positiveInt,
    minReplicas: z.number().int("must be a whole number").min(0, "must be 0 or more").default(1),
    queueDepth: z.number().gt(0, "must be more than 0").default(5),
    kvCacheUsage: z.number().gt(0, "must be in (0, 1]").max(1, "must be in (0, 1]").optional(),
    activationQueueDepth: z.number().min(0, "must be 0 or more").default(0),
    cooldownSeconds: z
      .number()
      .int("must be a whole number")
      .min(0, "must be 0 or more")
      // The HPA API caps stabilizationWindowSeconds at one hour (KEDA's CRD patch too).
      .max(3600, "must be at most 3600 (the HPA's stabilization window limit)")
      .default(300),
    pollingSeconds: positiveInt.default(15),
    wakeQuery: z.string().optional(),
    prometheusUrl: z
      .string()
      .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, "must be an http(s) URL")
      .optional(),
  })
  .strict();

/** A problem in `VllmServerArgs`, by path from the args' root (e.g. `["autoscaling", "maxReplicas"]`). */
export interface AutoscalingIssue {
  /** Path of the field from the server args' root. */
  path: PropertyKey[];
  /** What is wrong and what to do. */
  message: string;
}

/**
 * Validates `autoscaling` and applies defaults.
 * @param replicasSet whether the caller also set a fixed `replicas` (a contradiction).
 * @returns the config, or every problem, by path from the server args' root.
 */
export function validateAutoscaling(
  args: unknown,
  replicasSet: boolean,
): { config?: VllmAutoscalingConfig; problems: AutoscalingIssue[] } {
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((i) => ({
        path: ["autoscaling", ...i.path],
        message: i.message,
      })),
    };
  }
  const a = parsed.data;
  const problems: AutoscalingIssue[] = [];
  if (a.minReplicas > a.maxReplicas) {
    problems.push({
      path: ["autoscaling", "minReplicas"],
      message: `${a.minReplicas} is more than maxReplicas ${a.maxReplicas}: lower it or raise maxReplicas`,
    });
  }
  if (a.minReplicas === 0 && a.wakeQuery === undefined) {
    problems.push({
      path: ["autoscaling", "wakeQuery"],
      message:
        "minReplicas 0 needs a wakeQuery: the server's own queue metric disappears with the last pod, so nothing would scale the server back up. Give a query for requests waiting outside it, or set minReplicas to 1",
    });
  }
  if (a.wakeQuery !== undefined) {
    const check = checkPromql(a.wakeQuery);
    for (const p of check.problems)
      problems.push({ path: ["autoscaling", "wakeQuery"], message: p });
  }
  if (replicasSet) {
    problems.push({
      path: ["replicas"],
      message:
        "autoscaling decides the replica count: remove replicas (the workload starts at autoscaling.minReplicas, at least 1)",
    });
  }
  if (problems.length > 0) return { problems };
  return {
    config: {
      ...a,
      prometheusUrl: a.prometheusUrl ?? defaultPrometheusUrl(),
    },
    problems: [],
  };
}

/**
 * Replicas the workload is created with when autoscaled: minReplicas, but at least 1 so
 * the first `pulumi up` waits for a server that answers (KEDA scales an idle one to zero
 * after its cooldown).
 */
export function initialReplicas(a: VllmAutoscalingConfig): number {
  return Math.max(1, a.minReplicas);
}

/**
 * The PromQL selector of one server's series: the labels the Monitoring PodMonitor puts on
 * them (`server` by relabeling, `namespace` from the target), for either runtime.
 */
export function serverSeriesSelector(server: string, namespace: string): string {
  return `{namespace=${JSON.stringify(namespace)},${SERVER_LABEL}=${JSON.stringify(server)}}`;
}

/**
 * The server's queue depth across its replicas: one series, as KEDA requires.
 * @param runtime whose metric names to query (vLLM's when unset).
 */
export function queueDepthQuery(
  server: string,
  namespace: string,
  runtime?: ServingRuntime,
): string {
  return `sum(${servingMetrics(runtime).waiting}${serverSeriesSelector(server, namespace)})`;
}

/**
 * The server's KV-cache usage summed over its replicas (AverageValue divides by the
 * replica count, so the target is per replica).
 * @param runtime whose metric names to query (vLLM's when unset).
 */
export function kvCacheUsageQuery(
  server: string,
  namespace: string,
  runtime?: ServingRuntime,
): string {
  return `sum(${servingMetrics(runtime).kvCacheUsage}${serverSeriesSelector(server, namespace)})`;
}

function trigger(
  name: string,
  url: string,
  query: string,
  threshold: number,
  activation?: number,
): IScaledObjectTrigger {
  return {
    type: "prometheus",
    name,
    metricType: "AverageValue",
    metadata: {
      serverAddress: url,
      query,
      threshold: String(threshold),
      ...(activation !== undefined ? { activationThreshold: String(activation) } : {}),
      // KEDA's default (true) turns "no series" into 0: a server whose pods are starting
      // has no queue yet and must not be scaled out for it. Stated, not implied.
      ignoreNullValues: "true",
    },
  };
}

/**
 * The ScaledObject of one server: named after it, in its namespace, scaling `target`.
 * Scale-up adds one replica a minute: a new replica loads the model for minutes while the
 * queue stays long, so without the limit one burst would take the server straight to its
 * maximum. Scale-down waits `cooldownSeconds` of lower demand and removes one at a time.
 * If Prometheus cannot be read 3 times in a row, the replica count stays as it is.
 */
export function vllmScaledObject(
  server: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    /** What serves: decides the metric names the triggers query. Defaults to vLLM. */
    runtime?: ServingRuntime;
  },
  a: VllmAutoscalingConfig,
  target: ScaleTarget,
): IScaledObject {
  const triggers = [
    trigger(
      "queue-depth",
      a.prometheusUrl,
      queueDepthQuery(server.name, server.namespace, server.runtime),
      a.queueDepth,
      a.activationQueueDepth,
    ),
  ];
  if (a.kvCacheUsage !== undefined) {
    triggers.push(
      trigger(
        "kv-cache-usage",
        a.prometheusUrl,
        kvCacheUsageQuery(server.name, server.namespace, server.runtime),
        a.kvCacheUsage,
      ),
    );
  }
  if (a.wakeQuery !== undefined) {
    triggers.push(
      trigger("wake", a.prometheusUrl, a.wakeQuery, a.queueDepth, a.activationQueueDepth),
    );
  }
  const onePerMinute = [{ type: "Pods" as const, value: 1, periodSeconds: 60 }];
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: server.name, namespace: server.namespace, labels: server.labels },
    spec: {
      scaleTargetRef: target,
      pollingInterval: a.pollingSeconds,
      cooldownPeriod: a.cooldownSeconds,
      minReplicaCount: a.minReplicas,
      maxReplicaCount: a.maxReplicas,
      fallback: {
        failureThreshold: FALLBACK_FAILURES,
        replicas: initialReplicas(a),
        behavior: "currentReplicas",
      },
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0, policies: onePerMinute },
            scaleDown: { stabilizationWindowSeconds: a.cooldownSeconds, policies: onePerMinute },
          },
        },
      },
      triggers,
    },
  };
}

/** The GPU budget of an autoscaled server, as a stack checks it. */
export interface GpuBudget {
  /** Config key of the server's maxReplicas, named in the error (e.g. `autoscaling.maxReplicas`). */
  key: string;
  /** maxReplicas. */
  maxReplicas: number;
  /** GPUs one replica takes (nodes × gpusPerNode). */
  gpusPerReplica: number;
  /** GPUs the stack declares for the server. */
  availableGpus: number;
  /** What declares them, for the message (e.g. `2 workers × 1 GPU`). */
  declaredBy: string;
}

/**
 * maxReplicas × GPUs per replica must fit the declared GPUs: a replica that cannot get
 * its GPUs stays Pending forever while the autoscaler counts it.
 * @returns the problem naming the key and the fix, or none.
 */
export function gpuBudgetProblem(b: GpuBudget): ConfigProblem | undefined {
  const need = b.maxReplicas * b.gpusPerReplica;
  if (need <= b.availableGpus) return undefined;
  const fits = Math.floor(b.availableGpus / b.gpusPerReplica);
  return {
    path: b.key,
    message: `${b.maxReplicas} replicas × ${b.gpusPerReplica} GPUs = ${need} GPUs, but the stack declares ${b.availableGpus} (${b.declaredBy}): set it to at most ${fits}${fits === 0 ? " (the server does not fit at all)" : ""}, or add GPUs`,
  };
}
