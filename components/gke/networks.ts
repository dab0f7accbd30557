/**
 * The additional pod networks of an A3 Ultra (a3-ultragpu-8g) node: one extra gVNIC NIC
 * and eight RDMA NICs (one per H200). This list is the single source for the VPCs and
 * subnets, the node pool's additional node networks, the in-cluster
 * `GKENetworkParamSet`/`Network` objects and the pods' `networking.gke.io/interfaces`
 * annotation, so those can never name different networks.
 */

/** How a network's NIC is handed to pods (`GKENetworkParamSet.spec.deviceMode`). */
export type PodNetworkDeviceMode = "NetDevice" | "RDMA";

/** One additional pod network: a GKE `Network` + `GKENetworkParamSet` of this name. */
export interface PodNetwork {
  /** Name of the in-cluster `Network`/`GKENetworkParamSet`, referenced by pod annotations. */
  name: string;
  /** `NetDevice` for the extra gVNIC, `RDMA` for the ConnectX-7 RoCE NICs. */
  deviceMode: PodNetworkDeviceMode;
}

/** RDMA NICs on an a3-ultragpu-8g node: one per GPU. */
export const A3_ULTRA_RDMA_NICS = 8;

/**
 * The pod networks of an A3 Ultra node, in NIC order: `gvnic-1`, then `rdma-0` … `rdma-N-1`.
 * @param rdmaNics number of RDMA NICs (defaults to {@link A3_ULTRA_RDMA_NICS}).
 */
export function a3UltraPodNetworks(rdmaNics: number = A3_ULTRA_RDMA_NICS): PodNetwork[] {
  return [
    { name: "gvnic-1", deviceMode: "NetDevice" },
    ...Array.from({ length: rdmaNics }, (_, i) => ({
      name: `rdma-${i}`,
      deviceMode: "RDMA" as const,
    })),
  ];
}
