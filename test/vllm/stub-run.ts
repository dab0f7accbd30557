/**
 * Runs a rendered container script under real bash with stub `vllm`, `ray`, `getent` and
 * `python3` on the PATH, and returns the argv each stub received (NUL-separated, so any
 * byte a hostile word holds survives the round trip).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What one run saw. */
export interface StubRun {
  /** bash's exit status. */
  status: number | null;
  /** stderr of the run (stub failures explain themselves there). */
  stderr: string;
  /** argv of each stub that ran (each runs at most once), by command name. */
  calls: Record<string, string[]>;
  /** `VLLM_HOST_IP` each stub saw (`unset` if none), by command name. */
  hostIp: Record<string, string>;
  /** The sandbox directory (hostile words aim at files inside it). */
  dir: string;
}

const STUBS: Record<string, string> = {
  // vllm serve: record the argv and exit like a server that was stopped.
  // A second call of the same stub would be a script bug: refuse it, as a busy port would.
  // Each records its argv and the address vLLM/Ray would advertise (VLLM_HOST_IP).
  vllm: '[ -e "$STUB_DIR/vllm.argv" ] && exit 98; printf "%s\\0" "$@" > "$STUB_DIR/vllm.argv"; printf "%s" "${VLLM_HOST_IP-unset}" > "$STUB_DIR/vllm.host_ip"',
  ray: '[ -e "$STUB_DIR/ray.argv" ] && exit 98; printf "%s\\0" "$@" > "$STUB_DIR/ray.argv"; printf "%s" "${VLLM_HOST_IP-unset}" > "$STUB_DIR/ray.host_ip"',
  // getent ahostsv4 NAME, as glibc prints it for the one name the test set; exit 2 (key not
  // found) for anything else, like getent.
  getent:
    '[ "$1" = ahostsv4 ] && [ "$2" = "$LEADER_NAME" ] && { printf "%s STREAM %s\\n%s DGRAM\\n%s RAW\\n" "$LEADER_IP" "$2" "$LEADER_IP" "$LEADER_IP"; exit 0; }; exit 2',
  // The Ray node count the leader polls: the whole group is up.
  python3: 'echo "$LWS_GROUP_SIZE"',
};

/** Sets up stubs in a fresh sandbox and runs `script` as the container would (`bash -c`). */
export function runWithStubs(script: string, env: Record<string, string> = {}): StubRun {
  const dir = mkdtempSync(join(tmpdir(), "vllm-stub-"));
  const bin = join(dir, "bin");
  spawnSync("mkdir", [bin]);
  for (const [name, body] of Object.entries(STUBS)) {
    const file = join(bin, name);
    writeFileSync(file, `#!/bin/bash\n${body}\n`);
    chmodSync(file, 0o755);
  }
  const run = spawnSync("/bin/bash", ["-c", script], {
    encoding: "utf8",
    cwd: dir,
    timeout: 20_000,
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      STUB_DIR: dir,
      HOME: dir,
      LWS_GROUP_SIZE: "2",
      LWS_WORKER_INDEX: "1",
      LWS_LEADER_ADDRESS: "vllm-0.vllm.llm",
      LEADER_NAME: "vllm-0.vllm.llm",
      LEADER_IP: "192.168.1.11",
      HF_TOKEN: "hf_SECRET_TOKEN_VALUE",
      ...env,
    },
  });
  const calls: Record<string, string[]> = {};
  const hostIp: Record<string, string> = {};
  for (const name of ["vllm", "ray"]) {
    const argvFile = join(dir, `${name}.argv`);
    // Every word ends with a NUL.
    if (existsSync(argvFile)) calls[name] = readFileSync(argvFile, "utf8").split("\0").slice(0, -1);
    const ipFile = join(dir, `${name}.host_ip`);
    if (existsSync(ipFile)) hostIp[name] = readFileSync(ipFile, "utf8");
  }
  return { status: run.status, stderr: run.stderr, calls, hostIp, dir };
}

/**
 * A TCP listener standing in for the Ray head's GCS port (the Ray worker script waits for
 * it). The kernel completes the handshake even while the test blocks on bash. Returns a
 * function that closes it.
 */
export async function listenOn(host: string, port: number): Promise<() => Promise<void>> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
