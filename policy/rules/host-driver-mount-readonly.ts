import { configStrings } from "./config";
import {
  allContainersOf,
  asArray,
  containerName,
  describeTemplate,
  type VolumeMount,
  volumesOf,
} from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, uniqueFindings } from "./workload";

/**
 * Host directories that hold the GPU driver, its libraries and the RDMA plugin: GKE installs
 * the NVIDIA driver under /home/kubernetes/bin/nvidia (seen in pods as /usr/local/nvidia) and
 * the gIB NCCL plugin under /home/kubernetes/bin/gib; /dev holds the device nodes.
 */
const DEFAULT_PATHS = [
  "/home/kubernetes/bin/nvidia",
  "/home/kubernetes/bin/gib",
  "/usr/local/nvidia",
  "/usr/local/gib",
  "/usr/lib/nvidia",
  "/run/nvidia",
  "/dev",
];

function normalise(path: string): string {
  const p = path.replace(/\/+/g, "/").replace(/\/$/, "");
  return p === "" ? "/" : p;
}

function under(path: string, roots: string[]): string | undefined {
  const p = normalise(path);
  return roots.find((r) => p === r || p.startsWith(`${r}/`) || r.startsWith(`${p}/`) || p === "/");
}

/**
 * A container that can write the host's driver directories can replace the driver libraries or
 * the NCCL plugin every later GPU pod on that node loads: one compromised pod becomes all of
 * them. Reading is all inference needs.
 */
export const hostDriverMountReadonly: ResourceRule = {
  id: "host-driver-mount-readonly",
  scope: "resource",
  description:
    "hostPath volumes of the host's GPU driver, gIB/NCCL plugin and device directories (/home/kubernetes/bin/nvidia, /usr/local/nvidia, /home/kubernetes/bin/gib, /dev …) are mounted readOnly: true in every container of a workload (installer DaemonSets exempt). Advisory by default.",
  enforcementLevel: "advisory",
  remediationSteps:
    "Add `readOnly: true` to each volumeMount of such a hostPath volume (and prefer the GPU Operator's or GKE's device plugin injection over hostPath mounts).",
  configSchema: {
    paths: {
      type: "array",
      description: "Host directories (and everything under them) that must be mounted read-only.",
      default: DEFAULT_PATHS,
    },
    exemptKinds: {
      type: "array",
      description:
        "Workload kinds that may write there: node-level installers (the gIB and driver installer DaemonSets) exist to do so.",
      default: ["DaemonSet"],
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const roots = configStrings(config, "paths", DEFAULT_PATHS).map(normalise);
    const exempt = new Set(configStrings(config, "exemptKinds", ["DaemonSet"]));
    const findings: Finding[] = [];
    for (const t of analyzeObject(object)) {
      if (exempt.has(t.template.kind)) continue;
      const driverVolumes = new Map<string, string>();
      for (const v of volumesOf(t.template.spec)) {
        const path = v.hostPath?.path;
        if (typeof v.name !== "string" || typeof path !== "string") continue;
        if (under(path, roots) !== undefined) driverVolumes.set(v.name, path);
      }
      if (driverVolumes.size === 0) continue;
      for (const c of allContainersOf(t.template.spec)) {
        for (const m of asArray<VolumeMount>(c.volumeMounts)) {
          const path = typeof m.name === "string" ? driverVolumes.get(m.name) : undefined;
          if (path === undefined || m.readOnly === true || m.readOnly === "true") continue;
          findings.push({
            message: `${describeTemplate(t.template)}: container "${containerName(c)}" mounts host directory ${path} (volume "${m.name}") writable at ${m.mountPath ?? "?"}; add readOnly: true.`,
          });
        }
      }
    }
    return uniqueFindings(findings);
  },
};
