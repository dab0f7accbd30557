import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Keda } from "../components/autoscaling/keda";
import { GcsModelStore, ModelPrefetch } from "../components/coldstart/components";
import { InferenceGateway } from "../components/gateway/gateway";
import { gatewayServerOf, inferenceGatewayPlan } from "../components/gateway/plan";
import { GkeGpuCluster } from "../components/gke/cluster";
import { LeaderWorkerSetOperator } from "../components/lws/operator";
import { HuggingFaceToken } from "../components/model/components";
import { Monitoring } from "../components/monitoring/monitoring";
import type { PodSecurityLevel } from "../components/namespace";
import { VllmApiKey } from "../components/vllm/api-key";
import { NgcCredentials } from "../components/vllm/ngc";
import { vllmServerPlan } from "../components/vllm/plan";
import { VllmServer } from "../components/vllm/server";
import { chatCurl, gatewayCurl } from "./curl";
import { gkeServerArgs, namespaceOf, PORT, TOKEN_SECRET } from "./gke-servers";
import { gkeSettings } from "./gke-settings";
import { workloadNamespace } from "./namespaces";
import { requireNgcApiKey } from "./ngc-key";
import { readRawConfig } from "./raw-config";

/**
 * GKE: A3 Ultra (8 × H200) capacity on RDMA multi-networking with the gIB NCCL plugin, LWS,
 * and vLLM in the enabled shapes: one GPU, tensor-parallel inside a node, and TP × PP across
 * nodes.
 */
export function gke() {
  const config = new pulumi.Config();
  const raw = readRawConfig((key) => config.get(key));
  const s = gkeSettings(raw);
  const hfToken = config.requireSecret("hfToken");
  const ngcApiKey = s.models.some((m) => m.runtime === "nim")
    ? requireNgcApiKey(config.getSecret("ngcApiKey"))
    : undefined;

  const cluster = new GkeGpuCluster("gke", {
    project: s.project,
    zone: s.zone,
    namePrefix: s.namePrefix,
    deletionProtection: s.deletionProtection,
    masterAuthorizedCidrs: s.masterAuthorizedCidrs,
    gpuPool: {
      minNodes: 0,
      maxNodes: s.gpuNodeCount,
      imageCacheDiskImage: s.gpuImageCacheDiskImage,
    },
    capacity: { mode: s.capacityMode, reservation: s.reservation || undefined },
    gatewayApi: s.gateway,
    ...(s.gateway && s.gatewayProxySubnetCreate
      ? { proxyOnlySubnetCidr: s.gatewayProxySubnetCidr }
      : {}),
  });
  const provider = cluster.provider;
  const lws = new LeaderWorkerSetOperator("lws", { version: s.lwsVersion }, { provider });

  // One API key for every model: the configured one (secret stack key `apiKey`), else the
  // first namespace's VllmApiKey generates it and the others copy it.
  let apiKey: pulumi.Output<string> | undefined = config.getSecret("apiKey");
  const namespaces = new Map<
    string,
    { namespace: k8s.core.v1.Namespace; token: HuggingFaceToken; key: VllmApiKey }
  >();
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
    const key = new VllmApiKey(
      `${ns.name}-api-key`,
      { namespace: ns.name, apiKey },
      { provider, dependsOn: [namespace] },
    );
    apiKey ??= key.apiKey;
    const created = { namespace, token, key };
    namespaces.set(ns.name, created);
    return created;
  };

  // KEDA only when a server autoscales: its ScaledObjects need the CRD.
  const keda = s.models.some((m) => m.autoscaling)
    ? [new Keda("keda", { version: s.kedaVersion }, { provider, dependsOn: [cluster] })]
    : [];

  // GKE Inference Gateway in front of every model, its pools built from the same plans as
  // the servers (so each selects exactly that server's serving pods).
  const gatewayPlan =
    s.gateway && s.models.length > 0
      ? inferenceGatewayPlan({
          mode: "gke",
          servers: s.models.map((m) =>
            gatewayServerOf(vllmServerPlan(gkeServerArgs(s, m), m.name)),
          ),
          proxyOnlySubnetCidr: s.gatewayProxySubnetCidr,
        })
      : undefined;
  const servers: VllmServer[] = [];
  /** What the stack outputs per model: its in-cluster URL and curl lines. */
  type ModelOutput = { url: string; curl: string; gatewayPath?: string; gatewayCurl?: string };
  const models: Record<string, pulumi.Output<ModelOutput>> = {};
  for (const m of s.models) {
    const ns = namespaceOf(s, m);
    const { namespace, token, key } = inNamespace(ns);
    // The NIM's NGC key Secret and nvcr.io pull Secret, under the names VllmServer defaults to.
    const ngc =
      m.runtime === "nim" && ngcApiKey
        ? new NgcCredentials(
            `${ns.name}-ngc`,
            { namespace: ns.name, ngcApiKey },
            { provider, dependsOn: [namespace] },
          )
        : undefined;
    const args = gkeServerArgs(s, m);
    // One download per cluster: the bucket, its two grants, and the Job that fills it before
    // the servers that stream from it start.
    const storeDeps: pulumi.Resource[] = [];
    if (args.modelStore?.kind === "bucket") {
      const store = new GcsModelStore(
        `${m.name}-model-store`,
        {
          project: s.project,
          region: s.region,
          bucket: s.modelBucket,
          namespace: ns.name,
          readerServiceAccount: args.modelStore.serviceAccountName,
        },
        { providers: [provider], dependsOn: [namespace] },
      );
      const prefetch = new ModelPrefetch(
        `${m.name}-prefetch`,
        {
          namespace: ns.name,
          modelId: m.id,
          image: s.image,
          bucket: s.modelBucket,
          serviceAccountName: store.writerServiceAccount,
          tokenSecret: { name: TOKEN_SECRET },
        },
        { provider, dependsOn: [store.writeGrant, token] },
      );
      storeDeps.push(store.readGrant, prefetch);
    }
    const server = new VllmServer(
      m.name,
      args,
      // The cluster component's children include the Network objects the RDMA pods name
      // (admission rejects a missing one) and the gIB installer whose script they source.
      {
        provider,
        dependsOn: [cluster, lws, token, key, ...(ngc ? [ngc] : []), ...keda, ...storeDeps],
      },
    );
    servers.push(server);
    const keyOption = m.runtime === "nim" ? {} : { apiKeyOutput: "apiKey" };
    const picker = gatewayPlan?.pickers.find((p) => p.target.name === m.name);
    models[m.name] = pulumi.all([server.url, server.serviceName]).apply(
      ([url, service]): ModelOutput => ({
        url,
        curl: chatCurl({
          stack: pulumi.getStack(),
          namespace: ns.name,
          service,
          port: PORT,
          model: m.id,
          // NIM takes no API key; its NetworkPolicy is the control.
          ...keyOption,
        }),
        ...(picker && gatewayPlan?.gateway
          ? {
              gatewayPath: picker.basePath,
              gatewayCurl: gatewayCurl({
                model: m.id,
                ...keyOption,
                lookup: {
                  stack: pulumi.getStack(),
                  namespace: gatewayPlan.gateway.metadata.namespace,
                  gateway: gatewayPlan.gateway.metadata.name,
                  basePath: picker.basePath,
                },
              }),
            }
          : {}),
      }),
    );
  }
  if (gatewayPlan) {
    // After the servers: their namespaces must exist.
    new InferenceGateway("gateway", gatewayPlan.config, {
      provider,
      dependsOn: [cluster, ...servers],
    });
  }

  // In-cluster Prometheus + Grafana, as in the home lab (one set of dashboards, rules and
  // scrape objects). GPU metrics on GKE come from GKE's managed DCGM package (Cloud Monitoring).
  const monitoring = raw.monitoring
    ? new Monitoring(
        "monitoring",
        {
          servers: s.models.map((m) => ({
            name: m.name,
            namespace: namespaceOf(s, m).name,
            nodes: m.nodes,
            runtime: m.runtime,
          })),
        },
        { provider, dependsOn: [cluster] },
      )
    : undefined;

  return {
    clusterName: cluster.clusterName,
    kubeconfig: cluster.kubeconfig,
    nodeServiceAccountEmail: cluster.nodeServiceAccountEmail,
    models,
    apiKey: apiKey ? pulumi.secret(apiKey) : undefined,
    ...(monitoring
      ? {
          grafana: monitoring.grafanaPortForward,
          grafanaAdminUser: monitoring.grafanaAdminUser,
          grafanaAdminPassword: monitoring.grafanaAdminPassword,
        }
      : {}),
  };
}
