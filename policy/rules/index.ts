import { autoscalerTargetsWorkload } from "./autoscaler-targets-workload";
import { gpuRequestsEqualLimits } from "./gpu-requests-equal-limits";
import { gpuRolloutNoSurge } from "./gpu-rollout-no-surge";
import { hostDriverMountReadonly } from "./host-driver-mount-readonly";
import { imageTagPinned } from "./image-tag-pinned";
import { lwsControllerInstalled } from "./lws-controller-installed";
import { ncclDebugLevel } from "./nccl-debug-level";
import { ncclGroupConsistent } from "./nccl-group-consistent";
import { ncclSocketIfname } from "./nccl-socket-ifname";
import { rdmaIpcLock } from "./rdma-ipc-lock";
import { secretEnvFromSecret } from "./secret-env-from-secret";
import { serviceSelectsPods } from "./service-selects-pods";
import { servingProbes } from "./serving-probes";
import { shmMemoryBacked } from "./shm-memory-backed";
import type { Rule } from "./types";
import { vllmApiAuth } from "./vllm-api-auth";
import { vllmFitsMemory } from "./vllm-fits-memory";
import { vllmMultinodeLauncher } from "./vllm-multinode-launcher";
import { vllmParallelismMatchesGpus } from "./vllm-parallelism-matches-gpus";

export { withDefaults } from "./config";
export { podTemplates } from "./podspecs";
export type * from "./types";
export { parseVllmFlags } from "./vllm";
export {
  autoscalerTargetsWorkload,
  gpuRequestsEqualLimits,
  gpuRolloutNoSurge,
  hostDriverMountReadonly,
  imageTagPinned,
  lwsControllerInstalled,
  ncclDebugLevel,
  ncclGroupConsistent,
  ncclSocketIfname,
  rdmaIpcLock,
  secretEnvFromSecret,
  serviceSelectsPods,
  servingProbes,
  shmMemoryBacked,
  vllmApiAuth,
  vllmFitsMemory,
  vllmMultinodeLauncher,
  vllmParallelismMatchesGpus,
};

/**
 * Every rule, in the stable order the pack, `check` and the docs list them: resource rules
 * (memory and RDMA, NCCL, engines, hygiene, security), then stack rules. To add a rule: one
 * file exporting it, one import and one entry here, one fixture directory
 * (`test/fixtures/policy/<id>/{pass,fail}`) and one section in docs/policies.md.
 */
export const rules: Rule[] = [
  shmMemoryBacked,
  rdmaIpcLock,
  ncclSocketIfname,
  ncclGroupConsistent,
  ncclDebugLevel,
  vllmParallelismMatchesGpus,
  vllmMultinodeLauncher,
  vllmFitsMemory,
  gpuRequestsEqualLimits,
  gpuRolloutNoSurge,
  imageTagPinned,
  secretEnvFromSecret,
  vllmApiAuth,
  hostDriverMountReadonly,
  servingProbes,
  serviceSelectsPods,
  autoscalerTargetsWorkload,
  lwsControllerInstalled,
];

/** Rules by id. */
export const ruleById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.id, r]));
