import { configStrings } from "./config";
import { describeTemplate } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, literalEnv, uniqueFindings } from "./workload";

const DEFAULT_LEVELS = ["VERSION", "WARN", "INFO"];

/**
 * `NCCL_DEBUG=TRACE` logs every call (it also needs a debug build to say much) and slows
 * collectives; a typo silently disables logging. Production pods should use a known level.
 */
export const ncclDebugLevel: ResourceRule = {
  id: "nccl-debug-level",
  scope: "resource",
  description:
    "NCCL_DEBUG, when set, is one of the allowed levels (default VERSION, WARN, INFO): TRACE floods logs and slows collectives, and an unknown value silently disables logging.",
  enforcementLevel: "advisory",
  remediationSteps:
    "Set NCCL_DEBUG to WARN for production (INFO while bringing a cluster up, to see the transports NCCL picked), or add the level to the rule's allowedLevels.",
  configSchema: {
    allowedLevels: {
      type: "array",
      description: "NCCL_DEBUG values accepted (compared case-insensitively).",
      default: DEFAULT_LEVELS,
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const allowed = configStrings(config, "allowedLevels", DEFAULT_LEVELS).map((l) =>
      l.toUpperCase(),
    );
    const findings: Finding[] = [];
    for (const t of analyzeObject(object)) {
      for (const c of t.containers) {
        const level = literalEnv(c, "NCCL_DEBUG");
        if (level === undefined || allowed.includes(level.trim().toUpperCase())) continue;
        findings.push({
          message: `${describeTemplate(t.template)}: container "${c.name}" sets NCCL_DEBUG=${level}; use one of ${allowed.join(", ")}.`,
        });
      }
    }
    return uniqueFindings(findings);
  },
};
