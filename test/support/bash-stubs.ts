/**
 * Runs a shell line under real bash with stub commands first on the PATH, in a fresh
 * directory: each stub is a bash body that can record its argv (NUL-separated) and stdin
 * under `$STUB_DIR`, and fail like the real tool on a call it does not expect.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Runs `line` with `stubs` (command name → bash body) on the PATH and `env` added.
 * @param prepare called with the sandbox directory before the line runs.
 * @returns bash's result, the sandbox directory, and readers for files the stubs wrote.
 */
export function runWithStubs(
  stubs: Record<string, string>,
  line: string,
  env: Record<string, string>,
  prepare?: (dir: string) => void,
) {
  const dir = mkdtempSync(join(tmpdir(), "bash-stubs-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  prepare?.(dir);
  const r = spawnSync("/bin/bash", ["-c", line], {
    cwd: dir,
    encoding: "utf8",
    // The umask is inherited (the operator's usual one): a line must not rely on a strict one.
    env: { PATH: `${bin}:/usr/bin:/bin`, STUB_DIR: dir, HOME: dir, ...env },
    timeout: 20_000,
  });
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : "");
  return { ...r, dir, read, argv: (f: string) => read(f).split("\0").slice(0, -1) };
}
