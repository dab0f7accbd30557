/**
 * The memory estimate vLLM makes at startup, done offline: weights per GPU under TP × PP,
 * the non-KV overhead its profiling run measures, and what is left for the KV cache at a
 * given `--gpu-memory-utilization`, in bytes and in tokens.
 *
 * vLLM (v1 engine, `gpu_worker.determine_available_memory`) computes
 *   KV memory = total × utilization − (weights + peak activation + non-torch memory [+ CUDA graphs])
 * per worker, divides it into 16-token blocks of every layer's K and V, takes the smallest
 * block count over all workers, and logs "GPU KV cache size: N tokens" and "Maximum
 * concurrency for L tokens per request: Cx". This module mirrors each term.
 */
import { bytesPerParam, type KvCacheDtype, kvBytesPerElement, type WeightDtype } from "./dtypes";
import type { GpuSpec } from "./gpus";
import type { ModelArch } from "./models";

/** 2^30: vLLM prints GiB (its older "GB" lines are GiB too). */
export const GiB = 1024 ** 3;

/** vLLM's KV block size in tokens (`--block-size` default on CUDA). */
export const BLOCK_SIZE = 16;

/** vLLM pads the vocabulary of its embedding and LM head to a multiple of 64 (`DEFAULT_VOCAB_PADDING_SIZE`). */
const VOCAB_PADDING = 64;

/**
 * Memory outside torch's allocator that the profiling run adds since the worker started
 * (cuBLAS, NCCL's ordinary buffers): vLLM measures it as CUDA-used minus torch-reserved since
 * vllm-project/vllm#11809 (0.16-0.35 GiB in published logs, e.g. #12126, #13061).
 */
const NON_TORCH_GIB = 0.4;

/**
 * NCCL's NVLink-SHARP buffers, per rank and per rank of a communicator: NCCL turns NVLS on for
 * more than two GPUs on an NVSwitch (Hopper or later) and sizes it `nvlsPerRankSize` 288 MiB ×
 * the communicator's ranks (`nvlsTotalSize 2415919104` at 8 ranks, vllm-project/vllm#9699).
 * vLLM holds two NCCL communicators on the TP group (torch's and PyNccl); #9699 measured
 * ~5,100 fewer KV blocks (≈ 4.9 GiB) at TP 8 with NVLS on, i.e. both carry the buffers.
 */
const NVLS_BYTES_PER_RANK = 288 * 1024 ** 2;
const NVLS_COMMUNICATORS = 2;

/**
 * Bytes per logit element at the peak of the sampler warm-up (`_dummy_sampler_run`, top-k and
 * top-p on, as vLLM's dummy metadata sets them), inside the sort of `apply_top_k_top_p`: the
 * model-dtype logits (2) and their fp32 copy (4) held by the caller, the sorted values (4) and
 * int64 indices (8), and the sort's int64 index input and key/value double buffers (4 + 8 + 8).
 * Two gpt-oss-120b runs that failed on it (vllm-project/vllm#23278, #27508) imply 36.5-37.3.
 */
const SAMPLER_BYTES_PER_LOGIT = 38;

/** CUDA-graph memory: a fixed pool plus a share per captured layer (vLLM logs 0.3-1.5 GiB). */
const CUDA_GRAPH_BASE_BYTES = 0.25 * GiB;
const CUDA_GRAPH_BYTES_PER_LAYER = 0.012 * GiB;

/**
 * How the MXFP4 expert kernels lay out each expert's hidden and per-partition intermediate
 * size (vLLM `mxfp4_round_up_hidden_size_and_intermediate_size`): Marlin (GPUs without FP4
 * compute, or Hopper without the `triton_kernels` package) pads the intermediate size to 128
 * and the hidden size to 256; the Triton path on Hopper stores the swizzled experts at the
 * size of a 256-padded intermediate (64.38 GiB for gpt-oss-120b, vllm-project/vllm#33155);
 * FlashInfer (Blackwell) pads both to 256.
 */
export type Mxfp4Backend = "triton" | "marlin" | "flashinfer";
const MXFP4_PADDING: Record<Mxfp4Backend, { hidden: number; intermediate: number }> = {
  triton: { hidden: 1, intermediate: 256 },
  marlin: { hidden: 256, intermediate: 128 },
  flashinfer: { hidden: 256, intermediate: 256 },
};

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Engine settings the estimate depends on; each unset one takes vLLM's default. */
export interface EngineSettings {
  /** `--max-model-len`. Defaults to the model's `max_position_embeddings`. */
  maxModelLen?: number;
  /** `--gpu-memory-utilization`. Defaults to 0.9. */
  gpuMemoryUtilization?: number;
  /** `--max-num-batched-tokens`. Defaults to vLLM's API-server default for the GPU (8192 large, 2048 otherwise). */
  maxNumBatchedTokens?: number;
  /** `--max-num-seqs`. Defaults to 1024 on large GPUs, 256 otherwise. */
  maxNumSeqs?: number;
  /** `--kv-cache-dtype`. Defaults to `auto` (16-bit). */
  kvCacheDtype?: KvCacheDtype;
  /** `--enforce-eager`: no CUDA graphs. Defaults to false. */
  enforceEager?: boolean;
  /**
   * Whether the profiling run warms up the sampler at `max-num-seqs` (v1 engine, vLLM ≥ 0.8).
   * Defaults to true; published runs of older engines set it false.
   */
  samplerWarmup?: boolean;
  /**
   * Whether the profiling forward computes logits for every batched token (the first V1
   * engine, vLLM 0.7.x) instead of one per request. Defaults to false.
   */
  profileLogitsAllTokens?: boolean;
  /**
   * Non-torch memory the profiler counts, GiB, before NVLS buffers. Defaults to 0.4, what vLLM
   * counts on one GPU since it measures CUDA-used minus torch-reserved (vllm-project/vllm#11809);
   * the first V1 engine counted torch's reserved-but-unallocated memory and the CUDA context
   * too (1.79 GiB on an H100 by that measure, #10511).
   */
  nonTorchGiB?: number;
  /** NCCL NVLink SHARP (`NCCL_NVLS_ENABLE`); defaults to on where the GPU has it (`GpuSpec.nvls`). */
  ncclNvls?: boolean;
  /** MXFP4 expert kernels (gpt-oss); defaults to the GPU's (`GpuSpec.mxfp4Backend`). */
  mxfp4Backend?: Mxfp4Backend;
  /**
   * Whether CUDA-graph memory is profiled and taken out of the KV cache (default since vLLM
   * 0.21). Defaults to true; published runs of older versions set it false.
   */
  cudaGraphProfiled?: boolean;
}

/** What to estimate: a model, its precision, a GPU and a parallel shape. */
export interface EstimateInput {
  /** The model. */
  model: ModelArch;
  /** Weight precision; defaults to the checkpoint's (`model.dtype`). */
  dtype?: WeightDtype;
  /** The GPU type. */
  gpu: GpuSpec;
  /** Tensor-parallel size. */
  tensor: number;
  /** Pipeline-parallel size. */
  pipeline: number;
  /** Engine settings. */
  engine?: EngineSettings;
}

/** One pipeline stage's numbers (every GPU of a stage holds the same). */
export interface StageEstimate {
  /** Decoder layers on the stage. */
  layers: number;
  /** Weight bytes per GPU. */
  weightBytes: number;
  /** Peak activation bytes of the profiling forward pass. */
  activationBytes: number;
  /** Profiling-run logits and sampler warm-up bytes (last stage only). */
  samplerBytes: number;
  /** Non-torch bytes (cuBLAS, NCCL and its NVLS buffers). */
  nonTorchBytes: number;
  /** CUDA-graph bytes taken from the KV budget. */
  cudaGraphBytes: number;
  /** Bytes left for the KV cache (negative: the weights do not fit). */
  kvBytes: number;
  /** KV bytes one token takes on this stage's GPUs, over all its layers. */
  kvBytesPerToken: number;
  /** KV bytes one request of `maxModelLen` tokens takes (sliding layers hold only their window). */
  kvBytesPerRequest: number;
  /** KV blocks that fit (each holds 16 tokens of one group's layers). */
  kvBlocks: number;
  /** Blocks one request of `maxModelLen` tokens holds, over all groups. */
  kvBlocksPerRequest: number;
}

/**
 * How vLLM's hybrid KV-cache manager groups a stage's layers
 * (`_get_kv_cache_groups_uniform_page_size`): every group has the same number of layers so
 * one page size serves all — the smaller type's count, or the larger's when it is under 1.5×
 * the smaller — and each type is split into `ceil(layers / size)` groups, the last padded.
 * The cache is `size` tensors of `num_blocks` pages that every group shares.
 */
export function kvCacheGroups(
  fullLayers: number,
  slidingLayers: number,
): { size: number; full: number; sliding: number } {
  const counts = [fullLayers, slidingLayers].filter((n) => n > 0);
  if (counts.length === 0) return { size: 1, full: 0, sliding: 0 };
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  const size = max < min * 1.5 ? max : min;
  return {
    size,
    full: Math.ceil(fullLayers / size),
    sliding: Math.ceil(slidingLayers / size),
  };
}

/** The estimate vLLM would print, for the binding (smallest-cache) stage. */
export interface Estimate {
  /** Weight precision used. */
  dtype: WeightDtype;
  /** Tensor × pipeline shape. */
  tensor: number;
  /** Pipeline stages. */
  pipeline: number;
  /** Resolved engine settings. */
  maxModelLen: number;
  /** `--gpu-memory-utilization` used. */
  gpuMemoryUtilization: number;
  /** `--max-num-batched-tokens` used. */
  maxNumBatchedTokens: number;
  /** `--max-num-seqs` used. */
  maxNumSeqs: number;
  /** Every stage. */
  stages: StageEstimate[];
  /** Largest weight bytes on one GPU ("Model loading took X GiB"). */
  weightBytesPerGpu: number;
  /** KV bytes per GPU on the binding stage ("Available KV cache memory"). */
  kvBytesPerGpu: number;
  /** KV-cache capacity in tokens ("GPU KV cache size"); 0 when nothing is left. */
  kvTokens: number;
  /** Requests of `maxModelLen` tokens the cache holds at once ("Maximum concurrency"). */
  maxConcurrency: number;
  /** Weights and overhead fit under `utilization × total` on every GPU. */
  weightsFit: boolean;
}

/** Parameter counts by part (whole model, unsharded). */
export interface ParamCounts {
  /** Input embedding. */
  embedding: number;
  /** LM head (0 when tied and unsplit). */
  lmHead: number;
  /** Attention per layer. */
  attentionPerLayer: number;
  /** Dense MLP per dense layer. */
  denseMlpPerLayer: number;
  /** Routed experts per MoE layer. */
  expertsPerLayer: number;
  /** Shared experts + router per MoE layer. */
  sharedPerLayer: number;
  /** Layers with a dense MLP. */
  denseLayers: number;
  /** Multimodal encoder and anything else outside the decoder. */
  extra: number;
  /** Everything. */
  total: number;
}

/** Counts the parameters of `m` from its architecture (norms and biases are below 0.1 % and left out). */
export function paramCounts(m: ModelArch): ParamCounts {
  const h = m.hiddenSize;
  let attention: number;
  if (m.mla) {
    const a = m.mla;
    const qk = a.qkNopeHeadDim + a.qkRopeHeadDim;
    const q = a.qLoraRank
      ? h * a.qLoraRank + a.qLoraRank * m.attentionHeads * qk
      : h * m.attentionHeads * qk;
    attention =
      q +
      h * (a.kvLoraRank + a.qkRopeHeadDim) +
      a.kvLoraRank * m.attentionHeads * (a.qkNopeHeadDim + a.vHeadDim) +
      m.attentionHeads * a.vHeadDim * h;
  } else {
    attention = 2 * h * m.attentionHeads * m.headDim + 2 * h * m.kvHeads * m.headDim;
  }
  const denseMlp = 3 * h * m.intermediateSize;
  const moe = m.moe;
  const experts = moe ? moe.experts * 3 * h * moe.expertIntermediateSize : 0;
  const shared = moe ? moe.sharedExperts * 3 * h * moe.expertIntermediateSize + h * moe.experts : 0;
  const denseLayers = moe ? moe.denseLayers : m.layers;
  const embedding = m.vocabSize * h;
  const lmHead = m.tiedEmbeddings ? 0 : embedding;
  const extra = m.extraParams ?? 0;
  const total =
    embedding +
    lmHead +
    m.layers * attention +
    denseLayers * denseMlp +
    (m.layers - denseLayers) * (experts + shared) +
    extra;
  return {
    embedding,
    lmHead,
    attentionPerLayer: attention,
    denseMlpPerLayer: denseMlp,
    expertsPerLayer: experts,
    sharedPerLayer: shared,
    denseLayers,
    extra,
    total,
  };
}

/**
 * Decoder layers per pipeline stage as vLLM splits them (`get_pp_indices`): an even share
 * each, the remainder one apiece to the stages before the last (which carries the LM head).
 */
export function layersPerStage(layers: number, pipeline: number): number[] {
  const base = Math.floor(layers / pipeline);
  const parts = Array.from({ length: pipeline }, () => base);
  const remaining = layers % pipeline;
  for (let i = 2; i < remaining + 2; i++) parts[(pipeline - i + pipeline) % pipeline] += 1;
  return parts;
}

/** KV-cache bytes one token takes in one layer on one GPU of a TP group. */
export function kvBytesPerTokenPerLayer(m: ModelArch, tensor: number, kv: KvCacheDtype): number {
  const e = kvBytesPerElement(kv);
  // MLA caches one latent (plus the rotary key) per token, the same on every TP rank.
  if (m.mla) return (m.mla.kvLoraRank + m.mla.qkRopeHeadDim) * e;
  // KV heads shard over TP; with fewer heads than ranks each rank keeps one (replicated).
  const heads = Math.max(1, Math.floor(m.kvHeads / tensor));
  return 2 * heads * m.headDim * e;
}

/** Resolves engine settings to vLLM's defaults for this model and GPU. */
function resolveEngine(m: ModelArch, gpu: GpuSpec, e: EngineSettings = {}) {
  return {
    maxModelLen: e.maxModelLen ?? m.maxPositionEmbeddings,
    gpuMemoryUtilization: e.gpuMemoryUtilization ?? 0.9,
    // vLLM's `vllm serve` defaults (EngineArgs._set_default_args; tests/engine/test_arg_utils.py).
    maxNumBatchedTokens: e.maxNumBatchedTokens ?? (gpu.largeBatchDefaults ? 8192 : 2048),
    maxNumSeqs: e.maxNumSeqs ?? (gpu.largeBatchDefaults ? 1024 : 256),
    kvCacheDtype: e.kvCacheDtype ?? ("auto" as KvCacheDtype),
    enforceEager: e.enforceEager ?? false,
    samplerWarmup: e.samplerWarmup ?? true,
    profileLogitsAllTokens: e.profileLogitsAllTokens ?? false,
    nonTorchBytes: (e.nonTorchGiB ?? NON_TORCH_GIB) * GiB,
    ncclNvls: e.ncclNvls ?? gpu.nvls ?? false,
    mxfp4Backend: e.mxfp4Backend ?? gpu.mxfp4Backend ?? ("triton" as Mxfp4Backend),
    cudaGraphProfiled: e.cudaGraphProfiled ?? true,
  };
}

/** Estimates what vLLM prints at startup for `input`. Pure. */
export function estimate(input: EstimateInput): Estimate {
  const m = input.model;
  const { tensor: tp, pipeline: pp, gpu } = input;
  const dtype = input.dtype ?? m.dtype;
  const eng = resolveEngine(m, gpu, input.engine);
  const counts = paramCounts(m);
  const linearBytes = bytesPerParam(dtype);
  const wide = 2; // 16-bit: embeddings, LM head, and layers a partial quantisation leaves alone
  const expertsOnly = m.quantizedLayers === "experts" && dtype === m.dtype;
  const attnBytes = expertsOnly ? wide : linearBytes;
  const expertBytes = linearBytes;

  // Sharded sizes per GPU.
  const h = m.hiddenSize;
  const kvHeadsPerRank = Math.max(1, Math.floor(m.kvHeads / tp));
  let attentionPerGpu: number;
  if (m.mla) {
    const a = m.mla;
    const qk = a.qkNopeHeadDim + a.qkRopeHeadDim;
    // q_a and kv_a projections are replicated; q_b, kv_b and o shard over heads.
    const replicated = (a.qLoraRank ? h * a.qLoraRank : 0) + h * (a.kvLoraRank + a.qkRopeHeadDim);
    const sharded =
      (a.qLoraRank ? a.qLoraRank : h) * m.attentionHeads * qk +
      a.kvLoraRank * m.attentionHeads * (a.qkNopeHeadDim + a.vHeadDim) +
      m.attentionHeads * a.vHeadDim * h;
    attentionPerGpu = replicated + sharded / tp;
  } else {
    attentionPerGpu =
      (2 * h * m.attentionHeads * m.headDim) / tp + 2 * h * kvHeadsPerRank * m.headDim;
  }
  const denseMlpPerGpu = counts.denseMlpPerLayer / tp;
  let expertsPerGpu = counts.expertsPerLayer / tp;
  if (m.moe && dtype === "mxfp4") {
    const pad = MXFP4_PADDING[eng.mxfp4Backend];
    const inter = roundUp(m.moe.expertIntermediateSize / tp, pad.intermediate);
    expertsPerGpu = m.moe.experts * 3 * roundUp(h, pad.hidden) * inter;
  }
  const sharedPerGpu = m.moe
    ? (m.moe.sharedExperts * 3 * h * m.moe.expertIntermediateSize) / tp + h * m.moe.experts
    : 0;
  const vocabPerGpu = roundUp(m.vocabSize, VOCAB_PADDING) / tp;
  const embeddingBytes = vocabPerGpu * h * wide;
  const extraBytes = (counts.extra / tp) * wide;

  const kvLayer = kvBytesPerTokenPerLayer(m, tp, eng.kvCacheDtype);
  const slidingShare = m.slidingWindow ? m.slidingWindow.layers / m.layers : 0;
  const stageLayers = layersPerStage(m.layers, pp);
  const budget = gpu.totalGiB * GiB * eng.gpuMemoryUtilization;

  // Peak activation of one decoder layer over the batched tokens (calibrated on vLLM's
  // profiling lines: ~114 KB/token for Llama-3.1-8B): QKV, 2×/1× MLP widths, residuals.
  const mlpWidth = m.moe
    ? m.moe.expertsPerToken * m.moe.expertIntermediateSize +
      m.moe.sharedExperts * m.moe.expertIntermediateSize
    : m.intermediateSize;
  const qkvWidth = (m.attentionHeads + 2 * m.kvHeads) * m.headDim;
  const perToken =
    2 * (qkvWidth / tp + (3 * mlpWidth) / tp + 2 * h) + (m.moe ? 2 * m.moe.expertsPerToken * h : 0);
  const activationBytes = eng.maxNumBatchedTokens * perToken;
  const samplerRows = Math.min(eng.maxNumSeqs, eng.maxNumBatchedTokens);
  // The first V1 engine took logits of every batched token (model dtype) after the forward.
  const profileLogitBytes = eng.profileLogitsAllTokens
    ? eng.maxNumBatchedTokens * m.vocabSize * wide
    : 0;

  const nvlsBytes = eng.ncclNvls && tp > 2 ? NVLS_COMMUNICATORS * NVLS_BYTES_PER_RANK * tp : 0;
  const nonTorchBytes = eng.nonTorchBytes + nvlsBytes;

  let firstDense = counts.denseLayers;
  const stages: StageEstimate[] = stageLayers.map((layers, s) => {
    const dense = Math.min(layers, Math.max(0, firstDense));
    firstDense -= dense;
    const moeLayers = m.moe ? layers - dense : 0;
    const denseBytes = (m.moe ? dense : layers) * denseMlpPerGpu * attnBytes;
    const moeBytes = moeLayers * (expertsPerGpu * expertBytes + sharedPerGpu * attnBytes);
    const first = s === 0;
    const last = s === pp - 1;
    const headBytes =
      (first ? embeddingBytes + extraBytes : 0) +
      (last && (!m.tiedEmbeddings || pp > 1) ? embeddingBytes : 0);
    const weightBytes = layers * attentionPerGpu * attnBytes + denseBytes + moeBytes + headBytes;
    const samplerBytes = last
      ? (eng.samplerWarmup ? samplerRows * m.vocabSize * SAMPLER_BYTES_PER_LOGIT : 0) +
        profileLogitBytes
      : 0;
    const cudaGraphBytes =
      eng.cudaGraphProfiled && !eng.enforceEager
        ? CUDA_GRAPH_BASE_BYTES + layers * CUDA_GRAPH_BYTES_PER_LAYER
        : 0;
    // The forward's activations are freed before the logits and the sampler warm-up run, so
    // torch's peak is the larger of the two phases (the hidden states live through both).
    const hiddenBytes = samplerBytes > 0 ? eng.maxNumBatchedTokens * h * wide : 0;
    const peakBytes = Math.max(activationBytes, samplerBytes + hiddenBytes);
    const kvBytes = budget - weightBytes - peakBytes - nonTorchBytes - cudaGraphBytes;
    const slidingLayers = Math.round(layers * slidingShare);
    const groups = kvCacheGroups(layers - slidingLayers, slidingLayers);
    const blockBytes = groups.size * BLOCK_SIZE * kvLayer;
    // Blocks one request holds (`max_memory_usage_bytes` of each group's spec): a full layer
    // its whole context, a sliding one `window − 1` + one step's tokens and a block more.
    const fullBlocks = Math.ceil(eng.maxModelLen / BLOCK_SIZE);
    const slidingBlocks = m.slidingWindow
      ? Math.ceil(
          Math.min(m.slidingWindow.window - 1 + eng.maxNumBatchedTokens, eng.maxModelLen) /
            BLOCK_SIZE,
        ) + 1
      : 0;
    const blocksPerRequest = groups.full * fullBlocks + groups.sliding * slidingBlocks;
    return {
      layers,
      weightBytes,
      activationBytes,
      samplerBytes,
      nonTorchBytes,
      cudaGraphBytes,
      kvBytes,
      kvBytesPerToken: layers * kvLayer,
      kvBytesPerRequest: blocksPerRequest * blockBytes,
      kvBlocks: kvBytes > 0 ? Math.floor(kvBytes / blockBytes) : 0,
      kvBlocksPerRequest: blocksPerRequest,
    };
  });

  // vLLM sizes every worker's cache to the smallest block count; find the binding stage.
  const concurrencyOf = (s: StageEstimate) => s.kvBlocks / s.kvBlocksPerRequest;
  const binding = stages.reduce((a, b) => (concurrencyOf(b) < concurrencyOf(a) ? b : a));
  const maxConcurrency = concurrencyOf(binding);
  // "GPU KV cache size": the pinned vLLM logs concurrency × max-model-len
  // (vllm-project/vllm#54662); with one group that is blocks × 16 (older versions' figure) up
  // to the last block's rounding, so full-attention models keep the exact block count.
  const kvTokens = m.slidingWindow
    ? Math.floor(maxConcurrency * eng.maxModelLen)
    : binding.kvBlocks * BLOCK_SIZE;
  return {
    dtype,
    tensor: tp,
    pipeline: pp,
    maxModelLen: eng.maxModelLen,
    gpuMemoryUtilization: eng.gpuMemoryUtilization,
    maxNumBatchedTokens: eng.maxNumBatchedTokens,
    maxNumSeqs: eng.maxNumSeqs,
    stages,
    weightBytesPerGpu: Math.max(...stages.map((s) => s.weightBytes)),
    kvBytesPerGpu: Math.max(0, binding.kvBytes),
    kvTokens,
    maxConcurrency,
    weightsFit: stages.every((s) => s.kvBytes > 0),
  };
}
