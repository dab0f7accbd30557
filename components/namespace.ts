import type { INamespace } from "kubernetes-models/v1/Namespace";

/** A Pod Security Standards level a namespace enforces. */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * A namespace that enforces, and warns at, a Pod Security Standards level. Every namespace
 * this project creates goes through here, so the level is always stated, never implied.
 * @param labels further labels (the Pod Security ones win).
 */
export function podSecurityNamespace(
  name: string,
  level: PodSecurityLevel,
  labels: Record<string, string> = {},
): INamespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        ...labels,
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/warn": level,
      },
    },
  };
}
