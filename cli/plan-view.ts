/**
 * What a plan shows: the resource tree, the Kubernetes manifests and the command scripts a
 * stack would create, from the recorded registrations, with every secret redacted.
 * Pure and SDK-free: values come in recorded (wire form), go out as plain data.
 */

import { stringify } from "yaml";
import { MEMORY_ESTIMATE_ANNOTATION } from "../components/planner/server";
import { kindOfType, objectOfResource } from "../policy/objects";
import type { K8sObject } from "../policy/rules/types";
import { autoName } from "./plan-mocks";
import { REDACTED, type Redactor } from "./plan-redact";
import type { RecordedOptions, RecordedResource } from "./recorder";

/** One resource as `plan` reports it (`resources.json` and `--json`). */
export interface PlanResource {
  /** Pulumi type token. */
  type: string;
  /** Logical name. */
  name: string;
  /** URN (mock-generated, with the parent type chain). */
  urn: string;
  /** URN of the parent resource, "" for the stack itself. */
  parent: string;
  /** Provider-managed (false: a component or the stack). */
  custom: boolean;
  /** Inputs with every secret redacted. */
  inputs: Record<string, unknown>;
  /** The resource options a diff needs (`plan --against` a `--out` directory reads them back). */
  options?: RecordedOptions;
}

/** A file `plan --out` writes, relative to its directory. */
export interface PlanFile {
  path: string;
  content: string;
}

/** Command resources whose `create`/`update`/`delete` are shell scripts. */
const COMMAND_TYPES = new Set(["command:remote:Command", "command:local:Command"]);
const SCRIPT_PHASES = ["create", "update", "delete"] as const;

/**
 * Fills in `metadata.name` for Kubernetes objects that leave it to the provider, as the
 * provider's check step does before policies see them (names from {@link autoName}).
 */
export function withAutoNames(resources: readonly RecordedResource[]): RecordedResource[] {
  return resources.map((r) => {
    if (!r.custom || !kindOfType(r.type)) return r;
    const metadata = r.inputs.metadata;
    if (metadata !== undefined && (typeof metadata !== "object" || metadata === null)) return r;
    const meta = (metadata ?? {}) as Record<string, unknown>;
    if (meta.name !== undefined) return r;
    return { ...r, inputs: { ...r.inputs, metadata: { ...meta, name: autoName(r.name) } } };
  });
}

/** The recorded resources as reported: secrets redacted. */
export function planResources(
  resources: readonly RecordedResource[],
  redact: Redactor,
): PlanResource[] {
  return resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    parent: r.parent,
    custom: r.custom,
    inputs: redact.value(r.inputs) as Record<string, unknown>,
    ...(r.options
      ? {
          options: {
            ...r.options,
            replacementTrigger: redact.value(r.options.replacementTrigger),
          },
        }
      : {}),
  }));
}

/** The resource tree, one resource a line, children indented under their parent. */
export function renderTree(resources: readonly PlanResource[]): string {
  const children = new Map<string, PlanResource[]>();
  const urns = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    const parent = urns.has(r.parent) ? r.parent : "";
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines: string[] = [];
  const walk = (parent: string, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((r, i) => {
      const last = i === list.length - 1;
      const branch = parent === "" ? "" : last ? "└─ " : "├─ ";
      lines.push(`${prefix}${branch}${r.type}  ${r.name}`);
      const memory = annotation(r, MEMORY_ESTIMATE_ANNOTATION);
      if (memory)
        lines.push(`${prefix}${parent === "" ? "" : last ? "   " : "│  "}   memory: ${memory}`);
      walk(r.urn, parent === "" ? prefix : `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk("", "");
  return lines.join("\n");
}

/** A workload's annotation (the planner's estimate), if it has one. */
function annotation(r: PlanResource, key: string): string | undefined {
  const meta = r.inputs.metadata as { annotations?: Record<string, unknown> } | undefined;
  const v = meta?.annotations?.[key];
  return typeof v === "string" ? v : undefined;
}

/** `a/b:C` → `a-b-C`: safe as a file name, still readable. */
function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
}

function unique(path: string, taken: Set<string>): string {
  let candidate = path;
  for (let n = 2; taken.has(candidate); n++) candidate = path.replace(/(\.[a-z]+)$/, `-${n}$1`);
  taken.add(candidate);
  return candidate;
}

/** Every Kubernetes object of the stack (redacted), one YAML file each under `manifests/`. */
export function manifestFiles(resources: readonly PlanResource[]): PlanFile[] {
  const taken = new Set<string>();
  const out: PlanFile[] = [];
  for (const r of resources) {
    const object = objectOfResource(r.type, r.inputs);
    if (!object) continue;
    const gvk = kindOfType(r.type);
    const file = unique(
      `manifests/${safe(`${gvk?.apiVersion}-${gvk?.kind}`)}--${safe(r.name)}.yaml`,
      taken,
    );
    out.push({ path: file, content: stringify(object as K8sObject, { lineWidth: 0 }) });
  }
  return out;
}

/** A value on one comment line: multi-line or long text quoted and cut, never a line break. */
function commentValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const one = /[\n\r"]/.test(text) ? JSON.stringify(text) : text;
  return one.length > 120 ? `${one.slice(0, 117)}...` : one;
}

/**
 * The script inside a `bash -c '<script>'` / `sh -c '…'` command line (how components ship a
 * whole script as one remote command), so `scripts/` shows it readable and shellcheck-able.
 * Only unwraps when re-quoting gives back exactly the original line.
 */
export function unwrapShellInvocation(line: string): { shell: string; script: string } | undefined {
  const match = /^(bash|sh) -c '([\s\S]*)'\n?$/.exec(line);
  if (!match) return undefined;
  const script = match[2].replaceAll(`'\\''`, "'");
  const requoted = `${match[1]} -c '${script.replaceAll("'", `'\\''`)}'`;
  return requoted === line.replace(/\n$/, "") ? { shell: match[1], script } : undefined;
}

function scriptHeader(r: PlanResource, phase: string): string[] {
  const lines = [`# ${r.type} "${r.name}": ${phase} (written by llm-serving plan)`];
  const conn = r.inputs.connection;
  if (conn === REDACTED) lines.push("# runs over SSH (connection is a secret)");
  else if (typeof conn === "object" && conn !== null) {
    const c = conn as Record<string, unknown>;
    lines.push(`# runs on: ${c.user ?? "?"}@${c.host ?? "?"}${c.port ? `:${c.port}` : ""}`);
  }
  if (r.inputs.stdin !== undefined) lines.push(`# stdin: ${commentValue(r.inputs.stdin)}`);
  const env = r.inputs.environment;
  if (env === REDACTED) lines.push("# environment: [secret]");
  else if (typeof env === "object" && env !== null) {
    for (const [k, v] of Object.entries(env)) lines.push(`# environment: ${k}=${commentValue(v)}`);
  }
  return lines;
}

/**
 * Every Command's `create`/`update`/`delete` script under `scripts/` as `<name>.<phase>.sh`,
 * with a header saying where it runs and with which environment (secrets redacted).
 */
export function scriptFiles(resources: readonly PlanResource[]): PlanFile[] {
  const taken = new Set<string>();
  const out: PlanFile[] = [];
  for (const r of resources) {
    if (!COMMAND_TYPES.has(r.type)) continue;
    for (const phase of SCRIPT_PHASES) {
      const script = r.inputs[phase];
      if (typeof script !== "string" || script === "") continue;
      const header = scriptHeader(r, phase);
      let body: string;
      if (script === REDACTED) {
        body = [
          "# The whole script is a Pulumi secret and plan cannot tell its secret parts apart.",
          "# Pass secrets through the Command's `environment` and keep the script text plain.",
          "",
        ].join("\n");
      } else {
        const inner = unwrapShellInvocation(script);
        if (inner) header.push(`# run as: ${inner.shell} -c '<this script>'`);
        const text = inner?.script ?? script;
        body = text.endsWith("\n") ? text : `${text}\n`;
      }
      let text: string;
      if (body.startsWith("#!")) {
        const nl = body.indexOf("\n");
        text = `${body.slice(0, nl + 1)}${header.join("\n")}\n${body.slice(nl + 1)}`;
      } else text = `#!/usr/bin/env bash\n${header.join("\n")}\n${body}`;
      out.push({ path: unique(`scripts/${safe(r.name)}.${phase}.sh`, taken), content: text });
    }
  }
  return out;
}

/**
 * `resources.json`: every resource as `{type, name, parent, urn, custom, inputs, options}`
 * (redacted); `options` are the resource options a diff acts on.
 */
export function resourcesDocument(resources: readonly PlanResource[]): object[] {
  return resources.map((r) => ({
    type: r.type,
    name: r.name,
    parent: r.parent,
    urn: r.urn,
    custom: r.custom,
    inputs: r.inputs,
    options: r.options,
  }));
}
