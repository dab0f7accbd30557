/**
 * The architecture facts vLLM's memory use depends on, for the models the stacks and seeds
 * name and the popular open families, and a reader for any Hugging Face `config.json`.
 */
import type { WeightDtype } from "./dtypes";

/** Mixture-of-experts layout. */
export interface MoeArch {
  /** Routed experts per MoE layer (`num_experts`, `num_local_experts`, `n_routed_experts`). */
  experts: number;
  /** Experts each token is routed to (`num_experts_per_tok`). */
  expertsPerToken: number;
  /** Intermediate size of one expert (`moe_intermediate_size`, else `intermediate_size`). */
  expertIntermediateSize: number;
  /** Always-on shared experts (`n_shared_experts`, DeepSeek). */
  sharedExperts: number;
  /** Leading layers with a dense MLP instead (`first_k_dense_replace`, DeepSeek). */
  denseLayers: number;
}

/** Multi-head latent attention (DeepSeek V2/V3/R1): the KV cache holds one latent per token. */
export interface MlaArch {
  /** Rank of the compressed KV latent (`kv_lora_rank`). */
  kvLoraRank: number;
  /** Rank of the compressed query, 0 when queries are not compressed (`q_lora_rank`). */
  qLoraRank: number;
  /** Per-head non-rotary query/key dim (`qk_nope_head_dim`). */
  qkNopeHeadDim: number;
  /** Per-head rotary dim, cached next to the latent (`qk_rope_head_dim`). */
  qkRopeHeadDim: number;
  /** Per-head value dim (`v_head_dim`). */
  vHeadDim: number;
}

/** Sliding-window attention on some layers (Gemma 3, gpt-oss, Mistral v0.1). */
export interface SlidingWindowArch {
  /** Window in tokens (`sliding_window`). */
  window: number;
  /** How many of the layers use the window (the rest attend to the whole context). */
  layers: number;
}

/** Where an entry's numbers come from. */
export interface ModelSource {
  /** GitHub repository holding a copy of the model's `config.json` values. */
  repo: string;
  /** File in that repository. */
  path: string;
  /** What was taken from it, or how the entry relates to it. */
  note?: string;
}

/** One model's architecture, as vLLM's memory use sees it. */
export interface ModelArch {
  /** Hugging Face id. */
  id: string;
  /** `hidden_size`. */
  hiddenSize: number;
  /** `num_hidden_layers`. */
  layers: number;
  /** `num_attention_heads`. */
  attentionHeads: number;
  /** `num_key_value_heads` (= attention heads without GQA). */
  kvHeads: number;
  /** `head_dim` (else hidden / heads). */
  headDim: number;
  /** Dense MLP `intermediate_size` (dense layers of MoE models too). */
  intermediateSize: number;
  /** `vocab_size`. */
  vocabSize: number;
  /** `tie_word_embeddings`: the LM head reuses the embedding. */
  tiedEmbeddings: boolean;
  /** `max_position_embeddings`: vLLM's default `--max-model-len`. */
  maxPositionEmbeddings: number;
  /** Checkpoint precision of the linear layers. */
  dtype: WeightDtype;
  /** Which linear layers the checkpoint quantises: all of them, or only the experts (gpt-oss). */
  quantizedLayers?: "linear" | "experts";
  /** Mixture-of-experts layout, if any. */
  moe?: MoeArch;
  /** Latent attention, if any. */
  mla?: MlaArch;
  /** Sliding-window layers, if any. */
  slidingWindow?: SlidingWindowArch;
  /** Parameters outside the decoder (a multimodal encoder), loaded with the model. */
  extraParams?: number;
  /** Where the numbers come from. */
  source: ModelSource;
}

const LLM_PROF: Omit<ModelSource, "note"> = {
  repo: "citsjtu2020/LLM-Prof",
  path: "sglang/Model_Config.md",
};
const OUMI_LLAMA: Omit<ModelSource, "note"> = {
  repo: "vulkomilev/oumi",
  path: "configs/recipes/llama3_1/README.md",
};
// Entries below whose config was not re-read this session name the Hub file itself.
const hub = (id: string, note: string): ModelSource => ({
  repo: `huggingface.co/${id}`,
  path: "config.json",
  note,
});

type Dense = Omit<ModelArch, "id" | "source" | "dtype"> & { dtype?: WeightDtype };
const llama8b: Dense = {
  hiddenSize: 4096,
  layers: 32,
  attentionHeads: 32,
  kvHeads: 8,
  headDim: 128,
  intermediateSize: 14336,
  vocabSize: 128256,
  tiedEmbeddings: false,
  maxPositionEmbeddings: 131072,
};
const llama70b: Dense = {
  hiddenSize: 8192,
  layers: 80,
  attentionHeads: 64,
  kvHeads: 8,
  headDim: 128,
  intermediateSize: 28672,
  vocabSize: 128256,
  tiedEmbeddings: false,
  maxPositionEmbeddings: 131072,
};
const qwen25_14b: Dense = {
  hiddenSize: 5120,
  layers: 48,
  attentionHeads: 40,
  kvHeads: 8,
  headDim: 128,
  intermediateSize: 13824,
  vocabSize: 152064,
  tiedEmbeddings: false,
  maxPositionEmbeddings: 131072,
};
const qwen25_32b: Dense = { ...qwen25_14b, layers: 64, intermediateSize: 27648 };
const qwen3 = (
  hiddenSize: number,
  layers: number,
  attentionHeads: number,
  intermediateSize: number,
  tiedEmbeddings: boolean,
): Dense => ({
  hiddenSize,
  layers,
  attentionHeads,
  kvHeads: 8,
  headDim: 128,
  intermediateSize,
  vocabSize: 151936,
  tiedEmbeddings,
  maxPositionEmbeddings: 40960,
});
const deepseekV3: Dense = {
  hiddenSize: 7168,
  layers: 61,
  attentionHeads: 128,
  kvHeads: 128,
  headDim: 192,
  intermediateSize: 18432,
  vocabSize: 129280,
  tiedEmbeddings: false,
  maxPositionEmbeddings: 163840,
  dtype: "fp8",
  moe: {
    experts: 256,
    expertsPerToken: 8,
    expertIntermediateSize: 2048,
    sharedExperts: 1,
    denseLayers: 3,
  },
  mla: { kvLoraRank: 512, qLoraRank: 1536, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128 },
};
const gptOss = (layers: number, experts: number): Dense => ({
  hiddenSize: 2880,
  layers,
  attentionHeads: 64,
  kvHeads: 8,
  headDim: 64,
  intermediateSize: 2880,
  vocabSize: 201088,
  tiedEmbeddings: false,
  maxPositionEmbeddings: 131072,
  dtype: "mxfp4",
  quantizedLayers: "experts",
  moe: {
    experts,
    expertsPerToken: 4,
    expertIntermediateSize: 2880,
    sharedExperts: 0,
    denseLayers: 0,
  },
  // Even layers slide over 128 tokens, odd layers attend to everything.
  slidingWindow: { window: 128, layers: layers / 2 },
});
// Gemma 3: five sliding (local) layers to every global one (`sliding_window_pattern` 6).
const gemma3 = (
  d: Omit<Dense, "tiedEmbeddings" | "slidingWindow">,
  window: number,
  extraParams = 0,
): Dense => ({
  ...d,
  tiedEmbeddings: true,
  slidingWindow: { window, layers: d.layers - Math.floor(d.layers / 6) },
  ...(extraParams ? { extraParams } : {}),
});

const entry = (id: string, d: Dense, source: ModelSource): ModelArch => ({
  id,
  ...d,
  dtype: d.dtype ?? "bf16",
  source,
});

/** Every catalog model, by Hugging Face id. */
export const modelCatalog: readonly ModelArch[] = [
  entry("meta-llama/Llama-3.1-8B-Instruct", llama8b, { ...LLM_PROF, note: "Llama-3.1-8B" }),
  entry(
    "meta-llama/Llama-3.2-3B-Instruct",
    {
      ...llama8b,
      hiddenSize: 3072,
      layers: 28,
      attentionHeads: 24,
      intermediateSize: 8192,
      tiedEmbeddings: true,
    },
    { ...LLM_PROF, note: "Llama-3.2-3B" },
  ),
  entry("meta-llama/Llama-3.1-70B-Instruct", llama70b, { ...OUMI_LLAMA, note: "70B model info" }),
  entry("meta-llama/Llama-3.3-70B-Instruct", llama70b, {
    ...OUMI_LLAMA,
    note: "Llama 3.3 70B shares the Llama 3.1 70B architecture",
  }),
  entry(
    "meta-llama/Llama-3.1-405B-Instruct",
    { ...llama70b, hiddenSize: 16384, layers: 126, attentionHeads: 128, intermediateSize: 53248 },
    { ...OUMI_LLAMA, note: "405B model info" },
  ),
  entry("Qwen/Qwen3-4B", qwen3(2560, 36, 32, 9728, true), { ...LLM_PROF, note: "Qwen3-4B" }),
  entry("Qwen/Qwen3-8B", qwen3(4096, 36, 32, 12288, false), { ...LLM_PROF, note: "Qwen3-8B" }),
  entry("Qwen/Qwen3-14B", qwen3(5120, 40, 40, 17408, false), { ...LLM_PROF, note: "Qwen3-14B" }),
  entry("Qwen/Qwen3-32B", qwen3(5120, 64, 64, 25600, false), { ...LLM_PROF, note: "Qwen3-32B" }),
  entry(
    "Qwen/Qwen3-30B-A3B",
    {
      ...qwen3(2048, 48, 32, 6144, false),
      kvHeads: 4,
      moe: {
        experts: 128,
        expertsPerToken: 8,
        expertIntermediateSize: 768,
        sharedExperts: 0,
        denseLayers: 0,
      },
    },
    { ...LLM_PROF, note: "Qwen3-30B-A3B" },
  ),
  entry(
    "Qwen/Qwen3-235B-A22B",
    {
      ...qwen3(4096, 94, 64, 12288, false),
      kvHeads: 4,
      moe: {
        experts: 128,
        expertsPerToken: 8,
        expertIntermediateSize: 1536,
        sharedExperts: 0,
        denseLayers: 0,
      },
    },
    {
      repo: "zyzshishui/slime",
      path: "scripts/models/qwen3-235B-A22B.sh",
      note: "Megatron arguments from the config: 94 layers, hidden 4096, FFN 12288, 64 heads, 4 query groups of 128, vocab 151936 untied, 128 experts of 1536, top-8 (max_position_embeddings 40960 is the Qwen3 family's)",
    },
  ),
  entry("Qwen/Qwen2.5-14B-Instruct", qwen25_14b, { ...LLM_PROF, note: "Qwen2.5-14B" }),
  entry("Qwen/Qwen2.5-32B-Instruct", qwen25_32b, { ...LLM_PROF, note: "Qwen2.5-32B" }),
  entry("deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", qwen25_14b, {
    ...LLM_PROF,
    note: "Qwen2.5-14B: the distill keeps its base model's architecture",
  }),
  entry("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", qwen25_32b, {
    ...LLM_PROF,
    note: "Qwen2.5-32B: the distill keeps its base model's architecture",
  }),
  entry("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", llama8b, {
    ...LLM_PROF,
    note: "Llama-3.1-8B: the distill keeps its base model's architecture",
  }),
  entry("deepseek-ai/DeepSeek-R1-Distill-Llama-70B", llama70b, {
    ...OUMI_LLAMA,
    note: "Llama 3.x 70B: the distill keeps its base model's architecture",
  }),
  entry("deepseek-ai/DeepSeek-R1", deepseekV3, {
    repo: "tenstorrent/tt-metal",
    path: "models/demos/deepseek_v3/reference/README_WEIGHTS.md",
    note: "DeepseekV3 layout (61 layers, 671B, FP8 quantization_config); MLA ranks 512/1536 and 256 routed experts as Shahip2016/Deepseek-v3 README.md lists them; R1 shares V3's config",
  }),
  entry("deepseek-ai/DeepSeek-V3", deepseekV3, {
    repo: "tenstorrent/tt-metal",
    path: "models/demos/deepseek_v3/reference/README_WEIGHTS.md",
    note: "61 layers, 671B total, FP8; MLA ranks 512 (KV) and 1536 (Q), 256 routed experts (Shahip2016/Deepseek-v3 README.md)",
  }),
  entry(
    "google/gemma-3-1b-it",
    gemma3(
      {
        hiddenSize: 1152,
        layers: 26,
        attentionHeads: 4,
        kvHeads: 1,
        headDim: 256,
        intermediateSize: 6912,
        vocabSize: 262144,
        maxPositionEmbeddings: 32768,
      },
      512,
    ),
    hub("google/gemma-3-1b-it", "text-only Gemma 3; not re-read here"),
  ),
  entry(
    "google/gemma-3-27b-it",
    gemma3(
      {
        hiddenSize: 5376,
        layers: 62,
        attentionHeads: 32,
        kvHeads: 16,
        headDim: 128,
        intermediateSize: 21504,
        vocabSize: 262208,
        maxPositionEmbeddings: 131072,
      },
      1024,
      // The SigLIP vision tower and projector load with the language model.
      4.2e8,
    ),
    hub("google/gemma-3-27b-it", "text_config of the multimodal config; not re-read here"),
  ),
  entry(
    "mistralai/Mistral-7B-Instruct-v0.3",
    { ...llama8b, vocabSize: 32768, maxPositionEmbeddings: 32768 },
    {
      repo: "edadaltocg/mistral-src-finetune",
      path: "finetune/config.py",
      note: "Mistral 7B dims (4096 hidden, 32 layers, 32 heads, 8 KV heads of 128, 14336 FFN); v0.3 extends the vocabulary to 32,768 (Noibisjunior/writetech-accelerator-portfolio-AbdulSalaam docs/ai-documentation/model_card.md)",
    },
  ),
  entry(
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    {
      ...llama8b,
      vocabSize: 32000,
      maxPositionEmbeddings: 32768,
      moe: {
        experts: 8,
        expertsPerToken: 2,
        expertIntermediateSize: 14336,
        sharedExperts: 0,
        denseLayers: 0,
      },
    },
    {
      repo: "keras-team/keras-hub",
      path: "keras_hub/src/models/mixtral/README.md",
      note: "module dump of MixtralForCausalLM: vocab 32000, 32 layers, hidden 4096, K/V projections 1024 (8 heads of 128), 8 experts with w1 4096→14336",
    },
  ),
  entry("openai/gpt-oss-20b", gptOss(24, 32), {
    repo: "EchoCog/gpt-oss-20b",
    path: "docs/gpt-oss-20b-architecture.md",
    note: "summary of the repository's config.json",
  }),
  entry(
    "openai/gpt-oss-120b",
    gptOss(36, 128),
    hub(
      "openai/gpt-oss-120b",
      "gpt-oss-20b layout with 36 layers and 128 experts; not re-read here",
    ),
  ),
];

/** The catalog entry of a model id (case-insensitive; a `:revision` suffix is ignored), or undefined. */
export function modelById(id: string): ModelArch | undefined {
  const want = id.toLowerCase();
  return modelCatalog.find((m) => m.id.toLowerCase() === want);
}

/** A problem reading a `config.json`. */
export class ModelConfigError extends Error {}

const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;

/**
 * Reads a Hugging Face `config.json` (already parsed) into a {@link ModelArch}. Multimodal
 * configs are read through their `text_config`. Quantised checkpoints are recognised by
 * `quantization_config.quant_method` (fp8, awq, gptq, mxfp4, compressed-tensors with 8 or 4
 * bits) and `torch_dtype`/`dtype`.
 * @throws ModelConfigError naming the missing field.
 */
export function modelFromHfConfig(id: string, raw: unknown): ModelArch {
  if (typeof raw !== "object" || raw === null) throw new ModelConfigError("not a JSON object");
  const top = raw as Record<string, unknown>;
  const c = (
    typeof top.text_config === "object" && top.text_config !== null
      ? { ...top, ...(top.text_config as Record<string, unknown>) }
      : top
  ) as Record<string, unknown>;
  const need = (key: string): number => {
    const v = num(c[key]);
    if (v === undefined) throw new ModelConfigError(`config.json has no numeric "${key}"`);
    return v;
  };
  const hiddenSize = need("hidden_size");
  const layers = need("num_hidden_layers");
  const attentionHeads = need("num_attention_heads");
  const kvHeads = num(c.num_key_value_heads) ?? attentionHeads;
  const experts = num(c.num_experts) ?? num(c.num_local_experts) ?? num(c.n_routed_experts) ?? 0;
  const intermediateSize = need("intermediate_size");
  const moe: MoeArch | undefined =
    experts > 1
      ? {
          experts,
          expertsPerToken: num(c.num_experts_per_tok) ?? num(c.experts_per_token) ?? 1,
          expertIntermediateSize: num(c.moe_intermediate_size) ?? intermediateSize,
          sharedExperts: num(c.n_shared_experts) ?? 0,
          denseLayers: num(c.first_k_dense_replace) ?? 0,
        }
      : undefined;
  const kvLoraRank = num(c.kv_lora_rank);
  const mla: MlaArch | undefined = kvLoraRank
    ? {
        kvLoraRank,
        qLoraRank: num(c.q_lora_rank) ?? 0,
        qkNopeHeadDim: num(c.qk_nope_head_dim) ?? 128,
        qkRopeHeadDim: num(c.qk_rope_head_dim) ?? 64,
        vHeadDim: num(c.v_head_dim) ?? 128,
      }
    : undefined;
  const window = num(c.sliding_window);
  const layerTypes = Array.isArray(c.layer_types) ? (c.layer_types as unknown[]) : undefined;
  let slidingLayers = 0;
  if (window && c.use_sliding_window !== false) {
    if (layerTypes) slidingLayers = layerTypes.filter((t) => t === "sliding_attention").length;
    else if (num(c.sliding_window_pattern))
      slidingLayers = layers - Math.floor(layers / (num(c.sliding_window_pattern) as number));
    else slidingLayers = layers;
  }
  const q = (top.quantization_config ?? c.quantization_config) as
    | Record<string, unknown>
    | undefined;
  let dtype: WeightDtype =
    String(c.torch_dtype ?? c.dtype ?? "bfloat16") === "float16" ? "fp16" : "bf16";
  let quantizedLayers: ModelArch["quantizedLayers"];
  if (q) {
    const method = String(q.quant_method ?? "").toLowerCase();
    const bits = num(q.bits) ?? num(q.w_bit);
    if (method === "fp8" || method === "fbgemm_fp8") dtype = "fp8";
    else if (method === "mxfp4") {
      dtype = "mxfp4";
      quantizedLayers = "experts";
    } else if (method === "awq" || method === "gptq" || bits === 4) dtype = "int4";
    else if (bits === 8 || method === "compressed-tensors") dtype = "int8";
  }
  return {
    id,
    hiddenSize,
    layers,
    attentionHeads,
    kvHeads,
    headDim: num(c.head_dim) ?? hiddenSize / attentionHeads,
    intermediateSize,
    vocabSize: need("vocab_size"),
    tiedEmbeddings: c.tie_word_embeddings === true,
    maxPositionEmbeddings: num(c.max_position_embeddings) ?? 4096,
    dtype,
    ...(quantizedLayers ? { quantizedLayers } : {}),
    ...(moe ? { moe } : {}),
    ...(mla ? { mla } : {}),
    ...(slidingLayers && window ? { slidingWindow: { window, layers: slidingLayers } } : {}),
    source: { repo: "local", path: "config.json", note: "read from the given file" },
  };
}
