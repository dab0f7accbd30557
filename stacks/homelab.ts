import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Keda } from "../components/autoscaling/keda";
import { ImagePrePull, ModelPrefetch } from "../components/coldstart/components";
import { InferenceGateway } from "../components/gateway/gateway";
import { gatewayServerOf } from "../components/gateway/plan";
import { GpuOperator } from "../components/gpu-operator/operator";
import { LeaderWorkerSetOperator } from "../components/lws/operator";
import { MicroK8sCluster } from "../components/microk8s/cluster";
import type { ModelCacheArgs } from "../components/model/cache";
import { HuggingFaceToken, ModelCache } from "../components/model/components";
import { Monitoring } from "../components/monitoring/monitoring";
import { dcgmServiceMonitorValues } from "../components/monitoring/scrape";
import type { NetworkArgs } from "../components/nccl/profiles";
import { NfsExport } from "../components/nfs/export";
import { VllmApiKey } from "../components/vllm/api-key";
import { DEFAULT_API_KEY_SECRET, type VllmServerArgs } from "../components/vllm/args";
import { NgcCredentials } from "../components/vllm/ngc";
import { vllmServerPlan } from "../components/vllm/plan";
import { VllmServer } from "../components/vllm/server";
import { chatCurl, gatewayCurl } from "./curl";
import { type HomelabSettings, homelabSettings } from "./homelab-settings";
import { podSecurityFor, workloadNamespace } from "./namespaces";
import { requireNgcApiKey } from "./ngc-key";
import { readRawConfig } from "./raw-config";

/** Port the vLLM Service listens on. */
const PORT = 8000;
/** The Secret the token lives in; the vLLM pods reference it by this name. */
const TOKEN_SECRET = "hf-token";

/** The GPU Operator's label on nodes with a working GPU. */
const GPU_NODES = { "nvidia.com/gpu.present": "true" };

/** The RoCE link's NCCL settings: one profile, applied identically to leader and workers. */
export function homelabNetwork(s: HomelabSettings): NetworkArgs {
  return {
    profile: "roce-hostnet",
    socketInterface: s.roceInterface,
    ibHcas: s.roceHcas,
    linkAddresses: s.linkAddresses,
    ncclDebug: s.ncclDebug,
  };
}

/**
 * The home lab's vLLM server: one model tensor-parallel across the GPU workers over the RoCE
 * link. Pure, so the benchmark CLI measures exactly the server the stack deploys.
 */
export function homelabServer(s: HomelabSettings, modelCache: ModelCacheArgs): VllmServerArgs {
  if (s.runtime === "nim") return homelabNimServer(s, modelCache);
  const network = homelabNetwork(s);
  return {
    name: "vllm",
    model: { id: s.model, servedName: s.servedModelName },
    image: s.image,
    parallelism: {
      tensor: s.tensorParallel,
      pipeline: 1,
      nodes: s.workers.length,
      gpusPerNode: 1,
    },
    // GB10 shares system memory with the CPU: vLLM's default 0.9 leaves the host too little
    // and NVIDIA's DGX Spark notes report out-of-memory kills.
    engine: { maxModelLen: s.maxModelLen, gpuMemoryUtilization: 0.7 },
    network,
    launcher: "mp",
    modelCache,
    tokenSecret: { name: TOKEN_SECRET },
    apiKeySecret: { name: DEFAULT_API_KEY_SECRET },
    namespace: s.namespace,
    port: PORT,
    // The GPU Operator's RuntimeClass; its toolkit adds the `nvidia` containerd runtime.
    runtimeClassName: "nvidia",
    nodeSelector: GPU_NODES,
    gpuType: s.gpuType,
    ...(s.autoscaling ? { autoscaling: s.autoscaling } : {}),
    ...(s.modelStore === "cache" ? { modelStore: { kind: "cache" as const } } : {}),
  };
}

/**
 * The home lab's NIM: NVIDIA's DGX Spark NIM of the model on ONE Spark (the DGX Spark NIMs are
 * single-GPU builds; spanning the Sparks is vLLM's job here), on the pod network, with the
 * same cache, namespace, Service and NetworkPolicy. NIM has no API key (see NIM_API_KEY_NOTE).
 */
function homelabNimServer(s: HomelabSettings, modelCache: ModelCacheArgs): VllmServerArgs {
  return {
    name: "vllm",
    runtime: "nim",
    model: { id: s.model, servedName: s.servedModelName },
    image: s.nimImage,
    engine: { maxModelLen: s.maxModelLen, gpuMemoryUtilization: 0.7 },
    network: { profile: "tcp", ncclDebug: s.ncclDebug },
    modelCache,
    namespace: s.namespace,
    port: PORT,
    runtimeClassName: "nvidia",
    nodeSelector: { "nvidia.com/gpu.present": "true" },
    gpuType: s.gpuType,
  };
}

/** Where the home lab's model cache lives, as VllmServer takes it (the objects are the stack's). */
export function homelabModelCache(s: HomelabSettings): ModelCacheArgs {
  if (s.modelCache.kind === "pvc") return { claimName: "model-cache" };
  if (s.modelCache.kind === "nfs") {
    return { nfsServer: s.modelCache.server, nfsPath: s.modelCache.path };
  }
  return { hostPath: s.modelCache.path };
}

/**
 * The home lab: MicroK8s over SSH on a CPU-only controller and GPU workers, the GPU Operator
 * with host drivers, LeaderWorkerSet, and one model tensor-parallel across the workers over
 * the RoCE link.
 */
export function homelab() {
  const config = new pulumi.Config();
  const raw = readRawConfig((key) => config.get(key));
  const s = homelabSettings(raw);
  const sshPrivateKey = config.requireSecret("sshPrivateKey");
  const hfToken = config.requireSecret("hfToken");
  const ngcApiKey =
    s.runtime === "nim" ? requireNgcApiKey(config.getSecret("ngcApiKey")) : undefined;

  const ssh = { user: s.sshUser, port: s.sshPort };
  const cluster = new MicroK8sCluster("homelab", {
    controller: {
      ...ssh,
      host: s.controller.host,
      hostKey: s.controller.hostKey,
      address: s.controller.address,
      nodeName: s.controller.nodeName || undefined,
    },
    workers: s.workers.map((w) => ({
      ...ssh,
      name: w.name,
      host: w.host,
      hostKey: w.hostKey,
      // Preflight checks the worker owns its RoCE address and has every RDMA device active.
      address: w.roceAddress,
      gpu: true,
      rdmaDevices: s.roceHcas,
    })),
    privateKey: sshPrivateKey,
    channel: s.microk8sChannel,
    purgeOnDestroy: s.purgeOnDestroy,
  });
  const provider = new k8s.Provider("homelab", { kubeconfig: cluster.kubeconfig });
  const inCluster = { provider, dependsOn: [cluster] };

  // Prometheus first: the GPU Operator's DCGM ServiceMonitor needs the CRDs it installs.
  const monitoring = raw.monitoring
    ? new Monitoring(
        "monitoring",
        {
          servers: [
            {
              name: "vllm",
              namespace: s.namespace,
              nodes: s.runtime === "nim" ? 1 : s.workers.length,
              runtime: s.runtime,
            },
          ],
        },
        inCluster,
      )
    : undefined;
  const gpuOperator = new GpuOperator(
    "gpu-operator",
    {
      preset: "microk8s",
      version: s.gpuOperatorChart,
      ...(monitoring ? { values: dcgmServiceMonitorValues() } : {}),
    },
    monitoring ? { provider, dependsOn: [cluster, monitoring] } : inCluster,
  );
  const lws = new LeaderWorkerSetOperator("lws", { version: s.lwsVersion }, inCluster);

  const network = homelabNetwork(s);
  const namespace = new k8s.core.v1.Namespace(
    "llm",
    workloadNamespace(s.namespace, podSecurityFor([network])),
    inCluster,
  );
  const inNamespace = { provider, dependsOn: [namespace] };
  const token = new HuggingFaceToken(
    "hf-token",
    { token: hfToken, namespace: s.namespace, name: TOKEN_SECRET },
    inNamespace,
  );
  // The configured key (secret stack key `apiKey`), else one generated and kept in state.
  const apiKey = new VllmApiKey(
    "vllm-api-key",
    { namespace: s.namespace, apiKey: config.getSecret("apiKey") },
    inNamespace,
  );

  const modelCache = homelabModelCache(s);
  const cacheDeps: pulumi.Resource[] = [];
  if (s.modelCache.kind === "pvc") {
    const claim = new ModelCache(
      "model-cache",
      {
        namespace: s.namespace,
        storageClassName: s.modelCache.storageClass,
        size: s.modelCache.size,
        accessMode: "ReadWriteMany",
      },
      inNamespace,
    );
    cacheDeps.push(claim);
  } else if (s.modelCache.kind === "nfs") {
    cacheDeps.push(
      new NfsExport(
        "model-cache-nfs",
        {
          server: {
            ...ssh,
            host: s.controller.host,
            hostKey: s.controller.hostKey,
            address: s.controller.address,
          },
          // The kubelet mounts from the address that reaches the controller: the workers'
          // SSH (LAN) hosts, not their RoCE addresses — the controller is not on that link.
          clients: s.workers.map((w) => ({
            ...ssh,
            name: w.name,
            host: w.host,
            hostKey: w.hostKey,
          })),
          privateKey: sshPrivateKey,
          path: s.modelCache.path,
        },
        // Nothing touches a host before every node's preflight passed.
        { dependsOn: cluster.preflights },
      ),
    );
  }

  // The NIM's NGC key Secret and nvcr.io pull Secret, under the names VllmServer defaults to.
  const ngc = ngcApiKey
    ? [new NgcCredentials("ngc", { namespace: s.namespace, ngcApiKey }, inNamespace)]
    : [];
  // KEDA only when the server autoscales; its ScaledObject needs the CRD and reads Prometheus.
  const keda = s.autoscaling
    ? [new Keda("keda", { version: s.kedaVersion }, inCluster), ...(monitoring ? [monitoring] : [])]
    : [];
  const serverArgs = homelabServer(s, modelCache);
  // Keep the (tens of GB) serving image on every GPU node, pulled while the rest installs.
  if (s.prePullImages) {
    new ImagePrePull(
      "image-prepull",
      { namespace: s.namespace, images: [serverArgs.image ?? s.image], nodeSelector: GPU_NODES },
      { provider, dependsOn: [namespace, gpuOperator] },
    );
  }
  // One download into the shared cache, verified, before the LWS group starts: the two
  // nodes never race on the same files, and vLLM starts with the Hub offline. (A NIM
  // fetches its own weights from NGC into its cache: no prefetch.)
  const prefetch =
    serverArgs.modelStore?.kind === "cache"
      ? [
          new ModelPrefetch(
            "model-prefetch",
            {
              namespace: s.namespace,
              modelId: s.model,
              image: s.image,
              modelCache,
              tokenSecret: { name: TOKEN_SECRET },
              // Same architecture as the image the servers pull (and already pre-pulled there).
              nodeSelector: GPU_NODES,
            },
            { provider, dependsOn: [token, gpuOperator, ...cacheDeps] },
          ),
        ]
      : [];

  const server = new VllmServer("vllm", serverArgs, {
    provider,
    dependsOn: [gpuOperator, lws, token, apiKey, ...ngc, ...cacheDeps, ...keda, ...prefetch],
  });
  // The one entry point on the LAN: the picker's standalone Envoy on a NodePort, its pool
  // built from the same plan as the server (so it selects exactly the serving pod).
  const gatewayUrl = `http://${s.controller.host}:${s.gatewayNodePort}/v1`;
  if (s.gateway) {
    new InferenceGateway(
      "gateway",
      {
        mode: "standalone",
        servers: [gatewayServerOf(vllmServerPlan(serverArgs, "vllm"), s.gatewayNodePort)],
      },
      { provider, dependsOn: [namespace] },
    );
  }

  return {
    kubeconfig: cluster.kubeconfig,
    nodeNames: cluster.nodeNames,
    endpoint: server.openaiBaseUrl,
    curl: server.serviceName.apply((service) =>
      chatCurl({
        stack: pulumi.getStack(),
        namespace: s.namespace,
        service,
        port: PORT,
        model: s.servedModelName,
        // NIM takes no API key; its NetworkPolicy is the control.
        ...(s.runtime === "nim" ? {} : { apiKeyOutput: "apiKey" }),
      }),
    ),
    ...(s.gateway
      ? {
          gatewayUrl,
          gatewayCurl: gatewayCurl({
            baseUrl: gatewayUrl,
            model: s.servedModelName,
            ...(s.runtime === "nim" ? {} : { apiKeyOutput: "apiKey" }),
          }),
        }
      : {}),
    apiKey: apiKey.apiKey,
    ...(monitoring
      ? {
          grafana: monitoring.grafanaPortForward,
          grafanaAdminUser: monitoring.grafanaAdminUser,
          grafanaAdminPassword: monitoring.grafanaAdminPassword,
        }
      : {}),
  };
}
