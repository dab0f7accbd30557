import { configStrings } from "./config";
import { asRecord, type PodTemplate, podMayCarryLabel, podTemplates } from "./podspecs";
import type { Finding, K8sObject, RuleConfig, StackEntry, StackRule } from "./types";

/** An object's namespace, `default` when the manifest leaves it to the client. */
export function namespaceOf(object: K8sObject): string {
  const ns = asRecord(object.metadata).namespace;
  return typeof ns === "string" && ns !== "" ? ns : "default";
}

function selectorOf(object: K8sObject): Record<string, string> | undefined {
  const spec = asRecord(object.spec);
  if (spec.type === "ExternalName") return undefined;
  const selector: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(spec.selector))) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean")
      selector[k] = `${v}`;
  }
  // No selector: endpoints are managed by hand (or by another controller); nothing to match.
  return Object.keys(selector).length > 0 ? selector : undefined;
}

/** `k=v,k=v`, for messages. */
export function describeSelector(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/**
 * The pod templates of one namespace, indexed by label so a Service looks at the templates
 * that can carry one of its terms instead of all of them: `check` meets manifest sets of
 * hundreds of thousands of objects, and scanning every template per Service is quadratic.
 */
export class TemplateIndex {
  /** `key=value` → templates whose own labels have it. */
  private readonly exact = new Map<string, PodTemplate[]>();
  /** `key` → templates whose controller adds that label (value decided per pod). */
  private readonly generated = new Map<string, PodTemplate[]>();
  add(t: PodTemplate): void {
    for (const [k, v] of Object.entries(t.labels)) push(this.exact, `${k}=${v}`, t);
    for (const k of Object.keys(t.generatedLabels)) {
      if (!(k in t.labels)) push(this.generated, k, t);
    }
  }

  /** Every template that may carry `key=value` is in the returned lists (plus a few that do not). */
  candidates(key: string, value: string): PodTemplate[][] {
    return [this.exact.get(`${key}=${value}`) ?? [], this.generated.get(key) ?? []];
  }
}

function push(map: Map<string, PodTemplate[]>, key: string, t: PodTemplate): void {
  const list = map.get(key);
  if (list) list.push(t);
  else map.set(key, [t]);
}

/**
 * Every pod template of the entries in one index, whatever their namespace: asked only when a
 * selector matches nothing in a namespace without templates, to tell a wrong namespace from pods
 * that are not among the inputs. One more pass over the entries, built at most once per run.
 */
export function allTemplatesIndex(entries: StackEntry[]): TemplateIndex {
  const index = new TemplateIndex();
  for (const e of entries) for (const t of podTemplates(e.object)) index.add(t);
  return index;
}

/**
 * Where the pods a selector matches live, when its own namespace holds no pod template of the
 * set: in another namespace (then the object is in the wrong one: a real fault), said as
 * `Deployment x in namespace y`, or nowhere among the inputs (undefined: a Service, autoscaler
 * or pool applied from its own file, next to a workload in another file or a chart, which the
 * set cannot judge).
 */
export function matchElsewhere(
  all: TemplateIndex,
  selector: Record<string, string>,
): string | undefined {
  if (!selectsSome(all, Object.entries(selector))) return undefined;
  // The hint looks at a bounded number of candidates; a match beyond them is still a match.
  const near = closest(all, selector);
  return near && near.missing.length === 0
    ? `${near.template.kind} ${near.template.name} in namespace ${near.template.namespace ?? "default"}`
    : "a pod template in another namespace";
}

/** Every pod template of the entries, indexed per namespace (one pass over the entries). */
export function templateIndexes(entries: StackEntry[]): Map<string, TemplateIndex> {
  const byNs = new Map<string, TemplateIndex>();
  for (const e of entries) {
    // Labels only: no command parsing needed here.
    const templates = podTemplates(e.object);
    if (templates.length === 0) continue;
    const ns = namespaceOf(e.object);
    let index = byNs.get(ns);
    if (index === undefined) {
      index = new TemplateIndex();
      byNs.set(ns, index);
    }
    for (const t of templates) index.add(t);
  }
  return byNs;
}

const count = (lists: PodTemplate[][]) => lists.reduce((n, l) => n + l.length, 0);

/** True when some template may carry every term: checks the smallest term's candidates only. */
export function selectsSome(index: TemplateIndex, terms: [string, string][]): boolean {
  let best: PodTemplate[][] | undefined;
  for (const [k, v] of terms) {
    const lists = index.candidates(k, v);
    if (best === undefined || count(lists) < count(best)) best = lists;
    if (count(best) === 0) return false;
  }
  return (best ?? []).some((list) =>
    list.some((t) => terms.every(([k, v]) => podMayCarryLabel(t, k, v))),
  );
}

/** How many templates the hint looks at, at most (it only has to be helpful). */
const HINT_LIMIT = 1000;

/** The template matching most selector terms, and the terms it misses (for the hint). */
function closest(
  index: TemplateIndex,
  selector: Record<string, string>,
): { template: PodTemplate; missing: string[] } | undefined {
  const seen = new Set<PodTemplate>();
  for (const [k, v] of Object.entries(selector)) {
    for (const list of index.candidates(k, v)) {
      for (const t of list) {
        if (seen.size >= HINT_LIMIT) break;
        seen.add(t);
      }
    }
  }
  let best: { template: PodTemplate; missing: string[] } | undefined;
  for (const template of seen) {
    const missing = Object.entries(selector)
      .filter(([k, v]) => !podMayCarryLabel(template, k, v))
      .map(([k, v]) => `${k}=${v}`);
    if (best === undefined || missing.length < best.missing.length) best = { template, missing };
  }
  return best;
}

/**
 * A Service whose selector matches no pod has no endpoints: clients get connection refused
 * and nothing in `kubectl get` looks wrong. Typical causes are a label typo, a leader/worker
 * role label, or selecting LWS pods by the template's labels alone.
 */
export const serviceSelectsPods: StackRule = {
  id: "service-selects-pods",
  scope: "stack",
  stacksOnly: false,
  description:
    "Every Service with a selector matches the labels of some pod template (Pod, Deployment, StatefulSet, Job, LeaderWorkerSet …) in the same namespace of the stack or manifest set; a Service that selects nothing has no endpoints.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Make the Service's spec.selector a subset of the pod template's labels (set both from one constant). To reach an LWS leader, select `leaderworkerset.sigs.k8s.io/name: <lws name>` plus a label only the leader template has (or `leaderworkerset.sigs.k8s.io/worker-index: \"0\"`).",
  configSchema: {
    ignore: {
      type: "array",
      description:
        "Services to skip, as `namespace/name` (e.g. Services selecting pods that a Helm chart outside this set creates).",
      default: [],
    },
  },
  validate(entries: StackEntry[], config: RuleConfig) {
    const ignore = new Set(configStrings(config, "ignore"));
    const byNs = templateIndexes(entries);
    let all: TemplateIndex | undefined;
    const out: { entry: StackEntry; finding: Finding }[] = [];
    for (const entry of entries) {
      const object = asRecord(entry.object) as K8sObject;
      if (object.kind !== "Service" || (object.apiVersion ?? "v1") !== "v1") continue;
      const selector = selectorOf(object);
      if (selector === undefined) continue;
      const ns = namespaceOf(object);
      const meta = asRecord(object.metadata);
      const name = typeof meta.name === "string" ? meta.name : "";
      if (ignore.has(`${ns}/${name}`)) continue;
      const index = byNs.get(ns);
      if (index && selectsSome(index, Object.entries(selector))) continue;
      const what = `Service ${name} selects ${describeSelector(selector)} but no pod template in namespace ${ns}`;
      if (index === undefined) {
        // Nothing in this namespace to match: a Service shipped in its own file (llm-d's
        // benchmark Service, production-stack's per-tutorial files) selects pods the set does
        // not hold. Only a match in another namespace proves it wrong.
        all ??= allTemplatesIndex(entries);
        const other = matchElsewhere(all, selector);
        out.push({
          entry,
          finding: other
            ? {
                message: `${what} carries those labels (${other} does); move the Service to its pods' namespace, or it has no endpoints.`,
              }
            : {
                message: `${what} is among the inputs; check it together with the workload it selects (another file or a chart), or it may have no endpoints.`,
                level: "advisory",
              },
        });
        continue;
      }
      const near = closest(index, selector);
      const hint = near
        ? ` (closest: ${near.template.kind} ${near.template.name} lacks ${near.missing.join(", ")})`
        : "";
      out.push({
        entry,
        finding: {
          message: `${what} carries those labels${hint}; fix the selector or the pod labels, or the Service has no endpoints.`,
        },
      });
    }
    return out;
  },
};
