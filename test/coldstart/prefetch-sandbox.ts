/**
 * A sandbox for the prefetch script: a fake Hub (the model-info endpoint served by
 * `python3 -m http.server` from a directory, as the Hub answers `?blobs=true`) and a stub
 * `hf` that behaves like `hf download REPO FILE --revision REV --local-dir DIR`: it refuses
 * an unknown revision, keeps an interrupted file as `.cache/huggingface/download/<file>.incomplete`
 * and resumes it on the next call, and can be told to fail mid-file or to deliver corrupt bytes.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** One file of the fake repository. */
export interface RepoFile {
  path: string;
  content: Buffer;
  /** Stored in LFS (SHA-256 listed) rather than git (blob SHA-1 listed). */
  lfs: boolean;
}

const HF_STUB = `#!/bin/bash
# hf download REPO FILE --revision REV --local-dir DIR (the subset the prefetch uses).
set -u
[ "$1" = download ] || { echo "stub hf: only download" >&2; exit 2; }
repo="$2"; file="$3"; shift 3
rev=""; dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --revision) rev="$2"; shift 2 ;;
    --local-dir) dir="$2"; shift 2 ;;
    *) echo "stub hf: unexpected $1" >&2; exit 2 ;;
  esac
done
echo "hf download $repo $file $rev" >> "$STUB_LOG"
src="$STUB_HUB_FILES/$repo/$file"
if [ "$rev" != "$STUB_COMMIT" ] || [ ! -f "$src" ]; then
  echo "huggingface_hub.errors.RevisionNotFoundError: 404 Client Error. Revision Not Found for url" >&2
  exit 1
fi
key="$(printf '%s' "$file" | tr '/' '_')"
part="$dir/.cache/huggingface/download/$file.incomplete"
mkdir -p "$(dirname "$part")" "$(dirname "$dir/$file")"
size="$(stat -c %s "$src")"
have=0
[ -f "$part" ] && have="$(stat -c %s "$part")" && echo "resume $file from $have" >> "$STUB_LOG"
if [ -e "$STUB_STATE/fail_once_$key" ]; then
  rm -f "$STUB_STATE/fail_once_$key"
  head -c "$((size / 2))" "$src" > "$part"
  echo "httpx.ReadError: [Errno 104] Connection reset by peer" >&2
  exit 1
fi
tail -c +"$((have + 1))" "$src" >> "$part"
if [ -e "$STUB_STATE/corrupt_$key" ]; then printf 'X' | dd of="$part" bs=1 seek=0 conv=notrunc status=none; fi
mv -f "$part" "$dir/$file"
echo "$dir/$file"
`;

/** Git's blob id of `content`, as the Hub lists it for non-LFS files. */
export function gitBlobSha1(content: Buffer): string {
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest("hex");
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The real python3 interpreter: version managers put a shell shim first on PATH that costs
 * seconds per start on a loaded machine; the script runs the interpreter, as in the image.
 */
export const PYTHON3 = (() => {
  const r = spawnSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : "python3";
})();

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** One repository revision the fake Hub serves. */
export interface FakeRepo {
  repo: string;
  revision: string;
  commit: string;
  files: RepoFile[];
  /** Names the listing gives the files (defaults to their paths): a hostile Hub lies here. */
  listedNames?: string[];
}

/** A running fake Hub serving the model-info listing and the files of some repositories. */
export class FakeHub {
  readonly dir = mkdtempSync(join(tmpdir(), "prefetch-hub-"));
  private server?: ChildProcess;
  endpoint = "";

  constructor(repos: FakeRepo[]) {
    for (const r of repos) this.add(r);
  }

  private add({ repo, revision, commit, files, listedNames }: FakeRepo): void {
    const siblings = files.map((f, i) => ({
      rfilename: listedNames?.[i] ?? f.path,
      blobId: f.lfs ? "0".repeat(40) : gitBlobSha1(f.content),
      size: f.lfs ? 135 : f.content.length,
      ...(f.lfs
        ? {
            lfs: {
              sha256: createHash("sha256").update(f.content).digest("hex"),
              size: f.content.length,
              pointerSize: 135,
            },
          }
        : {}),
    }));
    const info = join(this.dir, "web/api/models", repo, "revision", revision);
    mkdirSync(dirname(info), { recursive: true });
    writeFileSync(info, JSON.stringify({ id: repo, sha: commit, siblings }));
    for (const f of files) {
      const p = join(this.dir, "files", repo, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
    }
  }

  /** Starts the HTTP server and waits until it answers. */
  async start(): Promise<void> {
    const port = await freePort();
    this.server = spawn(
      PYTHON3,
      [
        "-I",
        "-S",
        "-m",
        "http.server",
        String(port),
        "--bind",
        "127.0.0.1",
        "--directory",
        join(this.dir, "web"),
      ],
      { stdio: "ignore" },
    );
    this.endpoint = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
      if (await answers(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("fake hub did not start");
  }

  stop(): void {
    this.server?.kill();
  }
}

/** One run of the prefetch script. */
export interface PrefetchRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Stub `hf` calls and resumes during this run. */
  calls: string[];
}

/** A store directory plus stub state, against one fake Hub. */
export class PrefetchSandbox {
  readonly root = mkdtempSync(join(tmpdir(), "prefetch-store-"));
  readonly bin = join(this.root, "bin");
  readonly state = join(this.root, "stub-state");
  readonly log = join(this.root, "calls.log");

  constructor(
    readonly hub: FakeHub,
    readonly commit: string,
  ) {
    mkdirSync(this.bin, { recursive: true });
    mkdirSync(this.state, { recursive: true });
    writeFileSync(this.log, "");
    writeFileSync(join(this.bin, "hf"), HF_STUB);
    chmodSync(join(this.bin, "hf"), 0o755);
    symlinkSync(PYTHON3, join(this.bin, "python3"));
  }

  /** Makes the next download of `file` break half-way. */
  failOnce(file: string): void {
    writeFileSync(join(this.state, `fail_once_${file.replaceAll("/", "_")}`), "");
  }

  /** Makes downloads of `file` deliver a wrong first byte, or stop doing so. */
  corrupt(file: string, on = true): void {
    const p = join(this.state, `corrupt_${file.replaceAll("/", "_")}`);
    if (on) writeFileSync(p, "");
    else rmSync(p, { force: true });
  }

  /** Runs `script` under bash with the given env (STORE_DIR etc. are the caller's). */
  run(script: string, env: Record<string, string>): PrefetchRun {
    const before = readFileSync(this.log, "utf8").length;
    const r = spawnSync("/bin/bash", ["-c", script], {
      encoding: "utf8",
      cwd: this.root,
      timeout: 20_000,
      env: {
        PATH: `${this.bin}:${process.env.PATH}`,
        HOME: this.root,
        LANG: "C.UTF-8",
        HF_ENDPOINT: this.hub.endpoint,
        STUB_LOG: this.log,
        STUB_STATE: this.state,
        STUB_HUB_FILES: join(this.hub.dir, "files"),
        STUB_COMMIT: this.commit,
        ...env,
      },
    });
    const calls = readFileSync(this.log, "utf8").slice(before).split("\n").filter(Boolean);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
  }
}
