/**
 * The `curl` stack output under real bash with stub `pulumi`, `kubectl`, `curl` and `sleep`:
 * it reads the key from the environment only, writes the kubeconfig 0600, and stays inert
 * whatever the names hold.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { API_KEY_VARIABLE, type ChatCurlArgs, chatCurl } from "../../stacks/curl";
import { runWithStubs } from "../support/bash-stubs";

const KEY = "k3yFromTheEnvironment0123456789";
const KUBECONFIG = "apiVersion: v1\nkind: Config\n# plan-test-kubeconfig\n";

const STUBS: Record<string, string> = {
  // Only the one call the line makes is answered; anything else fails like a wrong command.
  pulumi: `[ "$*" = "stack output kubeconfig --show-secrets" ] || exit 64; printf '${KUBECONFIG.replace(/\n/g, "\\n")}'`,
  kubectl:
    'printf "%s\\0" "$@" > "$STUB_DIR/kubectl.argv"; printf "%s" "$KUBECONFIG" > "$STUB_DIR/kubectl.env"',
  curl: 'printf "%s\\0" "$@" > "$STUB_DIR/curl.argv"; cat > "$STUB_DIR/curl.stdin"; echo "{}"',
  sleep: ":",
};

const run = (line: string, env: Record<string, string>, prepare?: (dir: string) => void) =>
  runWithStubs(STUBS, line, env, prepare);

const ARGS: ChatCurlArgs = {
  stack: "homelab",
  namespace: "llm",
  service: "vllm-api",
  port: 8000,
  model: "Qwen/Qwen3-8B",
  apiKeyOutput: "apiKey",
};

describe("chatCurl", () => {
  it("passes shellcheck", () => {
    const dir = mkdtempSync(join(tmpdir(), "curl-sc-"));
    writeFileSync(join(dir, "line.sh"), `#!/bin/bash\n${chatCurl(ARGS)}\n`);
    execFileSync("shellcheck", ["--severity=style", join(dir, "line.sh")]);
  });

  it("refuses to run without the key in the environment, before touching anything", () => {
    const r = run(chatCurl(ARGS), {});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(API_KEY_VARIABLE);
    expect(r.stderr).toContain("pulumi stack output apiKey --show-secrets");
    expect(existsSync(join(r.dir, "homelab.kubeconfig"))).toBe(false);
    expect(existsSync(join(r.dir, "curl.argv"))).toBe(false);
  });

  it("sends the key from the environment on stdin, never in argv or the line", () => {
    const line = chatCurl(ARGS);
    expect(line).not.toContain(KEY);
    const r = run(line, { [API_KEY_VARIABLE]: KEY });
    expect(r.status, r.stderr).toBe(0);
    const argv = r.argv("curl.argv");
    expect(argv.join(" ")).not.toContain(KEY);
    expect(argv).toContain("@-");
    expect(r.read("curl.stdin")).toBe(`Authorization: Bearer ${KEY}\n`);
    expect(argv[argv.indexOf("-d") + 1]).toBe(
      JSON.stringify({
        model: "Qwen/Qwen3-8B",
        messages: [{ role: "user", content: "Say hello in five words." }],
      }),
    );
    expect(r.argv("kubectl.argv")).toEqual([
      "-n",
      "llm",
      "port-forward",
      "svc/vllm-api",
      "8000:8000",
    ]);
    expect(r.read("kubectl.env")).toBe("homelab.kubeconfig");
  });

  it("writes the kubeconfig 0600, also over a world-readable file from an earlier run", () => {
    for (const existing of [false, true]) {
      const r = run(chatCurl(ARGS), { [API_KEY_VARIABLE]: KEY }, (dir) => {
        if (existing) writeFileSync(join(dir, "homelab.kubeconfig"), "old", { mode: 0o644 });
      });
      expect(r.status, r.stderr).toBe(0);
      const file = join(r.dir, "homelab.kubeconfig");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, "utf8")).toBe(KUBECONFIG);
    }
  });

  it("keeps hostile names inert: they arrive verbatim and run nothing", () => {
    const hostile = "x'; touch pwned; echo '$(touch pwned)`touch pwned`${HOME}\"\n";
    const r = run(
      chatCurl({ ...ARGS, model: hostile, namespace: `ns$(touch pwned)`, service: "s'v" }),
      { [API_KEY_VARIABLE]: KEY },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(r.dir, "pwned"))).toBe(false);
    const argv = r.argv("curl.argv");
    expect(JSON.parse(argv[argv.indexOf("-d") + 1]).model).toBe(hostile);
    expect(r.argv("kubectl.argv").slice(0, 4)).toEqual([
      "-n",
      "ns$(touch pwned)",
      "port-forward",
      "svc/s'v",
    ]);
  });
});
