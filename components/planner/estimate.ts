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

/** Memory outside torch's allocator seen by the profiling run: CUDA context, cuBLAS, NCCL (observed 0.25-0.35 GiB). */
const NON_TORCH_BYTES = 0.4 * GiB;

/**
 * Bytes per logit element of the sampler warm-up (`_dummy_sampler_run`): fp32 logits, the
 * temperature-scaled copy, probabilities, log-probabilities and the top-k/top-p sort
 * (fp32 values + int64 indices) live at once.
 */
const SAMPLER_BYTES_PER_LOGIT = 30;

/** CUDA-graph memory: a fixed pool plus a share per captured layer (vLLM logs 0.3-1.5 GiB). */
const CUDA_GRAPH_BASE_BYTES = 0.25 * GiB;
const CUDA_GRAPH_BYTES_PER_LAYER = 0.012 * GiB;

/** MXFP4 expert kernels pad each partition's intermediate size to a multiple of 256. */
const MXFP4_INTERMEDIATE_ALIGN = 256;

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
  /** Sampler warm-up bytes (last stage only). */
  samplerBytes: number;
  /** Non-torch bytes (CUDA context, NCCL). */
  nonTorchBytes: number;
  /** CUDA-graph bytes taken from the KV budget. */
  cudaGraphBytes: number;
  /** Bytes left for the KV cache (negative: the weights do not fit). */
  kvBytes: number;
  /** KV bytes one token takes on this stage's GPUs, over all its layers. */
  kvBytesPerToken: number;
  /** KV bytes one request of `maxModelLen` tokens takes (sliding layers hold only their window). */
  kvBytesPerRequest: number;
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
    const inter = roundUp(m.moe.expertIntermediateSize / tp, MXFP4_INTERMEDIATE_ALIGN);
    expertsPerGpu = m.moe.experts * 3 * h * inter;
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
    const samplerBytes =
      last && eng.samplerWarmup ? samplerRows * m.vocabSize * SAMPLER_BYTES_PER_LOGIT : 0;
    const cudaGraphBytes =
      eng.cudaGraphProfiled && !eng.enforceEager
        ? CUDA_GRAPH_BASE_BYTES + layers * CUDA_GRAPH_BYTES_PER_LAYER
        : 0;
    const kvBytes =
      budget - weightBytes - activationBytes - samplerBytes - NON_TORCH_BYTES - cudaGraphBytes;
    const slidingLayers = Math.round(layers * slidingShare);
    const fullLayers = layers - slidingLayers;
    const mml = roundUp(eng.maxModelLen, BLOCK_SIZE);
    // vLLM's SlidingWindowSpec keeps window − 1 + one step's tokens, plus a block.
    const windowTokens = m.slidingWindow
      ? Math.min(
          mml,
          roundUp(m.slidingWindow.window - 1 + eng.maxNumBatchedTokens, BLOCK_SIZE) + BLOCK_SIZE,
        )
      : 0;
    return {
      layers,
      weightBytes,
      activationBytes,
      samplerBytes,
      nonTorchBytes: NON_TORCH_BYTES,
      cudaGraphBytes,
      kvBytes,
      kvBytesPerToken: layers * kvLayer,
      kvBytesPerRequest: (fullLayers * mml + slidingLayers * windowTokens) * kvLayer,
    };
  });

  // vLLM sizes every worker's cache to the smallest block count; find the binding stage.
  const concurrencyOf = (s: StageEstimate) =>
    s.kvBytes > 0 && s.kvBytesPerRequest > 0 ? s.kvBytes / s.kvBytesPerRequest : 0;
  const binding = stages.reduce((a, b) => (concurrencyOf(b) < concurrencyOf(a) ? b : a));
  const maxConcurrency = concurrencyOf(binding);
  const fullOnly = !m.slidingWindow;
  const kvTokens =
    binding.kvBytes <= 0
      ? 0
      : fullOnly
        ? Math.floor(binding.kvBytes / (BLOCK_SIZE * binding.kvBytesPerToken)) * BLOCK_SIZE
        : Math.floor(maxConcurrency * eng.maxModelLen);
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
    maxConcurrency: fullOnly ? kvTokens / eng.maxModelLen : maxConcurrency,
    weightsFit: stages.every((s) => s.kvBytes > 0),
  };
}
