/**
 * A GPU pool's capacity, checked against the placement the manifests enforce, before any
 * resource exists. The question is not "are there enough GPUs" but "can the scheduler, in
 * the worst order and placement the manifests allow, put every pod on a node of a pool that
 * cannot grow past its maximum": two 1-GPU pods on two different nodes leave a 2-node
 * LeaderWorkerSet group without its second whole node forever.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { GPU_RESOURCE, type ILeaderWorkerSet } from "../vllm/workload";

/** The node label the scheduler treats as "one node". */
const HOSTNAME_TOPOLOGY = "kubernetes.io/hostname";

/** Pods of one template of one workload, as the scheduler sees them. */
export interface GpuPodSet {
  /** Workload name (used in messages). */
  workload: string;
  /** Number of pods. */
  pods: number;
  /** GPUs each pod requests. */
  gpusPerPod: number;
  /**
   * Identity of the group the pods must share one node with (a required pod affinity on
   * `kubernetes.io/hostname` that the pod's own labels satisfy), if any.
   */
  packGroup?: string;
}

/** A GPU node pool's limits. */
export interface GpuPoolLimits {
  /** Autoscaling maximum: the pool never has more nodes. */
  maxNodes: number;
  /** GPUs on each node. */
  gpusPerNode: number;
}

/** The nodes one workload may take in the worst placement. */
export interface WorkloadDemand {
  workload: string;
  /** Nodes it may occupy (whole nodes, or nodes its partial pods may each land on). */
  nodes: number;
  /** How the number comes about, for messages. */
  why: string;
}

/** A pack group whose node cannot be guaranteed to hold all of it. */
export interface PackGroupOverflow {
  group: string;
  /** Workloads in the group. */
  workloads: string[];
  /** GPUs the group needs on its node. */
  gpus: number;
  /** GPUs other partial-node pods may already hold on that node. */
  othersGpus: number;
}

/** The outcome of {@link checkGpuPlacement}. */
export interface GpuPlacementReport {
  /** Nodes the pods may occupy in the worst placement the manifests allow. */
  nodesNeeded: number;
  /** The pool's maximum. */
  maxNodes: number;
  /** Per workload (pack groups under their own name). */
  demands: WorkloadDemand[];
  /** Pods that ask for more GPUs than a node has. */
  oversized: GpuPodSet[];
  /** Pack groups that may not fit their node. */
  overflows: PackGroupOverflow[];
  /** True when every pod is guaranteed a place. */
  fits: boolean;
}

function gpusOf(template: IPodTemplateSpec | undefined): number {
  const containers = template?.spec?.containers ?? [];
  return containers.reduce((sum, c) => {
    const r = c.resources?.requests?.[GPU_RESOURCE] ?? c.resources?.limits?.[GPU_RESOURCE];
    return sum + (r === undefined ? 0 : Number(r));
  }, 0);
}

/**
 * The pack group a template enforces: a required pod-affinity term on the hostname whose
 * selector the pod's own labels satisfy (only then does every pod of the selector share
 * one node, the first one included). Any other affinity is not a packing guarantee.
 */
function packGroupOf(template: IPodTemplateSpec | undefined): string | undefined {
  const labels = template?.metadata?.labels ?? {};
  const terms =
    template?.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  for (const term of terms) {
    const match = term.labelSelector?.matchLabels;
    if (term.topologyKey !== HOSTNAME_TOPOLOGY || !match || term.labelSelector?.matchExpressions)
      continue;
    const entries = Object.entries(match);
    if (entries.length > 0 && entries.every(([k, v]) => labels[k] === v)) {
      return entries
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    }
  }
  return undefined;
}

function podSet(
  workload: string,
  pods: number,
  template: IPodTemplateSpec | undefined,
): GpuPodSet[] {
  const gpusPerPod = gpusOf(template);
  if (pods <= 0 || gpusPerPod <= 0) return [];
  const packGroup = packGroupOf(template);
  return [{ workload, pods, gpusPerPod, ...(packGroup ? { packGroup } : {}) }];
}

/**
 * The GPU pods a Deployment or LeaderWorkerSet creates, read from the manifest itself:
 * replicas (LWS: groups × size, leader and workers by their own templates), GPU requests
 * and the packing the pod affinity enforces.
 * @param replicas the replica count to assume instead of the manifest's (an autoscaler's
 *   maximum, the most it may ever run).
 */
export function gpuPodSets(
  workload: IDeployment | ILeaderWorkerSet,
  replicas?: number,
): GpuPodSet[] {
  const name = workload.metadata?.name ?? "(unnamed)";
  if (workload.kind === "Deployment") {
    return podSet(name, replicas ?? workload.spec?.replicas ?? 1, workload.spec?.template);
  }
  const t = workload.spec.leaderWorkerTemplate;
  replicas ??= workload.spec.replicas;
  const workers = t.workerTemplate;
  return [
    ...podSet(name, replicas, t.leaderTemplate ?? workers),
    ...podSet(name, replicas * (t.size - 1), workers),
  ];
}

/**
 * Whether every pod is guaranteed a node, whatever order and placement the scheduler picks
 * within the rules the manifests enforce:
 * - an unpacked pod that asks for all of a node's GPUs needs an empty node of its own;
 * - a pack group takes one node, but other partial-node pods may reach that node first, so
 *   the group plus all of them must fit one node;
 * - any other partial-node pod may land on a node of its own.
 * Rollouts are assumed surge-free (the workload builders make them so): a replaced pod goes
 * before its replacement comes, so rollouts need no extra node.
 */
export function checkGpuPlacement(pool: GpuPoolLimits, sets: GpuPodSet[]): GpuPlacementReport {
  const oversized = sets.filter((s) => s.gpusPerPod > pool.gpusPerNode);
  const placeable = sets.filter((s) => s.gpusPerPod <= pool.gpusPerNode);
  // A packed pod shares its group's node whatever its size, so only unpacked pods that
  // ask for every GPU are "whole-node" pods.
  const whole = placeable.filter((s) => s.gpusPerPod === pool.gpusPerNode && !s.packGroup);
  const partial = placeable.filter((s) => !whole.includes(s));
  const gpus = (list: GpuPodSet[]) => list.reduce((n, s) => n + s.pods * s.gpusPerPod, 0);

  const demands: WorkloadDemand[] = [];
  const add = (workload: string, nodes: number, why: string) => {
    const known = demands.find((d) => d.workload === workload);
    if (known) {
      known.nodes += nodes;
      known.why += `; ${why}`;
    } else demands.push({ workload, nodes, why });
  };
  for (const s of whole) {
    add(s.workload, s.pods, `${s.pods} pod(s) of all ${s.gpusPerPod} GPUs: a whole node each`);
  }
  const groups = new Map<string, GpuPodSet[]>();
  for (const s of partial) {
    if (s.packGroup === undefined) {
      add(
        s.workload,
        s.pods,
        `${s.pods} unpacked pod(s) of ${s.gpusPerPod} GPU(s): each may take a node of its own`,
      );
    } else groups.set(s.packGroup, [...(groups.get(s.packGroup) ?? []), s]);
  }
  const overflows: PackGroupOverflow[] = [];
  for (const [group, members] of groups) {
    const workloads = [...new Set(members.map((m) => m.workload))];
    const need = gpus(members);
    const others = gpus(partial.filter((s) => s.packGroup !== group));
    if (need + others > pool.gpusPerNode) {
      overflows.push({ group, workloads, gpus: need, othersGpus: others });
    }
    add(workloads.join(" + "), 1, `packed on one node (${group}, ${need} GPUs)`);
  }
  const nodesNeeded = demands.reduce((n, d) => n + d.nodes, 0);
  return {
    nodesNeeded,
    maxNodes: pool.maxNodes,
    demands,
    oversized,
    overflows,
    fits: nodesNeeded <= pool.maxNodes && oversized.length === 0 && overflows.length === 0,
  };
}

/**
 * Why a report does not fit, one sentence per reason: the nodes the worst placement may
 * take (per workload), pack groups that may not fit their node, pods larger than a node.
 */
export function placementFailures(report: GpuPlacementReport): string[] {
  const out: string[] = [];
  if (report.nodesNeeded > report.maxNodes) {
    const per = report.demands
      .map((d) => `${d.workload}: ${d.nodes} node${d.nodes === 1 ? "" : "s"} (${d.why})`)
      .join("; ");
    out.push(
      `the pods may need ${report.nodesNeeded} nodes but the pool has at most ${report.maxNodes} (${report.nodesNeeded - report.maxNodes} missing): ${per}`,
    );
  }
  for (const o of report.overflows) {
    out.push(
      `${o.workloads.join(" + ")} must share one node (${o.group}) and need ${o.gpus} GPUs there, but ${o.othersGpus} GPUs of other partial-node pods may reach that node first`,
    );
  }
  for (const s of report.oversized) {
    out.push(`${s.workload} asks for ${s.gpusPerPod} GPUs per pod, more than a node has`);
  }
  return out;
}
