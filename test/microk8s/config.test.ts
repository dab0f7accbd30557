import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  controllerAddress,
  microk8sDefaults,
  validateMicroK8sClusterArgs,
  validateMicroK8sClusterConfig,
} from "../../components/microk8s/config";
import {
  placeholderNodeNames,
  planCluster,
  planPreflight,
  resolveNodeName,
} from "../../components/microk8s/plan";
import {
  deriveJoinToken,
  JOIN_TOKEN_MIN_LENGTH,
  joinTokenProblem,
  resolveJoinToken,
} from "../../components/microk8s/token";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";

const controller = { host: "192.168.1.10", user: "ubuntu" };

function problems(value: unknown): string[] {
  try {
    validateMicroK8sClusterConfig(value);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe("validateMicroK8sClusterConfig", () => {
  it("fills every default", () => {
    const c = validateMicroK8sClusterConfig({ controller });
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
    [{ controller: { host: "ctrl.lan", user: "ubuntu" } }, /^controller\.address: workers join/],
    [
      { controller: { ...controller, address: "fe80::1" } },
      /^controller\.address: must be an IPv4/,
    ],
    [{ controller: { ...controller, user: "root@host" } }, /^controller\.user:/],
    [{ controller: { ...controller, extra: 1 } }, /^controller: /],
    [
      { controller, workers: [{ host: "192.168.1.10", user: "ubuntu" }] },
      /^workers\[0\]\.host: duplicate host "192\.168\.1\.10" \(also controller\)/,
    ],
    [
      {
        controller,
        workers: [
          { host: "a", user: "u", nodeName: "spark" },
          { host: "b", user: "u", nodeName: "spark" },
        ],
      },
      /^workers\[1\]\.nodeName: duplicate nodeName "spark" \(also workers\[0\]\)/,
    ],
    [
      {
        controller,
        workers: [
          { host: "a", user: "u", address: "10.0.0.1" },
          { host: "b", user: "u", address: "10.0.0.1" },
        ],
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
      problems({ controller: { host: "ctrl.lan", user: "ubuntu", address: "10.0.0.1" } }),
    ).toEqual([]);
  });

  it("validates the secret-bearing args too, together with the rest", () => {
    expect(() => validateMicroK8sClusterArgs({ controller, privateKey: "k" })).not.toThrow();
    try {
      validateMicroK8sClusterArgs({ controller: {}, joinToken: "short/one" });
      expect.unreachable();
    } catch (e) {
      const paths = (e as ConfigError).problems.map((p) => p.path).sort();
      expect(paths).toEqual(["controller.host", "controller.user", "joinToken", "privateKey"]);
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

  it("an explicit token wins, and must be usable", () => {
    const explicit = "A".repeat(16) + "b".repeat(16);
    expect(resolveJoinToken(explicit, "key", "lab")).toBe(explicit);
    expect(resolveJoinToken(undefined, "key", "lab")).toBe(deriveJoinToken("key", "lab"));
    expect(() => resolveJoinToken("x".repeat(31), "key", "lab")).toThrow(/at least 32/);
    expect(() => resolveJoinToken(`${"x".repeat(32)}|1`, "key", "lab")).toThrow(
      /letters and digits/,
    );
    expect(joinTokenProblem(`${"x".repeat(32)}/y`)).toMatch(/no `\/`/);
  });
});

describe("plan", () => {
  const workerArb = fc.record({ gpu: fc.boolean(), named: fc.boolean() });
  it("every dependency names an earlier step; every worker gets member → join (→ runtime)", () => {
    fc.assert(
      fc.property(fc.array(workerArb, { maxLength: 5 }), fc.boolean(), (workers, purge) => {
        const config = validateMicroK8sClusterConfig({
          controller,
          workers: workers.map((w, i) => ({
            host: `10.0.1.${i + 1}`,
            user: "ubuntu",
            gpu: w.gpu,
            ...(w.named ? { nodeName: `w-${i}` } : {}),
          })),
          purgeOnDestroy: purge,
        });
        const steps = [
          ...planPreflight(config),
          ...planCluster(config, placeholderNodeNames(config)),
        ];
        const seen = new Set<string>();
        for (const s of steps) {
          for (const d of s.dependsOn) expect(seen.has(d), `${s.key} needs ${d}`).toBe(true);
          expect(seen.has(s.key)).toBe(false);
          seen.add(s.key);
          expect(s.joinTokenOnStdin).toBe(s.key.startsWith("member-") || s.key.startsWith("join-"));
          expect(s.delete !== undefined).toBe(
            s.key.startsWith("member-") ||
              s.key.startsWith("join-") ||
              (purge && s.key.startsWith("install-")),
          );
        }
        workers.forEach((w, i) => {
          expect(seen.has(`member-worker-${i}`) && seen.has(`join-worker-${i}`)).toBe(true);
          expect(seen.has(`runtime-worker-${i}`)).toBe(w.gpu);
        });
        expect(steps.at(-1)?.key).toBe("kubeconfig");
        expect(steps.filter((s) => s.secretStdout).map((s) => s.key)).toEqual(["kubeconfig"]);
      }),
      { numRuns: 60 },
    );
  });

  it("resolves node names from nodeName, then preflight's last line", () => {
    const node = {
      key: "worker-0",
      role: "worker" as const,
      host: "10.0.0.2",
      user: "u",
      port: 22,
      gpu: true,
    };
    expect(resolveNodeName({ ...node, nodeName: "given" }, "other")).toBe("given");
    expect(resolveNodeName(node, "GPU 0: x\nspark-1\n")).toBe("spark-1");
    expect(resolveNodeName(node, undefined)).toBe("unknown-worker-0");
    expect(() => resolveNodeName(node, "Bad Name")).toThrow(/set nodeName for worker-0/);
  });
});
