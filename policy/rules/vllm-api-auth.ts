import { configStrings } from "./config";
import { asRecord, describeTemplate } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, type ContainerFacts, uniqueFindings } from "./workload";

/**
 * vLLM's OpenAI server checks a bearer token on its `/v1` routes when `--api-key` or the
 * `VLLM_API_KEY` environment variable is set (vllm/entrypoints/openai/cli_args.py `--api-key`,
 * vllm/envs.py `VLLM_API_KEY`); without either it serves anyone who can reach the port.
 */
const KEY_ENV = "VLLM_API_KEY";

function fromSecret(c: ContainerFacts, name: string): boolean {
  const e = c.env.get(name);
  if (e === undefined) return false;
  return Boolean(asRecord(asRecord(e.valueFrom).secretKeyRef).key !== undefined);
}

/** How the container's API key is set: `secret`, `other` (literal/ConfigMap), or `none`. */
function keySource(c: ContainerFacts): "secret" | "other" | "none" {
  let seen: "secret" | "other" | "none" = "none";
  for (const l of c.launches) {
    const flag = l.flags["api-key"];
    if (typeof flag !== "string") continue;
    const ref = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$|^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(flag);
    const name = ref ? (ref[1] ?? ref[2]) : undefined;
    if (name !== undefined && fromSecret(c, name)) return "secret";
    seen = "other";
  }
  if (c.env.has(KEY_ENV)) return fromSecret(c, KEY_ENV) ? "secret" : "other";
  // An envFrom Secret may carry VLLM_API_KEY; its keys are not visible here.
  if (c.envFrom.some((s) => s.startsWith("secret:"))) return "secret";
  return seen;
}

/**
 * A vLLM server without an API key answers every client that reaches its port: anyone on the
 * LAN when it runs on the host network, any pod in the cluster otherwise.
 */
export const vllmApiAuth: ResourceRule = {
  id: "vllm-api-auth",
  scope: "resource",
  description:
    "A container serving vLLM's API (not a --headless worker) requires an API key taken from a Secret: VLLM_API_KEY from valueFrom.secretKeyRef, or --api-key $(VAR) with VAR from a Secret. Advisory by default.",
  enforcementLevel: "advisory",
  remediationSteps:
    "Create a Secret with a random key and add `env: [{name: VLLM_API_KEY, valueFrom: {secretKeyRef: {name: vllm-api-key, key: key}}}]` to the serving container; clients send `Authorization: Bearer <key>`. /health and /metrics stay open for probes and scraping. Set the policy to mandatory to block unauthenticated servers.",
  configSchema: {
    ignore: {
      type: "array",
      description:
        "Workloads to skip, as `namespace/name` (e.g. a server reachable only through an authenticating gateway).",
      default: [],
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const ignore = new Set(configStrings(config, "ignore"));
    const findings: Finding[] = [];
    for (const t of analyzeObject(object)) {
      if (ignore.has(`${t.template.namespace ?? "default"}/${t.template.name}`)) continue;
      for (const c of t.containers) {
        if (!c.launches.some((l) => !l.headless)) continue;
        const source = keySource(c);
        if (source === "secret") continue;
        const where = `${describeTemplate(t.template)}: container "${c.name}"`;
        findings.push({
          message:
            source === "none"
              ? `${where} serves vLLM's API without an API key; anyone who reaches the port can use it. Set VLLM_API_KEY from a Secret (valueFrom.secretKeyRef).`
              : `${where} sets vLLM's API key, but not from a Secret; take VLLM_API_KEY (or the variable --api-key names) from valueFrom.secretKeyRef.`,
        });
      }
    }
    return uniqueFindings(findings);
  },
};
