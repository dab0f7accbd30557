import { configBoolean, configString } from "./config";
import { ENGINE_LABEL } from "./engines";
import { asArray, describeTemplate, type VolumeMount, volumesOf } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import {
  analyzeObject,
  cpuOnly,
  engineLaunchesOf,
  type TemplateFacts,
  uniqueFindings,
} from "./workload";

/** Where NCCL and PyTorch put their shared-memory segments. */
export const SHM_PATH = "/dev/shm";

/** True when the pod shares the host's IPC namespace, and with it the host's /dev/shm. */
function usesHostIpc(t: TemplateFacts): boolean {
  const v = t.template.spec.hostIPC;
  return v === true || v === "true";
}

/**
 * Why a template needs a memory-backed /dev/shm, or undefined when it does not: pods with
 * `hostIPC: true` use the host's /dev/shm, and a group without GPUs or an inference engine (a
 * llama.cpp RPC group) runs no NCCL.
 */
function needsShm(t: TemplateFacts, cpu: boolean): string | undefined {
  if (usesHostIpc(t) || cpu) return undefined;
  if (t.podGpus > 1) return `it has ${t.podGpus} GPUs`;
  for (const { launch } of engineLaunchesOf(t)) {
    const engine = ENGINE_LABEL[launch.engine];
    if ((launch.tensorParallelSize ?? 1) > 1)
      return `${engine} runs tensor parallel ${launch.tensorParallelSize}`;
    if ((launch.pipelineParallelSize ?? 1) > 1)
      return `${engine} runs pipeline parallel ${launch.pipelineParallelSize}`;
  }
  if (t.multiNode) return "it is part of a multi-node group";
  return undefined;
}

function memoryVolumes(t: TemplateFacts) {
  return volumesOf(t.template.spec).filter((v) => v.emptyDir?.medium === "Memory");
}

function shmMount(c: { volumeMounts?: unknown }): VolumeMount | undefined {
  return asArray<VolumeMount>(c.volumeMounts).find(
    (m) => typeof m.mountPath === "string" && m.mountPath.replace(/\/+$/, "") === SHM_PATH,
  );
}

/**
 * `/dev/shm` must be a memory-backed emptyDir in every pod that runs NCCL across GPUs:
 * Kubernetes gives containers 64 MiB, and NCCL/PyTorch die with "Bus error" or NCCL
 * "unhandled system error" the first time a collective needs more.
 */
export const shmMemoryBacked: ResourceRule = {
  id: "shm-memory-backed",
  scope: "resource",
  description:
    "Pods with more than one GPU, tensor or pipeline parallelism (vLLM, SGLang, TensorRT-LLM, NIM), or in a multi-node GPU group mount a memory-backed emptyDir at /dev/shm (the 64 MiB default makes NCCL fail with 'Bus error'); pods with hostIPC: true and CPU-only groups are exempt.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Add a volume `{name: dshm, emptyDir: {medium: Memory, sizeLimit: 16Gi}}` to the pod template and mount it at /dev/shm in every GPU container. Size it for NCCL's buffers (several GiB for 8 GPUs); the memory counts against the pod's memory limit.",
  configSchema: {
    requireSizeLimit: {
      type: "boolean",
      description:
        "Report an advisory note when the memory-backed /dev/shm has no sizeLimit (an unbounded tmpfs can use all node memory).",
      default: true,
    },
    remediationSizeLimit: {
      type: "string",
      description: "sizeLimit of the /dev/shm volume that remediation adds.",
      default: "16Gi",
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const findings: Finding[] = [];
    const templates = analyzeObject(object);
    const cpu = cpuOnly(templates);
    for (const t of templates) {
      const why = needsShm(t, cpu);
      if (why === undefined) continue;
      const where = describeTemplate(t.template);
      const memory = new Map(memoryVolumes(t).map((v) => [v.name, v]));
      for (const c of t.workload) {
        const mount = shmMount(c.container);
        if (mount === undefined) {
          findings.push({
            message: `${where}: container "${c.name}" has no memory-backed /dev/shm although ${why}; mount an emptyDir with medium: Memory at /dev/shm (the 64 MiB default ends in "Bus error" under NCCL).`,
          });
          continue;
        }
        const volume = memory.get(mount.name);
        if (volume === undefined) {
          findings.push({
            message: `${where}: container "${c.name}" mounts volume "${mount.name ?? ""}" at /dev/shm but it is not an emptyDir with medium: Memory; make it one.`,
          });
        } else if (
          configBoolean(config, "requireSizeLimit", true) &&
          (volume.emptyDir?.sizeLimit === undefined || volume.emptyDir.sizeLimit === null)
        ) {
          findings.push({
            level: "advisory",
            message: `${where}: /dev/shm volume "${volume.name}" has no sizeLimit; set one (e.g. ${configString(config, "remediationSizeLimit", "16Gi")}) so tmpfs cannot take all node memory.`,
          });
        }
      }
    }
    return uniqueFindings(findings);
  },
  remediate(object: K8sObject, config: RuleConfig): K8sObject | undefined {
    if (shmMemoryBacked.validate(object, config).length === 0) return undefined;
    const fixed = structuredClone(object);
    const sizeLimit = configString(config, "remediationSizeLimit", "16Gi");
    const templates = analyzeObject(fixed, { fresh: true });
    const cpu = cpuOnly(templates);
    for (const t of templates) {
      if (needsShm(t, cpu) === undefined) continue;
      const spec = t.template.spec;
      const volumes = volumesOf(spec);
      const memory = memoryVolumes(t);
      let volume =
        memory.find((v) => t.workload.some((c) => shmMount(c.container)?.name === v.name)) ??
        memory[0];
      if (volume === undefined) {
        const taken = new Set(volumes.map((v) => v.name));
        let name = "dshm";
        for (let i = 2; taken.has(name); i++) name = `dshm-${i}`;
        volume = { name, emptyDir: { medium: "Memory", sizeLimit } };
        spec.volumes = [...volumes, volume];
      } else if (volume.emptyDir && volume.emptyDir.sizeLimit == null) {
        volume.emptyDir.sizeLimit = sizeLimit;
      }
      for (const c of t.workload) {
        // Any other /dev/shm mount would shadow or conflict with the memory-backed one.
        const others = asArray<VolumeMount>(c.container.volumeMounts).filter(
          (m) => shmMount({ volumeMounts: [m] }) === undefined,
        );
        c.container.volumeMounts = [...others, { name: volume.name, mountPath: SHM_PATH }];
      }
    }
    return fixed;
  },
};
