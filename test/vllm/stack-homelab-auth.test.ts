/** The home-lab stack: a generated API key, stored as a Secret, read by every serving container. */
import { beforeAll, describe, expect, it } from "vitest";
import type { Recording } from "../../cli/recorder";
import { API_KEY_ENV } from "../../components/vllm/workload";
import { homelab } from "../../stacks/homelab";
import { outputIsSecret, outputValue } from "../support/outputs";
import { recordStack, secretData, vllmTemplates } from "./stack-run";

let rec: Recording;
let outputs: ReturnType<typeof homelab>;
beforeAll(async () => {
  ({ rec, outputs } = await recordStack("homelab", homelab, {
    hfToken: "hf_homelab_test_token_0123456789",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----",
  }));
});

describe("homelab: API key", () => {
  it("is generated when none is configured, and exported as a secret", async () => {
    expect(
      rec.resources.filter(
        (r) =>
          r.type === "random:index/randomPassword:RandomPassword" && !r.name.includes("grafana"),
      ),
    ).toHaveLength(1);
    expect(await outputIsSecret(outputs.apiKey)).toBe(true);
    expect(await outputValue(outputs.apiKey)).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  it("reaches every serving container from the Secret, and no headless worker", async () => {
    const key = await outputValue(outputs.apiKey);
    const templates = vllmTemplates(rec);
    expect(templates.map((t) => t.id)).toEqual([
      "LeaderWorkerSet/vllm leader",
      "LeaderWorkerSet/vllm worker",
    ]);
    for (const t of templates) {
      const env = t.template.spec.containers.flatMap((c) => c.env ?? []);
      const ref = env.find((e) => e.name === API_KEY_ENV)?.valueFrom?.secretKeyRef;
      if (!t.serves) {
        expect(ref, t.id).toBeUndefined();
        continue;
      }
      expect(ref, t.id).toBeDefined();
      expect(secretData(rec, t.namespace, ref?.name ?? "")?.[ref?.key ?? ""]).toBe(key);
      expect(env.some((e) => e.value === key)).toBe(false);
    }
  });

  it("the curl output reads the key from the environment", async () => {
    const curl = await outputValue(outputs.curl);
    expect(curl).toContain('"${VLLM_API_KEY}"');
    expect(curl).not.toContain(await outputValue(outputs.apiKey));
  });
});
