/**
 * Validates rendered Kubernetes objects against upstream schemas, so a test fails when a
 * builder emits something the API server would reject (or silently prune).
 *
 * - Core kinds: `kubernetes-models` (Kubernetes' own OpenAPI, compiled). It checks types,
 *   required fields, enums and formats (quantities, int-or-string) but NOT unknown fields.
 *   To close the gap where it matters most, every pod template inside a core workload
 *   (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) is ALSO checked
 *   strictly against the fully expanded core/v1 PodTemplateSpec that the vendored
 *   LeaderWorkerSet CRD carries (controller-gen output of k8s.io/api): a misspelt container
 *   field fails (only where the upstream data is present, see below). Unknown fields outside pod templates (e.g. `spec.bogus` on a Service) are
 *   not caught: kubernetes-models ships only compiled validators, not the JSON schemas.
 *   That pod-spec check also rejects duplicate keys in list-maps (two containers, volumes
 *   or env vars with one name): the API server rejects most of these, but only warns about
 *   a duplicate env name (the later one silently wins); here it is an error either way.
 * - LeaderWorkerSet (`leaderworkerset.x-k8s.io/v1`): the upstream CRD's `openAPIV3Schema`
 *   (`shared/upstream/`, found by `./upstream.ts`), strict: wherever the schema
 *   lists `properties` and does not say `x-kubernetes-preserve-unknown-fields`, any other
 *   field is an error, as the API server's pruning would drop it. The leader and worker
 *   templates are additionally checked as core PodTemplateSpecs by kubernetes-models.
 * - Any other apiVersion/kind: an error saying no schema is known.
 *
 * Without `shared/upstream` (a bare clone), the LeaderWorkerSet and strict pod-spec checks
 * are skipped and reported once on stderr; kubernetes-models' checks still run.
 */
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ReplicaSet } from "kubernetes-models/apps/v1/ReplicaSet";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { RuntimeClass } from "kubernetes-models/node.k8s.io/v1/RuntimeClass";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1/PriorityClass";
import { StorageClass } from "kubernetes-models/storage.k8s.io/v1/StorageClass";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Endpoints } from "kubernetes-models/v1/Endpoints";
import { LimitRange } from "kubernetes-models/v1/LimitRange";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolume } from "kubernetes-models/v1/PersistentVolume";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Pod } from "kubernetes-models/v1/Pod";
import { PodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { ResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { readUpstreamCrd } from "./upstream";

/**
 * The upstream LeaderWorkerSet CRD schema (`shared/upstream/`), from kubernetes-sigs/lws
 * `config/crd/bases/leaderworkerset.x-k8s.io_leaderworkersets.yaml` at the tag in its name.
 */
export const LWS_SCHEMA_FILE = "lws-leaderworkerset-v0.10.0.json";

/** What is skipped without the upstream data (the line reported once). */
const LWS_SKIPPED = "strict LeaderWorkerSet and pod-spec validation";

/** A kubernetes-models class: construct with the object, `validate()` throws on errors. */
type ModelClass = new (data: never) => { validate(): void };

/** Core kinds kubernetes-models validates, by `apiVersion/kind`. */
const CORE_MODELS: Record<string, ModelClass> = Object.fromEntries(
  (
    [
      ["v1", "ConfigMap", ConfigMap],
      ["v1", "Endpoints", Endpoints],
      ["v1", "LimitRange", LimitRange],
      ["v1", "Namespace", Namespace],
      ["v1", "PersistentVolume", PersistentVolume],
      ["v1", "PersistentVolumeClaim", PersistentVolumeClaim],
      ["v1", "Pod", Pod],
      ["v1", "ResourceQuota", ResourceQuota],
      ["v1", "Secret", Secret],
      ["v1", "Service", Service],
      ["v1", "ServiceAccount", ServiceAccount],
      ["apps/v1", "DaemonSet", DaemonSet],
      ["apps/v1", "Deployment", Deployment],
      ["apps/v1", "ReplicaSet", ReplicaSet],
      ["apps/v1", "StatefulSet", StatefulSet],
      ["autoscaling/v2", "HorizontalPodAutoscaler", HorizontalPodAutoscaler],
      ["batch/v1", "CronJob", CronJob],
      ["batch/v1", "Job", Job],
      // Prometheus Operator CRDs (@kubernetes-models/prometheus-operator; test/monitoring
      // also checks them strictly against the upstream CRD schemas).
      ["monitoring.coreos.com/v1", "PodMonitor", PodMonitor],
      ["monitoring.coreos.com/v1", "PrometheusRule", PrometheusRule],
      ["monitoring.coreos.com/v1", "ServiceMonitor", ServiceMonitor],
      ["networking.k8s.io/v1", "Ingress", Ingress],
      ["networking.k8s.io/v1", "NetworkPolicy", NetworkPolicy],
      ["node.k8s.io/v1", "RuntimeClass", RuntimeClass],
      ["policy/v1", "PodDisruptionBudget", PodDisruptionBudget],
      ["rbac.authorization.k8s.io/v1", "ClusterRole", ClusterRole],
      ["rbac.authorization.k8s.io/v1", "ClusterRoleBinding", ClusterRoleBinding],
      ["rbac.authorization.k8s.io/v1", "Role", Role],
      ["rbac.authorization.k8s.io/v1", "RoleBinding", RoleBinding],
      ["scheduling.k8s.io/v1", "PriorityClass", PriorityClass],
      ["storage.k8s.io/v1", "StorageClass", StorageClass],
    ] as [string, string, ModelClass][]
  ).map(([apiVersion, kind, model]) => [`${apiVersion}/${kind}`, model]),
);

/** The apiVersion/kind checked against the vendored CRD. */
const LWS_KEY = "leaderworkerset.x-k8s.io/v1/LeaderWorkerSet";

/** Where core workloads keep their pod template (dotted path from the object root). */
const POD_TEMPLATE_PATHS: Record<string, string[]> = {
  "apps/v1/Deployment": ["spec", "template"],
  "apps/v1/DaemonSet": ["spec", "template"],
  "apps/v1/ReplicaSet": ["spec", "template"],
  "apps/v1/StatefulSet": ["spec", "template"],
  "batch/v1/Job": ["spec", "template"],
  "batch/v1/CronJob": ["spec", "jobTemplate", "spec", "template"],
};

/** The apiVersion/kind pairs this module has a schema for (the GKE and other helpers add theirs). */
export function knownKinds(): string[] {
  return [...Object.keys(CORE_MODELS), LWS_KEY, ...Object.keys(UPSTREAM_CRDS)].sort();
}

type Schema = Record<string, unknown>;

/**
 * Rewrites a Kubernetes structural schema into plain JSON Schema that rejects unknown
 * fields the way the API server prunes them: every object schema with `properties` (and
 * without `x-kubernetes-preserve-unknown-fields`) gets `additionalProperties: false`;
 * int-or-string becomes `anyOf integer|string`; descriptions are dropped (size).
 * Exported for the tests of this module and for other vendored CRDs.
 */
export function strictSchema(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(strictSchema);
  if (typeof input !== "object" || input === null) return input;
  const s = input as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(s)) {
    if (key === "description") continue;
    if (key === "properties" || key === "patternProperties" || key === "definitions") {
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([k, v]) => [k, strictSchema(v)]),
      );
    } else if (key === "enum" || key === "required" || key === "x-kubernetes-list-map-keys") {
      out[key] = value;
    } else {
      out[key] = strictSchema(value);
    }
  }
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const intOrString = s["x-kubernetes-int-or-string"] === true || s.format === "int-or-string";
  if (intOrString) {
    // The API accepts a JSON integer or a string here, whatever `type` says.
    delete out.type;
    delete out.format;
    if (!out.anyOf) out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (s["x-kubernetes-embedded-resource"] === true) {
    // An embedded object implicitly carries its own type and object metadata.
    const props = (out.properties ?? {}) as Schema;
    out.properties = {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      ...props,
    };
  }
  if (out.properties && !preserve && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

/** Items of a list are unique by the tuple of `keys` (x-kubernetes-list-type: map). */
function uniqueByKeys(items: unknown[], keys: string[]): boolean {
  const seen = new Set<string>();
  for (const item of items) {
    if (typeof item !== "object" || item === null) continue;
    const id = JSON.stringify(keys.map((k) => (item as Schema)[k] ?? null));
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/** ajv with the Kubernetes schema extensions and formats the CRDs use (other CRD checks reuse it). */
export function kubernetesAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i);
  ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat("quantity", /^[+-]?(\d+|\d+\.\d*|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/);
  // Duplicate entries in a list-map or a set are rejected by the API server.
  ajv.addKeyword({
    keyword: "x-kubernetes-list-type",
    type: "array",
    errors: false,
    validate: (listType: string, data: unknown[], parent?: Schema) => {
      if (listType === "map") {
        return uniqueByKeys(data, (parent?.["x-kubernetes-list-map-keys"] as string[]) ?? []);
      }
      if (listType === "set") {
        return new Set(data.map((d) => JSON.stringify(d))).size === data.length;
      }
      return true;
    },
  });
  for (const keyword of [
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    // CEL rules need a CEL evaluator; none of the vendored CRDs uses them today.
    "x-kubernetes-validations",
  ]) {
    ajv.addKeyword({ keyword });
  }
  return ajv;
}

let lwsRoot: Schema | null | undefined;
let lwsValidator: ValidateFunction | undefined;
let podTemplateValidator: ValidateFunction | undefined;

/** The upstream CRD's v1 `openAPIV3Schema` (read once); null without the upstream data. */
function lwsSchema(): Schema | null {
  if (lwsRoot === undefined)
    lwsRoot = readUpstreamCrd(LWS_SCHEMA_FILE, LWS_SKIPPED)?.schema ?? null;
  return lwsRoot;
}

/** The strict LeaderWorkerSet validator (compiled on first use: it is large), if available. */
function getLwsValidator(): ValidateFunction | undefined {
  const schema = lwsSchema();
  if (!schema) return undefined;
  lwsValidator ??= kubernetesAjv().compile(strictSchema(schema) as Schema);
  return lwsValidator;
}

/**
 * Other vendored CRDs validated strictly (`shared/upstream/`), by `apiVersion/kind`: KEDA's
 * ScaledObject (kedacore/keda v2.20.2 `config/crd/bases/keda.sh_scaledobjects.yaml`) and
 * the Inference Extension's InferencePool (v1.6.0).
 */
const UPSTREAM_CRDS: Record<string, string> = {
  "keda.sh/v1alpha1/ScaledObject": "keda-scaledobject.json",
  // kubernetes-sigs/gateway-api-inference-extension v1.6.0.
  "inference.networking.k8s.io/v1/InferencePool": "gaie-inferencepool.json",
};

const crdValidators = new Map<string, ValidateFunction | null>();

/** The strict validator of a vendored CRD (compiled once), or undefined without the data. */
function getCrdValidator(key: string): ValidateFunction | undefined {
  if (!crdValidators.has(key)) {
    const file = UPSTREAM_CRDS[key];
    const crd = readUpstreamCrd(file, `strict ${key} validation`);
    crdValidators.set(
      key,
      crd ? kubernetesAjv().compile(strictSchema(crd.schema) as Schema) : null,
    );
  }
  return crdValidators.get(key) ?? undefined;
}

/** The strict core/v1 PodTemplateSpec that the CRD expands for its worker template, if available. */
function getPodTemplateValidator(): ValidateFunction | undefined {
  if (podTemplateValidator) return podTemplateValidator;
  const root = lwsSchema();
  if (!root) return undefined;
  const spec = (root.properties as Record<string, Schema>).spec;
  const lwt = (spec.properties as Record<string, Schema>).leaderWorkerTemplate;
  const workerTemplate = (lwt.properties as Record<string, Schema>).workerTemplate;
  podTemplateValidator = kubernetesAjv().compile(strictSchema(workerTemplate) as Schema);
  return podTemplateValidator;
}

/** `/spec/containers/0/x` → `spec.containers[0].x`, prefixed. */
function jsonPointerToPath(prefix: string, pointer: string): string {
  let out = prefix;
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || "(root)";
}

/** One line per ajv error; the noise of failed `anyOf` branches is folded into one line. */
function formatAjvErrors(prefix: string, errors: ErrorObject[] | null | undefined): string[] {
  const lines = new Set<string>();
  for (const e of errors ?? []) {
    const at = jsonPointerToPath(prefix, e.instancePath);
    if (e.keyword === "additionalProperties") {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      lines.add(`${at}: unknown field "${field}"`);
    } else if (e.keyword === "required") {
      lines.add(
        `${at}: missing required field "${(e.params as { missingProperty: string }).missingProperty}"`,
      );
    } else if (e.keyword === "x-kubernetes-list-type") {
      lines.add(`${at}: duplicate entries in a list the API treats as a map/set`);
    } else {
      lines.add(`${at}: ${e.message ?? e.keyword}`);
    }
  }
  return [...lines];
}

/** Runs a kubernetes-models class's validator; returns its errors as lines. */
function modelErrors(model: ModelClass, obj: unknown, prefix: string): string[] {
  try {
    new model(obj as never).validate();
    return [];
  } catch (err) {
    const ajvErrors = (err as { errors?: ErrorObject[] }).errors;
    if (ajvErrors) return formatAjvErrors(prefix, ajvErrors);
    return [`${prefix || "(root)"}: ${(err as Error).message}`];
  }
}

function at(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Schema)[key];
  }
  return cur;
}

/**
 * Strict check (unknown fields) of a core pod template's `spec`. Its metadata is left to
 * kubernetes-models: the CRD's template metadata is a subset of ObjectMeta, fine for LWS
 * (the API server prunes the rest there) but too narrow for core workloads.
 */
function podSpecStrictErrors(template: unknown, prefix: string): string[] {
  if (typeof template !== "object" || template === null) return [];
  const podTemplate = getPodTemplateValidator();
  if (!podTemplate) return [];
  const spec = { spec: (template as Schema).spec };
  return podTemplate(spec) ? [] : formatAjvErrors(prefix, podTemplate.errors);
}

/**
 * Validates one Kubernetes object against its upstream schema.
 * @returns every problem found as `path: message` lines; empty when the object is valid.
 */
export function validateManifest(obj: unknown): string[] {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    return ["(root): a Kubernetes object must be a JSON object"];
  }
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["(root): apiVersion and kind must both be set (strings)"];
  }
  const key = `${apiVersion}/${kind}`;
  if (key === LWS_KEY) {
    const lws = getLwsValidator();
    const errors = !lws || lws(obj) ? [] : formatAjvErrors("", lws.errors);
    // The CRD types top-level metadata only as `object`; the API server checks ObjectMeta.
    const metadata = (obj as Schema).metadata;
    errors.push(...modelErrors(PodTemplateSpec, { metadata }, ""));
    const lwt = ["spec", "leaderWorkerTemplate"];
    for (const which of ["leaderTemplate", "workerTemplate"]) {
      const template = at(obj, [...lwt, which]);
      if (template !== undefined) {
        errors.push(...modelErrors(PodTemplateSpec, template, `${lwt.join(".")}.${which}`));
      }
    }
    return [...new Set(errors)];
  }
  if (key in UPSTREAM_CRDS) {
    const validate = getCrdValidator(key);
    const errors = !validate || validate(obj) ? [] : formatAjvErrors("", validate.errors);
    // Like LWS, the CRD types metadata only as `object`: check it as ObjectMeta.
    errors.push(...modelErrors(PodTemplateSpec, { metadata: (obj as Schema).metadata }, ""));
    return [...new Set(errors)];
  }
  const model = CORE_MODELS[key];
  if (!model) {
    return [
      `(root): no schema known for ${key}; known kinds: ${knownKinds().join(", ")} ` +
        "(validate other kinds with their own checks)",
    ];
  }
  const errors = modelErrors(model, obj, "");
  const templatePath = POD_TEMPLATE_PATHS[key];
  if (templatePath) {
    errors.push(...podSpecStrictErrors(at(obj, templatePath), templatePath.join(".")));
  } else if (key === "v1/Pod") {
    errors.push(...podSpecStrictErrors(obj, ""));
  }
  return [...new Set(errors)];
}

/**
 * Throws when `obj` is not a valid Kubernetes object, listing every problem and naming
 * the object by kind and name.
 */
export function expectValidManifest(obj: unknown): void {
  const errors = validateManifest(obj);
  if (errors.length === 0) return;
  const o = (typeof obj === "object" && obj !== null ? obj : {}) as {
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
  };
  const ns = o.metadata?.namespace ? `${String(o.metadata.namespace)}/` : "";
  const name = `${String(o.kind ?? "?")} ${ns}${String(o.metadata?.name ?? "(unnamed)")}`;
  throw new Error(
    `${name} is not a valid Kubernetes object:\n${errors.map((e) => `  - ${e}`).join("\n")}`,
  );
}
