/**
 * The `gatewayCurl` stack outputs under real bash with stub `pulumi`, `kubectl` and `curl`:
 * the key comes from the environment only (on curl's stdin), the GKE line reads the Gateway's
 * address from its status and stops when there is none yet, and names stay inert.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { API_KEY_VARIABLE, type GatewayCurlArgs, gatewayCurl } from "../../stacks/curl";
import { runWithStubs } from "../support/bash-stubs";

const KEY = "k3yFromTheEnvironment0123456789";

/** kubectl answers `get gateway … -o jsonpath=…` with $GW_ADDRESS (empty: not assigned yet). */
const STUBS: Record<string, string> = {
  pulumi: `[ "$*" = "stack output kubeconfig --show-secrets" ] || exit 64; echo 'kind: Config'`,
  kubectl:
    'printf "%s\\0" "$@" > "$STUB_DIR/kubectl.argv"; [ "$3" = get ] || exit 64; printf "%s" "$GW_ADDRESS"',
  curl: 'printf "%s\\0" "$@" > "$STUB_DIR/curl.argv"; cat > "$STUB_DIR/curl.stdin"; echo "{}"',
};

const run = (line: string, env: Record<string, string>) => runWithStubs(STUBS, line, env);

const HOMELAB: GatewayCurlArgs = {
  baseUrl: "http://10.0.0.10:30080/v1",
  model: "Qwen/Qwen3-8B",
  apiKeyOutput: "apiKey",
};
const LOOKUP = {
  stack: "gke",
  namespace: "llm",
  gateway: "inference-gateway",
  basePath: "/one-node/v1",
};
const GKE: GatewayCurlArgs = {
  model: "google/gemma-3-27b-it",
  apiKeyOutput: "apiKey",
  lookup: LOOKUP,
};

describe("gatewayCurl", () => {
  it("passes shellcheck (both forms)", () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-curl-sc-"));
    for (const [name, args] of [
      ["lan", HOMELAB],
      ["gke", GKE],
    ] as const) {
      writeFileSync(join(dir, `${name}.sh`), `#!/bin/bash\n${gatewayCurl(args)}\n`);
      execFileSync("shellcheck", ["--severity=style", join(dir, `${name}.sh`)]);
    }
  });

  it("home lab: posts to the gateway URL with the key on stdin, never in argv or the line", () => {
    const line = gatewayCurl(HOMELAB);
    expect(line).not.toContain(KEY);
    const r = run(line, { [API_KEY_VARIABLE]: KEY });
    expect(r.status, r.stderr).toBe(0);
    const argv = r.argv("curl.argv");
    expect(argv[1]).toBe("http://10.0.0.10:30080/v1/chat/completions");
    expect(argv.join(" ")).not.toContain(KEY);
    expect(r.read("curl.stdin")).toBe(`Authorization: Bearer ${KEY}\n`);
    expect(existsSync(join(r.dir, "kubectl.argv"))).toBe(false);
  });

  it("GKE: reads the Gateway's address, then posts under the model's path", () => {
    const r = run(gatewayCurl(GKE), { [API_KEY_VARIABLE]: KEY, GW_ADDRESS: "10.128.0.42" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.argv("kubectl.argv")).toEqual([
      "-n",
      "llm",
      "get",
      "gateway",
      "inference-gateway",
      "-o",
      "jsonpath={.status.addresses[0].value}",
    ]);
    expect(r.argv("curl.argv")[1]).toBe("http://10.128.0.42/one-node/v1/chat/completions");
    expect(r.read("curl.stdin")).toBe(`Authorization: Bearer ${KEY}\n`);
  });

  it("GKE: stops before curl when the Gateway has no address yet; without the key, before kubectl", () => {
    const pending = run(gatewayCurl(GKE), { [API_KEY_VARIABLE]: KEY, GW_ADDRESS: "" });
    expect(pending.status).not.toBe(0);
    expect(pending.stderr).toContain("no address yet");
    expect(existsSync(join(pending.dir, "curl.argv"))).toBe(false);
    const nokey = run(gatewayCurl(GKE), { GW_ADDRESS: "10.128.0.42" });
    expect(nokey.status).not.toBe(0);
    expect(nokey.stderr).toContain("pulumi stack output apiKey --show-secrets");
    expect(existsSync(join(nokey.dir, "kubectl.argv"))).toBe(false);
  });

  it("keeps hostile values inert: they arrive verbatim and run nothing", () => {
    const hostile = "x'; touch pwned; echo '$(touch pwned)`touch pwned`";
    const r = run(
      gatewayCurl({ ...GKE, model: hostile, lookup: { ...LOOKUP, basePath: `/${hostile}` } }),
      { [API_KEY_VARIABLE]: KEY, GW_ADDRESS: "10.0.0.1" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(r.dir, "pwned"))).toBe(false);
    expect(r.argv("curl.argv")[1]).toBe(`http://10.0.0.1/${hostile}/chat/completions`);
  });
});
