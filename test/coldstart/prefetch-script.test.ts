import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREFETCH_SCRIPT, prefetchEnv, prefetchLayout } from "../../components/coldstart/prefetch";
import { FakeHub, PrefetchSandbox, type RepoFile } from "./prefetch-sandbox";

const REPO = "acme/tiny-llm";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const FILES: RepoFile[] = [
  {
    path: "config.json",
    content: Buffer.from('{"architectures":["LlamaForCausalLM"]}\n'),
    lfs: false,
  },
  { path: "model-00001-of-00002.safetensors", content: Buffer.alloc(4096, 7), lfs: true },
  { path: "model-00002-of-00002.safetensors", content: Buffer.alloc(3000, 9), lfs: true },
  { path: "tokenizer/tokenizer.json", content: Buffer.from('{"version":"1.0"}'), lfs: false },
];
const [CONFIG, SHARD1, SHARD2, TOKENIZER] = FILES.map((f) => f.path);
const download = (file: string) => `hf download ${REPO} ${file} ${COMMIT}`;

/** The script's env for a store rooted at `root`, as the Job sets it. */
function envFor(root: string, repo = REPO): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of prefetchEnv(repo, "main", prefetchLayout(root, repo, "main"))) {
    env[e.name as string] = e.value as string;
  }
  return env;
}

const hub = new FakeHub([
  { repo: REPO, revision: "main", commit: COMMIT, files: FILES },
  // A hostile listing: a file name that climbs out of the store.
  {
    repo: "acme/evil",
    revision: "main",
    commit: COMMIT,
    files: [FILES[0]],
    listedNames: ["../../x.json"],
  },
]);
beforeAll(() => hub.start());
afterAll(() => hub.stop());

describe("prefetch script", () => {
  it("passes shellcheck", () => {
    const found = spawnSync("shellcheck", ["--version"]).status === 0;
    if (!found && process.env.CI !== "true") return;
    const file = join(mkdtempSync(join(tmpdir(), "prefetch-sc-")), "prefetch.sh");
    writeFileSync(file, `#!/bin/bash\n${PREFETCH_SCRIPT}`);
    const r = spawnSync("shellcheck", ["-s", "bash", file], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("survives a broken download and a bad checksum, verifies everything, and re-runs as a no-op", () => {
    const box = new PrefetchSandbox(hub, COMMIT);
    const env = envFor(join(box.root, "store"));
    const stored = (f: RepoFile) => readFileSync(join(env.STORE_DIR, f.path)).equals(f.content);

    // 1. The network breaks half-way through the second shard.
    box.failOnce(SHARD2);
    const broken = box.run(PREFETCH_SCRIPT, env);
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain("Connection reset");
    expect(broken.calls).toEqual([download(CONFIG), download(SHARD1), download(SHARD2)]);
    expect(existsSync(join(env.STATE_DIR, "complete"))).toBe(false);

    // 2. The retry skips what was verified, resumes the shard, then gets a corrupt file.
    box.corrupt(TOKENIZER);
    const bad = box.run(PREFETCH_SCRIPT, env);
    expect(bad.status).toBe(1);
    expect(bad.calls).toEqual([
      download(SHARD2),
      `resume ${SHARD2} from 1500`,
      download(TOKENIZER),
    ]);
    expect(bad.stderr).toContain(`${TOKENIZER} does not match the Hub's gitsha1`);
    expect(existsSync(join(env.STORE_DIR, TOKENIZER))).toBe(false);
    expect(stored(FILES[2])).toBe(true);

    // 3. The next retry downloads the refused file afresh (no resume of bad bytes).
    box.corrupt(TOKENIZER, false);
    const good = box.run(PREFETCH_SCRIPT, env);
    expect(good.status).toBe(0);
    expect(good.calls).toEqual([download(TOKENIZER)]);
    expect(FILES.every(stored)).toBe(true);
    expect(readFileSync(join(env.STATE_DIR, "complete"), "utf8")).toBe(`${COMMIT}\n`);

    // 4. Complete: a re-run reads the listing and nothing else.
    const again = box.run(PREFETCH_SCRIPT, env);
    expect(again.status).toBe(0);
    expect(again.calls).toEqual([]);
    expect(again.stdout).toContain("already complete");

    // 5. A stored file that no longer matches its record is fetched again, alone.
    writeFileSync(join(env.STORE_DIR, CONFIG), "truncated");
    writeFileSync(join(env.STATE_DIR, "complete"), "an-older-commit\n");
    const repair = box.run(PREFETCH_SCRIPT, env);
    expect(repair.status).toBe(0);
    expect(repair.calls).toEqual([download(CONFIG)]);
    expect(FILES.every(stored)).toBe(true);
  });
});

describe("prefetch script against hostile input", () => {
  it("refuses a listed file name that would leave the store", () => {
    const box = new PrefetchSandbox(hub, COMMIT);
    const r = box.run(PREFETCH_SCRIPT, envFor(join(box.root, "store"), "acme/evil"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("refusing file name");
    expect(r.calls).toEqual([]);
    expect(existsSync(join(box.root, "x.json"))).toBe(false);
  });

  it("never runs a model id as shell", () => {
    const box = new PrefetchSandbox(hub, COMMIT);
    const marker = join(box.root, "pwned");
    const r = box.run(PREFETCH_SCRIPT, envFor(join(box.root, "store"), `a/b$(touch ${marker})`));
    expect(r.status).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});
