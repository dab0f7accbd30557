import { configStrings } from "./config";
import { describeTemplate, usesHostNetwork } from "./podspecs";
import {
  GKE_INTERFACES_ANNOTATION,
  gkeInterfaceNetworks,
  MULTUS_NETWORKS_ANNOTATION,
} from "./rdma";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, type TemplateFacts, uniqueFindings } from "./workload";

function networkSituation(t: TemplateFacts, annotations: string[]): string | undefined {
  if (usesHostNetwork(t.template.spec)) return "it runs on the host network";
  for (const key of annotations) {
    const value = t.template.annotations[key];
    if (value === undefined || value.trim() === "") continue;
    // GKE lists the default interface too: only more than one interface is "secondary".
    if (
      key === GKE_INTERFACES_ANNOTATION &&
      gkeInterfaceNetworks(t.template.annotations).length < 2
    ) {
      continue;
    }
    return `it has secondary networks (${key})`;
  }
  return undefined;
}

/**
 * With several interfaces NCCL's bootstrap picks one by its own heuristics; on host
 * networking or multi-NIC pods that is often a docker bridge, a management NIC or a NIC the
 * peer cannot reach, and the group hangs at init or fails with "unhandled system error".
 */
export const ncclSocketIfname: ResourceRule = {
  id: "nccl-socket-ifname",
  scope: "resource",
  description:
    "Multi-node pods on the host network or with secondary networks pin NCCL_SOCKET_IFNAME (the gIB env script counts), so NCCL's bootstrap uses the interface peers can reach.",
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
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const annotations = configStrings(config, "secondaryNetworkAnnotations", [
      GKE_INTERFACES_ANNOTATION,
      MULTUS_NETWORKS_ANNOTATION,
    ]);
    const findings: Finding[] = [];
    for (const t of analyzeObject(object)) {
      if (!t.multiNode) continue;
      const situation = networkSituation(t, annotations);
      if (situation === undefined) continue;
      for (const c of t.workload) {
        if (c.env.has("NCCL_SOCKET_IFNAME") || c.sourcesGibEnv) continue;
        // An envFrom ConfigMap/Secret may set it; a resource rule cannot see its keys.
        if (c.envFrom.length > 0) continue;
        findings.push({
          message: `${describeTemplate(t.template)}: container "${c.name}" is part of a multi-node group and ${situation} but does not set NCCL_SOCKET_IFNAME; pin it to the interface the nodes reach each other on.`,
        });
      }
    }
    return uniqueFindings(findings);
  },
};
