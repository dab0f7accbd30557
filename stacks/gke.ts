import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GkeGpuCluster } from "../components/gke/cluster";
import { a3UltraResourceNames } from "../components/gke/network-plan";
import { LeaderWorkerSetOperator } from "../components/lws/operator";
import { HuggingFaceToken } from "../components/model/components";
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
 * Seconds the multi-node model may take to start: each node downloads the weights into its
 * own local-SSD emptyDir, and a 405B model in BF16 is about 810 GB.
 */
export const MULTI_NODE_STARTUP_SECONDS = 4 * 3600;

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
        // No model cache: vLLM's emptyDir, which a3-ultragpu-8g backs with 32 local SSDs
        // (~12 TB). Persistent Disk does not attach to A3 Ultra VMs (Hyperdisk only), and a
        // download per pod start is the price of not needing a shared filesystem.
        ...(m.nodes > 1 ? { startupTimeoutSeconds: MULTI_NODE_STARTUP_SECONDS } : {}),
        tokenSecret: { name: TOKEN_SECRET },
        namespace: ns.name,
        port: PORT,
        nodeSelector: { "cloud.google.com/gke-nodepool": gpuPool },
      },
      // The cluster component's children include the Network objects the RDMA pods name
      // (admission rejects a missing one) and the gIB installer whose script they source.
      { provider, dependsOn: [cluster, lws, token] },
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
