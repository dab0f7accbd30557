/**
 * The vLLM workload: a Deployment when the server fits one node, a LeaderWorkerSet (one pod
 * per node, one group per replica) when it spans several. Pure functions of the validated
 * config; the network profile is applied identically to every pod.
 */
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { IToleration } from "kubernetes-models/v1/Toleration";
import type { IVolume } from "kubernetes-models/v1/Volume";
import { storeEnv } from "../coldstart/store";
import type { VllmServerConfig } from "./args";
import { nimPassthrough, roleCommand, type VllmRole } from "./command";
import { metricsPath, NIM_HEALTH, NIM_POD_SECURITY, nimEnv, VLLM_HEALTH } from "./nim";

/** Object metadata as the manifests use it. */
export type ObjectMeta = NonNullable<IPodTemplateSpec["metadata"]>;

/** LWS labels the controller puts on every pod (used by the Service and anti-affinity). */
export const LWS_NAME_LABEL = "leaderworkerset.sigs.k8s.io/name";
/** `0` on the leader pod of each group. */
export const LWS_WORKER_INDEX_LABEL = "leaderworkerset.sigs.k8s.io/worker-index";
/** A hash shared by all pods of one group. */
export const LWS_GROUP_KEY_LABEL = "leaderworkerset.sigs.k8s.io/group-key";

/** Pod label naming a server's packing group (see `VllmServerArgs.packGroup`). */
export const PACK_GROUP_LABEL = "llm-serving.dev/pack-group";

/** GPU resource of the NVIDIA device plugin. */
export const GPU_RESOURCE = "nvidia.com/gpu";
/** Name of the container port serving the API and `/metrics`. */
export const HTTP_PORT_NAME = "http";
/** Name of the memory-backed `/dev/shm` volume. */
export const SHM_VOLUME = "dshm";

/**
 * A LeaderWorkerSet (`leaderworkerset.x-k8s.io/v1`), the fields this project sets.
 * The authority is the upstream CRD, which the tests validate every manifest against.
 */
export interface ILeaderWorkerSet {
  apiVersion: "leaderworkerset.x-k8s.io/v1";
  kind: "LeaderWorkerSet";
  metadata: ObjectMeta;
  spec: {
    /** Number of groups. */
    replicas: number;
    /** `LeaderCreated` starts workers with the leader; `LeaderReady` waits for it to be ready. */
    startupPolicy?: "LeaderCreated" | "LeaderReady";
    /** How a template change replaces groups (the CRD allows only `RollingUpdate`). */
    rolloutStrategy?: {
      type: "RollingUpdate";
      rollingUpdateConfiguration?: { maxSurge?: number; maxUnavailable?: number };
    };
    leaderWorkerTemplate: {
      /** Pods per group, leader included. */
      size: number;
      /** `RecreateGroupOnPodRestart`: a failed pod restarts its whole group (NCCL cannot rejoin). */
      restartPolicy: "RecreateGroupOnPodRestart" | "RecreateGroupAfterStart" | "None";
      leaderTemplate?: IPodTemplateSpec;
      workerTemplate: IPodTemplateSpec;
    };
  };
}

/** Labels every object of the server carries; the user's extras never override ours. */
export function commonLabels(c: VllmServerConfig): Record<string, string> {
  return { ...c.labels, ...selectorLabels(c), "app.kubernetes.io/managed-by": "pulumi" };
}

/** Labels that identify the server's pods (the Deployment selector). */
export function selectorLabels(c: VllmServerConfig): Record<string, string> {
  return { "app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": c.name };
}

/** Serving roles expose the API and get probes; headless and Ray workers have neither. */
function serves(role: VllmRole): boolean {
  return role !== "worker";
}

/** vLLM's API-key variable (vllm/envs.py); `--api-key`, when given, takes precedence. */
export const API_KEY_ENV = "VLLM_API_KEY";

function env(c: VllmServerConfig, role: VllmRole): IEnvVar[] {
  const vars: IEnvVar[] = c.nim
    ? nimEnv(
        {
          cacheMount: c.modelCache.mountPath,
          port: c.port,
          servedName: c.model.servedName,
          tensor: c.parallelism.tensor,
          pipeline: c.parallelism.pipeline,
          nodes: c.parallelism.nodes,
          maxModelLen: c.engine.maxModelLen,
          passthrough: nimPassthrough(c),
          nim: c.nim,
        },
        role,
      )
    : [{ name: "HF_HOME", value: c.modelCache.mountPath }];
  if (c.tokenSecret) {
    vars.push({
      name: "HF_TOKEN",
      valueFrom: { secretKeyRef: { name: c.tokenSecret.name, key: c.tokenSecret.key } },
    });
  }
  // Only the pods that run the API server get the key: headless and Ray workers never
  // answer HTTP, so they have no use for it.
  if (c.apiKeySecret && serves(role)) {
    vars.push({
      name: API_KEY_ENV,
      valueFrom: { secretKeyRef: { name: c.apiKeySecret.name, key: c.apiKeySecret.key } },
    });
  }
  return [...vars, ...storeEnv(c.modelStore), ...c.network.env];
}

function healthProbe(path: string, periodSeconds: number, failureThreshold: number): IProbe {
  return {
    httpGet: { path, port: HTTP_PORT_NAME },
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold,
  };
}

/** The probes of a serving container (vLLM's `/health`, NIM's `/v1/health/*`). */
function probes(
  c: VllmServerConfig,
): Pick<IContainer, "startupProbe" | "readinessProbe" | "livenessProbe"> {
  const paths = c.runtime === "nim" ? NIM_HEALTH : VLLM_HEALTH;
  return {
    // Generous: the first start downloads the model and captures CUDA graphs.
    startupProbe: healthProbe(paths.startup, 10, Math.ceil(c.startupTimeoutSeconds / 10)),
    readinessProbe: healthProbe(paths.ready, 10, 3),
    livenessProbe: healthProbe(paths.live, 30, 5),
  };
}

/**
 * A NIM worker serves no HTTP; it is started once it has joined the leader's Ray cluster
 * (`ray status`, as NVIDIA's NIM Operator probes it), with the leader's start-up allowance.
 */
function rayWorkerProbe(c: VllmServerConfig): IProbe {
  return {
    exec: { command: ["/bin/sh", "-c", "ray status"] },
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: Math.ceil(c.startupTimeoutSeconds / 10),
  };
}

function container(c: VllmServerConfig, role: VllmRole): IContainer {
  const gpus = String(c.parallelism.gpusPerNode);
  const caps = c.network.capabilities;
  const securityContext =
    caps.length > 0 || c.network.privileged
      ? {
          ...(c.network.privileged ? { privileged: true } : {}),
          ...(caps.length > 0 ? { capabilities: { add: [...caps] } } : {}),
        }
      : undefined;
  const base = c.runtime === "nim" ? "nim" : "vllm";
  return {
    name: role === "worker" ? `${base}-worker` : base,
    image: c.image,
    ...roleCommand(c, role),
    env: env(c, role),
    ...(serves(role)
      ? { ports: [{ name: HTTP_PORT_NAME, containerPort: c.port, protocol: "TCP" }] }
      : {}),
    resources: {
      requests: {
        cpu: c.resources.cpu,
        memory: c.resources.memory,
        ...(c.resources.ephemeralStorage
          ? { "ephemeral-storage": c.resources.ephemeralStorage }
          : {}),
        [GPU_RESOURCE]: gpus,
        ...c.network.resources,
      },
      limits: {
        ...(c.resources.memoryLimit ? { memory: c.resources.memoryLimit } : {}),
        [GPU_RESOURCE]: gpus,
        ...c.network.resources,
      },
    },
    ...(securityContext ? { securityContext } : {}),
    volumeMounts: [
      { name: SHM_VOLUME, mountPath: "/dev/shm" },
      { name: c.modelCache.volume.name, mountPath: c.modelCache.mountPath },
      ...c.network.volumeMounts,
    ],
    ...(serves(role) ? probes(c) : c.nim ? { startupProbe: rayWorkerProbe(c) } : {}),
  };
}

function volumes(c: VllmServerConfig): IVolume[] {
  return [
    // Pods get 64 MiB of /dev/shm by default; NCCL and PyTorch IPC need far more.
    { name: SHM_VOLUME, emptyDir: { medium: "Memory", sizeLimit: c.shmSize } },
    c.modelCache.volume,
    ...c.network.volumes,
  ];
}

/**
 * One pod per node within an LWS group: a second pod of the same group on a node would
 * fight the first for its GPUs and NICs. `matchLabelKeys` narrows the rule to the pod's own
 * group (Kubernetes >= 1.31; older API servers drop the field and keep pods of all groups
 * apart, which is stricter but still correct).
 */
function groupAntiAffinity(c: VllmServerConfig): IPodSpec["affinity"] {
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          labelSelector: { matchLabels: { [LWS_NAME_LABEL]: c.name } },
          matchLabelKeys: [LWS_GROUP_KEY_LABEL],
          topologyKey: "kubernetes.io/hostname",
        },
      ],
    },
  };
}

/**
 * Every pod of a packing group on one node: a required pod affinity to the group's label on
 * `kubernetes.io/hostname`, in any namespace. The first pod of a group goes wherever it fits
 * (the scheduler admits a pod whose own labels satisfy its affinity when no other pod does);
 * every later one must join it, so small servers never spread over the nodes a whole-node
 * workload needs.
 */
function packAffinity(group: string): IPodSpec["affinity"] {
  return {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        {
          labelSelector: { matchLabels: { [PACK_GROUP_LABEL]: group } },
          namespaceSelector: {},
          topologyKey: "kubernetes.io/hostname",
        },
      ],
    },
  };
}

/** The pod spec of one role. */
export function podSpec(c: VllmServerConfig, role: VllmRole): IPodSpec {
  const n = c.network;
  return {
    ...(n.hostNetwork ? { hostNetwork: true } : {}),
    ...(n.dnsPolicy ? { dnsPolicy: n.dnsPolicy } : {}),
    ...(c.runtimeClassName ? { runtimeClassName: c.runtimeClassName } : {}),
    ...(Object.keys(c.nodeSelector).length > 0 ? { nodeSelector: { ...c.nodeSelector } } : {}),
    ...(c.tolerations.length > 0
      ? { tolerations: c.tolerations.map((t): IToleration => ({ ...t })) }
      : {}),
    ...(role !== "server"
      ? { affinity: groupAntiAffinity(c) }
      : c.packGroup
        ? { affinity: packAffinity(c.packGroup) }
        : {}),
    // NIM images come from NGC's registry, which needs credentials.
    ...(c.nim ? { imagePullSecrets: [{ name: c.nim.imagePullSecret }] } : {}),
    // The account Workload Identity lets read the model bucket; GKE's metadata server mints
    // its Google token from the pod's identity, so no Kubernetes token is mounted for it.
    ...(c.modelStore.serviceAccountName
      ? { serviceAccountName: c.modelStore.serviceAccountName }
      : {}),
    // vLLM never calls the Kubernetes API: a compromised server gets no token.
    automountServiceAccountToken: false,
    // The runtime's default seccomp filter. Kubernetes runs privileged containers (the home
    // lab's roce-hostnet without a device plugin) Unconfined whatever this says.
    securityContext: {
      ...(c.nim ? NIM_POD_SECURITY : {}),
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [container(c, role)],
    volumes: volumes(c),
  };
}

/** Pod annotations of one role: the profile's, plus Prometheus scraping on serving pods. */
function podAnnotations(c: VllmServerConfig, role: VllmRole): Record<string, string> {
  return {
    ...c.network.annotations,
    ...(serves(role)
      ? {
          "prometheus.io/scrape": "true",
          "prometheus.io/port": String(c.port),
          "prometheus.io/path": metricsPath(c.runtime),
        }
      : {}),
  };
}

function template(c: VllmServerConfig, role: VllmRole, component: string): IPodTemplateSpec {
  const annotations = podAnnotations(c, role);
  return {
    metadata: {
      labels: {
        ...commonLabels(c),
        "app.kubernetes.io/component": component,
        ...(c.packGroup ? { [PACK_GROUP_LABEL]: c.packGroup } : {}),
      },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: podSpec(c, role),
  };
}

function metadata(c: VllmServerConfig): ObjectMeta {
  return { name: c.name, namespace: c.namespace, labels: commonLabels(c) };
}

/** Time to provision a GPU node and pull a multi-gigabyte image, before the startup probe runs. */
export const AWAIT_MARGIN_SECONDS = 1800;

/**
 * How long Pulumi's Kubernetes provider may wait for the server to answer: the startup
 * probe's allowance plus {@link AWAIT_MARGIN_SECONDS}. The provider waits 10 minutes by
 * default for a Deployment to be ready and for a Service to have endpoints, which would fail
 * `pulumi up` while the model is still downloading.
 */
export function awaitAnnotations(c: VllmServerConfig): Record<string, string> {
  return { "pulumi.com/timeoutSeconds": String(c.startupTimeoutSeconds + AWAIT_MARGIN_SECONDS) };
}

/** The Deployment of a single-node server (1 GPU, or N GPUs tensor/pipeline-parallel on one node). */
export function vllmDeployment(c: VllmServerConfig): IDeployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { ...metadata(c), annotations: awaitAnnotations(c) },
    spec: {
      replicas: c.replicas,
      selector: { matchLabels: selectorLabels(c) },
      // No surge: a new pod needs GPUs the old one still holds, and a GPU pool at its
      // autoscaling maximum has none spare, so a surge pod would wait forever and the
      // rollout would never finish. One at a time, the old pod goes first.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      template: template(c, "server", "server"),
    },
  };
}

/** The LeaderWorkerSet of a multi-node server: size = nodes, one group per replica. */
export function vllmLeaderWorkerSet(c: VllmServerConfig): ILeaderWorkerSet {
  return {
    apiVersion: "leaderworkerset.x-k8s.io/v1",
    kind: "LeaderWorkerSet",
    metadata: metadata(c),
    spec: {
      replicas: c.replicas,
      startupPolicy: "LeaderCreated",
      // Groups are replaced one at a time, never surged: a surge group needs `size` more
      // whole GPU nodes (LWS v0.10.0 CRD: maxSurge defaults to 0, maxUnavailable to 1; set
      // explicitly so a changed default cannot make a rollout wait for nodes forever).
      rolloutStrategy: {
        type: "RollingUpdate",
        rollingUpdateConfiguration: { maxSurge: 0, maxUnavailable: 1 },
      },
      leaderWorkerTemplate: {
        size: c.parallelism.nodes,
        restartPolicy: "RecreateGroupOnPodRestart",
        leaderTemplate: template(c, "leader", "leader"),
        workerTemplate: template(c, "worker", "worker"),
      },
    },
  };
}
