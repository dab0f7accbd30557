/**
 * Weight and KV-cache precisions: how many bytes one parameter or one cached element takes
 * as vLLM holds it on the GPU.
 */

/** A weight precision the planner knows, as `size --dtype` names it. */
export type WeightDtype = "bf16" | "fp16" | "fp8" | "int8" | "int4" | "mxfp4";

/** Every weight precision, in `--dtype` order (mxfp4 only comes from a checkpoint's config). */
export const WEIGHT_DTYPES: readonly WeightDtype[] = [
  "bf16",
  "fp16",
  "fp8",
  "int8",
  "int4",
  "mxfp4",
];

/**
 * Bytes per parameter of a quantised linear layer. Scales are included where they are not
 * negligible: AWQ/GPTQ int4 stores an fp16 scale and a 4-bit zero point per group of 128
 * weights (+0.0195 B); MXFP4 shares one 8-bit exponent per block of 32 4-bit values (4.25 bits).
 * FP8 and int8 keep per-channel or 128×128-block scales, well under 0.1 %.
 */
const BYTES_PER_PARAM: Record<WeightDtype, number> = {
  bf16: 2,
  fp16: 2,
  fp8: 1,
  int8: 1,
  int4: 0.5 + 2.5 / 128,
  mxfp4: 4.25 / 8,
};

/** Bytes one parameter of a linear layer takes in `dtype`. */
export function bytesPerParam(dtype: WeightDtype): number {
  return BYTES_PER_PARAM[dtype];
}

/** Whether `dtype` is a quantised format (embeddings and LM head then stay 16-bit). */
export function isQuantized(dtype: WeightDtype): boolean {
  return dtype !== "bf16" && dtype !== "fp16";
}

/** A KV-cache element precision (`--kv-cache-dtype`): `auto` is the model's 16-bit dtype. */
export type KvCacheDtype = "auto" | "fp8";

/** Bytes per cached element: vLLM's `auto` keeps K and V in the 16-bit activation dtype. */
export function kvBytesPerElement(kv: KvCacheDtype): number {
  return kv === "fp8" ? 1 : 2;
}

/** Parses a `--dtype` word (`bfloat16`, `half`, `awq`, `gptq` accepted as aliases). */
export function parseWeightDtype(word: string): WeightDtype | undefined {
  const w = word.toLowerCase();
  const aliases: Record<string, WeightDtype> = {
    bfloat16: "bf16",
    float16: "fp16",
    half: "fp16",
    awq: "int4",
    gptq: "int4",
    w8a8: "int8",
  };
  if ((WEIGHT_DTYPES as readonly string[]).includes(w)) return w as WeightDtype;
  return aliases[w];
}
