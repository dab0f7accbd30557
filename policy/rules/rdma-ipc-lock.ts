import { configBoolean, configStrings } from "./config";
import { describeTemplate } from "./podspecs";
import { rdmaEvidence } from "./rdma";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, type ContainerFacts, uniqueFindings } from "./workload";

function locksMemory(c: ContainerFacts, acceptPrivileged: boolean): boolean {
  const sc = c.container.securityContext;
  if (acceptPrivileged && (sc?.privileged === true || sc?.privileged === "true")) return true;
  const add = Array.isArray(sc?.capabilities?.add) ? (sc.capabilities.add as unknown[]) : [];
  return add.some((cap) => typeof cap === "string" && /^(CAP_)?IPC_LOCK$/i.test(cap));
}

/**
 * RDMA registers (pins) GPU and host buffers with the NIC; without `IPC_LOCK` the pod's
 * locked-memory limit is tiny and `ibv_reg_mr` fails, so NCCL falls back to sockets or
 * aborts with "unhandled system error".
 */
export const rdmaIpcLock: ResourceRule = {
  id: "rdma-ipc-lock",
  scope: "resource",
  description:
    "GPU containers of pods that use RDMA (GKE RDMA networks, rdma/* resources, /dev/infiniband, NCCL_IB_HCA, the gIB env script) add the IPC_LOCK capability or run privileged, so NCCL can pin memory for the NIC.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Add `securityContext: {capabilities: {add: [IPC_LOCK]}}` to every GPU container of the pod. The namespace then needs `pod-security.kubernetes.io/enforce: privileged` (baseline forbids IPC_LOCK).",
  configSchema: {
    rdmaResourcePrefixes: {
      type: "array",
      description:
        "Resource-name prefixes that mean RDMA devices (e.g. SR-IOV or host-device plugins' names).",
      default: ["rdma/"],
    },
    acceptPrivileged: {
      type: "boolean",
      description:
        "Accept `privileged: true` instead of IPC_LOCK (privileged has every capability).",
      default: true,
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const prefixes = configStrings(config, "rdmaResourcePrefixes", ["rdma/"]);
    const acceptPrivileged = configBoolean(config, "acceptPrivileged", true);
    const findings: Finding[] = [];
    for (const t of analyzeObject(object)) {
      const evidence = rdmaEvidence(t, prefixes);
      if (evidence === undefined) continue;
      for (const c of t.workload) {
        if (locksMemory(c, acceptPrivileged)) continue;
        findings.push({
          message: `${describeTemplate(t.template)}: container "${c.name}" uses RDMA (${evidence}) but does not add the IPC_LOCK capability; add securityContext.capabilities.add: [IPC_LOCK] or ibv_reg_mr fails and NCCL cannot use the NIC.`,
        });
      }
    }
    return uniqueFindings(findings);
  },
};
