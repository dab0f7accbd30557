import { describe, expect, it } from "vitest";
import { modelCacheMount } from "../../components/model/cache";
import { modelCacheClaim } from "../../components/model/claim";
import { hfTokenSecret } from "../../components/model/token";
import { ConfigError } from "../../components/validation";
import { expectValidManifest, validateManifest } from "../support/k8s-schema";

function problemPaths(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => p.path).sort();
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("hfTokenSecret", () => {
  it("defaults to hf-token / token, Opaque, token in stringData", () => {
    const s = hfTokenSecret({ namespace: "llm" }, "hf_abc");
    expect(s.name).toBe("hf-token");
    expect(s.key).toBe("token");
    expect(s.manifest).toMatchObject({
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: { name: "hf-token", namespace: "llm" },
      stringData: { token: "hf_abc" },
    });
    expect(s.manifest).not.toHaveProperty("data");
    expectValidManifest(s.manifest);
  });

  it("honours an explicit name and key", () => {
    const s = hfTokenSecret({ namespace: "llm", name: "hugging-face", key: "HF_TOKEN" }, "x");
    expect(s.manifest.metadata?.name).toBe("hugging-face");
    expect(s.manifest.stringData).toEqual({ HF_TOKEN: "x" });
    expectValidManifest(s.manifest);
  });

  it("rejects bad names and keys by path", () => {
    expect(
      problemPaths(() =>
        hfTokenSecret({ namespace: "LLM", name: "HF Token", key: "a/b" }, "x", "hfToken"),
      ),
    ).toEqual(["hfToken.key", "hfToken.name", "hfToken.namespace"]);
  });
});

describe("modelCacheClaim", () => {
  it("defaults: model-cache, ReadWriteMany, 200Gi, cluster default class", () => {
    const pvc = modelCacheClaim({ namespace: "llm" });
    expect(pvc.metadata).toMatchObject({ name: "model-cache", namespace: "llm" });
    expect(pvc.spec).toEqual({
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "200Gi" } },
    });
    expectValidManifest(pvc);
  });

  it("sets storage class (including '' for a pre-created PV), size and access mode", () => {
    const pvc = modelCacheClaim({
      namespace: "llm",
      name: "hf-cache",
      storageClassName: "",
      size: "1Ti",
      accessMode: "ReadWriteOnce",
    });
    expect(pvc.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      storageClassName: "",
      resources: { requests: { storage: "1Ti" } },
    });
    expectValidManifest(pvc);
  });

  it("rejects bad size, access mode and names by path", () => {
    expect(
      problemPaths(() =>
        modelCacheClaim(
          { namespace: "llm", name: "Cache", size: "200GB", accessMode: "RWX" },
          "modelCache",
        ),
      ),
    ).toEqual(["modelCache.accessMode", "modelCache.name", "modelCache.size"]);
  });

  it("plugs into modelCacheMount, and the pod volume is a valid core volume", () => {
    const pvc = modelCacheClaim({ namespace: "llm" });
    const { volume } = modelCacheMount({ claimName: pvc.metadata?.name });
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "probe" },
      spec: {
        containers: [
          {
            name: "c",
            image: "busybox:1.36",
            volumeMounts: [{ name: volume.name, mountPath: "/cache" }],
          },
        ],
        volumes: [volume],
      },
    };
    expect(validateManifest(pod)).toEqual([]);
  });
});
