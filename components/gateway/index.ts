/**
 * The inference gateway: `InferenceGateway`, its plan, and the builders of the InferencePool,
 * the endpoint picker, GKE Inference Gateway's objects and the standalone proxy.
 */

export * from "./gateway";
export * from "./gke";
export * from "./picker";
export * from "./plan";
export * from "./standalone";
