import type { K8sObject } from "./types";

/*
 * Where pod templates live in the workload kinds GPU inference uses, and the loose shapes
 * the rules read from them. Input is whatever a YAML file or a resource's inputs hold, so
 * every accessor tolerates missing or mistyped fields instead of trusting a schema.
 */

/** An environment variable of a container. */
export interface EnvVar {
  name?: string;
  value?: unknown;
  valueFrom?: unknown;
}

/** A probe (only the fields the rules read). */
export interface Probe {
  initialDelaySeconds?: unknown;
  [key: string]: unknown;
}

/** A volume mount. */
export interface VolumeMount {
  name?: string;
  mountPath?: string;
  [key: string]: unknown;
}

/** A container (only the fields the rules read; everything else passes through). */
export interface Container {
  name?: string;
  image?: string;
  command?: unknown;
  args?: unknown;
  env?: EnvVar[];
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
  volumeMounts?: VolumeMount[];
  securityContext?: { privileged?: unknown; capabilities?: { add?: unknown } };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  [key: string]: unknown;
}

/** A pod volume. */
export interface Volume {
  name?: string;
  emptyDir?: { medium?: string; sizeLimit?: unknown };
  hostPath?: { path?: string };
  [key: string]: unknown;
}

/** A pod spec (only the fields the rules read). */
export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  hostNetwork?: unknown;
  [key: string]: unknown;
}

/** The part a pod template plays in its workload. */
export type PodRole = "leader" | "worker" | "single";

/**
 * Label values a controller adds to the pods it creates: fixed values, any value, or an
 * integer range (LWS worker indexes; a range, not a list, so a huge `size` costs nothing).
 */
export type GeneratedLabels = Record<string, string[] | "any" | { from: number; to: number }>;

/** One pod template of a workload, with what the rules need to know about its group. */
export interface PodTemplate {
  /** Kind of the object holding the template (`Deployment`, `LeaderWorkerSet` …). */
  kind: string;
  /** Name of the object holding the template (may be empty for auto-named resources). */
  name: string;
  /** Namespace of the object; undefined when the manifest leaves it to the client. */
  namespace: string | undefined;
  /** Dotted path of the template in the object, e.g. `spec.leaderWorkerTemplate.workerTemplate`. */
  path: string;
  /** `leader`/`worker` for the two LeaderWorkerSet templates, `single` for everything else. */
  role: PodRole;
  /** Pods in one group that serve one model together: the LWS `size`, 1 otherwise. */
  groupSize: number;
  /** Replicas of the workload (groups for an LWS); 1 where the kind has none. */
  replicas: number;
  /** Pods of one group made from this template: 1, or `size - 1` LWS workers (`size` without a leader template). */
  podsPerGroup: number;
  /** True when this template runs a group's leader (also an LWS worker template without a leader template). */
  includesLeader: boolean;
  /**
   * Labels every pod of this template carries: the template's own, plus the fixed ones the
   * controller adds (`leaderworkerset.sigs.k8s.io/name` for LWS).
   */
  labels: Record<string, string>;
  /** Labels the controller adds whose value depends on the pod (hashes, indexes). */
  generatedLabels: GeneratedLabels;
  /** The template's annotations. */
  annotations: Record<string, string>;
  /** The pod spec, by reference into the object (remediation edits it in place on a copy). */
  spec: PodSpec;
}

/** The API group of LeaderWorkerSet, matched on `apiVersion` (`leaderworkerset.x-k8s.io/v1`). */
export const LWS_GROUP = "leaderworkerset.x-k8s.io";
/** Label LWS puts on every pod of a set: the set's name. */
export const LWS_NAME_LABEL = "leaderworkerset.sigs.k8s.io/name";
/** Label LWS puts on every pod: its index in the group (`0` is the leader). */
export const LWS_WORKER_INDEX_LABEL = "leaderworkerset.sigs.k8s.io/worker-index";

/** True for a LeaderWorkerSet of any version of its API group. */
export function isLeaderWorkerSet(object: K8sObject): boolean {
  return (
    object !== null &&
    typeof object === "object" &&
    object.kind === "LeaderWorkerSet" &&
    typeof object.apiVersion === "string" &&
    object.apiVersion.startsWith(`${LWS_GROUP}/`)
  );
}

/** A plain-object view of `value`, or `{}`. */
export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** `value` if it is an array of objects (other entries dropped), else `[]`. */
export function asArray<T>(value: unknown): T[] {
  return Array.isArray(value)
    ? (value.filter((v) => v !== null && typeof v === "object") as T[])
    : [];
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(value))) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = `${v}`;
  }
  return out;
}

/** A non-negative integer from a number or numeric string, else `fallback`. */
export function toCount(value: unknown, fallback: number): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return fallback;
}

const POD_TEMPLATE_KINDS: Record<string, GeneratedLabels> = {
  Deployment: { "pod-template-hash": "any" },
  ReplicaSet: {},
  StatefulSet: {
    "controller-revision-hash": "any",
    "statefulset.kubernetes.io/pod-name": "any",
    "apps.kubernetes.io/pod-index": "any",
  },
  DaemonSet: { "controller-revision-hash": "any", "pod-template-generation": "any" },
};

const JOB_LABELS: GeneratedLabels = {
  "controller-uid": "any",
  "batch.kubernetes.io/controller-uid": "any",
  "job-name": "any",
  "batch.kubernetes.io/job-name": "any",
  "batch.kubernetes.io/job-completion-index": "any",
};

/** How a template's workload groups its pods (the fields that differ between kinds). */
interface TemplateShape {
  role?: PodRole;
  groupSize?: number;
  replicas?: number;
  podsPerGroup?: number;
  includesLeader?: boolean;
  /** Fixed labels the controller adds, on top of the template's own. */
  labels?: Record<string, string>;
  generatedLabels: GeneratedLabels;
}
type TemplateBase = Pick<PodTemplate, "kind" | "name" | "namespace">;

/*
 * Templates are built as one literal with every field, never as `{ ...partial, more }`: on
 * Node 20's V8, an object spread into a literal that then adds fields allocates many times the
 * bytes of the same literal written out, and a fifth of them survive into the old generation
 * (measured; docs/performance.md). At 200,000 objects that was a gigabyte of dead templates.
 */
function template(
  base: TemplateBase,
  path: string,
  meta: Record<string, unknown>,
  spec: PodSpec,
  shape: TemplateShape,
): PodTemplate {
  const labels = stringMap(meta.labels);
  for (const [k, v] of Object.entries(shape.labels ?? {})) labels[k] = v;
  return {
    kind: base.kind,
    name: base.name,
    namespace: base.namespace,
    path,
    role: shape.role ?? "single",
    groupSize: shape.groupSize ?? 1,
    replicas: shape.replicas ?? 1,
    podsPerGroup: shape.podsPerGroup ?? 1,
    includesLeader: shape.includesLeader ?? true,
    labels,
    generatedLabels: shape.generatedLabels,
    annotations: stringMap(meta.annotations),
    spec,
  };
}

/** The pod template at `value` (a `{metadata, spec}` record), or none when it has no spec. */
function fromTemplate(
  base: TemplateBase,
  value: unknown,
  path: string,
  shape: TemplateShape,
): PodTemplate[] {
  const t = asRecord(value);
  if (!t.spec || typeof t.spec !== "object") return [];
  return [template(base, path, asRecord(t.metadata), t.spec as PodSpec, shape)];
}

// Several rules ask for the templates of the same object; `check` runs them over thousands of
// objects. Objects are immutable while rules read them (see `analyzeObject`), so the result is
// cached per object identity and dropped with the object's analysis (`forgetTemplates`).
const templateCache = new WeakMap<object, PodTemplate[]>();

/**
 * Every pod template in `object`: a Pod's own spec, `spec.template` of Deployment,
 * StatefulSet, DaemonSet, ReplicaSet and Job, `spec.jobTemplate.spec.template` of a CronJob,
 * and both templates of a LeaderWorkerSet. When `leaderTemplate` is absent the worker
 * template also runs the leader: it is reported once, as `worker` with `includesLeader`
 * and `podsPerGroup = size`, so rules never report one spec twice. Other objects have none.
 * The result is shared between callers: read it, never modify it; pass `fresh: true` for an
 * object you are about to modify (nothing is cached then).
 */
export function podTemplates(object: K8sObject, options?: { fresh?: boolean }): PodTemplate[] {
  if (object === null || typeof object !== "object") return [];
  if (options?.fresh) return templatesOf(object);
  let templates = templateCache.get(object);
  if (templates === undefined) {
    templates = templatesOf(object);
    templateCache.set(object, templates);
  }
  return templates;
}

/** Drops the cached templates of `object` (see `releaseAnalysis`). */
export function forgetTemplates(object: K8sObject): void {
  if (object !== null && typeof object === "object") templateCache.delete(object);
}

function templatesOf(object: K8sObject): PodTemplate[] {
  const kind = typeof object.kind === "string" ? object.kind : "";
  const metadata = asRecord(object.metadata);
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
  const spec = asRecord(object.spec);
  const base = { kind, name, namespace };

  if (kind === "Pod" && object.spec && typeof object.spec === "object") {
    return [template(base, "spec", metadata, object.spec as PodSpec, { generatedLabels: {} })];
  }
  if (kind in POD_TEMPLATE_KINDS) {
    return fromTemplate(base, spec.template, "spec.template", {
      replicas: toCount(spec.replicas, 1),
      generatedLabels: POD_TEMPLATE_KINDS[kind] ?? {},
    });
  }
  if (kind === "Job") {
    return fromTemplate(base, spec.template, "spec.template", {
      replicas: toCount(spec.parallelism, 1),
      generatedLabels: JOB_LABELS,
    });
  }
  if (kind === "CronJob") {
    const jobSpec = asRecord(asRecord(spec.jobTemplate).spec);
    return fromTemplate(base, jobSpec.template, "spec.jobTemplate.spec.template", {
      replicas: toCount(jobSpec.parallelism, 1),
      generatedLabels: JOB_LABELS,
    });
  }
  if (isLeaderWorkerSet(object)) return lwsTemplates(base, spec);
  return [];
}

/**
 * Labels the LWS controller puts on every pod: three with values no manifest can know, and
 * the worker index, `from`..`to` for the pods of this template.
 */
function lwsGeneratedLabels(from: number, to: number): GeneratedLabels {
  return {
    "leaderworkerset.sigs.k8s.io/group-index": "any",
    "leaderworkerset.sigs.k8s.io/group-key": "any",
    "leaderworkerset.sigs.k8s.io/template-revision-hash": "any",
    [LWS_WORKER_INDEX_LABEL]: { from, to },
  };
}

function lwsTemplates(base: TemplateBase, spec: Record<string, unknown>): PodTemplate[] {
  const lwt = asRecord(spec.leaderWorkerTemplate);
  const size = Math.max(1, toCount(lwt.size, 1));
  const hasLeader = Boolean(lwt.leaderTemplate && typeof lwt.leaderTemplate === "object");
  const replicas = toCount(spec.replicas, 1);
  const labels = { [LWS_NAME_LABEL]: base.name };
  const path = "spec.leaderWorkerTemplate";
  const leader = hasLeader
    ? fromTemplate(base, lwt.leaderTemplate, `${path}.leaderTemplate`, {
        role: "leader",
        groupSize: size,
        replicas,
        podsPerGroup: 1,
        includesLeader: true,
        labels,
        generatedLabels: lwsGeneratedLabels(0, 0),
      })
    : [];
  // A group of one with a leader template has no worker pods at all.
  if (hasLeader && size === 1) return leader;
  const worker = fromTemplate(base, lwt.workerTemplate, `${path}.workerTemplate`, {
    role: "worker",
    groupSize: size,
    replicas,
    podsPerGroup: hasLeader ? size - 1 : size,
    includesLeader: !hasLeader,
    labels,
    generatedLabels: lwsGeneratedLabels(hasLeader ? 1 : 0, size - 1),
  });
  return leader.concat(worker);
}

/** A short human name for a template in messages: `Deployment vllm`, `LWS vllm leader`. */
export function describeTemplate(t: PodTemplate): string {
  const who = `${t.kind}${t.name ? ` ${t.name}` : ""}`;
  if (t.role === "leader") return `${who} (leader template)`;
  if (t.role === "worker") return `${who} (worker template)`;
  return who;
}

/** The app containers of a pod spec (init containers excluded). */
export function containersOf(spec: PodSpec): Container[] {
  return asArray<Container>(spec.containers);
}

/** Every container that runs, init containers first (for image and secret checks). */
export function allContainersOf(spec: PodSpec): Container[] {
  return [...asArray<Container>(spec.initContainers), ...asArray<Container>(spec.containers)];
}

/** The volumes of a pod spec. */
export function volumesOf(spec: PodSpec): Volume[] {
  return asArray<Volume>(spec.volumes);
}

/** The env entries of a container. */
export function envOf(container: Container): EnvVar[] {
  return asArray<EnvVar>(container.env);
}

/** A container's name for messages. */
export function containerName(container: Container): string {
  return typeof container.name === "string" && container.name ? container.name : "(unnamed)";
}

/** GPU resource names the rules count as accelerators. */
export const GPU_RESOURCES = ["nvidia.com/gpu", "amd.com/gpu"];

/**
 * GKE's TPU resource: one unit is one TPU chip (a `2x4` v6e slice node grants
 * `google.com/tpu: 8`). Only the parallelism rule counts it: TPUs run no NCCL, so the shm, NCCL
 * and RDMA rules keep to GPUs.
 */
export const TPU_RESOURCES = ["google.com/tpu"];

/**
 * GPUs a container gets: its limit (extended resources are granted by limit), else its
 * request. 0 when it asks for none.
 */
export function containerGpus(container: Container, resources = GPU_RESOURCES): number {
  const limits = asRecord(container.resources?.limits);
  const requests = asRecord(container.resources?.requests);
  let total = 0;
  for (const r of resources) total += toCount(limits[r] ?? requests[r], 0);
  return total;
}

/** GPUs of one pod: the sum over its app containers. */
export function podGpus(spec: PodSpec): number {
  return containersOf(spec).reduce((sum, c) => sum + containerGpus(c), 0);
}

/** True when the pod runs in the node's network namespace. */
export function usesHostNetwork(spec: PodSpec): boolean {
  return spec.hostNetwork === true || spec.hostNetwork === "true";
}

/** True when `template`'s pods may carry `key=value` (own labels or controller-added ones). */
export function podMayCarryLabel(t: PodTemplate, key: string, value: string): boolean {
  if (key in t.labels) return t.labels[key] === value;
  const generated = t.generatedLabels[key];
  if (generated === undefined) return false;
  if (generated === "any") return true;
  if (Array.isArray(generated)) return generated.includes(value);
  if (!/^\d+$/.test(value)) return false;
  const n = Number(value);
  return n >= generated.from && n <= generated.to;
}
