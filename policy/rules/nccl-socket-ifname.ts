import { configStrings } from "./config";
import {
  asRecord,
  describeTemplate,
  type PodTemplate,
  podTemplates,
  usesHostNetwork,
} from "./podspecs";
import {
  GKE_INTERFACES_ANNOTATION,
  gkeInterfaceNetworks,
  MULTUS_NETWORKS_ANNOTATION,
} from "./rdma";
import type { Finding, K8sObject, RuleConfig, StackEntry, StackRule } from "./types";
import { analyzeObject, type ContainerFacts, uniqueFindings } from "./workload";

const VAR = "NCCL_SOCKET_IFNAME";

function networkSituation(t: PodTemplate, annotations: string[]): string | undefined {
  if (usesHostNetwork(t.spec)) return "it runs on the host network";
  for (const key of annotations) {
    const value = t.annotations[key];
    if (value === undefined || value.trim() === "") continue;
    // GKE lists the default interface too: only more than one interface is "secondary".
    if (key === GKE_INTERFACES_ANNOTATION && gkeInterfaceNetworks(t.annotations).length < 2) {
      continue;
    }
    return `it has secondary networks (${key})`;
  }
  return undefined;
}

/** The keys of the ConfigMaps and Secrets in the set, by `kind:namespace/name`. */
function envSourceKeys(entries: StackEntry[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const { object } of entries) {
    if (object?.kind !== "ConfigMap" && object?.kind !== "Secret") continue;
    if ((object.apiVersion ?? "v1") !== "v1") continue;
    const ns = object.metadata?.namespace || "default";
    const kind = object.kind === "ConfigMap" ? "configMap" : "secret";
    const keys = new Set([
      ...Object.keys(asRecord(object.data)),
      ...Object.keys(asRecord(object.stringData)),
    ]);
    out.set(`${kind}:${ns}/${object.metadata?.name ?? ""}`, keys);
  }
  return out;
}

/**
 * Whether the container's env sets the variable: directly, through the gIB env script, or
 * through an `envFrom` source that sets it or whose keys are not among the inputs (then it
 * may, and the rule stays silent).
 */
function setsIfname(
  c: ContainerFacts,
  namespace: string,
  sources: Map<string, Set<string>>,
): boolean {
  if (c.env.has(VAR) || c.sourcesGibEnv) return true;
  return c.envFromRefs.some((r) => {
    if (r.kind === "unknown") return true;
    const keys = sources.get(`${r.kind}:${namespace}/${r.name}`);
    if (keys === undefined) return true;
    return [...keys].some((k) => `${r.prefix}${k}` === VAR);
  });
}

/**
 * With several interfaces NCCL's bootstrap picks one by its own heuristics; on host
 * networking or multi-NIC pods that is often a docker bridge, a management NIC or a NIC the
 * peer cannot reach, and the group hangs at init or fails with "unhandled system error".
 * A stack rule, so it can read the ConfigMaps and Secrets a container's `envFrom` names.
 */
export const ncclSocketIfname: StackRule = {
  id: "nccl-socket-ifname",
  scope: "stack",
  stacksOnly: false,
  description:
    "Multi-node pods (LWS groups, or vLLM/SGLang/torchrun launched for several nodes) on the host network or with secondary networks pin NCCL_SOCKET_IFNAME (the gIB env script counts; an envFrom ConfigMap or Secret counts when it sets it, or when it is not among the inputs), so NCCL's bootstrap uses the interface peers can reach.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set NCCL_SOCKET_IFNAME in the GPU containers to the interface the nodes reach each other on (e.g. `enp1s0f0np0` for a RoCE link, `eth0` for GKE's primary gVNIC), or source the gIB `set_nccl_env.sh` on GKE RDMA. Set GLOO_SOCKET_IFNAME to the same interface.",
  configSchema: {
    secondaryNetworkAnnotations: {
      type: "array",
      description: "Pod annotations that attach extra networks.",
      default: [GKE_INTERFACES_ANNOTATION, MULTUS_NETWORKS_ANNOTATION],
    },
  },
  validate(entries: StackEntry[], config: RuleConfig) {
    const annotations = configStrings(config, "secondaryNetworkAnnotations", [
      GKE_INTERFACES_ANNOTATION,
      MULTUS_NETWORKS_ANNOTATION,
    ]);
    let sources: Map<string, Set<string>> | undefined;
    const out: { entry: StackEntry; finding: Finding }[] = [];
    for (const entry of entries) {
      const findings: Finding[] = [];
      // The network comes from the template alone: analyse (parse commands) only when it matters.
      const object = entry.object as K8sObject;
      if (!podTemplates(object).some((t) => networkSituation(t, annotations) !== undefined)) {
        continue;
      }
      for (const t of analyzeObject(object)) {
        if (!t.multiNode) continue;
        const situation = networkSituation(t.template, annotations);
        if (situation === undefined) continue;
        sources ??= envSourceKeys(entries);
        for (const c of t.workload) {
          if (setsIfname(c, t.template.namespace ?? "default", sources)) continue;
          findings.push({
            message: `${describeTemplate(t.template)}: container "${c.name}" is part of a multi-node group and ${situation} but does not set ${VAR}; pin it to the interface the nodes reach each other on.`,
          });
        }
      }
      for (const finding of uniqueFindings(findings)) out.push({ entry, finding });
    }
    return out;
  },
};
