import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  estimate,
  GiB,
  gpuByName,
  kvBytesPerTokenPerLayer,
  kvCacheGroups,
  layersPerStage,
  type ModelArch,
  modelById,
  modelCatalog,
  paramCounts,
} from "../../components/planner";

const model = (id: string): ModelArch => {
  const m = modelById(id);
  if (!m) throw new Error(id);
  return m;
};
const h100 = gpuByName("h100-80gb");
if (!h100) throw new Error("h100");

describe("parameter counts", () => {
  // Published sizes (model cards / names), in billions.
  const published: [string, number][] = [
    ["meta-llama/Llama-3.1-8B-Instruct", 8.03],
    ["meta-llama/Llama-3.1-70B-Instruct", 70.6],
    ["meta-llama/Llama-3.1-405B-Instruct", 405.9],
    ["Qwen/Qwen3-32B", 32.8],
    ["Qwen/Qwen3-30B-A3B", 30.5],
    ["Qwen/Qwen3-235B-A22B", 235.1],
    ["deepseek-ai/DeepSeek-R1", 671],
    ["mistralai/Mixtral-8x7B-Instruct-v0.1", 46.7],
    ["openai/gpt-oss-120b", 116.8],
    ["openai/gpt-oss-20b", 20.9],
    ["google/gemma-3-27b-it", 27.4],
  ];
  for (const [id, billions] of published) {
    it(`${id} ≈ ${billions}B`, () => {
      const total = paramCounts(model(id)).total / 1e9;
      expect(Math.abs(total - billions) / billions).toBeLessThan(0.02);
    });
  }
  it("every catalog entry names its source", () => {
    for (const m of modelCatalog) {
      expect(m.source.repo).not.toBe("");
      expect(m.source.path).toMatch(/\S/);
    }
  });
});

describe("how vLLM splits the model", () => {
  it("gives the remainder layers to the stages before the last", () => {
    expect(layersPerStage(126, 2)).toEqual([63, 63]);
    expect(layersPerStage(61, 2)).toEqual([31, 30]);
    expect(layersPerStage(10, 4)).toEqual([2, 3, 3, 2]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 16 }), (l, p) => {
        fc.pre(p <= l);
        const parts = layersPerStage(l, p);
        return (
          parts.reduce((a, b) => a + b, 0) === l && Math.max(...parts) - Math.min(...parts) <= 1
        );
      }),
    );
  });

  it("shards KV heads over TP and replicates them past the head count", () => {
    const llama = model("meta-llama/Llama-3.1-8B-Instruct"); // 8 KV heads of 128
    expect(kvBytesPerTokenPerLayer(llama, 1, "auto")).toBe(2 * 8 * 128 * 2);
    expect(kvBytesPerTokenPerLayer(llama, 8, "auto")).toBe(2 * 1 * 128 * 2);
    expect(kvBytesPerTokenPerLayer(llama, 16, "auto")).toBe(2 * 1 * 128 * 2);
    expect(kvBytesPerTokenPerLayer(llama, 1, "fp8")).toBe(2 * 8 * 128);
  });

  it("caches one MLA latent per token, the same on every TP rank", () => {
    const r1 = model("deepseek-ai/DeepSeek-R1");
    expect(kvBytesPerTokenPerLayer(r1, 1, "auto")).toBe((512 + 64) * 2);
    expect(kvBytesPerTokenPerLayer(r1, 8, "auto")).toBe((512 + 64) * 2);
  });

  it("charges sliding-window layers only their window per request", () => {
    const gemma = model("google/gemma-3-27b-it");
    const h200 = gpuByName("h200");
    if (!h200) throw new Error("h200");
    const e = estimate({ model: gemma, gpu: h200, tensor: 2, pipeline: 1 });
    const s = e.stages[0];
    // 52 of 62 layers slide over 1,024 tokens: a request costs far less than 62 full layers.
    expect(s.kvBytesPerRequest).toBeLessThan(s.kvBytesPerToken * e.maxModelLen * 0.3);
    expect(e.kvTokens).toBeGreaterThan(Math.floor(s.kvBytes / s.kvBytesPerToken));
  });

  it("groups hybrid layers as vLLM's KV-cache manager does, padding the last group", () => {
    // Gemma 3 27B: 10 full + 52 sliding → groups of 10: one full, six sliding (8 padding layers).
    expect(kvCacheGroups(10, 52)).toEqual({ size: 10, full: 1, sliding: 6 });
    // gpt-oss: 18 + 18 → one group of each.
    expect(kvCacheGroups(18, 18)).toEqual({ size: 18, full: 1, sliding: 1 });
    // Under 1.5× apart the larger count is the size (vLLM's gpt-oss-20b + EAGLE example).
    expect(kvCacheGroups(13, 12)).toEqual({ size: 13, full: 1, sliding: 1 });
    expect(kvCacheGroups(80, 0)).toEqual({ size: 80, full: 1, sliding: 0 });
    const gemma = model("google/gemma-3-27b-it");
    const h200 = gpuByName("h200");
    if (!h200) throw new Error("h200");
    const e = estimate({ model: gemma, gpu: h200, tensor: 1, pipeline: 1 });
    const s = e.stages[0];
    // 131,072 tokens: 8,192 full blocks + 6 sliding groups × (1,023 + 8,192 tokens → 577 blocks).
    expect(s.kvBlocksPerRequest).toBe(8192 + 6 * 577);
    expect(e.kvTokens).toBe(Math.floor((s.kvBlocks / s.kvBlocksPerRequest) * 131072));
  });

  it("charges NCCL's NVLS buffers above TP 2 on NVSwitch GPUs only", () => {
    const m = model("Qwen/Qwen3-235B-A22B");
    const at = (tensor: number, ncclNvls?: boolean) =>
      estimate({ model: m, dtype: "fp8", gpu: h100, tensor, pipeline: 1, engine: { ncclNvls } })
        .stages[0].nonTorchBytes;
    // Two communicators × 288 MiB × 4 ranks on top of the ordinary 0.4 GiB.
    expect(at(4) - at(4, false)).toBe(2 * 288 * 1024 ** 2 * 4);
    expect(at(2)).toBe(at(2, false));
    const l40s = gpuByName("l40s");
    if (!l40s) throw new Error("l40s");
    expect(l40s.nvls).toBeUndefined();
  });

  it("lays MXFP4 experts out as the kernel vLLM picks does", () => {
    const oss = model("openai/gpt-oss-120b");
    const w = (mxfp4Backend: "triton" | "marlin") =>
      estimate({ model: oss, gpu: h100, tensor: 1, pipeline: 1, engine: { mxfp4Backend } })
        .weightBytesPerGpu / GiB;
    // vllm-project/vllm#33155 (Triton): 64.38 GiB; #23278 (Marlin): 65.97 GiB.
    expect(Math.abs(w("triton") - 64.38) / 64.38).toBeLessThan(0.005);
    expect(Math.abs(w("marlin") - 65.97) / 65.97).toBeLessThan(0.005);
    expect(gpuByName("a100-80gb")?.mxfp4Backend).toBe("marlin");
  });

  it("takes the larger of the forward and the sampler warm-up, not their sum", () => {
    const m = model("Qwen/Qwen3-32B");
    const e = estimate({ model: m, gpu: h100, tensor: 1, pipeline: 1 });
    const s = e.stages[0];
    const budget = h100.totalGiB * GiB * e.gpuMemoryUtilization;
    const overhead = budget - s.weightBytes - s.kvBytes - s.nonTorchBytes - s.cudaGraphBytes;
    expect(overhead).toBeLessThan(s.activationBytes + s.samplerBytes);
    expect(overhead).toBeGreaterThanOrEqual(Math.max(s.activationBytes, s.samplerBytes));
  });

  it("keeps embeddings and LM head in 16 bits when quantising", () => {
    const m = model("meta-llama/Llama-3.1-70B-Instruct");
    const bf16 = estimate({ model: m, gpu: h100, tensor: 8, pipeline: 1 });
    const int4 = estimate({ model: m, dtype: "int4", gpu: h100, tensor: 8, pipeline: 1 });
    const embedding = (2 * 128256 * 8192 * 2) / 8;
    // int4 linear weights are about a quarter of bf16; the embeddings are not.
    const linearRatio = (int4.weightBytesPerGpu - embedding) / (bf16.weightBytesPerGpu - embedding);
    expect(linearRatio).toBeGreaterThan(0.25);
    expect(linearRatio).toBeLessThan(0.27);
  });

  it("puts the embedding on the first stage and the LM head on the last", () => {
    const m = model("meta-llama/Llama-3.1-405B-Instruct");
    const e = estimate({ model: m, gpu: h100, tensor: 8, pipeline: 2 });
    expect(e.stages[0].samplerBytes).toBe(0);
    expect(e.stages[1].samplerBytes).toBeGreaterThan(0);
    expect(Math.abs(e.stages[0].weightBytes - e.stages[1].weightBytes)).toBeLessThan(0.01 * GiB);
  });

  it("never gives a GPU more weights when TP or PP grows", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...modelCatalog),
        fc.constantFrom(1, 2, 4),
        fc.constantFrom(1, 2),
        (m, tp, pp) => {
          const a = estimate({ model: m, gpu: h100, tensor: tp, pipeline: pp });
          const b = estimate({ model: m, gpu: h100, tensor: tp * 2, pipeline: pp });
          const c = estimate({ model: m, gpu: h100, tensor: tp, pipeline: pp * 2 });
          return (
            b.weightBytesPerGpu <= a.weightBytesPerGpu + 1 &&
            c.weightBytesPerGpu <= a.weightBytesPerGpu + 1
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("holds fewer KV tokens at a lower utilization", () => {
    const m = model("Qwen/Qwen3-32B");
    const hi = estimate({
      model: m,
      gpu: h100,
      tensor: 2,
      pipeline: 1,
      engine: { gpuMemoryUtilization: 0.9 },
    });
    const lo = estimate({
      model: m,
      gpu: h100,
      tensor: 2,
      pipeline: 1,
      engine: { gpuMemoryUtilization: 0.8 },
    });
    expect(lo.kvTokens).toBeLessThan(hi.kvTokens);
    expect(hi.kvBytesPerGpu - lo.kvBytesPerGpu).toBeCloseTo(0.1 * h100.totalGiB * GiB, -3);
  });
});
