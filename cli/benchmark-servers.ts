/**
 * The vLLM servers a stack deploys, from its config file, through the same pure functions
 * the stack programs call (`homelabServer`, `gkeServerArgs`): what `benchmark` measures is what
 * `pulumi up` created.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { VllmServerArgs } from "../components/vllm/args";
import { gkeServerArgs } from "../stacks/gke-servers";
import { gkeSettings } from "../stacks/gke-settings";
import { homelabModelCache, homelabServer } from "../stacks/homelab";
import { homelabSettings } from "../stacks/homelab-settings";
import { readRawConfig } from "../stacks/raw-config";

/** The stacks `benchmark` knows. */
export const BENCHMARK_STACKS = ["homelab", "gke"] as const;

/**
 * Plain config values of a stack file (`config: {llm-serving:key: value}`), as Pulumi hands
 * them to a program: strings, arrays and numbers as JSON text; secure values left out.
 */
export function stackConfigValues(yamlText: string): Record<string, string> {
  const file = (parse(yamlText) ?? {}) as { config?: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config ?? {})) {
    if (!key.startsWith("llm-serving:")) continue;
    if (typeof value === "object" && value !== null && "secure" in value) continue;
    out[key.slice("llm-serving:".length)] =
      typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/**
 * The server args of `stack`, read from `configFile` (default `stacks/Pulumi.<stack>.yaml`).
 * @throws ConfigError for a config the stack would reject.
 */
export function stackServers(
  stack: (typeof BENCHMARK_STACKS)[number],
  configFile = join(__dirname, "..", "stacks", `Pulumi.${stack}.yaml`),
): VllmServerArgs[] {
  const values = stackConfigValues(readFileSync(configFile, "utf8"));
  const raw = readRawConfig((key) => values[key]);
  if (stack === "homelab") {
    const s = homelabSettings(raw);
    return [homelabServer(s, homelabModelCache(s))];
  }
  const s = gkeSettings(raw);
  return s.models.map((m) => gkeServerArgs(s, m));
}
