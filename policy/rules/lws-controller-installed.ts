import { configBoolean } from "./config";
import { isLeaderWorkerSet } from "./podspecs";
import type { Finding, RuleConfig, StackContext, StackEntry, StackRule } from "./types";

const HELM_TYPES = new Set(["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"]);
const YAML_TYPES = new Set([
  "kubernetes:yaml:ConfigFile",
  "kubernetes:yaml:ConfigGroup",
  "kubernetes:yaml/v2:ConfigFile",
  "kubernetes:yaml/v2:ConfigGroup",
]);

function text(value: unknown): string {
  return typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
}

/** True for an entry that installs the LeaderWorkerSet controller. */
export function installsLwsController(entry: StackEntry): boolean {
  if (typeof entry.id === "string" && entry.id.includes("LeaderWorkerSetOperator")) return true;
  const type = typeof entry.type === "string" ? entry.type : "";
  const inputs = entry.inputs ?? {};
  if (HELM_TYPES.has(type)) {
    const repo = (inputs.repositoryOpts as { repo?: unknown } | undefined)?.repo;
    return /lws/i.test(`${text(inputs.chart)} ${text(repo)}`);
  }
  if (YAML_TYPES.has(type)) {
    const source = ["file", "files", "yaml", "objs"].map((k) => text(inputs[k])).join(" ");
    return /\blws\b|leaderworkerset/i.test(source);
  }
  return false;
}

function depsOf(entry: StackEntry): string[] {
  return Array.isArray(entry.dependencies)
    ? entry.dependencies.filter((d): d is string => typeof d === "string")
    : [];
}

function isLwsEntry(entry: StackEntry): boolean {
  return (
    isLeaderWorkerSet(entry.object) ||
    (typeof entry.type === "string" &&
      entry.type.startsWith("kubernetes:leaderworkerset.x-k8s.io/"))
  );
}

/**
 * Without its controller a LeaderWorkerSet is accepted (if the CRD exists) or rejected (if
 * not) but never creates pods; and when the controller is installed by the same stack
 * without a dependency, Pulumi creates the LWS first and fails on the missing CRD or
 * webhook.
 */
export const lwsControllerInstalled: StackRule = {
  id: "lws-controller-installed",
  scope: "stack",
  stacksOnly: true,
  description:
    "Every LeaderWorkerSet depends (directly or transitively) on the LWS controller installed by the same stack (a LeaderWorkerSetOperator, an lws Helm release/chart, or LWS manifests), so it is created after the CRD and webhook exist.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Install the controller in the stack (the LeaderWorkerSetOperator component or the lws Helm chart) and give the LeaderWorkerSet `dependsOn: [operator]`. If the cluster already runs LWS, set this rule's `preinstalled: true`.",
  configSchema: {
    preinstalled: {
      type: "boolean",
      description: "The cluster already runs the LWS controller; turns the rule off.",
      default: false,
    },
  },
  validate(entries: StackEntry[], config: RuleConfig, context: StackContext) {
    if (configBoolean(config, "preinstalled", false) || context !== "stack") return [];
    const byId = new Map(entries.map((e) => [e.id, e]));
    const out: { entry: StackEntry; finding: Finding }[] = [];
    for (const entry of entries) {
      if (!isLwsEntry(entry)) continue;
      const seen = new Set<string>();
      const queue = [...depsOf(entry)];
      let found = false;
      while (queue.length > 0 && !found) {
        const id = queue.shift() as string;
        if (seen.has(id)) continue;
        seen.add(id);
        const dep = byId.get(id);
        // A dependency outside the entry list can still be the operator component (by URN).
        if (dep ? installsLwsController(dep) : id.includes("LeaderWorkerSetOperator")) found = true;
        else if (dep) queue.push(...depsOf(dep));
      }
      if (found) continue;
      const meta = entry.object?.metadata;
      const name = typeof meta?.name === "string" ? meta.name : entry.id;
      out.push({
        entry,
        finding: {
          message: `LeaderWorkerSet ${name} does not depend on an LWS controller installed by this stack; add dependsOn on the LeaderWorkerSetOperator (or the lws Helm release), or set preinstalled: true if the cluster already runs LWS.`,
        },
      });
    }
    return out;
  },
};
