/** The home-lab program under mocks: what waits for what, and where the secrets go. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { mockCall, mockState } from "../../cli/plan-mocks";
import {
  containsSecret,
  type RecordedResource,
  type Recording,
  recordRegistrations,
  unwrapSecrets,
} from "../../cli/recorder";
import { homelab } from "../../stacks/homelab";
import { outputIsSecret, outputValue } from "../support/outputs";

const TOKEN = "hf_homelab_test_token_0123456789";
const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nhomelab-test-key\n-----END OPENSSH PRIVATE KEY-----";

/** The shipped example's plain values, as Pulumi hands config to a program (strings, JSON). */
function exampleConfig(): Record<string, string> {
  const file = parse(readFileSync(join(__dirname, "../../stacks/Pulumi.homelab.yaml"), "utf8"));
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config as Record<string, unknown>)) {
    if (typeof value === "object" && value !== null && "secure" in value) continue;
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  config["llm-serving:hfToken"] = TOKEN;
  config["llm-serving:sshPrivateKey"] = KEY;
  return config;
}

let rec: Recording;
/** The program reads its config when called, so importing it before the mocks is fine. */
let outputs: ReturnType<typeof homelab>;
beforeAll(async () => {
  rec = await recordRegistrations({
    project: "llm-serving",
    stack: "homelab",
    config: exampleConfig(),
    secretKeys: ["llm-serving:hfToken", "llm-serving:sshPrivateKey"],
    state: mockState,
    call: mockCall,
  });
  outputs = homelab();
  await rec.settle();
});

const byName = (name: string) => rec.resources.find((r) => r.name === name) as RecordedResource;
const urnOf = (name: string) => byName(name).urn;
/** Every URN `r` waits for, following dependencies and parents' dependencies transitively. */
function waitsFor(r: RecordedResource): Set<string> {
  const seen = new Set<string>();
  const visit = (x: RecordedResource | undefined) => {
    if (!x) return;
    for (const urn of [...x.dependencies, x.parent]) {
      if (!urn || seen.has(urn)) continue;
      seen.add(urn);
      visit(rec.resources.find((y) => y.urn === urn));
    }
  };
  visit(r);
  return seen;
}

describe("homelab stack under mocks", () => {
  it("installs the GPU Operator and LWS only after the cluster is formed", () => {
    for (const release of ["gpu-operator", "lws"]) {
      const r = rec.resources.find(
        (x) => x.type === "kubernetes:helm.sh/v3:Release" && x.name === release,
      );
      expect(waitsFor(r as RecordedResource), release).toContain(urnOf("homelab-kubeconfig"));
      expect(waitsFor(r as RecordedResource), release).toContain(urnOf("homelab-admit-spark-2"));
    }
  });

  it("creates the LeaderWorkerSet after the LWS controller, the GPU Operator, the token and the NFS export", () => {
    const lws = waitsFor(byName("vllm-lws"));
    const lwsRelease = rec.resources.find(
      (x) => x.type === "kubernetes:helm.sh/v3:Release" && x.name === "lws",
    );
    expect(lws).toContain(lwsRelease?.urn);
    expect(lws).toContain(rec.resources.find((x) => x.name === "gpu-operator" && x.custom)?.urn);
    expect(lws).toContain(urnOf("hf-token"));
    expect(lws).toContain(urnOf("model-cache-nfs-export"));
  });

  it("exports the cache to the workers' LAN hosts only, root squashed", () => {
    const script = String(byName("model-cache-nfs-export").inputs.create);
    expect(script).toMatch(
      /'\/srv\/llm-serving\/hf-cache 192\.168\.1\.21\([^)]*\) 192\.168\.1\.22\([^)]*\)'/,
    );
    expect(script).toContain("192.168.1.21(rw,sync,no_subtree_check,root_squash,all_squash,");
    expect(script).not.toContain("192.168.100.11"); // the RoCE link: the controller is not on it
    for (const r of rec.resources) {
      expect(JSON.stringify(r.inputs), r.name).not.toContain("no_root_squash");
    }
  });

  it("touches no host before every preflight passed (the NFS export included)", () => {
    const preflights = rec.resources
      .filter((r) => r.name.startsWith("homelab-preflight-"))
      .map((r) => r.urn);
    expect(preflights).toHaveLength(3);
    for (const r of rec.resources) {
      if (r.type !== "command:remote:Command" || r.name.includes("-preflight-")) continue;
      const waits = waitsFor(r);
      for (const p of preflights) expect(waits, `${r.name} waits for ${p}`).toContain(p);
    }
  });

  it("pins a host key on every remote command, the one configured for its host", () => {
    const file = parse(readFileSync(join(__dirname, "../../stacks/Pulumi.homelab.yaml"), "utf8"));
    const keys: Record<string, string> = {
      "192.168.1.10": file.config["llm-serving:controllerHostKey"],
    };
    for (const w of file.config["llm-serving:workers"]) keys[w.host] = w.hostKey;
    const commands = rec.resources.filter((r) => r.type === "command:remote:Command");
    expect(commands.length).toBeGreaterThan(10);
    for (const c of commands) {
      const conn = unwrapSecrets(c.inputs.connection) as { host: string; hostKey?: string };
      expect(conn.hostKey, c.name).toBe(keys[conn.host]);
      expect(conn.hostKey, c.name).toMatch(/^ssh-ed25519 /);
    }
  });

  it("names per-node resources by node name and puts each node's target in triggers", () => {
    const join = byName("homelab-join-spark-2");
    expect(join.inputs.triggers).toEqual(expect.arrayContaining(["192.168.1.22", "192.168.1.10"]));
    expect(rec.resources.some((r) => /worker-\d/.test(r.name))).toBe(false);
  });

  it("keeps the token and the SSH key secret wherever they go", () => {
    for (const r of rec.resources) {
      const plain = JSON.stringify(unwrapSecrets(r.inputs, "[secret]"));
      expect(plain, r.name).not.toContain(TOKEN);
      expect(plain, r.name).not.toContain("homelab-test-key");
    }
    const secret = rec.resources.find((r) => r.type === "kubernetes:core/v1:Secret");
    expect(containsSecret(secret?.inputs)).toBe(true);
  });

  it("exports a secret kubeconfig, the endpoint and a curl line", async () => {
    expect(await outputIsSecret(outputs.kubeconfig)).toBe(true);
    expect(await outputValue(outputs.endpoint)).toBe(
      "http://vllm-api.llm.svc.cluster.local:8000/v1",
    );
  });
});
