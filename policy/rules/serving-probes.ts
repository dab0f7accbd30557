import { configNumber } from "./config";
import { asRecord, describeTemplate, type Probe, toCount } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { analyzeObject, type ContainerFacts, uniqueFindings } from "./workload";

function isProbe(p: unknown): p is Probe {
  return Object.keys(asRecord(p)).length > 0;
}

/** True for a container that serves vLLM's API: it launches vLLM without `--headless`. */
export function servesVllmApi(c: ContainerFacts): boolean {
  return c.launches.some((l) => !l.headless);
}

/**
 * Loading weights takes minutes: without a readiness probe a Service sends requests to a
 * pod that is still loading; without a startup probe or an initial delay the liveness
 * probe kills it mid-load, forever.
 */
export const servingProbes: ResourceRule = {
  id: "serving-probes",
  scope: "resource",
  description:
    "A container serving vLLM's API has a readiness probe, and a startup probe or an initial delay, so traffic waits for the model to load and slow loads are not killed (headless workers do not serve).",
  enforcementLevel: "advisory",
  remediationSteps:
    "Add `readinessProbe: {httpGet: {path: /health, port: 8000}}` and `startupProbe: {httpGet: {path: /health, port: 8000}, periodSeconds: 10, failureThreshold: 180}` (30 minutes for large models), then a liveness probe on /health if you want restarts on hangs.",
  configSchema: {
    minInitialDelaySeconds: {
      type: "number",
      description:
        "An initialDelaySeconds at least this large on the readiness or liveness probe counts instead of a startup probe.",
      default: 1,
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const minDelay = configNumber(config, "minInitialDelaySeconds", 1);
    const findings: Finding[] = [];
    for (const t of analyzeObject(object)) {
      for (const c of t.containers) {
        if (!servesVllmApi(c)) continue;
        const where = `${describeTemplate(t.template)}: container "${c.name}"`;
        const { readinessProbe, livenessProbe, startupProbe } = c.container;
        if (!isProbe(readinessProbe)) {
          findings.push({
            message: `${where} serves vLLM without a readinessProbe; add one on /health so no traffic reaches it while the model loads.`,
          });
        }
        const delayed = [readinessProbe, livenessProbe].some(
          (p) => isProbe(p) && toCount(p.initialDelaySeconds, 0) >= minDelay,
        );
        if (!isProbe(startupProbe) && !delayed) {
          findings.push({
            message: `${where} serves vLLM with neither a startupProbe nor an initialDelaySeconds; add a startupProbe on /health with a failureThreshold covering the model load time.`,
          });
        }
      }
    }
    return uniqueFindings(findings);
  },
};
