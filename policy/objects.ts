/**
 * Kubernetes objects as the three front ends meet them: Pulumi resources (type token + inputs)
 * and plain manifests. SDK-free: `check` imports this.
 */
import type { K8sObject } from "./rules/types";

/**
 * Pulumi Kubernetes modules whose resources are not Kubernetes objects themselves but
 * components that render them (Helm charts, YAML and Kustomize loaders).
 */
const NON_OBJECT_MODULES = new Set(["helm.sh", "yaml", "kustomize"]);

/**
 * The `apiVersion` and `kind` a Pulumi Kubernetes type token stands for, e.g.
 * `kubernetes:apps/v1:Deployment` → `{apiVersion: "apps/v1", kind: "Deployment"}`,
 * `kubernetes:core/v1:Pod` → `{apiVersion: "v1", kind: "Pod"}` and
 * `kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet` for the LWS custom resource.
 * Undefined for anything that is not a Kubernetes object (providers, Helm releases, charts,
 * other clouds' resources).
 */
export function kindOfType(type: string): { apiVersion: string; kind: string } | undefined {
  const parts = type.split(":");
  if (parts.length !== 3 || parts[0] !== "kubernetes") return undefined;
  const [, module, kind] = parts;
  const slash = module.lastIndexOf("/");
  if (slash <= 0 || !kind) return undefined;
  const group = module.slice(0, slash);
  const version = module.slice(slash + 1);
  if (NON_OBJECT_MODULES.has(group) || !/^v\d/.test(version)) return undefined;
  return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/**
 * The Kubernetes object a Pulumi resource declares: its inputs, with `apiVersion` and `kind`
 * filled in from the type token when the inputs lack them (the typed SDK classes set them,
 * `CustomResource` callers do too, but nothing guarantees it). Undefined for resources that are
 * not Kubernetes objects. The inputs are not copied deeply: under CrossGuard they are a proxy
 * that only fails on the unknown values a rule actually reads during a preview.
 */
export function objectOfResource(
  type: string,
  props: Record<string, unknown>,
): K8sObject | undefined {
  const gvk = kindOfType(type);
  if (!gvk) return undefined;
  const object: K8sObject = { ...props };
  if (typeof object.apiVersion !== "string") object.apiVersion = gvk.apiVersion;
  if (typeof object.kind !== "string") object.kind = gvk.kind;
  return object;
}

/**
 * How every front end names an object in a violation: `Kind/namespace/name`, namespace
 * `default` when absent. `fallbackName` stands in for a missing `metadata.name` (a Pulumi
 * resource's logical name when the provider would auto-name it).
 */
export function resourceLabel(object: K8sObject, fallbackName = "<unnamed>"): string {
  const kind = typeof object.kind === "string" && object.kind !== "" ? object.kind : "<unknown>";
  const meta = object.metadata;
  const namespace =
    typeof meta?.namespace === "string" && meta.namespace !== "" ? meta.namespace : "default";
  const name = typeof meta?.name === "string" && meta.name !== "" ? meta.name : fallbackName;
  return `${kind}/${namespace}/${name}`;
}

/**
 * Expands `List` kinds (`v1/List`, `DeploymentList`, … as `kubectl get -o yaml` prints them)
 * into their items, recursively, and drops values that are not objects (an empty YAML
 * document parses as `null`).
 */
export function flattenLists(value: unknown): K8sObject[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  const object = value as K8sObject;
  if (
    typeof object.kind === "string" &&
    object.kind.endsWith("List") &&
    Array.isArray(object.items)
  ) {
    return object.items.flatMap(flattenLists);
  }
  return [object];
}

/**
 * A deep copy of plain objects and arrays (class instances such as CrossGuard's `Secret`
 * wrappers are kept by reference), so rules that clone or mutate get ordinary data instead of
 * the analyzer's read-only proxies.
 */
export function plainCopy<T>(value: T): T {
  if (Array.isArray(value)) {
    // Index by index: Array.prototype.map on the analyzer's proxies over remediation inputs
    // throws (the proxy wraps the Array constructor's read-only `prototype`).
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(plainCopy(value[i]));
    return out as T;
  }
  if (typeof value === "object" && value !== null) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainCopy(v);
    return out as T;
  }
  return value;
}
