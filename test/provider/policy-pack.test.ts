/**
 * The policy pack as shipped in the npm tarball: `pulumi preview --policy-pack
 * node_modules/llm-serving/policy` must load it although ts-node (which run-policy-pack
 * registers) skips node_modules. The test builds what `npm pack` ships (file list from
 * `npm pack --dry-run`, `dist/policy` compiled as `prepack` does) into a fake
 * `node_modules/llm-serving`, then starts the pack as the nodejs language host starts an
 * analyzer plugin (`node <run-policy-pack> <engine> <pack dir>`, cwd = the pack) and asks it
 * for its policies over gRPC.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { AnalyzerInfo } from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import rootPackage from "../../package.json";
import { REPO_ROOT, unary } from "./plugin";

let root: string;
let packDir: string;
let shipped: string[];
let child: ChildProcess | undefined;
let client: AnalyzerClient | undefined;

/** Files `npm pack` puts in the tarball (paths relative to the package). */
function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

beforeAll(async () => {
  shipped = packedFiles();
  root = mkdtempSync(join(tmpdir(), "llm-serving-pack-"));
  const modules = join(root, "node_modules");
  const pkg = join(modules, "llm-serving");
  mkdirSync(pkg, { recursive: true });
  for (const file of shipped.filter((f) => f.startsWith("policy/"))) {
    mkdirSync(dirname(join(pkg, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(pkg, file));
  }
  // prepack's build, for the policy part of dist/ only (the pack imports nothing else).
  const tsconfig = join(root, "tsconfig.policy.json");
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(REPO_ROOT, "tsconfig.build.json"),
      compilerOptions: {
        rootDir: REPO_ROOT,
        outDir: join(pkg, "dist"),
        declaration: false,
        typeRoots: [join(REPO_ROOT, "node_modules", "@types")],
      },
      include: [join(REPO_ROOT, "policy")],
      exclude: [join(REPO_ROOT, "policy", "node_modules")],
    }),
  );
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", tsconfig]);
  // The package's dependencies, installed beside it.
  for (const entry of readdirSync(join(REPO_ROOT, "node_modules"))) {
    if (entry.startsWith(".")) continue;
    symlinkSync(join(REPO_ROOT, "node_modules", entry), join(modules, entry), "dir");
  }
  packDir = join(pkg, "policy");
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  child = spawn(process.execPath, [runner, "127.0.0.1:0", packDir], {
    cwd: packDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    child?.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child?.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child?.on("exit", (code) => reject(new Error(`pack exited with ${code}:\n${err}${out}`)));
  });
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
  client?.close();
  child?.kill("SIGKILL");
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("the policy pack inside the npm package", () => {
  it("ships its entry, its PulumiPolicy.yaml and the compiled pack", () => {
    expect(shipped).toEqual(
      expect.arrayContaining(["policy/pack.js", "policy/package.json", "policy/PulumiPolicy.yaml"]),
    );
    expect(rootPackage.files).toContain("dist");
    expect(rootPackage.scripts.prepack).toBe("npm run build");
  });

  it("loads from node_modules/llm-serving/policy and answers GetAnalyzerInfo", async () => {
    const info = await unary<Empty, AnalyzerInfo>(
      client?.getAnalyzerInfo.bind(client) as never,
      new Empty(),
    );
    expect(info.getName()).toBe("llm-serving");
    expect(info.getPoliciesList().length).toBeGreaterThan(5);
  });
});
