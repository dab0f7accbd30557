/**
 * The home lab's engine switch (`servingRuntime: nim`): only where NVIDIA publishes a DGX
 * Spark (arm64/GB10) NIM for the model, with a pinned tag, on one Spark; the rendered server
 * validates upstream and passes the policy pack.
 */
import { describe, expect, it } from "vitest";
import { DGX_SPARK_NIMS } from "../../components/vllm/nim";
import { vllmServerPlan } from "../../components/vllm/plan";
import { evaluateManifests } from "../../policy/engine";
import { homelabModelCache, homelabServer } from "../../stacks/homelab";
import { homelabSettings } from "../../stacks/homelab-settings";
import { expectValidManifest } from "../support/k8s-schema";
import { problems, raw } from "../support/stack-config";
import { objectsOf } from "../vllm/fixtures";
import { MINIMAL_LAB } from "./lab-config";

const lab = {
  ...MINIMAL_LAB,
  model: "Qwen/Qwen3-32B",
  modelCachePath: "/srv/llm-serving/hf-cache",
};
const QWEN_SPARK = "nvcr.io/nim/qwen/qwen3-32b-dgx-spark";

describe("servingRuntime nim in the home lab", () => {
  it("stays vLLM by default", () => {
    expect(homelabSettings(raw(lab)).runtime).toBe("vllm");
  });

  it("refuses a model NVIDIA publishes no DGX Spark NIM for, naming the ones it does", () => {
    const p = problems(() =>
      homelabSettings(raw({ ...lab, model: "google/gemma-3-27b-it", servingRuntime: "nim" })),
    );
    expect(p.servingRuntime).toMatch(/no DGX Spark \(arm64\/GB10\) NIM for google\/gemma-3-27b-it/);
    for (const model of Object.keys(DGX_SPARK_NIMS)) expect(p.servingRuntime).toContain(model);
  });

  it("needs nimImage pinned to the model's DGX Spark NIM", () => {
    for (const nimImage of ["", "nvcr.io/nim/meta/llama-3.1-8b-instruct:2.0.12"]) {
      const p = problems(() => homelabSettings(raw({ ...lab, servingRuntime: "nim", nimImage })));
      expect(p.nimImage).toContain(`${QWEN_SPARK}:<tag>`);
    }
  });

  it("renders one NIM pod on one Spark with the cache, valid upstream and policy-clean", () => {
    const s = homelabSettings(
      raw({ ...lab, servingRuntime: "nim", nimImage: `${QWEN_SPARK}:1.0.0`, gpuType: "gb10" }),
    );
    const args = homelabServer(s, homelabModelCache(s));
    expect(args).toMatchObject({ runtime: "nim", image: `${QWEN_SPARK}:1.0.0` });
    expect(args.apiKeySecret).toBeUndefined();
    const plan = vllmServerPlan(args, "vllm");
    expect(plan.deployment?.spec?.template.spec?.containers[0]?.resources?.limits).toMatchObject({
      "nvidia.com/gpu": "1",
    });
    expect(plan.config.modelCache.mountPath).toBe("/opt/nim/.cache");
    expect(plan.config.modelCache.volume.nfs).toEqual({
      server: "10.0.0.10",
      path: "/srv/llm-serving/hf-cache",
    });
    const objects = objectsOf(plan);
    for (const o of objects) expectValidManifest(o);
    const found = evaluateManifests(
      objects.map((object, i) => ({ object: object as never, id: `${i}` })),
    );
    expect(found).toEqual([]);
  });
});
