import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  containsSecret,
  type RecordedResource,
  type Recording,
  recordRegistrations,
  unwrapSecrets,
} from "../../cli/recorder";
import { MicroK8sCluster } from "../../components/microk8s/cluster";
import { deriveJoinToken } from "../../components/microk8s/token";
import { ConfigError } from "../../components/validation";
import { outputIsSecret, outputValue } from "../support/outputs";

const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----";
const TOKEN = deriveJoinToken(KEY, "lab/192.168.1.10");
const COMMAND = "command:remote:Command";

let rec: Recording;
let cluster: MicroK8sCluster;

/** Preflight prints the node name last; the mock engine answers what a real run would. */
function state(type: string, name: string, inputs: Record<string, unknown>) {
  if (type !== COMMAND) return inputs;
  if (name.endsWith("-preflight-controller")) return { ...inputs, stdout: "ctrl" };
  if (name.endsWith("-preflight-worker-0")) return { ...inputs, stdout: "spark-1" };
  if (name.endsWith("-kubeconfig")) {
    return {
      ...inputs,
      stdout: "apiVersion: v1\nclusters:\n- cluster:\n    server: https://192.168.1.10:16443\n",
    };
  }
  return { ...inputs, stdout: "" };
}

beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "homelab", state });
  cluster = new MicroK8sCluster("lab", {
    controller: { host: "192.168.1.10", user: "ubuntu" },
    workers: [
      { host: "192.168.1.11", user: "ubuntu", gpu: true },
      { host: "192.168.1.12", user: "ubuntu", nodeName: "cpu-1" },
    ],
    privateKey: pulumi.secret(KEY),
    purgeOnDestroy: true,
  });
  await outputValue(cluster.nodeNames);
  await rec.settle();
});

const byName = (name: string): RecordedResource => {
  const found = rec.resources.find((r) => r.name === `lab-${name}`);
  if (!found) throw new Error(`no resource lab-${name}`);
  return found;
};
const urn = (name: string) => byName(name).urn;
const script = (name: string, field = "create") =>
  String(unwrapSecrets(byName(name).inputs[field]) ?? "");

describe("MicroK8sCluster under mocks", () => {
  it("registers one component with every command as its child", () => {
    const component = rec.resources.find((r) => r.type === "llm-serving:index:MicroK8sCluster");
    expect(component?.name).toBe("lab");
    const commands = rec.resources.filter((r) => r.type === COMMAND);
    expect(commands.map((c) => c.name.replace("lab-", "")).sort()).toEqual(
      [
        "preflight-controller",
        "preflight-worker-0",
        "preflight-worker-1",
        "install-controller",
        "install-worker-0",
        "install-worker-1",
        "member-worker-0",
        "join-worker-0",
        "member-worker-1",
        "join-worker-1",
        "runtime-worker-0",
        "ready",
        "kubeconfig",
      ].sort(),
    );
    for (const c of commands) expect(c.parent).toBe(component?.urn);
  });

  it("orders preflight → install → join → runtime → ready → kubeconfig through dependsOn", () => {
    const preflights = ["controller", "worker-0", "worker-1"].map((n) => urn(`preflight-${n}`));
    for (const n of ["controller", "worker-0", "worker-1"]) {
      expect(byName(`install-${n}`).dependencies).toEqual(expect.arrayContaining(preflights));
    }
    expect(byName("member-worker-0").dependencies).toEqual(
      expect.arrayContaining([urn("install-controller"), urn("install-worker-0")]),
    );
    expect(byName("join-worker-0").dependencies).toContain(urn("member-worker-0"));
    expect(byName("runtime-worker-0").dependencies).toContain(urn("join-worker-0"));
    expect(byName("ready").dependencies).toEqual(
      expect.arrayContaining([urn("join-worker-0"), urn("join-worker-1"), urn("runtime-worker-0")]),
    );
    expect(byName("kubeconfig").dependencies).toContain(urn("ready"));
    expect(rec.resources.some((r) => r.name === "lab-runtime-worker-1")).toBe(false);
  });

  it("runs each step on its own node, as bash, with the real paths", () => {
    const host = (name: string) =>
      (unwrapSecrets(byName(name).inputs.connection) as { host: string }).host;
    expect(host("member-worker-0")).toBe("192.168.1.10");
    expect(host("join-worker-0")).toBe("192.168.1.11");
    expect(host("runtime-worker-0")).toBe("192.168.1.11");
    expect(host("kubeconfig")).toBe("192.168.1.10");
    expect(script("install-worker-1")).toMatch(/^bash -c '#!\/usr\/bin\/env bash\n/);
    expect(script("join-worker-0")).toContain("/var/snap/microk8s/current/var/lock/clustered.lock");
    expect(script("join-worker-0")).toContain(":25000/$token");
  });

  it("uses discovered node names where none were given", async () => {
    expect(await outputValue(cluster.nodeNames)).toEqual(["ctrl", "spark-1", "cpu-1"]);
    expect(script("ready")).toContain("nodes=('\\''ctrl'\\'' '\\''spark-1'\\'' '\\''cpu-1'\\'')");
    expect(script("member-worker-0", "delete")).toContain("spark-1");
    expect(script("install-controller", "delete")).toContain("snap remove --purge microk8s");
  });

  it("keeps the private key and the join token out of every plain input", () => {
    for (const r of rec.resources.filter((x) => x.type === COMMAND)) {
      const plain = JSON.stringify(unwrapSecrets(r.inputs, "[secret]"));
      expect(plain).not.toContain("not-a-real-key");
      expect(plain).not.toContain(TOKEN);
      expect(containsSecret(r.inputs.connection)).toBe(true);
    }
    for (const name of ["member-worker-0", "join-worker-0", "member-worker-1", "join-worker-1"]) {
      expect(containsSecret(byName(name).inputs.stdin)).toBe(true);
      expect(unwrapSecrets(byName(name).inputs.stdin)).toBe(`${TOKEN}\n`);
    }
    expect(byName("install-controller").inputs.stdin).toBeUndefined();
  });

  it("exposes the kubeconfig as a secret and never logs it", async () => {
    expect(await outputIsSecret(cluster.kubeconfig)).toBe(true);
    expect(await outputValue(cluster.kubeconfig)).toContain("https://192.168.1.10:16443");
    expect(byName("kubeconfig").inputs.logging).toBe("stderr");
    expect(byName("kubeconfig").inputs.addPreviousOutputInEnv).toBe(false);
    expect(await outputValue(cluster.controllerAddress)).toBe("192.168.1.10");
  });
});

describe("MicroK8sCluster validation", () => {
  it("throws a ConfigError listing every problem before registering anything", async () => {
    const before = rec.resources.length;
    let error: unknown;
    try {
      new MicroK8sCluster("bad", {
        controller: { host: "ctrl.lan", user: "ubuntu" },
        workers: [
          { host: "ctrl.lan", user: "ubuntu" },
          { host: "w", user: "Bad User" },
        ],
        privateKey: "",
        channel: "1.36",
        joinTokenTtlSeconds: 0,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^MicroK8sCluster "bad": invalid configuration/);
    expect((error as ConfigError).problems.map((p) => p.path).sort()).toEqual(
      [
        "channel",
        "controller.address",
        "joinTokenTtlSeconds",
        "privateKey",
        "workers[0].host",
        "workers[1].user",
      ].sort(),
    );
    // Registration is asynchronous: wait for it, or a late registration would go unseen.
    await rec.settle();
    expect(rec.resources.length).toBe(before);
    expect(rec.resources.some((r) => r.name === "bad")).toBe(false);
  });
});
