import { describe, expect, it } from "vitest";
import { checkServerMemory, ModelConfigError, modelFromHfConfig } from "../../components/planner";
import { ConfigError } from "../../components/validation";
import { vllmServerPlan } from "../../components/vllm/plan";

const base = {
  model: { id: "meta-llama/Llama-3.1-70B-Instruct" },
  gpuType: "h100-80gb",
  tokenSecret: { name: "hf" },
};

describe("the planner at config time", () => {
  it("fails a shape that cannot hold the weights, naming the key and the fix", () => {
    let err: unknown;
    try {
      vllmServerPlan({ ...base, parallelism: { tensor: 1 } }, "chat", "models[0]");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const p = (err as ConfigError).problems;
    expect(p).toHaveLength(1);
    expect(p[0].path).toBe("models[0].parallelism.tensor");
    expect(p[0].message).toMatch(/needs ≥ \d+ h100-80gb .*set parallelism\.tensor to \d+/);
  });

  it("fails a KV cache smaller than maxModelLen, naming engine.maxModelLen", () => {
    const c = checkServerMemory({
      modelId: "meta-llama/Llama-3.1-8B-Instruct",
      gpuType: "l4",
      parallelism: { tensor: 1, pipeline: 1, nodes: 1, gpusPerNode: 1 },
      engine: { maxModelLen: 131072 },
    });
    expect(c.problems.map((p) => p.path)).toEqual(["engine.maxModelLen"]);
    expect(c.problems[0].message).toMatch(/at most \d+/);
  });

  it("warns about a thin KV cache and annotates the workload with the estimate", () => {
    const c = checkServerMemory({
      modelId: "meta-llama/Llama-3.1-70B-Instruct",
      gpuType: "h100-80gb",
      parallelism: { tensor: 2, pipeline: 1, nodes: 1, gpusPerNode: 2 },
      engine: { maxModelLen: 16384, gpuMemoryUtilization: 0.95 },
    });
    expect(c.problems).toEqual([]);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/requests of 16384 tokens/);
    const plan = vllmServerPlan({ ...base, parallelism: { tensor: 4 } }, "chat");
    expect(plan.warnings).toEqual([]);
    expect(plan.deployment?.metadata?.annotations).toMatchObject({
      "llm-serving.dev/gpu-type": "h100-80gb",
      "llm-serving.dev/memory-estimate": expect.stringMatching(
        /^TP 4 × PP 1: weights 32\.9 GiB\/GPU/,
      ),
    });
  });

  it("rejects vLLM's default utilization on a GB10 (unified memory)", () => {
    expect(() =>
      vllmServerPlan(
        { model: { id: "Qwen/Qwen3-8B" }, gpuType: "gb10", engine: { gpuMemoryUtilization: 0.9 } },
        "chat",
      ),
    ).toThrow(/engine\.gpuMemoryUtilization: .*set it to 0\.83 or less/);
  });

  it("rejects an unknown GPU type and skips unknown models", () => {
    expect(() => vllmServerPlan({ model: { id: "a/b" }, gpuType: "h300" }, "chat")).toThrow(
      /gpuType: must be one of h200/,
    );
    expect(vllmServerPlan({ model: { id: "a/b" }, gpuType: "l4" }, "chat").memory).toBeUndefined();
  });
});

describe("config.json reader", () => {
  it("reads MoE, MLA, sliding windows and quantisation", () => {
    const m = modelFromHfConfig("x/y", {
      text_config: {
        hidden_size: 7168,
        num_hidden_layers: 61,
        num_attention_heads: 128,
        intermediate_size: 18432,
        moe_intermediate_size: 2048,
        n_routed_experts: 256,
        n_shared_experts: 1,
        first_k_dense_replace: 3,
        num_experts_per_tok: 8,
        kv_lora_rank: 512,
        q_lora_rank: 1536,
        qk_rope_head_dim: 64,
        vocab_size: 129280,
        sliding_window: 4096,
        layer_types: ["sliding_attention", "full_attention"],
      },
      quantization_config: { quant_method: "fp8" },
    });
    expect(m.moe).toMatchObject({ experts: 256, sharedExperts: 1, denseLayers: 3 });
    expect(m.mla?.kvLoraRank).toBe(512);
    expect(m.slidingWindow).toEqual({ window: 4096, layers: 1 });
    expect(m.dtype).toBe("fp8");
    expect(() => modelFromHfConfig("x/y", { hidden_size: 1 })).toThrow(ModelConfigError);
  });
});
