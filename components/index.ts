/**
 * llm-serving: Pulumi components for distributed LLM inference on Kubernetes.
 * This file is the package's public API (kept in path order, as Biome sorts it).
 */

export * from "./autoscaling";
export * from "./benchmark";
export * from "./coldstart";
export * from "./gateway";
export * from "./gke/cluster";
export * from "./gke/cluster-args";
export * from "./gke/config";
export * from "./gke/gib";
export * from "./gke/kubeconfig";
export * from "./gke/multinetwork";
export * from "./gke/network-plan";
export * from "./gke/networks";
export * from "./gpu-operator/merge";
export * from "./gpu-operator/operator";
export * from "./gpu-operator/plan";
export * from "./gpu-operator/presets";
export * from "./lws/operator";
export * from "./lws/plan";
export * from "./microk8s/cluster";
export * from "./microk8s/config";
export * from "./microk8s/plan";
export * from "./microk8s/token";
export * from "./model/cache";
export * from "./model/claim";
export * from "./model/components";
export * from "./model/token";
export * from "./monitoring";
export * from "./namespace";
export * from "./nccl/profiles";
export * from "./nfs/export";
export * from "./validation";
export * from "./versions";
export * from "./vllm";
