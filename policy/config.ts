/**
 * CrossGuard policy config (the JSON `pulumi preview --policy-pack-config` reads), validated
 * against the rules' own `configSchema`s so `check`, `plan` and the pack agree on what a config
 * means. SDK-free and dependency-free: `check` imports this.
 */
import { withDefaults } from "./rules/config";
import type { ConfigProperty, EnforcementLevel, Rule, RuleConfig } from "./rules/types";

/** Every level CrossGuard accepts in a config (`remediate` only matters to the pack). */
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"] as const;

/** A level as a config may set it. */
export type ConfiguredLevel = (typeof LEVELS)[number];

/** What a config decides for one rule. */
export interface RuleSettings {
  /** The configured level, or the rule's default. */
  level: ConfiguredLevel;
  /** The rule's config: its schema defaults overlaid with the configured properties. */
  config: RuleConfig;
}

/** The settings of every rule, by id. */
export type PolicySettings = Map<string, RuleSettings>;

/** One problem in a policy config, located by its path (`shm-memory-backed.requireSizeLimit`). */
export interface PolicyConfigProblem {
  path: string;
  message: string;
}

/** A policy config that cannot be applied; lists every problem, not only the first. */
export class PolicyConfigError extends Error {
  /** Every problem found. */
  readonly problems: PolicyConfigProblem[];

  constructor(context: string, problems: PolicyConfigProblem[]) {
    super(
      `${context}: invalid policy config\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n")}`,
    );
    this.name = "PolicyConfigError";
    this.problems = problems;
  }
}

/** `value` checked against one schema property; returns problems (empty when it fits). */
function checkProperty(path: string, prop: ConfigProperty, value: unknown): PolicyConfigProblem[] {
  const fits = (() => {
    switch (prop.type) {
      case "string":
        return typeof value === "string";
      case "boolean":
        return typeof value === "boolean";
      case "number":
        return typeof value === "number" && Number.isFinite(value);
      case "integer":
        return typeof value === "number" && Number.isInteger(value);
      case "array":
        return Array.isArray(value);
      case "object":
        return typeof value === "object" && value !== null && !Array.isArray(value);
    }
  })();
  if (!fits) {
    const got = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
    return [{ path, message: `must be ${article(prop.type)} ${prop.type}, got ${got}` }];
  }
  if (prop.type === "array" && prop.items) {
    const items = prop.items;
    return (value as unknown[]).flatMap((item, i) => checkProperty(`${path}[${i}]`, items, item));
  }
  return [];
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? "an" : "a";
}

function checkLevel(path: string, value: unknown): PolicyConfigProblem[] {
  return LEVELS.includes(value as ConfiguredLevel)
    ? []
    : [{ path, message: `must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(value)}` }];
}

/**
 * Resolves a CrossGuard policy config against `rules`. Accepted shapes, as CrossGuard reads
 * them: `{"<id>": "<level>"}`, `{"<id>": {"enforcementLevel": "<level>", ...properties}}` and
 * the reserved `"all"` key (a level for every rule; per-rule entries win). Unknown rule ids,
 * unknown properties and values of the wrong type are errors, all reported at once.
 * @param raw the parsed JSON (undefined: no config, every rule at its defaults).
 * @param context names the config in the error headline (usually its file name).
 * @throws PolicyConfigError listing every problem.
 */
export function resolvePolicyConfig(
  raw: unknown,
  rules: readonly Rule[],
  context = "policy config",
): PolicySettings {
  const problems: PolicyConfigProblem[] = [];
  const entries: Record<string, unknown> = {};
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== "object" || Array.isArray(raw)) {
      throw new PolicyConfigError(context, [
        { path: "(root)", message: 'must be an object {"<policy id>": "<level>" | {...}}' },
      ]);
    }
    Object.assign(entries, raw);
  }
  const byId = new Map(rules.map((r) => [r.id, r]));
  let allLevel: ConfiguredLevel | undefined;
  for (const [id, value] of Object.entries(entries)) {
    if (id === "all") {
      const level =
        typeof value === "object" && value !== null
          ? (value as Record<string, unknown>).enforcementLevel
          : value;
      const p = checkLevel(typeof value === "string" ? "all" : "all.enforcementLevel", level);
      problems.push(...p);
      if (p.length === 0) allLevel = level as ConfiguredLevel;
      continue;
    }
    const rule = byId.get(id);
    if (!rule) {
      problems.push({ path: id, message: `unknown policy; known: ${[...byId.keys()].join(", ")}` });
      continue;
    }
    if (typeof value === "string") {
      problems.push(...checkLevel(id, value));
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [key, v] of Object.entries(value)) {
        if (key === "enforcementLevel") {
          problems.push(...checkLevel(`${id}.enforcementLevel`, v));
          continue;
        }
        const prop = rule.configSchema[key];
        if (!prop) {
          const known = Object.keys(rule.configSchema);
          problems.push({
            path: `${id}.${key}`,
            message: `unknown property; ${known.length ? `known: enforcementLevel, ${known.join(", ")}` : "this policy only takes enforcementLevel"}`,
          });
          continue;
        }
        problems.push(...checkProperty(`${id}.${key}`, prop, v));
      }
    } else {
      problems.push({
        path: id,
        message: 'must be a level string or an object {"enforcementLevel": …, …}',
      });
    }
  }
  if (problems.length > 0) throw new PolicyConfigError(context, problems);

  const settings: PolicySettings = new Map();
  for (const rule of rules) {
    const entry = entries[rule.id];
    const props: Record<string, unknown> =
      typeof entry === "object" && entry !== null ? { ...(entry as Record<string, unknown>) } : {};
    const level =
      typeof entry === "string"
        ? (entry as ConfiguredLevel)
        : ((props.enforcementLevel as ConfiguredLevel | undefined) ??
          allLevel ??
          rule.enforcementLevel);
    delete props.enforcementLevel;
    settings.set(rule.id, { level, config: withDefaults(rule, props) });
  }
  return settings;
}

/**
 * The level a finding is reported at. A finding may only lower its rule's level (an advisory
 * note from a mandatory rule); it never raises it above what the config set, so a user who
 * downgrades a rule to advisory is never blocked by it. `remediate` reports as `mandatory`,
 * as CrossGuard does for a violation that remains after remediation.
 */
export function findingLevel(
  configured: ConfiguredLevel,
  finding: EnforcementLevel | undefined,
): "advisory" | "mandatory" | undefined {
  if (configured === "disabled" || finding === "disabled") return undefined;
  if (finding === "advisory" || configured === "advisory") return "advisory";
  return "mandatory";
}
