import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GkeGpuCluster } from "../components/gke/cluster";
import { a3UltraResourceNames } from "../components/gke/network-plan";
import { LeaderWorkerSetOperator } from "../components/lws/operator";
import type { ModelCacheArgs } from "../components/model/cache";
import { HuggingFaceToken, ModelCache } from "../components/model/components";
import type { PodSecurityLevel } from "../components/namespace";
import { VllmServer } from "../components/vllm/server";
import { chatCurl } from "./curl";
import { type GkeModel, type GkeSettings, gkeSettings } from "./gke-settings";
import { podSecurityFor, workloadNamespace } from "./namespaces";
import { readRawConfig } from "./raw-config";

/** Port every vLLM Service listens on. */
const PORT = 8000;
/** The Secret the token lives in, in each namespace. */
const TOKEN_SECRET = "hf-token";
/**
 * Where a model runs: RDMA models (IPC_LOCK, host paths) in `<namespace>-rdma` at the
 * `privileged` level; everything else in `<namespace>` at `baseline`.
 */
export function namespaceOf(
  s: GkeSettings,
  m: GkeModel,
): { name: string; level: PodSecurityLevel } {
  const level = podSecurityFor([{ profile: m.profile }]);
  return { name: level === "privileged" ? `${s.namespace}-rdma` : s.namespace, level };
}

/**
 * A model's cache: one-pod models get a ReadWriteOnce claim of their own (no shared
 * filesystem needed). Multi-node groups get none, i.e. VllmServer's emptyDir, which
 * a3-ultragpu-8g backs with its local-SSD ephemeral storage (32 × 375 GB): the only disk
 * there large enough for the weights of a model that needs two nodes.
 */
export function cacheOf(m: GkeModel): ModelCacheArgs | undefined {
  return m.nodes > 1 ? undefined : { claimName: `${m.name}-cache` };
}

/**
 * GKE: A3 Ultra (8 × H200) capacity on RDMA multi-networking with the gIB NCCL plugin, LWS,
 * and vLLM in the enabled shapes: one GPU, tensor-parallel inside a node, and TP × PP across
 * nodes.
 */
export function gke() {
  const config = new pulumi.Config();
  const s = gkeSettings(readRawConfig((key) => config.get(key)));
  const hfToken = config.requireSecret("hfToken");

  const cluster = new GkeGpuCluster("gke", {
    project: s.project,
    zone: s.zone,
    namePrefix: s.namePrefix,
    deletionProtection: s.deletionProtection,
    gpuPool: { minNodes: 0, maxNodes: s.gpuNodeCount },
    capacity: { mode: s.capacityMode, reservation: s.reservation || undefined },
  });
  const provider = cluster.provider;
  const lws = new LeaderWorkerSetOperator("lws", { version: s.lwsVersion }, { provider });
  const gpuPool = a3UltraResourceNames(s.namePrefix).gpuPool;

  const namespaces = new Map<string, { token: HuggingFaceToken }>();
  const inNamespace = (ns: { name: string; level: PodSecurityLevel }) => {
    const known = namespaces.get(ns.name);
    if (known) return known;
    const namespace = new k8s.core.v1.Namespace(ns.name, workloadNamespace(ns.name, ns.level), {
      provider,
    });
    const token = new HuggingFaceToken(
      `${ns.name}-hf-token`,
      { token: hfToken, namespace: ns.name, name: TOKEN_SECRET },
      { provider, dependsOn: [namespace] },
    );
    const created = { token };
    namespaces.set(ns.name, created);
    return created;
  };

  const models: Record<string, pulumi.Output<{ url: string; curl: string }>> = {};
  for (const m of s.models) {
    const ns = namespaceOf(s, m);
    const { token } = inNamespace(ns);
    const cache = cacheOf(m);
    const deps: pulumi.Resource[] = [lws, token];
    if (cache?.claimName) {
      deps.push(
        new ModelCache(
          `${m.name}-cache`,
          {
            namespace: ns.name,
            name: cache.claimName,
            storageClassName: s.modelCacheStorageClass || undefined,
            size: s.modelCacheSize,
            accessMode: "ReadWriteOnce",
          },
          { provider, dependsOn: [token] },
        ),
      );
    }
    const server = new VllmServer(
      m.name,
      {
        name: m.name,
        model: { id: m.id },
        image: s.image,
        parallelism: {
          tensor: m.tensor,
          pipeline: m.pipeline,
          nodes: m.nodes,
          gpusPerNode: m.gpusPerNode,
        },
        network: { profile: m.profile },
        launcher: "mp",
        modelCache: cache,
        tokenSecret: { name: TOKEN_SECRET },
        namespace: ns.name,
        port: PORT,
        nodeSelector: { "cloud.google.com/gke-nodepool": gpuPool },
      },
      { provider, dependsOn: deps },
    );
    models[m.name] = pulumi.all([server.url, server.serviceName]).apply(([url, service]) => ({
      url,
      curl: chatCurl({
        stack: pulumi.getStack(),
        namespace: ns.name,
        service,
        port: PORT,
        model: m.id,
      }),
    }));
  }

  return {
    clusterName: cluster.clusterName,
    kubeconfig: cluster.kubeconfig,
    models,
  };
}
