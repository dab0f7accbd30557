/** Runs a shipped stack program under the plan mocks with its example config (plus overrides). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { mockCall, mockState } from "../../cli/plan-mocks";
import { type Recording, recordRegistrations } from "../../cli/recorder";

/** Records the registrations of `program` run as stack `stack`. */
export async function runStack<T>(
  stack: "homelab" | "gke",
  program: () => T,
  overrides: Record<string, string> = {},
): Promise<{ rec: Recording; outputs: T }> {
  const file = parse(readFileSync(join(__dirname, `../../stacks/Pulumi.${stack}.yaml`), "utf8"));
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config as Record<string, unknown>)) {
    if (typeof value === "object" && value !== null && "secure" in value) continue;
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  Object.assign(config, {
    "llm-serving:hfToken": "hf_monitoring_test_token",
    "llm-serving:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n",
    ...overrides,
  });
  const rec = await recordRegistrations({
    project: "llm-serving",
    stack,
    config,
    secretKeys: ["llm-serving:hfToken", "llm-serving:sshPrivateKey"],
    state: mockState,
    call: mockCall,
  });
  const outputs = program();
  await rec.settle();
  return { rec, outputs };
}
