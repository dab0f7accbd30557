import type { NetworkArgs } from "../../components/nccl/profiles";
import type { VllmServerArgs } from "../../components/vllm/args";
import { type VllmServerPlan, vllmServerPlan } from "../../components/vllm/plan";

/** Parameters of each profile as the stacks would pass them. */
export const PROFILE_ARGS: Record<string, NetworkArgs> = {
  nvlink: { profile: "nvlink" },
  tcp: { profile: "tcp" },
  "roce-hostnet": {
    profile: "roce-hostnet",
    socketInterface: "enp1s0f1np1",
    ibHcas: ["rocep1s0f1", "roceP2p1s0f1"],
    ibGidIndex: 3,
  },
  "gke-rdma": { profile: "gke-rdma" },
};

/** The shapes the issue names, by parallelism. */
export const SHAPES: Record<string, VllmServerArgs["parallelism"]> = {
  "single GPU": {},
  "one node, TP 4": { tensor: 4 },
  "one node, TP 2 x PP 2": { tensor: 2, pipeline: 2 },
  "two nodes, TP 2 (home lab)": { tensor: 2, nodes: 2, gpusPerNode: 1 },
  "two nodes, TP 8 x PP 2": { tensor: 8, pipeline: 2, nodes: 2, gpusPerNode: 8 },
};

/** A complete, valid argument set; tests override parts. */
export function baseArgs(overrides: Partial<VllmServerArgs> = {}): VllmServerArgs {
  return {
    model: { id: "Qwen/Qwen3-8B", revision: "main", servedName: "qwen3" },
    tokenSecret: { name: "hf-token" },
    modelCache: { claimName: "model-cache" },
    namespace: "llm",
    ...overrides,
  };
}

/** Builds a plan named `chat`. */
export function plan(overrides: Partial<VllmServerArgs> = {}): VllmServerPlan {
  return vllmServerPlan(baseArgs(overrides), "chat");
}

/** Every Kubernetes object of a plan. */
export function objectsOf(p: VllmServerPlan): unknown[] {
  return [
    p.namespace,
    p.deployment,
    p.leaderWorkerSet,
    p.service,
    p.scaledObject,
    ...p.networkPolicies,
  ].filter((o) => o !== undefined);
}
