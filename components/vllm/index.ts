/**
 * vLLM serving: the `VllmServer` component, its arguments, and the pure plan behind it.
 * The finer builders stay importable from their modules; the package API keeps to names
 * that say they are about vLLM.
 */

export * from "./api-key";
export * from "./args";
export * from "./autoscaling";
export { roleScript, serveArgs, type VllmRole } from "./command";
export { API_CLIENT_LABEL, vllmNetworkPolicies } from "./network-policy";
export * from "./ngc";
export * from "./nim";
export * from "./plan";
export * from "./server";
export { vllmNamespace, vllmService } from "./service";
export {
  type ILeaderWorkerSet,
  LWS_GROUP_KEY_LABEL,
  LWS_NAME_LABEL,
  LWS_WORKER_INDEX_LABEL,
  vllmDeployment,
  vllmLeaderWorkerSet,
} from "./workload";
