import { configStrings } from "./config";
import { asRecord } from "./podspecs";
import {
  allTemplatesIndex,
  describeSelector,
  matchElsewhere,
  namespaceOf,
  selectsSome,
  type TemplateIndex,
  templateIndexes,
} from "./service-selects-pods";
import type { Finding, K8sObject, StackContext, StackEntry, StackRule } from "./types";
import { analyzeObject, cpuOnly } from "./workload";

/** Pulumi types whose Kubernetes objects this rule cannot see (a chart's rendered objects). */
const OPAQUE_TYPES = new Set([
  "kubernetes:helm.sh/v3:Release",
  "kubernetes:helm.sh/v4:Chart",
  "kubernetes:helm.sh/v3:Chart",
]);

/**
 * Kinds with no `scale` subresource: an autoscaler pointed at one fails to read or set
 * replicas (the HPA reports `FailedGetScale`; KEDA's webhook rejects it).
 */
const UNSCALABLE = new Set([
  "DaemonSet",
  "Pod",
  "Job",
  "CronJob",
  "Service",
  "ConfigMap",
  "Secret",
]);

/** `group` of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``). */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** What an autoscaler points at. */
interface ScaleRef {
  /** API group, or undefined when the reference does not say (any group matches). */
  group: string | undefined;
  kind: string;
  name: string;
}

/**
 * The target of a KEDA ScaledObject (`keda.sh`) or an HPA (`autoscaling`), defaults applied:
 * KEDA defaults `apiVersion`/`kind` to `apps/v1` Deployment; the HPA requires both kind and
 * name and leaves apiVersion to the kind.
 */
function scaleRefOf(object: K8sObject): ScaleRef | undefined {
  const group = groupOf(object.apiVersion ?? "");
  const ref = asRecord(asRecord(object.spec).scaleTargetRef);
  const name = str(ref.name);
  if (name === undefined) return undefined;
  const apiVersion = str(ref.apiVersion);
  if (group === "keda.sh" && object.kind === "ScaledObject") {
    return {
      group: groupOf(apiVersion ?? "apps/v1"),
      kind: str(ref.kind) ?? "Deployment",
      name,
    };
  }
  if (group === "autoscaling" && object.kind === "HorizontalPodAutoscaler") {
    const kind = str(ref.kind);
    return kind ? { group: apiVersion ? groupOf(apiVersion) : undefined, kind, name } : undefined;
  }
  return undefined;
}

/** The labels an InferencePool selects (`spec.selector.matchLabels` in v1, a plain map before). */
function poolSelectorOf(object: K8sObject): Record<string, string> | undefined {
  if (
    object.kind !== "InferencePool" ||
    !/^inference\.networking\.(x-)?k8s\.io\//.test(object.apiVersion ?? "")
  )
    return undefined;
  const selector = asRecord(asRecord(object.spec).selector);
  const labels = "matchLabels" in selector ? asRecord(selector.matchLabels) : selector;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === "string") out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Objects by `namespace/kind/name`, each with the groups it exists in. */
class ObjectIndex {
  private readonly named = new Map<string, Set<string>>();
  /** `namespace/kind` → names, for the hint. */
  private readonly byKind = new Map<string, string[]>();
  /** `namespace/kind` of objects Pulumi names itself (no metadata.name): any name may match. */
  private readonly autoNamed = new Set<string>();

  add(object: K8sObject): void {
    if (typeof object.kind !== "string") return;
    const ns = namespaceOf(object);
    const kindKey = `${ns}/${object.kind}`;
    const name = str(asRecord(object.metadata).name);
    if (name === undefined) {
      this.autoNamed.add(kindKey);
      return;
    }
    const key = `${kindKey}/${name}`;
    const groups = this.named.get(key) ?? new Set<string>();
    groups.add(groupOf(object.apiVersion ?? ""));
    this.named.set(key, groups);
    const names = this.byKind.get(kindKey) ?? [];
    if (names.length < 3) names.push(name);
    this.byKind.set(kindKey, names);
  }

  has(ns: string, ref: ScaleRef): boolean {
    if (this.autoNamed.has(`${ns}/${ref.kind}`)) return true;
    const groups = this.named.get(`${ns}/${ref.kind}/${ref.name}`);
    return groups !== undefined && (ref.group === undefined || groups.has(ref.group));
  }

  namesOf(ns: string, kind: string): string[] {
    return this.byKind.get(`${ns}/${kind}`) ?? [];
  }
}

/**
 * `kind/name` → a namespace holding such an object, for the autoscalers whose namespace holds
 * no workload: built once, and only when one needs it.
 */
function namespacesByName(entries: StackEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const object = asRecord(e.object) as K8sObject;
    const name = str(asRecord(object.metadata).name);
    if (typeof object.kind === "string" && name)
      out.set(`${object.kind}/${name}`, namespaceOf(object));
  }
  return out;
}

/**
 * Namespaces with a pod that does inference work (GPUs or an inference engine): an
 * InferencePool's pods are model servers, so a namespace without one has its servers outside
 * the set (GKE's `infw-gw` sample ships the pool with its endpoint picker in one file and the
 * vLLM Deployment in another). Analysed without caching: `check` has released the analyses by
 * the time stack rules run, and keeping them would double its memory.
 */
function servingNamespaces(entries: StackEntry[]): Set<string> {
  const out = new Set<string>();
  for (const e of entries) {
    const templates = analyzeObject(e.object, { fresh: true });
    if (templates.length > 0 && !cpuOnly(templates)) out.add(namespaceOf(e.object));
  }
  return out;
}

/** The note of a finding the set cannot confirm: its namespace holds no candidate at all. */
const OUTSIDE_NOTE =
  "; check it together with the workload it points at (another file or a chart), or it does nothing";

/**
 * An autoscaler whose target is not there scales nothing (KEDA and the HPA only log it), and
 * an InferencePool that selects no pod routes every request to no endpoint. Both look
 * healthy to `kubectl get`. Linear: one pass indexes objects and pod templates, one pass
 * checks each autoscaler or pool against the index.
 */
export const autoscalerTargetsWorkload: StackRule = {
  id: "autoscaler-targets-workload",
  scope: "stack",
  stacksOnly: false,
  description:
    "Every KEDA ScaledObject and HorizontalPodAutoscaler targets a scalable workload (apiVersion group, kind, name) in its namespace of the stack or manifest set, and every InferencePool's selector matches some pod template there.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set scaleTargetRef from the workload itself (apiVersion, kind and metadata.name: e.g. VllmServer's `scaleTarget` output), in the workload's namespace; a LeaderWorkerSet is `leaderworkerset.x-k8s.io/v1` `LeaderWorkerSet`. Make an InferencePool's selector a subset of the serving pods' labels (VllmServer's `servingSelector`). Objects another tool creates: list them in `ignore`.",
  configSchema: {
    ignore: {
      type: "array",
      description:
        "Autoscalers and InferencePools to skip, as `namespace/name` (e.g. ones whose target a Helm chart outside this set creates).",
      default: [],
    },
  },
  validate(entries: StackEntry[], config, context?: StackContext) {
    const ignore = new Set(configStrings(config, "ignore"));
    const objects = new ObjectIndex();
    // Namespaces where a chart renders objects this rule cannot see (stack context only).
    const opaque = new Set<string>();
    let pods: Map<string, TemplateIndex> | undefined;
    let all: TemplateIndex | undefined;
    let byName: Map<string, string> | undefined;
    let serving: Set<string> | undefined;
    for (const e of entries) {
      objects.add(asRecord(e.object) as K8sObject);
      if (context !== "manifests" && e.type && OPAQUE_TYPES.has(e.type)) {
        opaque.add(str(e.inputs?.namespace) ?? "default");
      }
    }
    const out: { entry: StackEntry; finding: Finding }[] = [];
    for (const entry of entries) {
      const object = asRecord(entry.object) as K8sObject;
      const ref = scaleRefOf(object);
      const selector = ref ? undefined : poolSelectorOf(object);
      if (!ref && !selector) continue;
      const ns = namespaceOf(object);
      const name = str(asRecord(object.metadata).name) ?? "";
      if (ignore.has(`${ns}/${name}`)) continue;
      // A chart in the namespace may hold the target: say so, but do not block.
      const level = opaque.has(ns) ? { level: "advisory" as const } : {};
      const chartNote = opaque.has(ns)
        ? " (a Helm chart in this namespace may create it; add it to ignore if so)"
        : "";
      if (ref) {
        const what = `${ref.group === undefined ? "" : `${ref.group || "core"} `}${ref.kind} ${ref.name}`;
        if (!objects.has(ns, ref)) {
          const others = objects.namesOf(ns, ref.kind);
          const hint = others.length > 0 ? ` (${ref.kind}s there: ${others.join(", ")})` : "";
          const head = `${object.kind} ${name} targets ${what}, which is not in namespace ${ns} of this set${hint}${chartNote}`;
          pods ??= templateIndexes(entries);
          if (!pods.has(ns) && others.length === 0) {
            // No workload in this namespace at all: an autoscaler in its own file (the
            // production-stack tutorials' HPA and ScaledObject for a chart's Deployment).
            byName ??= namespacesByName(entries);
            const there = byName.get(`${ref.kind}/${ref.name}`);
            out.push({
              entry,
              finding: there
                ? {
                    message: `${head}; it is in namespace ${there}: an autoscaler scales only its own namespace, so it scales nothing. Move it there.`,
                    ...level,
                  }
                : { message: `${head}${OUTSIDE_NOTE}.`, level: "advisory" },
            });
            continue;
          }
          out.push({
            entry,
            finding: {
              message: `${head}; it scales nothing. Point scaleTargetRef at the workload's apiVersion, kind and name.`,
              ...level,
            },
          });
        } else if (UNSCALABLE.has(ref.kind)) {
          out.push({
            entry,
            finding: {
              message: `${object.kind} ${name} targets ${what}, which has no scale subresource; target the Deployment, StatefulSet or LeaderWorkerSet that owns the pods.`,
            },
          });
        }
        continue;
      }
      pods ??= templateIndexes(entries);
      const index = pods.get(ns);
      const sel = selector as Record<string, string>;
      if (index && selectsSome(index, Object.entries(sel))) continue;
      const head = `InferencePool ${name} selects ${describeSelector(sel)} but no pod template in namespace ${ns} carries those labels${chartNote}`;
      serving ??= servingNamespaces(entries);
      if (!serving.has(ns)) {
        // No model server in this namespace among the inputs: the pool's pods are elsewhere,
        // unless some namespace does hold them (then the pool is in the wrong one).
        all ??= allTemplatesIndex(entries);
        const other = matchElsewhere(all, sel);
        out.push({
          entry,
          finding: other
            ? {
                message: `${head} (${other} does); a pool selects only its own namespace: move it there.`,
                ...level,
              }
            : {
                message: `${head}, and no model server of that namespace is among the inputs${OUTSIDE_NOTE}.`,
                level: "advisory",
              },
        });
        continue;
      }
      out.push({
        entry,
        finding: {
          message: `${head}; the gateway has no endpoint to route to. Select the serving pods' labels.`,
          ...level,
        },
      });
    }
    return out;
  },
};
