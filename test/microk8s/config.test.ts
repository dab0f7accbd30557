import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  controllerAddress,
  type MicroK8sClusterConfig,
  microk8sDefaults,
  validateMicroK8sClusterArgs,
} from "../../components/microk8s/config";
import { hostKeyFingerprint, hostKeyProblem } from "../../components/microk8s/host-key";
import { planCluster, planPreflight, resolveNodeName } from "../../components/microk8s/plan";
import {
  deriveJoinToken,
  JOIN_TOKEN_MIN_LENGTH,
  joinTokenProblem,
  workerJoinToken,
} from "../../components/microk8s/token";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import { HOST_KEYS } from "./fixtures";

const controller = { host: "192.168.1.10", user: "ubuntu", hostKey: HOST_KEYS[0] };
const w = (name: string, host: string, extra: Record<string, unknown> = {}) => ({
  name,
  host,
  user: "u",
  hostKey: HOST_KEYS[1],
  ...extra,
});
const validate = (value: Record<string, unknown>) =>
  validateMicroK8sClusterArgs({ privateKey: "k", ...value });

function problems(value: Record<string, unknown>): string[] {
  try {
    validate(value);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe("validateMicroK8sClusterArgs", () => {
  it("fills every default", () => {
    const c = validate({ controller });
    expect(c).toEqual({
      controller: { ...controller, port: 22 },
      workers: [],
      channel: versions.microk8sChannel,
      holdRefresh: microk8sDefaults.holdRefresh,
      joinTokenTtlSeconds: microk8sDefaults.joinTokenTtlSeconds,
      purgeOnDestroy: microk8sDefaults.purgeOnDestroy,
      readyTimeoutSeconds: microk8sDefaults.readyTimeoutSeconds,
      minFreeDiskGiB: microk8sDefaults.minFreeDiskGiB,
    });
    expect(controllerAddress(c)).toBe("192.168.1.10");
  });

  it("the pinned default channel is itself valid", () => {
    expect(problems({ controller, channel: versions.microk8sChannel })).toEqual([]);
  });

  it.each([
    [{ controller, channel: "1.36" }, /^channel: must be a classic snap channel/],
    [{ controller, channel: "1.36-strict/stable" }, /^channel:/],
    [{ controller, joinTokenTtlSeconds: 0 }, /^joinTokenTtlSeconds: must be > 0/],
    [{ controller, readyTimeoutSeconds: -5 }, /^readyTimeoutSeconds:/],
    [{ controller: { ...controller, port: 70000 } }, /^controller\.port:/],
    [{ controller: { ...controller, nodeName: "Spark_1" } }, /^controller\.nodeName:/],
    [{ controller: { ...controller, host: "ctrl.lan" } }, /^controller\.address: workers join/],
    [
      { controller: { ...controller, address: "fe80::1" } },
      /^controller\.address: must be an IPv4/,
    ],
    [{ controller: { ...controller, user: "root@host" } }, /^controller\.user:/],
    [{ controller: { ...controller, extra: 1 } }, /^controller: /],
    [
      { controller: { ...controller, hostKey: undefined } },
      /^controller\.hostKey: required: the host's public SSH key.*ssh-keyscan/,
    ],
    [
      { controller: { ...controller, hostKey: `192.168.1.10 ${HOST_KEYS[0]}` } },
      /^controller\.hostKey: starts with a host name/,
    ],
    [
      { controller: { ...controller, hostKey: "ssh-ed25519 AAAAC3NzaC1yc2E=" } },
      /^controller\.hostKey: the key data does not encode a ssh-ed25519 key/,
    ],
    [
      { controller, workers: [w("spark-1", "192.168.1.10")] },
      /^workers\[0\]\.host: duplicate host "192\.168\.1\.10" \(also controller\)/,
    ],
    [
      { controller, workers: [w("spark", "a"), w("spark", "b")] },
      /^workers\[1\]\.name: duplicate name "spark" \(also workers\[0\]\)/,
    ],
    [
      { controller: { ...controller, nodeName: "spark" }, workers: [w("spark", "a")] },
      /^workers\[0\]\.name: duplicate name "spark" \(also controller\)/,
    ],
    [
      { controller, workers: [w("controller", "a")] },
      /^workers\[0\]\.name: "controller" is reserved/,
    ],
    [{ controller, workers: [{ ...w("s", "a"), name: undefined }] }, /^workers\[0\]\.name:/],
    [{ controller, workers: [w("s", "a", { rdmaDevices: ["roce p1"] })] }, /rdmaDevices\[0\]/],
    [
      {
        controller,
        workers: [w("a", "a", { address: "10.0.0.1" }), w("b", "b", { address: "10.0.0.1" })],
      },
      /^workers\[1\]\.address: duplicate address/,
    ],
  ])("rejects %j", (value, message) => {
    const found = problems(value);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it("a DNS host is fine for the controller once address is set", () => {
    expect(
      problems({ controller: { ...controller, host: "ctrl.lan", address: "10.0.0.1" } }),
    ).toEqual([]);
  });

  it("validates the secret-bearing args too, together with the rest", () => {
    expect(() => validateMicroK8sClusterArgs({ controller, privateKey: "k" })).not.toThrow();
    try {
      validateMicroK8sClusterArgs({ controller: {}, joinToken: "short/one" });
      expect.unreachable();
    } catch (e) {
      const paths = (e as ConfigError).problems.map((p) => p.path).sort();
      expect(paths).toEqual([
        "controller.host",
        "controller.hostKey",
        "controller.user",
        "joinToken",
        "privateKey",
      ]);
    }
  });
});

describe("join token", () => {
  it("is derived deterministically: 32 hex characters, per key and identity", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (key, a, b) => {
        const t = deriveJoinToken(key, a);
        expect(t).toHaveLength(JOIN_TOKEN_MIN_LENGTH);
        expect(t).toMatch(/^[0-9a-f]+$/);
        expect(joinTokenProblem(t)).toBeUndefined();
        expect(deriveJoinToken(key, a)).toBe(t);
        if (a !== b) expect(deriveJoinToken(key, b)).not.toBe(t);
      }),
      { numRuns: 100 },
    );
    expect(deriveJoinToken("key-1", "lab")).not.toBe(deriveJoinToken("key-2", "lab"));
  });

  it("does not leak the key", () => {
    const key = "a".repeat(64);
    expect(key).not.toContain(deriveJoinToken(key, "lab"));
    expect(() => deriveJoinToken("", "lab")).toThrow(/empty secret/);
  });

  it("is per worker, from the explicit secret when given, which must be usable", () => {
    const explicit = "A".repeat(16) + "b".repeat(16);
    const a = workerJoinToken(undefined, "key", "lab", "spark-1");
    expect(a).toBe(deriveJoinToken("key", "lab/spark-1"));
    expect(workerJoinToken(undefined, "key", "lab", "spark-2")).not.toBe(a);
    expect(workerJoinToken(explicit, "key", "lab", "spark-1")).toBe(
      deriveJoinToken(explicit, "lab/spark-1"),
    );
    expect(() => workerJoinToken("x".repeat(31), "key", "lab", "s")).toThrow(/at least 32/);
    expect(() => workerJoinToken(`${"x".repeat(32)}|1`, "key", "lab", "s")).toThrow(
      /letters and digits/,
    );
    expect(joinTokenProblem(`${"x".repeat(32)}/y`)).toMatch(/no `\/`/);
  });
});

describe("host keys", () => {
  it("accepts what ssh-keyscan prints after the host name, and fingerprints it like ssh-keygen", () => {
    for (const key of HOST_KEYS) expect(hostKeyProblem(key)).toBeUndefined();
    expect(hostKeyProblem(`${HOST_KEYS[0]} root@spark-1`)).toBeUndefined();
    // ssh-keygen -lf prints SHA256:<unpadded base64 of sha256(blob)>; 32 bytes → 43 chars.
    expect(hostKeyFingerprint(HOST_KEYS[0])).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(hostKeyFingerprint(HOST_KEYS[0])).not.toBe(hostKeyFingerprint(HOST_KEYS[1]));
  });
  it.each([
    ["", /must be an SSH public host key/],
    ["ssh-dss AAAA", /must be an SSH public host key/],
    ["ssh-ed25519", /must be base64/],
    ["ssh-ed25519 !!!", /must be base64/],
    [`ssh-rsa ${HOST_KEYS[0].split(" ")[1]}`, /does not encode a ssh-rsa key/],
  ])("rejects %j", (value, message) => {
    expect(hostKeyProblem(value)).toMatch(message);
  });
});

/** Every step of a config, by key, with what identifies it. */
const stepsOf = (c: MicroK8sClusterConfig) =>
  new Map([...planPreflight(c), ...planCluster(c)].map((s) => [s.key, s]));

describe("plan", () => {
  const workerArb = fc.record({ gpu: fc.boolean() });
  it("every dependency names an earlier step; every worker gets member → join → admit", () => {
    fc.assert(
      fc.property(fc.array(workerArb, { maxLength: 5 }), fc.boolean(), (workers, purge) => {
        const config = validate({
          controller,
          workers: workers.map((x, i) => w(`w-${i}`, `10.0.1.${i + 1}`, { gpu: x.gpu })),
          purgeOnDestroy: purge,
        });
        const steps = [...planPreflight(config), ...planCluster(config)];
        const seen = new Set<string>();
        for (const s of steps) {
          for (const d of s.dependsOn) expect(seen.has(d), `${s.key} needs ${d}`).toBe(true);
          expect(seen.has(s.key)).toBe(false);
          seen.add(s.key);
          expect(s.stdin !== "none").toBe(/^(member|join|admit)-/.test(s.key));
          expect(s.delete !== undefined).toBe(
            s.key.startsWith("member-") ||
              s.key.startsWith("join-") ||
              (purge && s.key.startsWith("install-")),
          );
          expect(s.triggers.length).toBeGreaterThanOrEqual(3);
        }
        workers.forEach((_, i) => {
          for (const k of ["member", "join", "admit"]) expect(seen.has(`${k}-w-${i}`)).toBe(true);
        });
        expect(steps.at(-1)?.key).toBe("kubeconfig");
        expect(steps.filter((s) => s.secretStdout).map((s) => s.key)).toEqual(["kubeconfig"]);
      }),
      { numRuns: 40 },
    );
  });

  it("removing any worker changes no other step; its deletes target its own host", () => {
    const names = ["a", "b", "c", "d"];
    const all = validate({
      controller,
      workers: names.map((n, i) => w(n, `10.0.1.${i + 1}`)),
    });
    const before = stepsOf(all);
    for (const [i, removed] of names.entries()) {
      const after = stepsOf(validate({ ...all, workers: all.workers.filter((_, j) => j !== i) }));
      const gone = [...before.keys()].filter((k) => !after.has(k));
      expect(gone.sort()).toEqual(
        ["preflight", "install", "member", "join", "admit"].map((k) => `${k}-${removed}`).sort(),
      );
      for (const [key, step] of after) {
        const { dependsOn: _a, ...was } = before.get(key) ?? expect.unreachable();
        const { dependsOn: _b, ...is } = step;
        expect(is, key).toEqual(was);
      }
      // The removed worker's leave runs on its own host; remove-node names its own node.
      expect(before.get(`join-${removed}`)?.node).toBe(removed);
      expect(before.get(`join-${removed}`)?.triggers[0]).toBe(`10.0.1.${i + 1}`);
      expect(before.get(`member-${removed}`)?.delete).toContain(`node='${removed}'`);
    }
  });

  it("moving a worker to another host changes the triggers of exactly its commands", () => {
    const one = validate({ controller, workers: [w("a", "10.0.1.1"), w("b", "10.0.1.2")] });
    const moved = validate({
      ...one,
      workers: [one.workers[0], { ...one.workers[1], host: "10.0.1.9" }],
    });
    const [x, y] = [stepsOf(one), stepsOf(moved)];
    const changed = [...x.keys()].filter(
      (k) => JSON.stringify(x.get(k)?.triggers) !== JSON.stringify(y.get(k)?.triggers),
    );
    expect(changed.sort()).toEqual(
      ["preflight-b", "install-b", "member-b", "join-b", "admit-b"].sort(),
    );
    for (const k of ["install-b", "member-b", "join-b", "admit-b"]) {
      expect(y.get(k)?.deleteBeforeReplace, k).toBe(true);
    }
  });

  it("moving the controller re-joins every worker", () => {
    const one = validate({ controller, workers: [w("a", "10.0.1.1")] });
    const moved = validate({ ...one, controller: { ...one.controller, host: "192.168.1.20" } });
    const [x, y] = [stepsOf(one), stepsOf(moved)];
    for (const k of ["member-a", "join-a", "admit-a", "kubeconfig"]) {
      expect(y.get(k)?.triggers, k).not.toEqual(x.get(k)?.triggers);
    }
    expect(y.get("install-a")?.triggers).toEqual(x.get("install-a")?.triggers);
  });

  it("resolves node names from nodeName, then preflight's last line", () => {
    const node = {
      key: "controller",
      role: "controller" as const,
      host: "10.0.0.2",
      user: "u",
      port: 22,
      hostKey: HOST_KEYS[0],
      gpu: false,
      rdmaDevices: [],
    };
    expect(resolveNodeName({ ...node, nodeName: "given" }, "other")).toBe("given");
    expect(resolveNodeName(node, "GPU 0: x\nctrl\n")).toBe("ctrl");
    expect(resolveNodeName(node, undefined)).toBe("unknown-controller");
    expect(() => resolveNodeName(node, "Bad Name")).toThrow(/set nodeName for controller/);
  });
});
