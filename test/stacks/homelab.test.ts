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
      expect(waitsFor(r as RecordedResource), release).toContain(urnOf("homelab-runtime-worker-1"));
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

  it("exports the cache to the workers' LAN hosts, the addresses that reach the controller", () => {
    const script = String(byName("model-cache-nfs-export").inputs.create);
    expect(script).toContain("192.168.1.21(rw,sync,no_subtree_check,no_root_squash)");
    expect(script).toContain("192.168.1.22(rw,");
    expect(script).not.toContain("192.168.100.11"); // the RoCE link: the controller is not on it
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
