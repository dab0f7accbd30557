import { configStrings } from "./config";
import { allContainersOf, containerName, describeTemplate, envOf } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, uniqueFindings } from "./workload";

const DEFAULT_NAMES = ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "NGC_API_KEY"];

/**
 * A token written as a literal `value` lands in the manifest, the Pulumi state, `kubectl get
 * -o yaml` and every log of the object; from a Secret it stays in one guarded place.
 */
export const secretEnvFromSecret: ResourceRule = {
  id: "secret-env-from-secret",
  scope: "resource",
  description:
    "Model-hub and registry tokens (HF_TOKEN, HUGGING_FACE_HUB_TOKEN, NGC_API_KEY and configured names) come from a Secret (valueFrom.secretKeyRef), never a literal value or an inline assignment in the command.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Store the token in a Secret and reference it: `env: [{name: HF_TOKEN, valueFrom: {secretKeyRef: {name: hf-token, key: token}}}]` (or `envFrom.secretRef`). Rotate any token that was committed in a manifest.",
  configSchema: {
    names: {
      type: "array",
      description: "Env variables that hold secrets.",
      default: DEFAULT_NAMES,
    },
    additionalNames: {
      type: "array",
      description: "More secret variables, added to `names` (e.g. WANDB_API_KEY).",
      default: [],
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const names = new Set([
      ...configStrings(config, "names", DEFAULT_NAMES),
      ...configStrings(config, "additionalNames"),
    ]);
    const findings: Finding[] = [];
    for (const t of analyzeObject(object)) {
      for (const c of allContainersOf(t.template.spec)) {
        for (const e of envOf(c)) {
          if (typeof e.name !== "string" || !names.has(e.name)) continue;
          if (e.value === undefined || e.value === null || `${e.value}` === "") continue;
          // `$(OTHER)` is Kubernetes' reference to another variable, not the secret itself.
          if (/^\$\([A-Za-z_][A-Za-z0-9_.-]*\)$/.test(`${e.value}`)) continue;
          findings.push({
            message: `${describeTemplate(t.template)}: container "${containerName(c)}" sets ${e.name} as a literal value; take it from a Secret (valueFrom.secretKeyRef).`,
          });
        }
      }
      for (const c of t.containers) {
        for (const cmd of c.commands) {
          for (const word of cmd) {
            const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.+)$/s.exec(word);
            if (m && names.has(m[1] as string) && !/^["']?\$/.test(m[2] as string)) {
              findings.push({
                message: `${describeTemplate(t.template)}: container "${c.name}" assigns ${m[1]} a literal in its command; take it from a Secret (valueFrom.secretKeyRef).`,
              });
            }
          }
        }
      }
    }
    return uniqueFindings(findings);
  },
};
