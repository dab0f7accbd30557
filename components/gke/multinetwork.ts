import type { PodNetworkAttachment } from "./network-plan";

/** API group/version of GKE's multi-networking objects. */
export const GKE_NETWORKING_API = "networking.gke.io/v1";

/** `GKENetworkParamSet`: which VPC/subnet backs a pod network and how its NIC is handed over. */
export interface GkeNetworkParamSet {
  apiVersion: typeof GKE_NETWORKING_API;
  kind: "GKENetworkParamSet";
  metadata: { name: string };
  spec: { vpc: string; vpcSubnet: string; deviceMode: "NetDevice" | "RDMA" };
}

/** `Network`: the object pods name in `networking.gke.io/interfaces`. */
export interface GkeNetwork {
  apiVersion: typeof GKE_NETWORKING_API;
  kind: "Network";
  metadata: { name: string };
  spec: {
    type: "Device";
    parametersRef: { group: "networking.gke.io"; kind: "GKENetworkParamSet"; name: string };
  };
}

/** The pair of objects for one pod network, both named after it. */
export interface PodNetworkObjects {
  paramSet: GkeNetworkParamSet;
  network: GkeNetwork;
}

/**
 * One `GKENetworkParamSet` + `Network` per pod network, named exactly as the pod network
 * (`gvnic-1`, `rdma-0` …), so the pods' interface annotations resolve. Both objects are
 * cluster-scoped. Device-type networks, as GKE documents for A3 Ultra RDMA.
 */
export function podNetworkObjects(attachments: PodNetworkAttachment[]): PodNetworkObjects[] {
  return attachments.map((a) => ({
    paramSet: {
      apiVersion: GKE_NETWORKING_API,
      kind: "GKENetworkParamSet",
      metadata: { name: a.name },
      spec: { vpc: a.vpc, vpcSubnet: a.vpcSubnet, deviceMode: a.deviceMode },
    },
    network: {
      apiVersion: GKE_NETWORKING_API,
      kind: "Network",
      metadata: { name: a.name },
      spec: {
        type: "Device",
        parametersRef: { group: "networking.gke.io", kind: "GKENetworkParamSet", name: a.name },
      },
    },
  }));
}
