import type { Container } from "./podspecs";
import {
  baseName,
  expandKubernetesVars,
  expandShellVars,
  inlineScript,
  splitShell,
  stripCommandPrefixes,
  type Vars,
} from "./shell";

/*
 * Recognising vLLM in a container and reading its parallelism the way vLLM's own argument
 * parser does: long flags with `=` or a separate value, underscores for dashes, and the
 * short aliases `-tp`, `-pp`, `-pcp`, `-dp`, `-dpl`, `-n`, `-r` (vllm/engine/arg_utils.py).
 */

/** vLLM flags the rules read, parsed from one `vllm serve` / `api_server` invocation. */
export interface VllmFlags {
  /** `--tensor-parallel-size`; 1 when absent, null when set to something unresolvable. */
  tensorParallelSize: number | null;
  /** `--pipeline-parallel-size`; 1 when absent, null when unresolvable. */
  pipelineParallelSize: number | null;
  /** `--prefill-context-parallel-size` (newer vLLM; multiplies the world); 1 when absent. */
  prefillContextParallelSize: number | null;
  /** `--data-parallel-size`; 1 when absent, null when unresolvable. */
  dataParallelSize: number | null;
  /** `--data-parallel-size-local`; undefined when absent, null when unresolvable. */
  dataParallelSizeLocal: number | null | undefined;
  /** `--nnodes` (vLLM's own multi-node launcher); 1 when absent, null when unresolvable. */
  nnodes: number | null;
  /** `--headless`: this process serves no API (a worker node). */
  headless: boolean;
  /** `--distributed-executor-backend` (`mp`, `ray`, …), undefined when absent. */
  distributedExecutorBackend: string | undefined;
  /** Every flag given, by canonical long name (dashes); `true` for a flag without value. */
  flags: Record<string, string | true>;
}

const SHORT_ALIASES: Record<string, string> = {
  "-tp": "tensor-parallel-size",
  "-pp": "pipeline-parallel-size",
  "-pcp": "prefill-context-parallel-size",
  "-dp": "data-parallel-size",
  "-dpl": "data-parallel-size-local",
  "-n": "nnodes",
  "-r": "node-rank",
};

// Flags that consume the next word as their value; needed so the value is not misread
// as a positional argument or another flag. Booleans we read (`--headless`) take none.
const TAKES_VALUE = new Set([
  "tensor-parallel-size",
  "pipeline-parallel-size",
  "prefill-context-parallel-size",
  "data-parallel-size",
  "data-parallel-size-local",
  "data-parallel-address",
  "data-parallel-rpc-port",
  "data-parallel-start-rank",
  "nnodes",
  "node-rank",
  "master-addr",
  "master-port",
  "distributed-executor-backend",
  "model",
  "port",
  "host",
  "config",
  "served-model-name",
  "api-key",
  "hf-token",
]);

/** Parses vLLM's CLI arguments (everything after `vllm serve` / `-m …api_server`). */
export function parseVllmFlags(args: string[]): VllmFlags {
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const token = args[i] as string;
    if (!token.startsWith("-") || token === "-" || token === "--") continue;
    const eq = token.indexOf("=");
    let name = eq === -1 ? token : token.slice(0, eq);
    let value: string | true | undefined = eq === -1 ? undefined : token.slice(eq + 1);
    if (name.startsWith("--")) {
      // vLLM's FlexibleArgumentParser accepts `--tensor_parallel_size` for `--tensor-parallel-size`.
      name = name.slice(2).replace(/_/g, "-");
    } else {
      const attached = /^-([nr])(\d+)$/.exec(name);
      if (attached) {
        name = attached[1] as string;
        value = attached[2];
      }
      const alias = SHORT_ALIASES[attached ? `-${name}` : name];
      if (alias === undefined) continue;
      name = alias;
    }
    if (value === undefined) {
      const next = args[i + 1];
      if (TAKES_VALUE.has(name) && next !== undefined) {
        value = next;
        i += 1;
      } else {
        value = true;
      }
    }
    flags[name] = value;
  }
  // With `--config FILE` an absent flag may be set in the file: unknown, not the default.
  const absent = "config" in flags ? null : 1;
  const count = (name: string, fallback: number | null): number | null => {
    const v = flags[name];
    if (v === undefined) return fallback;
    return typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null;
  };
  const backend = flags["distributed-executor-backend"];
  return {
    tensorParallelSize: count("tensor-parallel-size", absent),
    pipelineParallelSize: count("pipeline-parallel-size", absent),
    prefillContextParallelSize: count("prefill-context-parallel-size", absent),
    dataParallelSize: count("data-parallel-size", absent),
    dataParallelSizeLocal:
      "data-parallel-size-local" in flags ? count("data-parallel-size-local", null) : undefined,
    nnodes: count("nnodes", absent),
    headless: flags.headless !== undefined && flags.headless !== "false",
    distributedExecutorBackend: typeof backend === "string" ? backend : undefined,
    flags,
  };
}

/** GPUs one model replica spans: TP × PP × PCP (vLLM's `world_size`), null when unknown. */
export function vllmReplicaSize(f: VllmFlags): number | null {
  const { tensorParallelSize: tp, pipelineParallelSize: pp, prefillContextParallelSize: pcp } = f;
  return tp === null || pp === null || pcp === null ? null : tp * pp * pcp;
}

/** GPUs one vLLM deployment spans: TP × PP × PCP × DP, or null when any factor is unknown. */
export function vllmWorldSize(f: VllmFlags): number | null {
  const replica = vllmReplicaSize(f);
  const dp = f.dataParallelSize;
  return replica === null || dp === null ? null : replica * dp;
}

/** `TP 8 × PP 2` (PCP and DP only when used), for messages. */
export function describeParallelism(f: VllmFlags): string {
  const parts = [`TP ${f.tensorParallelSize}`, `PP ${f.pipelineParallelSize}`];
  if (f.prefillContextParallelSize !== 1) parts.push(`PCP ${f.prefillContextParallelSize}`);
  if (f.dataParallelSize !== 1) parts.push(`DP ${f.dataParallelSize}`);
  return parts.join(" × ");
}

/** The repository of an image reference, without registry port confusion, tag or digest. */
export function imageRepository(image: string): string {
  const noDigest = image.split("@")[0] as string;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/**
 * True for vLLM images: `vllm/vllm-openai` (and its `-rocm`/`-cpu` … variants, also under
 * other registries), any `…/vllm:tag`, and NVIDIA's `nvcr.io/nvidia/vllm`.
 */
export function isVllmImage(image: unknown): boolean {
  if (typeof image !== "string") return false;
  const last = baseName(imageRepository(image.trim()));
  return last === "vllm" || last.startsWith("vllm-openai");
}

/**
 * What an image reference says about the stock `vllm/vllm-openai` image's version: its
 * `vX.Y.Z` tag, `floating` for a moving tag (`latest`, `nightly`, none), `unknown` for a
 * digest without a version tag; undefined for any other image (its contents are unknowable).
 */
export function stockVllmVersion(
  image: unknown,
): { version: [number, number, number] } | "floating" | "unknown" | undefined {
  if (typeof image !== "string") return undefined;
  const ref = image.trim();
  const repo = imageRepository(ref).replace(
    /^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//,
    "",
  );
  if (repo !== "vllm/vllm-openai") return undefined;
  const noDigest = ref.split("@")[0] as string;
  const tag =
    noDigest.length > imageRepository(ref).length
      ? noDigest.slice(imageRepository(ref).length + 1)
      : "";
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag);
  if (m) return { version: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] };
  if (tag === "" && ref.includes("@")) return "unknown";
  return "floating";
}

/** True when the image's own entrypoint is the OpenAI server (`vllm/vllm-openai` family). */
function entrypointServes(image: unknown): boolean {
  return typeof image === "string" && baseName(imageRepository(image)).startsWith("vllm-openai");
}

/** What a container runs, as far as the rules care. */
export interface ContainerLaunch {
  /** Every vLLM server invocation found (a script may branch into leader and worker forms). */
  launches: VllmFlags[];
  /**
   * True when the container sources GKE's gIB `set_nccl_env.sh` (sets NCCL_* for RDMA), with
   * `source`/`.` or as the `BASH_ENV` of a `bash -c` script.
   */
  sourcesGibEnv: boolean;
  /** Every simple command found, with its leading assignments, after variable expansion (for secret scans). */
  commands: string[][];
}

const GIB_ENV_SCRIPT = "set_nccl_env.sh";
const API_SERVER_MODULES = ["vllm.entrypoints.openai.api_server", "vllm.entrypoints.api_server"];

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map((v) => `${v}`) : undefined;
}

/**
 * Reads what a container runs: `command` + `args` after Kubernetes `$(VAR)` expansion,
 * the image entrypoint when `command` is absent (`vllm serve` for vllm-openai images), and
 * every command of `sh -c`/`bash -c` scripts (nested too), with `$VAR`/`${VAR}` expanded
 * from `vars` and the script's own assignments.
 */
export function analyzeContainer(container: Container, vars: Vars): ContainerLaunch {
  const result: ContainerLaunch = { launches: [], sourcesGibEnv: false, commands: [] };
  const command = strings(container.command);
  const args = strings(container.args) ?? [];
  let argv: string[];
  if (command !== undefined) argv = [...command, ...args];
  else if (entrypointServes(container.image)) argv = ["vllm", "serve", ...args];
  else argv = args; // entrypoints like NVIDIA's run "$@": the args are the command
  visit(
    argv.map((a) => expandKubernetesVars(a, vars)),
    { ...vars },
    result,
    0,
  );
  return result;
}

function visit(words: string[], vars: Vars, result: ContainerLaunch, depth: number): void {
  const { words: cmd, assignments } = stripCommandPrefixes(words);
  Object.assign(vars, assignments);
  // The script word of `sh -c SCRIPT` is not recorded: its commands are, one by one.
  const script = inlineScript(cmd);
  if (script === undefined || depth >= 4) result.commands.push(words);
  if (cmd.length === 0) return;
  const head = baseName(cmd[0] as string);
  if (head === "export" || head === "declare" || head === "readonly") {
    for (const w of cmd.slice(1)) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w);
      if (m) vars[m[1] as string] = m[2] as string;
    }
    return;
  }
  if ((head === "source" || head === ".") && (cmd[1] ?? "").endsWith(GIB_ENV_SCRIPT)) {
    result.sourcesGibEnv = true;
    return;
  }
  // Bash run non-interactively sources the file named by BASH_ENV before the script (GNU Bash
  // manual, "Bash Startup Files"); llm-d's GKE A4X decode template sets BASH_ENV to gIB's
  // set_nccl_env.sh instead of sourcing it. Bash invoked as `sh` reads no startup file.
  if (script !== undefined && head === "bash" && (vars.BASH_ENV ?? "").endsWith(GIB_ENV_SCRIPT)) {
    result.sourcesGibEnv = true;
  }
  if (script !== undefined && depth < 4) {
    const scoped = { ...vars };
    for (const inner of splitShell(script)) {
      visit(
        inner.map((w) => expandShellVars(w, scoped)),
        scoped,
        result,
        depth + 1,
      );
    }
    return;
  }
  const vllmArgs = vllmServerArgs(cmd);
  if (vllmArgs !== undefined) result.launches.push(parseVllmFlags(vllmArgs));
}

/** The arguments of a vLLM server command line, or undefined when it is not one. */
export function vllmServerArgs(cmd: string[]): string[] | undefined {
  const head = baseName(cmd[0] ?? "");
  if (head === "vllm" && cmd[1] === "serve") return cmd.slice(2);
  if (/^python(\d+(\.\d+)?)?$/.test(head)) {
    const m = cmd.indexOf("-m");
    const module = m === -1 ? undefined : cmd[m + 1];
    if (module !== undefined && API_SERVER_MODULES.includes(module)) return cmd.slice(m + 2);
    if (module === "vllm.entrypoints.cli.main" && cmd[m + 2] === "serve") return cmd.slice(m + 3);
  }
  return undefined;
}
