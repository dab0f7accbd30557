import type { ConfigProperty, RuleConfig, RuleMeta } from "./types";

/**
 * A rule's effective config: every `configSchema` default, overridden by the keys the user
 * set. CrossGuard applies schema defaults itself, but `check` and `plan` call rules without
 * it, so every front end goes through this one function and sees the same values.
 * Keys that are `undefined` in `partial` keep their defaults; unknown keys pass through
 * (e.g. `enforcementLevel`, which the front ends read themselves).
 */
export function withDefaults(
  rule: Pick<RuleMeta, "configSchema">,
  partial?: Record<string, unknown>,
): RuleConfig {
  const config: RuleConfig = {};
  for (const [key, property] of Object.entries(rule.configSchema)) {
    config[key] = cloneDefault(property);
  }
  for (const [key, value] of Object.entries(partial ?? {})) {
    if (value !== undefined) config[key] = value;
  }
  return config;
}

function cloneDefault(property: ConfigProperty): unknown {
  // Defaults are plain JSON; a copy keeps a rule from mutating another caller's config.
  return property.default === undefined ? undefined : structuredClone(property.default);
}

/** A string-array config value; `fallback` when the key is missing or not an array of strings. */
export function configStrings(config: RuleConfig, key: string, fallback: string[] = []): string[] {
  const value = config[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : fallback;
}

/** A boolean config value; `fallback` when the key is missing or not a boolean. */
export function configBoolean(config: RuleConfig, key: string, fallback: boolean): boolean {
  const value = config[key];
  return typeof value === "boolean" ? value : fallback;
}

/** A string config value; `fallback` when the key is missing or not a string. */
export function configString(config: RuleConfig, key: string, fallback: string): string {
  const value = config[key];
  return typeof value === "string" ? value : fallback;
}

/** A numeric config value; `fallback` when the key is missing or not a finite number. */
export function configNumber(config: RuleConfig, key: string, fallback: number): number {
  const value = config[key];
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}
