import type { INamespace } from "kubernetes-models/v1/Namespace";
import { type PodSecurityLevel, podSecurityNamespace } from "../components/namespace";
import { type NetworkArgs, networkProfile } from "../components/nccl/profiles";

/**
 * The Pod Security level a set of workloads needs: `privileged` as soon as one of them uses
 * host networking, host paths or capabilities beyond `baseline` (RDMA's `IPC_LOCK`).
 */
export function podSecurityFor(networks: NetworkArgs[]): PodSecurityLevel {
  return networks.some((n) => networkProfile(n).podSecurity === "privileged")
    ? "privileged"
    : "baseline";
}

/**
 * A namespace for vLLM workloads at the given Pod Security level. Stacks keep RDMA /
 * host-network workloads in a namespace of their own so every other workload stays at
 * `baseline`.
 */
export function workloadNamespace(name: string, level: PodSecurityLevel): INamespace {
  return podSecurityNamespace(name, level, { "app.kubernetes.io/part-of": "llm-serving" });
}
