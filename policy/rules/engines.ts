import { baseName } from "./shell";
import { imageRepository, type VllmFlags, vllmWorldSize } from "./vllm";

/*
 * The inference engines the rules understand, and how each one states its parallelism and its
 * node count on the command line (or, for NIM, in the environment). Flag spellings come from
 * each engine's own argument parser:
 * - vLLM: vllm/engine/arg_utils.py (see ./vllm.ts).
 * - SGLang: python/sglang/srt/server_args.py — `--tp-size` (alias `--tensor-parallel-size`),
 *   `--pp-size` (`--pipeline-parallel-size`), `--dp-size` (`--data-parallel-size`),
 *   `--nnodes`, `--node-rank`, `--dist-init-addr` (`--nccl-init-addr`),
 *   `--enable-dp-attention`; argparse also takes the unique prefix `--tp`, as the LWS SGLang
 *   example does (kubernetes-sigs/lws docs/examples/sglang/lws.yaml).
 * - TensorRT-LLM: `trtllm-serve` (tensorrt_llm/commands/serve.py, `common_llm_options`):
 *   `--tp_size`/`--tp`, `--pp_size`/`--pp`.
 * - NVIDIA NIM: `NIM_TENSOR_PARALLEL_SIZE` and `NIM_PIPELINE_PARALLEL_SIZE` in the environment
 *   (NIM for LLMs, "Environment Variables"); a profile needs TP × PP GPUs, spread over
 *   `NIM_NUM_COMPUTE_NODES` nodes in a multi-node (LeaderWorkerSet) deployment (NIM for LLMs
 *   2.0.x `nim_llm.utils.envs`; NVIDIA/k8s-nim-operator v3.1.2 sets it on leader and workers).
 * - torchrun: `--nnodes` (`N` or `MIN:MAX`), only read to tell that a pod is one of several
 *   nodes.
 */

/** The engines the rules recognise. */
export type EngineName = "vllm" | "sglang" | "trtllm" | "nim" | "torchrun";

/** Display names for messages and docs. */
export const ENGINE_LABEL: Record<EngineName, string> = {
  vllm: "vLLM",
  sglang: "SGLang",
  trtllm: "TensorRT-LLM",
  nim: "NIM",
  torchrun: "torchrun",
};

/** One engine launch, normalised so the parallelism, shm and NCCL rules read every engine alike. */
export interface EngineLaunch {
  engine: EngineName;
  /** Tensor parallel size; 1 when absent, null when unresolvable. */
  tensorParallelSize: number | null;
  /** Pipeline parallel size; 1 when absent, null when unresolvable. */
  pipelineParallelSize: number | null;
  /** GPUs one deployment of this launch spans (across all its nodes); null when unknown. */
  worldSize: number | null;
  /** Nodes the launch spans: 1 when absent, null when unresolvable (e.g. `$(REPLICAS)`). */
  nnodes: number | null;
  /** True when the launch names a rendezvous address for other nodes (`--dist-init-addr`). */
  namesPeers: boolean;
  /** `TP 8 × PP 2` style description for messages. */
  parallelism: string;
  /** The vLLM flags, for vLLM launches. */
  vllm?: VllmFlags;
}

/** A command line's flags as `name → value` (`true` for a bare flag); later ones win. */
function readFlags(
  args: string[],
  takesValue: (name: string) => boolean,
  alias: (name: string) => string | undefined,
): Record<string, string | true> {
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const token = args[i] as string;
    if (!token.startsWith("--") || token === "--") continue;
    const eq = token.indexOf("=");
    const raw = eq === -1 ? token : token.slice(0, eq);
    const name = alias(raw);
    if (name === undefined) continue;
    let value: string | true | undefined = eq === -1 ? undefined : token.slice(eq + 1);
    if (value === undefined) {
      const next = args[i + 1];
      if (takesValue(name) && next !== undefined) {
        value = next;
        i += 1;
      } else {
        value = true;
      }
    }
    flags[name] = value;
  }
  return flags;
}

function count(value: string | true | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  return typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

function product(...xs: (number | null)[]): number | null {
  return xs.some((x) => x === null) ? null : (xs as number[]).reduce((a, b) => a * b, 1);
}

function describe(tp: number | null, pp: number | null, extra: string[] = []): string {
  return [`TP ${tp ?? "?"}`, `PP ${pp ?? "?"}`, ...extra].join(" × ");
}

/** A vLLM launch as an engine launch. */
export function vllmLaunch(f: VllmFlags): EngineLaunch {
  const extra: string[] = [];
  if (f.prefillContextParallelSize !== 1) extra.push(`PCP ${f.prefillContextParallelSize}`);
  if (f.dataParallelSize !== 1) extra.push(`DP ${f.dataParallelSize}`);
  return {
    engine: "vllm",
    tensorParallelSize: f.tensorParallelSize,
    pipelineParallelSize: f.pipelineParallelSize,
    worldSize: vllmWorldSize(f),
    nnodes: f.nnodes,
    namesPeers: "master-addr" in f.flags,
    parallelism: describe(f.tensorParallelSize, f.pipelineParallelSize, extra),
    vllm: f,
  };
}

const SGLANG_ALIASES: Record<string, string> = {
  "--tp-size": "tp",
  "--tensor-parallel-size": "tp",
  "--tp": "tp",
  "--pp-size": "pp",
  "--pipeline-parallel-size": "pp",
  "--dp-size": "dp",
  "--data-parallel-size": "dp",
  "--dp": "dp",
  "--nnodes": "nnodes",
  "--node-rank": "node-rank",
  "--dist-init-addr": "dist-init-addr",
  "--nccl-init-addr": "dist-init-addr",
  "--enable-dp-attention": "enable-dp-attention",
  "--config": "config",
  "--api-key": "api-key",
};

/** Parses SGLang server arguments (everything after `sglang.launch_server` / `sglang serve`). */
export function parseSglangArgs(args: string[]): EngineLaunch {
  const flags = readFlags(
    args,
    (n) => n !== "enable-dp-attention",
    (raw) => SGLANG_ALIASES[raw],
  );
  // `--config FILE` may set what is absent: unknown, not the default.
  const absent = "config" in flags ? null : 1;
  const tp = count(flags.tp, absent);
  const pp = count(flags.pp, absent);
  const dp = count(flags.dp, absent);
  // With DP attention the DP ranks live inside the TP group (server_args.py checks
  // tp_size % dp_size == 0); otherwise each DP replica is a whole TP × PP group.
  const dpAttention = flags["enable-dp-attention"] !== undefined;
  const world = product(tp, pp, dpAttention ? 1 : dp);
  return {
    engine: "sglang",
    tensorParallelSize: tp,
    pipelineParallelSize: pp,
    worldSize: world,
    nnodes: count(flags.nnodes, absent),
    namesPeers: "dist-init-addr" in flags,
    parallelism: describe(tp, pp, !dpAttention && dp !== 1 ? [`DP ${dp ?? "?"}`] : []),
  };
}

const TRTLLM_ALIASES: Record<string, string> = {
  "--tp_size": "tp",
  "--tp": "tp",
  "--pp_size": "pp",
  "--pp": "pp",
  "--extra_llm_api_options": "config",
};

/** Parses `trtllm-serve` arguments. */
export function parseTrtllmArgs(args: string[]): EngineLaunch {
  const flags = readFlags(
    args,
    () => true,
    (raw) => TRTLLM_ALIASES[raw],
  );
  const tp = count(flags.tp, 1);
  const pp = count(flags.pp, 1);
  return {
    engine: "trtllm",
    tensorParallelSize: tp,
    pipelineParallelSize: pp,
    worldSize: product(tp, pp),
    nnodes: 1,
    namesPeers: false,
    parallelism: describe(tp, pp),
  };
}

/** Parses torchrun's own flags (the ones before the training/serving script). */
export function parseTorchrunArgs(args: string[]): EngineLaunch {
  const flags = readFlags(
    args,
    () => true,
    (raw) => {
      const n = raw.replace(/_/g, "-");
      return n === "--nnodes" || n === "--rdzv-endpoint" || n === "--master-addr"
        ? n.slice(2)
        : undefined;
    },
  );
  const raw = flags.nnodes;
  // `--nnodes MIN:MAX` (elastic): the pod is one of several nodes when MAX > 1.
  const elastic = typeof raw === "string" ? /^\d+:(\d+)$/.exec(raw.trim()) : null;
  const nnodes = elastic ? Number(elastic[1]) : count(raw, 1);
  return {
    engine: "torchrun",
    tensorParallelSize: 1,
    pipelineParallelSize: 1,
    worldSize: null,
    nnodes,
    namesPeers: "rdzv-endpoint" in flags || "master-addr" in flags,
    parallelism: "",
  };
}

/** NIM images: NVIDIA's `nvcr.io/nim/<org>/<model>` repositories. */
export function isNimImage(image: unknown): boolean {
  return typeof image === "string" && /(^|\/)nim\/[^/]+\/[^/]+$/.test(imageRepository(image));
}

/** NIM's parallelism from its environment, when the manifest sets it. */
export function nimLaunch(env: (name: string) => string | undefined): EngineLaunch | undefined {
  const rawTp = env("NIM_TENSOR_PARALLEL_SIZE");
  const rawPp = env("NIM_PIPELINE_PARALLEL_SIZE");
  if (rawTp === undefined && rawPp === undefined) return undefined;
  const tp = count(rawTp, 1);
  const pp = count(rawPp, 1);
  return {
    engine: "nim",
    tensorParallelSize: tp,
    pipelineParallelSize: pp,
    worldSize: product(tp, pp),
    nnodes: count(env("NIM_NUM_COMPUTE_NODES"), 1),
    namesPeers: false,
    parallelism: describe(tp, pp),
  };
}

function isPython(word: string): boolean {
  return /^python(\d+(\.\d+)?)?$/.test(baseName(word));
}

/**
 * The non-vLLM engine a simple command launches, or undefined: `python -m
 * sglang.launch_server …`, `sglang serve …`, `trtllm-serve [serve] …` (also behind `mpirun`
 * or `trtllm-llmapi-launch`), `torchrun …` / `python -m torch.distributed.run …`.
 */
export function otherEngineLaunch(cmd: string[]): EngineLaunch | undefined {
  const head = baseName(cmd[0] ?? "");
  if (isPython(head)) {
    const m = cmd.indexOf("-m");
    const module = m === -1 ? undefined : cmd[m + 1];
    if (module === "sglang.launch_server") return parseSglangArgs(cmd.slice(m + 2));
    if (module === "torch.distributed.run") return parseTorchrunArgs(cmd.slice(m + 2));
    if (module === "sglang.cli.main" && cmd[m + 2] === "serve")
      return parseSglangArgs(cmd.slice(m + 3));
    return undefined;
  }
  if (head === "sglang" && cmd[1] === "serve") return parseSglangArgs(cmd.slice(2));
  const trt = cmd.findIndex((w) => baseName(w) === "trtllm-serve");
  if (trt !== -1) {
    const rest = cmd.slice(trt + 1);
    return parseTrtllmArgs(rest[0] === "serve" ? rest.slice(1) : rest);
  }
  if (head === "torchrun") return parseTorchrunArgs(cmd.slice(1));
  return undefined;
}
