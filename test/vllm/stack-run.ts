/** Runs a shipped stack program under `plan`'s mocks, with its example config. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { mockCall, mockState } from "../../cli/plan-mocks";
import { type Recording, recordRegistrations, unwrapSecrets } from "../../cli/recorder";

/** The stack's example file as Pulumi hands config to a program, plus `secrets`. */
export function exampleConfig(
  stack: string,
  secrets: Record<string, string>,
): Record<string, string> {
  const file = parse(readFileSync(join(__dirname, `../../stacks/Pulumi.${stack}.yaml`), "utf8"));
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config as Record<string, unknown>)) {
    if (typeof value === "object" && value !== null && "secure" in value) continue;
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  for (const [key, value] of Object.entries(secrets)) config[`llm-serving:${key}`] = value;
  return config;
}

/** Records `program` run as stack `stack` with the example config and the given secrets. */
export async function recordStack<T>(
  stack: string,
  program: () => T,
  secrets: Record<string, string>,
): Promise<{ rec: Recording; outputs: T }> {
  const rec = await recordRegistrations({
    project: "llm-serving",
    stack,
    config: exampleConfig(stack, secrets),
    secretKeys: Object.keys(secrets).map((k) => `llm-serving:${k}`),
    state: mockState,
    call: mockCall,
  });
  const outputs = program();
  await rec.settle();
  return { rec, outputs };
}

interface Env {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  env?: Env[];
}
interface Template {
  spec: { containers: Container[] };
}

/** Every vLLM pod template of a recording, with whether its pods serve the API. */
export function vllmTemplates(
  rec: Recording,
): Array<{ id: string; namespace: string; serves: boolean; template: Template }> {
  const out: Array<{ id: string; namespace: string; serves: boolean; template: Template }> = [];
  for (const r of rec.resources) {
    const o = unwrapSecrets(r.inputs) as {
      kind?: string;
      metadata?: { name?: string; namespace?: string };
      spec?: {
        template?: Template;
        leaderWorkerTemplate?: { leaderTemplate?: Template; workerTemplate: Template };
      };
    };
    const namespace = o.metadata?.namespace ?? "default";
    const id = `${o.kind}/${o.metadata?.name}`;
    if (o.kind === "Deployment" && r.type === "kubernetes:apps/v1:Deployment") {
      const t = o.spec?.template as Template;
      if (t.spec.containers.some((c) => c.name === "vllm")) {
        out.push({ id, namespace, serves: true, template: t });
      }
    }
    if (o.kind === "LeaderWorkerSet") {
      const lwt = o.spec?.leaderWorkerTemplate;
      if (lwt?.leaderTemplate) {
        out.push({ id: `${id} leader`, namespace, serves: true, template: lwt.leaderTemplate });
      }
      if (lwt)
        out.push({ id: `${id} worker`, namespace, serves: false, template: lwt.workerTemplate });
    }
  }
  return out;
}

/** The plain `stringData` of the Secret `namespace/name` in a recording. */
export function secretData(
  rec: Recording,
  namespace: string,
  name: string,
): Record<string, string> | undefined {
  for (const r of rec.resources) {
    if (r.type !== "kubernetes:core/v1:Secret") continue;
    const o = unwrapSecrets(r.inputs) as {
      metadata: { name: string; namespace: string };
      stringData?: Record<string, string>;
    };
    if (o.metadata.name === name && o.metadata.namespace === namespace) return o.stringData;
  }
  return undefined;
}
