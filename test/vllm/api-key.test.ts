/** The API key: its Secret (given or generated, secret end to end) and where pods read it. */
import { beforeAll, describe, expect, it } from "vitest";
import { mockState } from "../../cli/plan-mocks";
import {
  containsSecret,
  type RecordedResource,
  type Recording,
  recordRegistrations,
  unwrapSecrets,
} from "../../cli/recorder";
import { ConfigError } from "../../components/validation";
import { apiKeySecret, checkedApiKey, VllmApiKey } from "../../components/vllm/api-key";
import { GENERATED_API_KEY_LENGTH } from "../../components/vllm/args";
import { API_KEY_ENV } from "../../components/vllm/workload";
import { expectValidManifest } from "../support/k8s-schema";
import { outputIsSecret, outputValue } from "../support/outputs";
import { plan } from "./fixtures";

const GIVEN = "configured-api-key-0123456789abcdef";

let rec: Recording;
let given: VllmApiKey;
let generated: VllmApiKey;
let invalid: unknown;
let countBeforeInvalid = 0;
beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "test", state: mockState });
  given = new VllmApiKey("given", { namespace: "llm", apiKey: GIVEN, name: "key-a", key: "k" });
  generated = new VllmApiKey("generated", { namespace: "llm" });
  await rec.settle();
  countBeforeInvalid = rec.resources.length;
  try {
    new VllmApiKey("bad", { namespace: "llm", name: "Not A Name" });
  } catch (e) {
    invalid = e;
  }
  await rec.settle();
});

const find = (type: string, name: string) =>
  rec.resources.find((r) => r.type === type && r.name === name) as RecordedResource;

describe("apiKeySecret (pure)", () => {
  it("builds a valid Secret with defaults", () => {
    const s = apiKeySecret({ namespace: "llm" }, "v");
    expect(s.ref).toEqual({ name: "vllm-api-key", key: "api-key" });
    expect(s.manifest.stringData).toEqual({ "api-key": "v" });
    expectValidManifest(s.manifest);
  });

  it("rejects bad names by field", () => {
    try {
      apiKeySecret({ namespace: "LLM", name: "a_b", key: "a b" }, "v", "apiKey");
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems.map((p) => p.path).sort()).toEqual([
        "apiKey.key",
        "apiKey.name",
        "apiKey.namespace",
      ]);
    }
  });
});

describe("checkedApiKey", () => {
  it("refuses keys that would switch auth off or break the header, naming apiKey", () => {
    for (const bad of [
      "",
      "short",
      "has a space in it 0123",
      "tab\there-0123456789",
      "ünïcødé-0123456789",
    ]) {
      try {
        checkedApiKey(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect((e as ConfigError).problems.map((p) => p.path)).toEqual(["apiKey"]);
        if (bad) expect((e as Error).message).not.toContain(bad);
      }
    }
    expect(checkedApiKey(GIVEN)).toBe(GIVEN);
  });
});

describe("VllmApiKey under mocks", () => {
  it("stores a given key as a secret, under the given name and key", async () => {
    const secret = find("kubernetes:core/v1:Secret", "given");
    expect(secret.parent).toBe(find("llm-serving:index:VllmApiKey", "given").urn);
    expect(containsSecret(secret.inputs)).toBe(true);
    expect(unwrapSecrets(secret.inputs.stringData)).toEqual({ k: GIVEN });
    expect(await outputValue(given.apiKey)).toBe(GIVEN);
    expect(await outputIsSecret(given.apiKey)).toBe(true);
    expect(await outputValue(given.secretKey)).toBe("k");
    expect(find("random:index/randomPassword:RandomPassword", "given-generated")).toBeUndefined();
  });

  it("generates a key with @pulumi/random when none is given", async () => {
    const password = find("random:index/randomPassword:RandomPassword", "generated-generated");
    expect(password.parent).toBe(find("llm-serving:index:VllmApiKey", "generated").urn);
    expect(password.inputs).toMatchObject({ length: GENERATED_API_KEY_LENGTH, special: false });
    const secret = find("kubernetes:core/v1:Secret", "generated");
    expect(containsSecret(secret.inputs)).toBe(true);
    const key = await outputValue(generated.apiKey);
    expect(unwrapSecrets(secret.inputs.stringData)).toEqual({ "api-key": key });
    expect(key).toHaveLength(GENERATED_API_KEY_LENGTH);
    expect(await outputIsSecret(generated.apiKey)).toBe(true);
  });

  it("registers nothing for a bad name", () => {
    expect(invalid).toBeInstanceOf(ConfigError);
    expect(rec.resources.length).toBe(countBeforeInvalid);
  });
});

describe("VllmServer reads the key from the Secret", () => {
  const env = (c: { env?: Array<{ name: string }> } | undefined) =>
    (c?.env ?? []).filter((e) => e.name === API_KEY_ENV);

  it("serving containers get VLLM_API_KEY by secretKeyRef; headless workers do not", () => {
    const single = plan({ apiKeySecret: { name: "vllm-api-key" } });
    expect(env(single.deployment?.spec?.template.spec?.containers[0])).toEqual([
      {
        name: API_KEY_ENV,
        valueFrom: { secretKeyRef: { name: "vllm-api-key", key: "api-key" } },
      },
    ]);
    for (const launcher of ["mp", "ray"] as const) {
      const multi = plan({
        apiKeySecret: { name: "k", key: "x" },
        launcher,
        parallelism: { tensor: 2, nodes: 2 },
      });
      const t = multi.leaderWorkerSet?.spec.leaderWorkerTemplate;
      expect(env(t?.leaderTemplate?.spec?.containers[0])).toEqual([
        { name: API_KEY_ENV, valueFrom: { secretKeyRef: { name: "k", key: "x" } } },
      ]);
      expect(env(t?.workerTemplate.spec?.containers[0])).toEqual([]);
    }
  });

  it("without apiKeySecret no container names the variable", () => {
    expect(env(plan().deployment?.spec?.template.spec?.containers[0])).toEqual([]);
  });

  it("probes stay on /health, which vLLM leaves unauthenticated", () => {
    const c = plan({ apiKeySecret: { name: "k" } }).deployment?.spec?.template.spec?.containers[0];
    for (const probe of [c?.startupProbe, c?.readinessProbe, c?.livenessProbe]) {
      expect(probe?.httpGet?.path).toBe("/health");
    }
  });
});
