import { configNumber } from "./config";
import {
  asRecord,
  describeTemplate,
  isLeaderWorkerSet,
  podGpus,
  podTemplates,
  toCount,
} from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";

/**
 * Node labels that say how many GPUs a node has, and how to read them: GKE's accelerator
 * count (what Autopilot and GKE's GPU docs select on), GPU Feature Discovery's count (the
 * GPU Operator labels every GPU node), and GCE's GPU machine types (`a3-ultragpu-8g` → 8).
 */
const NODE_GPU_LABELS: [string, (value: string) => number | undefined][] = [
  ["cloud.google.com/gke-accelerator-count", (v) => toCount(v, -1)],
  ["nvidia.com/gpu.count", (v) => toCount(v, -1)],
  ["node.kubernetes.io/instance-type", gceGpuMachine],
  ["beta.kubernetes.io/instance-type", gceGpuMachine],
];

/** GPUs of a GCE accelerator-optimized machine type (`a2-highgpu-8g`, `a3-megagpu-8g`, …). */
function gceGpuMachine(type: string): number | undefined {
  const m = /^a\d+-[a-z]+gpu-(\d+)g$/.exec(type);
  return m ? Number(m[1]) : undefined;
}

/** GPUs per node the template's nodeSelector pins, or undefined when it does not say. */
function nodeGpus(
  nodeSelector: Record<string, unknown>,
): { gpus: number; label: string } | undefined {
  for (const [label, read] of NODE_GPU_LABELS) {
    const value = nodeSelector[label];
    if (typeof value !== "string") continue;
    const gpus = read(value);
    if (gpus !== undefined && gpus > 0) return { gpus, label: `${label}=${value}` };
  }
  return undefined;
}

/** True for a surge of 0 (`0`, `"0"`, `"0%"`). */
function isZero(value: unknown): boolean {
  return value === 0 || value === "0" || value === "0%";
}

/** How the object's rollout may surge, or undefined when it cannot. */
function surgeOf(object: K8sObject): string | undefined {
  if (object === null || typeof object !== "object") return undefined;
  const spec = asRecord(object.spec);
  if (object.kind === "Deployment" && (object.apiVersion ?? "").startsWith("apps/")) {
    const strategy = asRecord(spec.strategy);
    if (strategy.type === "Recreate") return undefined;
    const surge = asRecord(strategy.rollingUpdate).maxSurge;
    // apps/v1 DeploymentSpec: maxSurge defaults to 25%, which rounds up to at least one pod.
    if (surge === undefined)
      return "maxSurge unset (the Deployment default, 25%, rounds up to one pod)";
    return isZero(surge) ? undefined : `maxSurge ${surge}`;
  }
  if (isLeaderWorkerSet(object)) {
    const surge = asRecord(asRecord(spec.rolloutStrategy).rollingUpdateConfiguration).maxSurge;
    // LWS v0.10.0 CRD: maxSurge defaults to 0, so only an explicit surge surges.
    return surge === undefined || isZero(surge) ? undefined : `maxSurge ${surge}`;
  }
  return undefined;
}

/**
 * A rollout that surges starts the new pod before the old one goes. A pod that needs every
 * GPU of a node then needs a free node; a GPU pool at its maximum (or a home lab) has none,
 * and the rollout waits forever with the old pod still serving the old version.
 */
export const gpuRolloutNoSurge: ResourceRule = {
  id: "gpu-rollout-no-surge",
  scope: "resource",
  description:
    "A Deployment or LeaderWorkerSet whose pods ask for all the GPUs of a node rolls out without surge (maxSurge 0, or Recreate): a surge pod needs a whole free node, and a GPU pool at its maximum has none, so the rollout never finishes.",
  enforcementLevel: "advisory",
  remediationSteps:
    "Deployment: `strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}` (or `type: Recreate`). LeaderWorkerSet: leave `rolloutStrategy.rollingUpdateConfiguration.maxSurge` at 0 (its default). The old pod then goes first; expect one replica fewer during the rollout.",
  configSchema: {
    wholeNodeGpus: {
      type: "integer",
      description:
        "GPUs a pod must ask for to count as whole-node when its nodeSelector does not say the node's size (gke-accelerator-count, nvidia.com/gpu.count or a GCE GPU machine type).",
      default: 8,
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const surge = surgeOf(object);
    if (surge === undefined) return [];
    if (toCount(asRecord(object.spec).replicas, 1) === 0) return [];
    const wholeNode = configNumber(config, "wholeNodeGpus", 8);
    for (const t of podTemplates(object)) {
      const gpus = podGpus(t.spec);
      if (gpus === 0) continue;
      const node = nodeGpus(asRecord(t.spec.nodeSelector));
      const whole = node ? gpus >= node.gpus : gpus >= wholeNode;
      if (!whole) continue;
      const size = node
        ? `all ${node.gpus} GPUs of its node (${node.label})`
        : `${gpus} GPUs, a whole node (at least ${wholeNode})`;
      return [
        {
          message: `${describeTemplate(t)} asks for ${size} per pod but its rollout may surge (${surge}): the surge pod needs a free GPU node and waits forever where there is none. Set maxSurge 0 (or Recreate).`,
        },
      ];
    }
    return [];
  },
};
