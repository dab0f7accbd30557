import { configStrings } from "./config";
import { allContainersOf, asRecord, containerName, describeTemplate, envOf } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, uniqueFindings } from "./workload";

const DEFAULT_NAMES = [
  "HF_TOKEN",
  "HUGGING_FACE_HUB_TOKEN",
  "NGC_API_KEY",
  "VLLM_API_KEY",
  "SGLANG_API_KEY",
];

/**
 * Command-line flags whose value is a credential: vLLM's `--api-key` and `--hf-token`
 * (vllm/entrypoints/openai/cli_args.py, vllm/engine/arg_utils.py), SGLang's `--api-key`
 * (server_args.py), and the same with underscores as vLLM's parser accepts them.
 */
const SECRET_FLAGS = new Set(["--api-key", "--hf-token", "--api_key", "--hf_token"]);

/** A Hugging Face user access token (`hf_` and 30+ letters and digits), wherever it appears. */
const HF_TOKEN_LITERAL = /\bhf_[A-Za-z0-9]{30,}\b/;

/** The variable a flag value refers to (`$(NAME)`, `$NAME`, `${NAME}`), or undefined for a literal. */
function referencedVar(value: string): string | undefined {
  const m =
    /^["']?\$(?:\(([A-Za-z_][A-Za-z0-9_]*)\)|\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))["']?$/.exec(
      value,
    );
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

/** Where an env entry's value comes from, as far as secrecy goes. */
function envSource(e: { value?: unknown; valueFrom?: unknown } | undefined): string {
  if (e === undefined) return "unknown";
  const from = asRecord(e.valueFrom);
  if (from.secretKeyRef) return "secret";
  if (from.configMapKeyRef) return "configMap";
  if (e.value !== undefined && e.value !== null && `${e.value}` !== "") return "literal";
  return "unknown";
}

/**
 * A token written as a literal `value`, taken from a ConfigMap, or passed as a literal flag
 * lands in the manifest, the Pulumi state, `kubectl get -o yaml` (ConfigMaps are readable
 * with far weaker RBAC than Secrets) and every process listing; from a Secret it stays in one
 * guarded place.
 */
export const secretEnvFromSecret: ResourceRule = {
  id: "secret-env-from-secret",
  scope: "resource",
  description:
    "Model-hub, registry and API tokens (HF_TOKEN, HUGGING_FACE_HUB_TOKEN, NGC_API_KEY, VLLM_API_KEY, SGLANG_API_KEY and configured names; --api-key and --hf-token flags) come from a Secret (valueFrom.secretKeyRef), never a literal, a ConfigMap, or an inline value in the command.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Store the token in a Secret and reference it: `env: [{name: HF_TOKEN, valueFrom: {secretKeyRef: {name: hf-token, key: token}}}]` (or `envFrom.secretRef`); pass flags as `--api-key $(VLLM_API_KEY)` with that variable from a Secret. Move tokens out of ConfigMaps, and rotate any token that was committed in a manifest.",
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
    if (object?.kind === "ConfigMap") {
      const keys = [
        ...Object.keys(asRecord(object.data)),
        ...Object.keys(asRecord(object.binaryData)),
      ];
      for (const key of keys.filter((k) => names.has(k))) {
        findings.push({
          message: `ConfigMap ${object.metadata?.name ?? ""} holds ${key}; a token belongs in a Secret (ConfigMaps are readable more widely and are not encrypted at rest).`,
        });
      }
      return findings;
    }
    for (const t of analyzeObject(object)) {
      const where = (c: string) => `${describeTemplate(t.template)}: container "${c}"`;
      for (const c of allContainersOf(t.template.spec)) {
        for (const e of envOf(c)) {
          if (typeof e.name !== "string" || !names.has(e.name)) continue;
          const source = envSource(e);
          if (source === "configMap") {
            findings.push({
              message: `${where(containerName(c))} takes ${e.name} from a ConfigMap (configMapKeyRef); take it from a Secret (valueFrom.secretKeyRef).`,
            });
            continue;
          }
          if (source !== "literal") continue;
          // `$(OTHER)` is Kubernetes' reference to another variable, not the secret itself.
          if (/^\$\([A-Za-z_][A-Za-z0-9_.-]*\)$/.test(`${e.value}`)) continue;
          findings.push({
            message: `${where(containerName(c))} sets ${e.name} as a literal value; take it from a Secret (valueFrom.secretKeyRef).`,
          });
        }
      }
      for (const c of t.containers) {
        for (const cmd of c.commands) {
          for (let i = 0; i < cmd.length; i++) {
            const word = cmd[i] as string;
            const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.+)$/s.exec(word);
            if (m && names.has(m[1] as string) && !/^["']?\$/.test(m[2] as string)) {
              findings.push({
                message: `${where(c.name)} assigns ${m[1]} a literal in its command; take it from a Secret (valueFrom.secretKeyRef).`,
              });
            }
            const eq = word.indexOf("=");
            const flag = eq === -1 ? word : word.slice(0, eq);
            if (SECRET_FLAGS.has(flag)) {
              const value = eq === -1 ? cmd[i + 1] : word.slice(eq + 1);
              if (value === undefined || value === "" || value.startsWith("-")) continue;
              const ref = referencedVar(value);
              const source = ref === undefined ? "literal" : envSource(c.env.get(ref));
              if (source === "literal" || source === "configMap") {
                findings.push({
                  message: `${where(c.name)} passes ${flag} ${source === "literal" ? "as a literal" : `from ${ref}, which comes from a ConfigMap`}; pass ${flag} $(VAR) with VAR from a Secret (valueFrom.secretKeyRef).`,
                });
              }
            } else if (HF_TOKEN_LITERAL.test(word)) {
              findings.push({
                message: `${where(c.name)} has a Hugging Face token written into its command; take it from a Secret (valueFrom.secretKeyRef).`,
              });
            }
          }
        }
      }
    }
    return uniqueFindings(findings);
  },
};
