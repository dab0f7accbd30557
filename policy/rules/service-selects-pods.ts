import { configStrings } from "./config";
import { asRecord, type PodTemplate, podMayCarryLabel, podTemplates } from "./podspecs";
import type { Finding, K8sObject, RuleConfig, StackEntry, StackRule } from "./types";

function namespaceOf(object: K8sObject): string {
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

function describeSelector(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** The template matching most selector terms, and the terms it misses (for the hint). */
function closest(
  templates: PodTemplate[],
  selector: Record<string, string>,
): { template: PodTemplate; missing: string[] } | undefined {
  let best: { template: PodTemplate; missing: string[] } | undefined;
  for (const template of templates) {
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
    const templatesByNs = new Map<string, PodTemplate[]>();
    for (const e of entries) {
      const templates = podTemplates(e.object);
      if (templates.length === 0) continue;
      const ns = namespaceOf(e.object);
      templatesByNs.set(ns, [...(templatesByNs.get(ns) ?? []), ...templates]);
    }
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
      const candidates = templatesByNs.get(ns) ?? [];
      const hit = candidates.some((t) =>
        Object.entries(selector).every(([k, v]) => podMayCarryLabel(t, k, v)),
      );
      if (hit) continue;
      const near = closest(candidates, selector);
      const hint = near
        ? ` (closest: ${near.template.kind} ${near.template.name} lacks ${near.missing.join(", ")})`
        : "";
      out.push({
        entry,
        finding: {
          message: `Service ${name} selects ${describeSelector(selector)} but no pod template in namespace ${ns} carries those labels${hint}; fix the selector or the pod labels, or the Service has no endpoints.`,
        },
      });
    }
    return out;
  },
};
