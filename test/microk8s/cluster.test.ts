import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  containsSecret,
  type RecordedResource,
  type Recording,
  recordRegistrations,
  unwrapSecrets,
} from "../../cli/recorder";
import { MicroK8sCluster, resolveMicroK8sClusterConfig } from "../../components/microk8s/cluster";
import { deriveJoinToken } from "../../components/microk8s/token";
import { ConfigError } from "../../components/validation";
import { outputIsSecret, outputValue } from "../support/outputs";
import { HOST_KEYS } from "./fixtures";

const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----";
const TOKENS = {
  "spark-1": deriveJoinToken(KEY, "lab/192.168.1.10/spark-1"),
  "cpu-1": deriveJoinToken(KEY, "lab/192.168.1.10/cpu-1"),
};
const FINGERPRINT = "f".repeat(64);
const COMMAND = "command:remote:Command";

let rec: Recording;
let cluster: MicroK8sCluster;

/** Preflight prints the node name last, member the fingerprint; the mock answers as a real run. */
function state(type: string, name: string, inputs: Record<string, unknown>) {
  if (type !== COMMAND) return inputs;
  if (name.endsWith("-preflight-controller")) return { ...inputs, stdout: "ctrl" };
  if (name.includes("-member-")) return { ...inputs, stdout: `${FINGERPRINT}\n` };
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
    controller: { host: "192.168.1.10", user: "ubuntu", hostKey: HOST_KEYS[0] },
    workers: [
      // Hosts and keys often come from other resources (a VM's IP): Outputs are accepted.
      {
        name: "spark-1",
        host: pulumi.output("192.168.1.11"),
        hostKey: pulumi.output(HOST_KEYS[1]),
        user: "ubuntu",
        gpu: true,
      },
      { name: "cpu-1", host: "192.168.1.12", user: "ubuntu", hostKey: HOST_KEYS[2] },
    ],
    privateKey: KEY,
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

const connection = (name: string) =>
  unwrapSecrets(byName(name).inputs.connection) as Record<string, unknown>;

describe("MicroK8sCluster under mocks", () => {
  it("registers one component with every command, named by node, as its child", () => {
    const component = rec.resources.find((r) => r.type === "llm-serving:index:MicroK8sCluster");
    expect(component?.name).toBe("lab");
    const commands = rec.resources.filter((r) => r.type === COMMAND);
    const perWorker = (n: string) =>
      ["preflight", "install", "member", "join", "admit"].map((k) => `${k}-${n}`);
    expect(commands.map((c) => c.name.replace("lab-", "")).sort()).toEqual(
      [
        "preflight-controller",
        "install-controller",
        "rbac",
        ...perWorker("spark-1"),
        ...perWorker("cpu-1"),
        "kubeconfig",
      ].sort(),
    );
    for (const c of commands) expect(c.parent).toBe(component?.urn);
  });

  it("orders preflight → install → rbac → member → join → admit → kubeconfig", () => {
    const preflights = ["controller", "spark-1", "cpu-1"].map((n) => urn(`preflight-${n}`));
    for (const n of ["controller", "spark-1", "cpu-1"]) {
      expect(byName(`install-${n}`).dependencies).toEqual(expect.arrayContaining(preflights));
    }
    expect(byName("rbac").dependencies).toContain(urn("install-controller"));
    expect(byName("member-spark-1").dependencies).toEqual(
      expect.arrayContaining([urn("rbac"), urn("install-spark-1")]),
    );
    expect(byName("join-spark-1").dependencies).toContain(urn("member-spark-1"));
    expect(byName("admit-spark-1").dependencies).toContain(urn("join-spark-1"));
    expect(byName("kubeconfig").dependencies).toEqual(
      expect.arrayContaining([urn("admit-spark-1"), urn("admit-cpu-1")]),
    );
    expect(cluster.preflights.length).toBe(3);
  });

  it("runs each step on its own node, pinning that node's host key, with its target as triggers", () => {
    const node = { controller: 0, "spark-1": 1, "cpu-1": 2 } as const;
    const hosts = ["192.168.1.10", "192.168.1.11", "192.168.1.12"];
    for (const r of rec.resources.filter((x) => x.type === COMMAND)) {
      const c = connection(r.name.replace("lab-", ""));
      const i = HOST_KEYS.indexOf(c.hostKey as string);
      expect(i, r.name).toBeGreaterThanOrEqual(0);
      expect(c.host, r.name).toBe(hosts[i]);
    }
    expect(connection("member-spark-1").host).toBe(hosts[node.controller]);
    expect(connection("join-spark-1").host).toBe(hosts[node["spark-1"]]);
    expect(byName("join-spark-1").inputs.triggers).toEqual([
      "192.168.1.11",
      22,
      "ubuntu",
      "192.168.1.10",
      "192.168.1.10",
      22,
      "ubuntu",
    ]);
    expect(byName("install-cpu-1").inputs.triggers).toEqual(["192.168.1.12", 22, "ubuntu"]);
    expect(script("install-cpu-1")).toMatch(/^bash -c '#!\/usr\/bin\/env bash\n/);
    expect(script("join-spark-1")).toContain("/var/snap/microk8s/current/var/lock/clustered.lock");
  });

  it("names nodes by their names; the controller's comes from preflight", async () => {
    expect(await outputValue(cluster.nodeNames)).toEqual(["ctrl", "spark-1", "cpu-1"]);
    expect(script("member-spark-1", "delete")).toContain("spark-1");
    expect(script("install-controller", "delete")).toContain("snap remove --purge microk8s");
  });

  it("feeds each worker its own token (and the member's fingerprint to its join), all secret", () => {
    for (const r of rec.resources.filter((x) => x.type === COMMAND)) {
      const plain = JSON.stringify(unwrapSecrets(r.inputs, "[secret]"));
      expect(plain).not.toContain("not-a-real-key");
      for (const t of Object.values(TOKENS)) expect(plain).not.toContain(t);
      expect(containsSecret(r.inputs.connection)).toBe(true);
    }
    for (const [worker, token] of Object.entries(TOKENS)) {
      for (const step of ["member", "admit"]) {
        expect(containsSecret(byName(`${step}-${worker}`).inputs.stdin)).toBe(true);
        expect(unwrapSecrets(byName(`${step}-${worker}`).inputs.stdin)).toBe(`${token}\n`);
      }
      expect(containsSecret(byName(`join-${worker}`).inputs.stdin)).toBe(true);
      expect(unwrapSecrets(byName(`join-${worker}`).inputs.stdin)).toBe(
        `${token}\n${FINGERPRINT}\n`,
      );
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
        controller: { host: "ctrl.lan", user: "ubuntu", hostKey: "192.168.1.10 ssh-ed25519 x" },
        workers: [
          { name: "a", host: "ctrl.lan", user: "ubuntu", hostKey: HOST_KEYS[1] },
          { name: "b", host: "w", user: "Bad User", hostKey: pulumi.output("late") },
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
        "controller.hostKey",
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

describe("MicroK8sCluster Inputs", () => {
  const args = {
    controller: { host: "192.168.1.30", user: "ubuntu", hostKey: HOST_KEYS[3] },
    workers: [{ name: "w", host: pulumi.output("x"), user: "u", hostKey: HOST_KEYS[4] }],
    privateKey: KEY,
  };
  it("checks known values now and stands in for pending ones", () => {
    const shape = resolveMicroK8sClusterConfig(args, "t");
    expect(shape.workers[0]?.host).toBe("pending-host-1.invalid");
    expect(() =>
      resolveMicroK8sClusterConfig({ ...args, controller: { ...args.controller, port: 0 } }, "t"),
    ).toThrow(/controller\.port/);
  });
  it("checks an Output's value once known, with the same rules and the same key", () => {
    const values = [
      { host: "192.168.1.30", hostKey: HOST_KEYS[3], address: undefined },
      { host: "bad host!", hostKey: "nope", address: "10.0.0.300" },
    ];
    try {
      resolveMicroK8sClusterConfig(args, "t", values);
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems.map((p) => p.path).sort()).toEqual([
        "workers[0].address",
        "workers[0].host",
        "workers[0].hostKey",
      ]);
    }
  });
});
