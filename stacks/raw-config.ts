import { ConfigError, type ConfigProblem } from "../components/validation";
import { type ConfigKey, type ConfigKeyName, configKeys } from "./config-keys";

/** A stack's plain (non-secret) config values, typed as declared, defaults applied. */
export type RawConfig = {
  [K in ConfigKeyName]: (typeof configKeys)[K] extends { type: "object" }
    ? Record<string, unknown>
    : (typeof configKeys)[K] extends { type: "array"; items: "object" }
      ? Record<string, unknown>[]
      : (typeof configKeys)[K] extends { type: "array" }
        ? string[]
        : (typeof configKeys)[K] extends { type: "integer" }
          ? number
          : (typeof configKeys)[K] extends { type: "boolean" }
            ? boolean
            : string;
};

/** Pulumi hands structured values over as JSON text. */
function parseJson(text: string, expected: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected ${expected}, got '${text}'`);
  }
}

function parseValue(name: string, key: ConfigKey, text: string): unknown {
  switch (key.type) {
    case "string":
      return text;
    case "integer": {
      if (!/^-?\d+$/.test(text.trim())) throw new Error(`expected an integer, got '${text}'`);
      return Number(text);
    }
    case "boolean": {
      if (text !== "true" && text !== "false") {
        throw new Error(`expected true or false, got '${text}'`);
      }
      return text === "true";
    }
    case "object": {
      const parsed = parseJson(text, `an object (pulumi config set --path '${name}.field' value)`);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("expected an object (see the stack's example config)");
      }
      return parsed;
    }
    case "array": {
      const parsed = parseJson(text, `a list (pulumi config set --path '${name}[0]' value)`);
      if (key.items === "object") {
        const isMap = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
        if (!Array.isArray(parsed) || !parsed.every(isMap)) {
          throw new Error("expected a list of objects (see the stack's example config)");
        }
        return parsed;
      }
      if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== "string")) {
        throw new Error("expected a list of strings");
      }
      return parsed;
    }
  }
}

/**
 * Reads every declared plain key through `get` (Pulumi's raw config strings: arrays arrive
 * as JSON), applies the declared defaults and checks the declared types. Secret keys are not
 * read here: they stay Pulumi secrets and are read where they are used.
 * @throws ConfigError listing every mistyped key.
 */
export function readRawConfig(get: (key: ConfigKeyName) => string | undefined): RawConfig {
  const out: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, key] of Object.entries(configKeys) as [ConfigKeyName, ConfigKey][]) {
    if (key.secret) continue;
    const text = get(name);
    if (text === undefined) {
      out[name] = key.default;
      continue;
    }
    try {
      out[name] = parseValue(name, key, text);
    } catch (err) {
      problems.push({ path: name, message: (err as Error).message });
    }
  }
  if (problems.length > 0) throw new ConfigError("stack config", problems);
  return out as RawConfig;
}
