/**
 * Launches `provider/` the way `pulumi package add ./provider` does, offline:
 *
 * 1. The CLI runs `npm install` in `provider/` (pulumi/pulumi `sdk/nodejs/npm/npm.go`:
 *    `npm install --loglevel=error`), which runs its `prepare` script. Here the package is
 *    copied with `components/` into a temporary checkout whose ONLY `node_modules` is
 *    `provider/node_modules` (a link to this repo's), and `npm run prepare` runs there: a
 *    component that imports a package from anywhere but `provider/node_modules` fails.
 * 2. The nodejs language host (`sdk/nodejs/cmd/pulumi-language-nodejs/main.go`, `RunPlugin`)
 *    resolves `@pulumi/pulumi/cmd/run-plugin` from the plugin directory and starts
 *    `node <run-plugin> <nodeargs…> <plugin dir>` in the user's directory: here an empty
 *    one, with no tsconfig.json, so run-plugin's ts-node gets its ES2020 defaults.
 * 3. The plugin prints its gRPC port on stdout; callers talk to it with the SDK's stubs.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";

/** This repository's root. */
export const REPO_ROOT = resolve(__dirname, "..", "..");

/** A running plugin and a client connected to it. */
export interface LaunchedPlugin {
  /** The temporary checkout (remove with {@link stopPlugin}). */
  root: string;
  /** `<root>/provider`, the program directory the CLI passes. */
  providerDir: string;
  /** The port the plugin printed. */
  port: number;
  /** A ResourceProvider client on that port. */
  client: ResourceProviderClient;
  /** The plugin process. */
  child: ChildProcess;
  /** Everything the plugin wrote to stderr so far. */
  stderr: () => string;
}

/** Copies provider/ and components/ into a fresh checkout and runs provider's `prepare`. */
export function prepareCheckout(): { root: string; providerDir: string } {
  const root = mkdtempSync(join(tmpdir(), "llm-serving-provider-"));
  const providerDir = join(root, "provider");
  mkdirSync(providerDir);
  for (const file of ["index.ts", "package.json", "tsconfig.json", "PulumiPlugin.yaml"]) {
    cpSync(join(REPO_ROOT, "provider", file), join(providerDir, file));
  }
  cpSync(join(REPO_ROOT, "components"), join(root, "components"), { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(providerDir, "node_modules"), "dir");
  execFileSync("npm", ["run", "prepare", "--silent"], { cwd: providerDir, stdio: "pipe" });
  return { root, providerDir };
}

/**
 * Starts the plugin as the language host does and waits for its port.
 * @param args what the engine passes after the directory (its own address, for Construct).
 */
export async function launchPlugin(args: string[] = []): Promise<LaunchedPlugin> {
  const { root, providerDir } = prepareCheckout();
  const runPlugin = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [providerDir] });
  const userDir = join(root, "user-program");
  mkdirSync(userDir);
  const child = spawn(process.execPath, [runPlugin, providerDir, ...args], {
    cwd: userDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const port = await new Promise<number>((ok, fail) => {
    let stdout = "";
    child.stdout?.on("data", (d) => {
      stdout += String(d);
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && /^\d+$/.test(line.trim())) ok(Number(line.trim()));
    });
    child.on("exit", (code) =>
      fail(new Error(`plugin exited (${code}) before printing its port:\n${stdout}\n${stderr}`)),
    );
  });
  const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return { root, providerDir, port, client, child, stderr: () => stderr };
}

/** Stops the plugin and removes the temporary checkout. */
export function stopPlugin(plugin: LaunchedPlugin | undefined): void {
  if (!plugin) return;
  plugin.client.close();
  plugin.child.kill();
  rmSync(plugin.root, { recursive: true, force: true });
}

/** Promisifies one unary call of the client. */
export function unary<Req, Res>(
  call: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((ok, fail) => {
    call(req, (err, res) => (err ? fail(err) : ok(res)));
  });
}
