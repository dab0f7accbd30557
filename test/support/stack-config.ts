/** Helpers for tests of the stacks' settings functions. */
import { ConfigError } from "../../components/validation";
import { type RawConfig, readRawConfig } from "../../stacks/raw-config";

/** Stack config as `pulumi config` hands it to the program: strings, and arrays as JSON. */
export function raw(values: Record<string, unknown>): RawConfig {
  return readRawConfig((k) => {
    const v = values[k];
    if (v === undefined) return undefined;
    return typeof v === "string" ? v : JSON.stringify(v);
  });
}

/** The ConfigError `fn` throws, as message by config key; fails the test if none is thrown. */
export function problems(fn: () => unknown): Record<string, string> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) {
      return Object.fromEntries(err.problems.map((p) => [p.path, p.message]));
    }
    throw err;
  }
  throw new Error("expected a ConfigError");
}
