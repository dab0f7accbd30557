/** The GKE stack: a configured API key, one Secret per vLLM namespace, every serving container. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Recording } from "../../cli/recorder";
import { API_KEY_ENV } from "../../components/vllm/workload";
import { gke } from "../../stacks/gke";
import { outputIsSecret, outputValue } from "../support/outputs";
import { recordStack, secretData, vllmTemplates } from "./stack-run";

const KEY = "configured-gke-api-key-0123456789";

let rec: Recording;
let outputs: ReturnType<typeof gke>;
beforeAll(async () => {
  ({ rec, outputs } = await recordStack("gke", gke, {
    hfToken: "hf_gke_test_token_0123456789",
    apiKey: KEY,
  }));
});

describe("gke: API key", () => {
  it("uses the configured key, generates none, and exports it as a secret", async () => {
    expect(
      rec.resources.filter(
        (r) =>
          r.type === "random:index/randomPassword:RandomPassword" && !r.name.includes("grafana"),
      ),
    ).toHaveLength(0);
    expect(outputs.apiKey).toBeDefined();
    if (!outputs.apiKey) return;
    expect(await outputIsSecret(outputs.apiKey)).toBe(true);
    expect(await outputValue(outputs.apiKey)).toBe(KEY);
  });

  it("reaches every serving container of every namespace from that namespace's Secret", () => {
    const templates = vllmTemplates(rec);
    // The example enables all three shapes, in two namespaces.
    expect(templates.filter((t) => t.serves)).toHaveLength(3);
    expect(new Set(templates.map((t) => t.namespace)).size).toBe(2);
    for (const t of templates) {
      const env = t.template.spec.containers.flatMap((c) => c.env ?? []);
      const ref = env.find((e) => e.name === API_KEY_ENV)?.valueFrom?.secretKeyRef;
      if (!t.serves) {
        expect(ref, t.id).toBeUndefined();
        continue;
      }
      expect(secretData(rec, t.namespace, ref?.name ?? "")?.[ref?.key ?? ""], t.id).toBe(KEY);
    }
  });
});
