import { configStrings } from "./config";
import {
  allContainersOf,
  asRecord,
  containerName,
  describeTemplate,
  podTemplates,
} from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { uniqueFindings } from "./workload";

/**
 * GPUs are extended resources: they cannot be overcommitted, so the API server rejects a
 * request without an equal limit, and a request that differs from the limit reads as a
 * promise the scheduler will not keep. Only a limit (or both, equal) says what the pod gets.
 */
export const gpuRequestsEqualLimits: ResourceRule = {
  id: "gpu-requests-equal-limits",
  scope: "resource",
  description:
    "A container that requests nvidia.com/gpu sets the same number as its limit (GPUs cannot be overcommitted; the API server rejects a request without an equal limit).",
  enforcementLevel: "advisory",
  remediationSteps:
    'Set `resources.limits["nvidia.com/gpu"]` to the GPUs the container needs and either omit the request (it defaults to the limit) or set it to the same value.',
  configSchema: {
    resourceNames: {
      type: "array",
      description: "Extended resources checked.",
      default: ["nvidia.com/gpu"],
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const names = configStrings(config, "resourceNames", ["nvidia.com/gpu"]);
    const findings: Finding[] = [];
    for (const t of podTemplates(object)) {
      for (const c of allContainersOf(t.spec)) {
        const requests = asRecord(c.resources?.requests);
        const limits = asRecord(c.resources?.limits);
        for (const r of names) {
          const request = requests[r];
          if (request === undefined) continue;
          const limit = limits[r];
          if (limit !== undefined && `${limit}`.trim() === `${request}`.trim()) continue;
          findings.push({
            message: `${describeTemplate(t)}: container "${containerName(c)}" requests ${r}: ${request} but its limit is ${limit === undefined ? "unset" : limit}; set the limit to the GPUs it needs and the request equal (or omit the request).`,
          });
        }
      }
    }
    return uniqueFindings(findings);
  },
};
