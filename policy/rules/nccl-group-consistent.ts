import { configStrings } from "./config";
import { describeTemplate } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, type TemplateFacts } from "./workload";

/** A template's NCCL view: variable → how it is set (value or reference), plus the gIB script. */
function ncclEnv(t: TemplateFacts, prefixes: string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const c of t.workload) {
    for (const [name, e] of c.env) {
      if (!prefixes.some((p) => name.startsWith(p))) continue;
      env.set(
        name,
        e.value !== undefined
          ? JSON.stringify(`${e.value}`)
          : `from ${JSON.stringify(e.valueFrom ?? null)}`,
      );
    }
    if (c.sourcesGibEnv) env.set("(gIB set_nccl_env.sh)", "sourced");
    // Variables from envFrom are invisible here; the sources themselves must match.
    for (const source of c.envFrom) env.set(`(envFrom ${source})`, "used");
  }
  return env;
}

/**
 * Every rank of one NCCL communicator must agree on transport settings: a leader with
 * `NCCL_IB_HCA` and a worker without it (or different `NCCL_SOCKET_IFNAME`) hang at init or
 * fall back to sockets on one side.
 */
export const ncclGroupConsistent: ResourceRule = {
  id: "nccl-group-consistent",
  scope: "resource",
  description:
    "The leader and worker templates of a LeaderWorkerSet set the same NCCL_* and GLOO_* variables to the same values, because all ranks of a communicator must agree on transports and interfaces.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Give the leader and worker GPU containers identical NCCL_*/GLOO_* env (build both from one list), and source the gIB env script in both or neither.",
  configSchema: {
    prefixes: {
      type: "array",
      description: "Env-variable prefixes that must agree across the group.",
      default: ["NCCL_", "GLOO_"],
    },
    ignore: {
      type: "array",
      description: "Variables allowed to differ (e.g. NCCL_DEBUG_FILE).",
      default: [],
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const templates = analyzeObject(object);
    const leader = templates.find((t) => t.template.role === "leader");
    const worker = templates.find((t) => t.template.role === "worker");
    if (leader === undefined || worker === undefined) return [];
    const prefixes = configStrings(config, "prefixes", ["NCCL_", "GLOO_"]);
    const ignore = new Set(configStrings(config, "ignore"));
    const l = ncclEnv(leader, prefixes);
    const w = ncclEnv(worker, prefixes);
    const findings: Finding[] = [];
    const names = [...new Set([...l.keys(), ...w.keys()])].filter((n) => !ignore.has(n)).sort();
    const who = describeTemplate(leader.template).replace(/ \(leader template\)$/, "");
    for (const name of names) {
      const lv = l.get(name);
      const wv = w.get(name);
      if (lv === wv) continue;
      const show = (v: string | undefined) => (v === undefined ? "unset" : v);
      findings.push({
        message: `${who}: ${name} differs between leader (${show(lv)}) and worker (${show(wv)}); set it identically in both templates so every NCCL rank uses the same transport.`,
      });
    }
    return findings;
  },
};
