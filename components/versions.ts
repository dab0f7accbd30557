/**
 * Every version this project installs into a machine or a cluster, pinned in one place.
 * Each is a default: components and stack config can override it. Bump here, with the
 * reason in the commit message.
 */
export const versions = {
  /** MicroK8s snap channel, the same on every node (mixing channels is version skew). */
  microk8sChannel: "1.32/stable",
  /** NVIDIA GPU Operator Helm chart. >= v25.10.0: older device plugins crash on GB10 (DGX Spark). */
  gpuOperatorChart: "v25.10.0",
  /** LeaderWorkerSet controller release (Helm chart / manifests). */
  leaderWorkerSet: "v0.10.0",
  /** Upstream vLLM OpenAI server image (amd64, CUDA). >= 0.11 for Ray-less multi-node. */
  vllmImage: "vllm/vllm-openai:v0.11.0",
  /** NVIDIA's NGC vLLM container: arm64 + sm_121 (GB10) builds, no Ray. */
  ngcVllmImage: "nvcr.io/nvidia/vllm:25.10-py3",
  /** GKE's NCCL gIB plugin installer image for A3 Ultra RDMA. */
  gibInstallerImage: "us-docker.pkg.dev/gce-ai-infra/gpudirect-gib/nccl-plugin-gib:v1.1.1",
} as const;
