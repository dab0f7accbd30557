/**
 * The commands vLLM containers run: the `vllm serve` argument list and, per role, the
 * `bash -c` script around it (network preamble, multi-node wiring, Ray bootstrap).
 *
 * Scripts run under `bash -c`, so LWS's injected variables are read as shell `${LWS_…}`;
 * kubelet's `$(LWS_…)` syntax would be command substitution to bash.
 *
 * Injection: every word of a command line is either a plain string, which is ALWAYS quoted
 * for bash, or a {@link ShellVar}, which is the only thing rendered as an expansion. The
 * difference is the word's type, never its text, so no config string can smuggle in `${…}`
 * or `$(…)`: config arrives as JSON, and JSON cannot build a `ShellVar`.
 */
import { modelSource, storeServeArgs } from "../coldstart/store";
import { NODE_ADDRESS_ENV } from "../nccl/profiles";
import { MASTER_PORT, RAY_PORT, type VllmServerConfig } from "./args";

/** What a container does in a server. */
export type VllmRole = "server" | "leader" | "worker";

/**
 * A reference to a shell variable, placed in a command line by type: rendered as
 * `"${NAME}"` (double-quoted, so its value stays one word and is not re-expanded).
 */
export class ShellVar {
  /** @param name the variable's name: a shell identifier, checked here. */
  constructor(public readonly name: string) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`not a shell variable name: ${JSON.stringify(name)}`);
    }
  }
}

/** One argv word: a literal (quoted) or a variable reference (expanded, one word). */
export type Word = string | ShellVar;

/** Quotes one argv word for bash, leaving plain words readable. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Renders one word: literals quoted, variables as `"${NAME}"`. */
export function renderWord(word: Word): string {
  return word instanceof ShellVar ? `"\${${word.name}}"` : shellQuote(word);
}

/** LWS's variables (set by the LWS controller in every pod of a group). */
const LWS_GROUP_SIZE = new ShellVar("LWS_GROUP_SIZE");
const LWS_WORKER_INDEX = new ShellVar("LWS_WORKER_INDEX");
/** The address every pod of a group dials the leader at (set by the script, see {@link masterLines}). */
const MASTER_ADDR = new ShellVar("master_addr");
/** vLLM's own address variable (vllm/envs.py), set from the link map when there is one. */
const VLLM_HOST_IP = new ShellVar("VLLM_HOST_IP");

/** `vllm serve` arguments shared by every role: model, API, parallelism and engine options. */
export function serveArgs(c: VllmServerConfig): string[] {
  const e = c.engine;
  const source = modelSource(c.modelStore, c.model, c.modelCache.mountPath);
  const args = [source, "--served-model-name", c.model.servedName];
  args.push("--host", "0.0.0.0", "--port", String(c.port));
  // A prefetched store holds exactly one revision: its path names it.
  if (c.model.revision && c.modelStore.kind === "hub") args.push("--revision", c.model.revision);
  args.push(...storeServeArgs(c.modelStore, c.parallelism.tensor));
  if (c.parallelism.tensor > 1) args.push("--tensor-parallel-size", String(c.parallelism.tensor));
  if (c.parallelism.pipeline > 1) {
    args.push("--pipeline-parallel-size", String(c.parallelism.pipeline));
  }
  if (e.maxModelLen !== undefined) args.push("--max-model-len", String(e.maxModelLen));
  return [...args, ...engineFlags(c)];
}

/**
 * The engine options as vLLM flags (all but `maxModelLen`): `vllm serve` takes them as they
 * are, a NIM (vLLM backend) in `NIM_PASSTHROUGH_ARGS`.
 */
export function engineFlags(c: VllmServerConfig): string[] {
  const e = c.engine;
  const args: string[] = [];
  if (e.gpuMemoryUtilization !== undefined) {
    args.push("--gpu-memory-utilization", String(e.gpuMemoryUtilization));
  }
  if (e.maxNumSeqs !== undefined) args.push("--max-num-seqs", String(e.maxNumSeqs));
  if (e.enableChunkedPrefill !== undefined) {
    args.push(e.enableChunkedPrefill ? "--enable-chunked-prefill" : "--no-enable-chunked-prefill");
  }
  if (e.enablePrefixCaching !== undefined) {
    args.push(e.enablePrefixCaching ? "--enable-prefix-caching" : "--no-enable-prefix-caching");
  }
  return [...args, ...e.extraArgs];
}

/** `NIM_PASSTHROUGH_ARGS`: the engine flags as one CLI-style string, each word quoted. */
export function nimPassthrough(c: VllmServerConfig): string {
  return engineFlags(c).map(shellQuote).join(" ");
}

/** Multi-node `mp` wiring (vLLM >= 0.11.1): every pod names the group size, its rank and the leader. */
function mpArgs(role: VllmRole): Word[] {
  const args: Word[] = [
    "--nnodes",
    LWS_GROUP_SIZE,
    "--node-rank",
    LWS_WORKER_INDEX,
    "--master-addr",
    MASTER_ADDR,
    "--master-port",
    String(MASTER_PORT),
  ];
  return role === "worker" ? [...args, "--headless"] : args;
}

/** Workers start with the leader: wait until its name resolves, or vLLM/Ray fail at once. */
const WAIT_FOR_LEADER_DNS = [
  'until getent ahostsv4 "${LWS_LEADER_ADDRESS}" >/dev/null; do',
  '  echo "waiting for leader ${LWS_LEADER_ADDRESS} to resolve"; sleep 2',
  "done",
];

/** Ray workers need the head's GCS port open, not just its name. */
const WAIT_FOR_RAY_HEAD = [
  `until (exec 3<>"/dev/tcp/\${master_addr}/${RAY_PORT}") 2>/dev/null; do`,
  `  echo "waiting for the Ray head at \${master_addr}:${RAY_PORT}"; sleep 2`,
  "done",
];

/**
 * The link map as a shell function: `link_address ADDR` prints ADDR's link address or fails.
 * Keys and values are validated IPv4 addresses, quoted all the same.
 */
function linkAddressFunction(map: Record<string, string>): string[] {
  return [
    "link_address() {",
    '  case "$1" in',
    ...Object.entries(map).map(
      ([node, link]) => `    ${shellQuote(node)}) echo ${shellQuote(link)} ;;`,
    ),
    "    *) return 1 ;;",
    "  esac",
    "}",
  ];
}

/** Stops the pod when an address has no link address: falling back to the LAN would be silent. */
function lookUp(variable: string, address: string, what: string): string[] {
  return [
    `if ! ${variable}="$(link_address "${address}")"; then`,
    `  echo "${what} ${address} has no RoCE link address: add it to the network profile's linkAddresses" >&2`,
    "  exit 1",
    "fi",
  ];
}

/**
 * How a pod finds its own link address (`VLLM_HOST_IP`) and the leader's (`master_addr`).
 * Without a link map, vLLM advertises its own choice and the leader is its DNS name.
 */
function masterLines(c: VllmServerConfig, role: VllmRole): string[] {
  const map = c.network.linkAddresses;
  // A Ray head dials no master: it is one.
  const leaderDials = c.launcher === "mp";
  if (!map) return role === "leader" && !leaderDials ? [] : ['master_addr="${LWS_LEADER_ADDRESS}"'];
  const own = [
    ...linkAddressFunction(map),
    ...lookUp("VLLM_HOST_IP", `\${${NODE_ADDRESS_ENV}}`, "this node"),
    "export VLLM_HOST_IP",
  ];
  if (role === "leader") return leaderDials ? [...own, 'master_addr="${VLLM_HOST_IP}"'] : own;
  // Under host networking the leader's name resolves to its node's address: map that.
  return [
    ...own,
    'read -r leader_node _ < <(getent ahostsv4 "${LWS_LEADER_ADDRESS}") || leader_node=""',
    ...lookUp("master_addr", "${leader_node}", "the leader's node"),
  ];
}

/** The leader serves only after every pod of its group has joined the Ray cluster. */
const WAIT_FOR_RAY_NODES = [
  "ray_nodes() {",
  `  python3 -c 'import ray; ray.init(address="auto", logging_level="ERROR"); print(sum(1 for n in ray.nodes() if n["Alive"]))' 2>/dev/null || echo 0`,
  "}",
  'until [ "$(ray_nodes)" -ge "${LWS_GROUP_SIZE}" ]; do',
  '  echo "waiting for ${LWS_GROUP_SIZE} Ray nodes"; sleep 5',
  "done",
];

/** `exec vllm serve …` with every word rendered by its type. */
function vllmServe(words: Word[]): string {
  return ["exec vllm serve", ...words.map(renderWord)].join(" ");
}

/**
 * The `bash -c` script of one role: the network preamble, then what the role runs.
 * `server` is the single-node Deployment; `leader`/`worker` are LWS group members.
 */
export function roleScript(c: VllmServerConfig, role: VllmRole): string {
  const lines = [
    // Errors and unset variables abort only after the preamble: vendor scripts such as
    // gIB's set_nccl_env.sh are not written for `set -u`.
    "set -o pipefail",
    ...c.network.preamble,
    "set -eu",
  ];
  const nim = c.runtime === "nim";
  const serve = serveArgs(c);
  if (role === "server") {
    // NIM reads its whole configuration from the NIM_* environment.
    lines.push(nim ? "exec nim-serve" : vllmServe(serve));
    return `${lines.join("\n")}\n`;
  }
  if (role === "worker") lines.push(...WAIT_FOR_LEADER_DNS);
  lines.push(...masterLines(c, role));
  // Ray binds and advertises the node's link address too, when there is one.
  const rayNodeIp = c.network.linkAddresses ? ` --node-ip-address=${renderWord(VLLM_HOST_IP)}` : "";
  if (nim) {
    // NIM 2.x: the leader is the Ray head and serves, workers join it (NIM Operator v3.1.2).
    if (role === "worker") lines.push(...WAIT_FOR_RAY_HEAD);
    lines.push(
      role === "leader"
        ? `exec nim-serve-ray --head --port ${RAY_PORT}`
        : `exec nim-serve-ray --head-address "\${master_addr}:${RAY_PORT}"`,
    );
  } else if (c.launcher === "mp") {
    lines.push(vllmServe([...serve, ...mpArgs(role)]));
  } else if (role === "leader") {
    lines.push(`ray start --head --port=${RAY_PORT}${rayNodeIp}`);
    lines.push(...WAIT_FOR_RAY_NODES);
    lines.push(vllmServe([...serve, "--distributed-executor-backend", "ray"]));
  } else {
    lines.push(...WAIT_FOR_RAY_HEAD);
    lines.push(`exec ray start --address="\${master_addr}:${RAY_PORT}"${rayNodeIp} --block`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Container `command` + `args` for a role. A single-node NIM whose profile needs no preamble
 * keeps its image's own entrypoint (every NIM release starts from its `NIM_*` environment
 * that way, 1.x included); a script is needed only to run a preamble or to join a group.
 */
export function roleCommand(
  c: VllmServerConfig,
  role: VllmRole,
): { command?: string[]; args?: string[] } {
  if (c.runtime === "nim" && role === "server" && c.network.preamble.length === 0) return {};
  return { command: ["/bin/bash", "-c"], args: [roleScript(c, role)] };
}
