import { asArray, asRecord, type VolumeMount, volumesOf } from "./podspecs";
import type { TemplateFacts } from "./workload";
import { literalEnv } from "./workload";

/*
 * How a pod shows that it talks RDMA (InfiniBand/RoCE verbs), shared by the IPC_LOCK and
 * NCCL interface rules.
 */

/** GKE's multi-network annotation listing a pod's extra interfaces (JSON array). */
export const GKE_INTERFACES_ANNOTATION = "networking.gke.io/interfaces";
/** Multus' secondary-network annotation. */
export const MULTUS_NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks";

/** The networks a pod's `networking.gke.io/interfaces` annotation attaches, in order. */
export function gkeInterfaceNetworks(annotations: Record<string, string>): string[] {
  const raw = annotations[GKE_INTERFACES_ANNOTATION];
  if (raw === undefined) return [];
  try {
    return asArray<Record<string, unknown>>(JSON.parse(raw))
      .map((i) => i.network)
      .filter((n): n is string => typeof n === "string");
  } catch {
    return [];
  }
}

function isInfiniband(path: unknown): boolean {
  return typeof path === "string" && path.startsWith("/dev/infiniband");
}

/** Why a template uses RDMA (for the message), or undefined when nothing says it does. */
export function rdmaEvidence(t: TemplateFacts, resourcePrefixes: string[]): string | undefined {
  const rdmaNetworks = gkeInterfaceNetworks(t.template.annotations).filter((n) => /rdma/i.test(n));
  if (rdmaNetworks.length > 0) return `it attaches RDMA networks (${rdmaNetworks.join(", ")})`;
  for (const c of t.containers) {
    const resources = [
      ...Object.keys(asRecord(c.container.resources?.limits)),
      ...Object.keys(asRecord(c.container.resources?.requests)),
    ];
    const rdma = resources.find((r) => resourcePrefixes.some((p) => r.startsWith(p)));
    if (rdma !== undefined) return `container "${c.name}" requests ${rdma}`;
  }
  const ib = volumesOf(t.template.spec).find((v) => isInfiniband(v.hostPath?.path));
  if (ib !== undefined) return `volume "${ib.name ?? ""}" maps /dev/infiniband`;
  for (const c of t.containers) {
    const mount = asArray<VolumeMount>(c.container.volumeMounts).find((m) =>
      isInfiniband(m.mountPath),
    );
    if (mount !== undefined) return `container "${c.name}" mounts /dev/infiniband`;
    if (c.env.has("NCCL_IB_HCA") && literalEnv(c, "NCCL_IB_DISABLE") !== "1") {
      return `container "${c.name}" sets NCCL_IB_HCA`;
    }
    if (c.sourcesGibEnv) return `container "${c.name}" sources the gIB set_nccl_env.sh`;
  }
  return undefined;
}
