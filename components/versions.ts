/**
 * Every version this project installs into a machine or a cluster, pinned in one place.
 * Each is a default: components and stack config can override it. Bump here, with the
 * reason in the commit message.
 */
export const versions = {
  /** MicroK8s snap channel, the same on every node (mixing channels is version skew). */
  microk8sChannel: "1.36/stable",
  /**
   * NVIDIA GPU Operator Helm chart. >= v25.10.0: older device plugins crash on GB10 (DGX
   * Spark). v26.7.0 ships device plugin v0.20.0, container toolkit v1.20.0 and driver
   * 595.91.07 (>= 580, what CUDA 13 images need) in its values.yaml.
   */
  gpuOperatorChart: "v26.7.0",
  /**
   * LeaderWorkerSet controller release (Helm chart / manifests): the newest release tag of
   * kubernetes-sigs/lws that could be checked (no v0.11.0 tag found).
   */
  leaderWorkerSet: "v0.10.0",
  /**
   * Upstream vLLM OpenAI server image (CUDA 13 build: driver >= 580; `-cu129` tags exist for
   * older drivers). >= v0.11.1 for Ray-less multi-node (`--nnodes`, vllm-project/vllm#23691).
   * v0.31.0: the release NGC 26.10 packages, so both stacks run the same vLLM.
   */
  vllmImage: "vllm/vllm-openai:v0.31.0",
  /** NVIDIA's NGC vLLM container (arm64 + sm_121/GB10 builds); 26.10 ships vLLM 0.31.0. */
  ngcVllmImage: "nvcr.io/nvidia/vllm:26.10-py3",
  /**
   * NVIDIA NIM for LLMs image for `runtime: nim`: the Llama 3.1 8B Instruct NIM, release
   * 2.0.12 (NIM LLM 2.x: vLLM backend, `NIM_*` environment, multi-node over Ray; docs
   * docs.nvidia.com/nim/large-language-models/2.0.12/). Needs an NGC API key to pull and run.
   */
  nimImage: "nvcr.io/nim/meta/llama-3.1-8b-instruct:2.0.12",
  /**
   * prometheus-community kube-prometheus-stack chart (Prometheus Operator v0.93.1, Grafana
   * chart 12.11.1, node exporter 1.12.1), for the `Monitoring` component.
   */
  kubePrometheusStackChart: "88.5.3",
  /**
   * kedacore/charts `keda` chart; chart 2.20.2 ships KEDA v2.20.2 (`appVersion` in
   * keda/Chart.yaml at tag v2.20.2), the release whose CRDs the tests validate against.
   */
  kedaChart: "2.20.2",
  /**
   * GKE's NCCL gIB plugin installer image for A3 Ultra RDMA: the tag Google's own manifest
   * (container-engine-accelerators `gpudirect-rdma/nccl-rdma-installer.yaml`) installs.
   */
  gibInstallerImage: "us-docker.pkg.dev/gce-ai-infra/gpudirect-gib/nccl-plugin-gib:v1.1.1",
  /**
   * The inference gateway's endpoint picker: llm-d's router, where the Gateway API Inference
   * Extension moved its EPP in 2026. Release images are `ghcr.io/llm-d/
   * llm-d-router-endpoint-picker:${VERSION}` (llm-d/llm-d-router v0.10.0,
   * `.github/ISSUE_TEMPLATE/new-release.md`).
   */
  endpointPickerImage: "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0",
  /**
   * Envoy for the picker's standalone mode: the image llm-d-router v0.10.0's chart runs in its
   * `envoy` proxy preset (`config/charts/routerlib/values.yaml`).
   */
  envoyImage: "docker.io/envoyproxy/envoy:distroless-v1.33.2",
  /**
   * Gateway API Inference Extension release whose `InferencePool` CRD (`inference.networking.k8s.io/v1`)
   * the home lab installs; GKE >= 1.34.0-gke.1626000 installs its own.
   */
  inferencePoolCrd: "v1.6.0",
} as const;
