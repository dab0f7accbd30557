/**
 * Reads a Pulumi project (`Pulumi.yaml`) and one stack's settings file into the runtime config
 * the Node SDK would see, without the Pulumi CLI. `secure:` values cannot be decrypted offline:
 * they become secrets holding a placeholder. Pure except for the two file reads.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";

/** What every secret that `plan` cannot (or must not) show is replaced by. */
export const SECRET_PLACEHOLDER = "[secret]";

/** Input `plan` cannot work with (missing or malformed files): exit code 2, no stack trace. */
export class PlanInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanInputError";
  }
}

/** Errors that are the user's input, not a bug: shown as their message, exit 2. */
export function isInputError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if (err instanceof PlanInputError) return true;
  if (err.name === "ConfigError" || err.name === "PolicyConfigError") return true;
  // The SDK's config errors (missing key, wrong type) are RunErrors: user-facing by design.
  return (err as { __pulumiRunError?: boolean }).__pulumiRunError === true;
}

/** A Pulumi project as `plan` needs it. */
export interface PlanProject {
  /** Project name, the namespace of bare config keys. */
  name: string;
  /** Directory holding `Pulumi.yaml`; the program runs with it as working directory. */
  dir: string;
  /** Absolute path of the program's entry module. */
  main: string;
  /** Absolute directory of the stack settings files. */
  stackConfigDir: string;
  /** Config declared in `Pulumi.yaml`, by full key (`project:key`). */
  declared: Record<string, DeclaredConfig>;
}

/** One key of the `config:` block of `Pulumi.yaml`. */
export interface DeclaredConfig {
  /** `string`, `integer`, `boolean` or `array` when declared. */
  type?: string;
  /** True if the value must be a secret. */
  secret: boolean;
  /** The project-level default (`default:`, `value:` or the short form), if any. */
  value?: unknown;
}

/** The runtime config of one stack, as `pulumi.runtime.setAllConfig` takes it. */
export interface StackConfig {
  /** Full key (`project:key`) → raw string value (structured values as JSON). */
  config: Record<string, string>;
  /** Full keys whose values are secrets. */
  secretKeys: string[];
  /** Plain values of secrets known to `plan` (declared `secret: true` but stored in clear). */
  secretValues: string[];
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new PlanInputError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    const where = line === undefined ? file : `${file}:${line}`;
    throw new PlanInputError(`${where}: ${error.message.split("\n")[0]}`);
  }
  return doc.toJS() ?? {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `key` → `project:key`; keys with a namespace stay as they are. */
export function fullKey(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

const DECLARATION_FIELDS = new Set(["type", "description", "default", "value", "secret", "items"]);

/** Reads the `config:` block of `Pulumi.yaml` (long form `{type, default, secret}` or a value). */
export function parseDeclaredConfig(
  project: string,
  block: unknown,
): Record<string, DeclaredConfig> {
  if (block === undefined || block === null) return {};
  if (!isObject(block)) throw new PlanInputError("Pulumi.yaml: `config` must be a map");
  const out: Record<string, DeclaredConfig> = {};
  for (const [key, decl] of Object.entries(block)) {
    const long =
      isObject(decl) &&
      Object.keys(decl).length > 0 &&
      Object.keys(decl).every((k) => DECLARATION_FIELDS.has(k));
    if (long) {
      out[fullKey(project, key)] = {
        type: typeof decl.type === "string" ? decl.type : undefined,
        secret: decl.secret === true,
        value: decl.value ?? decl.default,
      };
    } else {
      out[fullKey(project, key)] = { secret: false, value: decl };
    }
  }
  return out;
}

/** Reads `Pulumi.yaml` in `dir`. */
export function readProject(dir: string): PlanProject {
  const file = path.join(dir, "Pulumi.yaml");
  if (!fs.existsSync(file)) {
    throw new PlanInputError(`${file}: no Pulumi.yaml here (use --cwd to name the project)`);
  }
  const doc = readYaml(file);
  if (!isObject(doc) || typeof doc.name !== "string" || doc.name === "") {
    throw new PlanInputError(`${file}: \`name\` (the project name) is required`);
  }
  const mainField = typeof doc.main === "string" ? doc.main : ".";
  const stackConfigDir = typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : ".";
  return {
    name: doc.name,
    dir: path.resolve(dir),
    main: resolveMain(path.resolve(dir, mainField)),
    stackConfigDir: path.resolve(dir, stackConfigDir),
    declared: parseDeclaredConfig(doc.name, doc.config),
  };
}

/** The entry module: a file, or a directory's `index.ts`/`index.js` (as Node resolves it). */
function resolveMain(main: string): string {
  const candidates = [main, `${main}.ts`, `${main}.js`];
  for (const c of candidates) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  for (const index of ["index.ts", "index.js"]) {
    const c = path.join(main, index);
    if (fs.existsSync(c)) return c;
  }
  throw new PlanInputError(`${main}: the program named by \`main\` in Pulumi.yaml does not exist`);
}

/** The stack settings file `plan` reads: `--config FILE`, else `<stackConfigDir>/Pulumi.<stack>.yaml`. */
export function stackConfigFile(project: PlanProject, stack: string, override?: string): string {
  return override
    ? path.resolve(override)
    : path.join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
}

function isSecure(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
}

/** Replaces `{secure: …}` leaves by the placeholder; reports whether there was one. */
function replaceSecure(value: unknown): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: SECRET_PLACEHOLDER, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(replaceSecure);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (isObject(value)) {
    const entries = Object.entries(value).map(([k, v]) => [k, replaceSecure(v)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
      secret: entries.some(([, v]) => v.secret),
    };
  }
  return { value, secret: false };
}

/** A placeholder that still parses as the declared type (`getSecretNumber` must not throw). */
function placeholderFor(type: string | undefined): string {
  if (type === "integer") return "0";
  if (type === "boolean") return "false";
  if (type === "array") return "[]";
  return SECRET_PLACEHOLDER;
}

/** The string leaves of a structured secret (a program may read them one by one). */
function stringLeaves(decl: DeclaredConfig, raw: string): string[] {
  if (decl.type === "string" || !/^[[{]/.test(raw)) return [];
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.push(v);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(walk);
  };
  try {
    walk(JSON.parse(raw));
  } catch {
    // Not JSON: the raw string is the whole secret.
  }
  return out;
}

/** A config value as the SDK stores it: strings as-is, everything else as JSON. */
function toRaw(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Merges the project's declared defaults with a stack's `config:` map into runtime config.
 * Pure: `settings` is the parsed stack file.
 */
export function buildStackConfig(
  project: Pick<PlanProject, "name" | "declared">,
  settings: unknown,
  file = "stack settings",
): StackConfig {
  if (settings !== undefined && settings !== null && !isObject(settings)) {
    throw new PlanInputError(`${file}: must be a map with a \`config:\` key`);
  }
  const block = (settings as Record<string, unknown> | null)?.config ?? {};
  if (!isObject(block)) throw new PlanInputError(`${file}: \`config\` must be a map`);
  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const secretValues: string[] = [];
  const encrypted = new Set<string>();
  for (const [key, decl] of Object.entries(project.declared)) {
    if (decl.value !== undefined) config[key] = toRaw(decl.value);
  }
  for (const [key, raw] of Object.entries(block)) {
    const full = fullKey(project.name, key);
    const decl = project.declared[full];
    if (isSecure(raw)) {
      config[full] = placeholderFor(decl?.type);
      secretKeys.add(full);
      encrypted.add(full);
      continue;
    }
    const { value, secret } = replaceSecure(raw);
    config[full] = toRaw(value);
    if (secret) {
      secretKeys.add(full);
      encrypted.add(full);
    }
  }
  for (const [key, decl] of Object.entries(project.declared)) {
    if (!decl.secret || config[key] === undefined) continue;
    secretKeys.add(key);
    if (!encrypted.has(key)) secretValues.push(config[key], ...stringLeaves(decl, config[key]));
  }
  return { config, secretKeys: [...secretKeys].sort(), secretValues };
}

/** Reads the stack settings file (it must exist) and builds the stack's runtime config. */
export function readStackConfig(project: PlanProject, file: string, stack: string): StackConfig {
  if (!fs.existsSync(file)) {
    throw new PlanInputError(
      `${file}: no settings file for stack "${stack}" (create it, or name one with --config FILE)`,
    );
  }
  return buildStackConfig(project, readYaml(file), file);
}
