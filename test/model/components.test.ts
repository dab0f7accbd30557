import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  containsSecret,
  isSecretValue,
  type RecordedResource,
  type Recording,
  recordRegistrations,
  unwrapSecrets,
} from "../../cli/recorder";
import { HuggingFaceToken, ModelCache } from "../../components/model/components";
import { ConfigError } from "../../components/validation";
import { expectValidManifest } from "../support/k8s-schema";
import { outputIsSecret, outputValue } from "../support/outputs";

const TOKEN = "hf_supersecretvalue123";

let rec: Recording;
let token: HuggingFaceToken;
let plainToken: HuggingFaceToken;
let cache: ModelCache;
let invalid: unknown[] = [];
let countBeforeInvalid = 0;

beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
  token = new HuggingFaceToken("hf", { token: pulumi.secret(TOKEN), namespace: "llm" });
  // A caller that forgets to pass a secret still gets one.
  plainToken = new HuggingFaceToken("hf-plain", {
    token: TOKEN,
    namespace: "llm",
    name: "hf-token-2",
    key: "HF_TOKEN",
  });
  cache = new ModelCache("cache", { namespace: "llm", storageClassName: "nfs-client" });
  await rec.settle();
  countBeforeInvalid = rec.resources.length;
  invalid = [];
  for (const build of [
    () => new HuggingFaceToken("bad-token", { token: TOKEN, namespace: "Not_A_Namespace" }),
    () =>
      new ModelCache("bad-cache", { namespace: "llm", accessMode: "ReadWriteSometimes" as never }),
  ]) {
    try {
      build();
    } catch (e) {
      invalid.push(e);
    }
  }
  await rec.settle();
});

const find = (type: string, name: string) =>
  rec.resources.find((r) => r.type === type && r.name === name) as RecordedResource;

describe("HuggingFaceToken under mocks", () => {
  it("creates one Secret, a child of the component, with an explicit name", () => {
    const comp = find("llm-serving:index:HuggingFaceToken", "hf");
    const secret = find("kubernetes:core/v1:Secret", "hf");
    expect(secret.parent).toBe(comp.urn);
    expect(secret.inputs.metadata).toMatchObject({ name: "hf-token", namespace: "llm" });
    expectValidManifest(unwrapSecrets(secret.inputs));
  });

  it("keeps the token a secret in the Secret's inputs, marks data/stringData secret outputs", () => {
    for (const name of ["hf", "hf-plain"]) {
      const secret = find("kubernetes:core/v1:Secret", name);
      const stringData = secret.inputs.stringData as Record<string, unknown>;
      const [entry] = Object.values(stringData);
      expect(isSecretValue(entry) || isSecretValue(stringData)).toBe(true);
      expect(secret.additionalSecretOutputs).toEqual(
        expect.arrayContaining(["data", "stringData"]),
      );
      // Nowhere in plain form.
      expect(JSON.stringify(unwrapSecrets(secret.inputs, "[secret]"))).not.toContain(TOKEN);
    }
    expect(containsSecret(find("kubernetes:core/v1:Secret", "hf-plain").inputs)).toBe(true);
  });

  it("outputs name and key in plain form, without the token", async () => {
    expect(await outputValue(token.secretName)).toBe("hf-token");
    expect(await outputValue(token.secretKey)).toBe("token");
    expect(await outputValue(plainToken.secretName)).toBe("hf-token-2");
    expect(await outputValue(plainToken.secretKey)).toBe("HF_TOKEN");
    expect(await outputIsSecret(token.secretName)).toBe(false);
    const comp = find("llm-serving:index:HuggingFaceToken", "hf");
    expect(JSON.stringify(comp.inputs)).not.toContain(TOKEN);
  });
});

describe("ModelCache under mocks", () => {
  it("creates one PVC, a child of the component, and outputs its name", async () => {
    const comp = find("llm-serving:index:ModelCache", "cache");
    const pvc = find("kubernetes:core/v1:PersistentVolumeClaim", "cache");
    expect(pvc.parent).toBe(comp.urn);
    expect(pvc.inputs.metadata).toMatchObject({ name: "model-cache", namespace: "llm" });
    expect(pvc.inputs.spec).toEqual({
      accessModes: ["ReadWriteMany"],
      storageClassName: "nfs-client",
      resources: { requests: { storage: "200Gi" } },
    });
    expectValidManifest(pvc.inputs);
    expect(await outputValue(cache.claimName)).toBe("model-cache");
  });
});

describe("bad arguments", () => {
  it("throw ConfigError by path before anything is registered", () => {
    expect(invalid).toHaveLength(2);
    for (const e of invalid) expect(e).toBeInstanceOf(ConfigError);
    expect((invalid[0] as ConfigError).problems.map((p) => p.path)).toEqual(["namespace"]);
    expect((invalid[1] as ConfigError).problems.map((p) => p.path)).toEqual(["accessMode"]);
    expect(rec.resources.slice(countBeforeInvalid)).toEqual([]);
  });
});
