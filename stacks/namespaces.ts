import type { INamespace } from "kubernetes-models/v1/Namespace";
import {
  type NetworkArgs,
  networkProfile,
  type PodSecurityLevel,
} from "../components/nccl/profiles";

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
 * A namespace for vLLM workloads, enforcing (and warning at) the given Pod Security level.
 * Stacks keep RDMA / host-network workloads in a namespace of their own so that every other
 * workload stays at `baseline`.
 */
export function workloadNamespace(name: string, level: PodSecurityLevel): INamespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        "app.kubernetes.io/part-of": "llm-serving",
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": level,
      },
    },
  };
}
