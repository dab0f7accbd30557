import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PolicyConfigError, resolvePolicyConfig } from "../../policy/config";
import {
  evaluateManifests,
  evaluateStack,
  hasMandatory,
  type StackResource,
} from "../../policy/engine";
import { kindOfType, resourceLabel } from "../../policy/objects";
import { rules } from "../../policy/rules";
import type { K8sObject } from "../../policy/rules/types";
import { fakeRules } from "./fake-rules";

const shmVolume = (sizeLimit?: string) => ({
  name: "dshm",
  emptyDir: sizeLimit ? { medium: "Memory", sizeLimit } : { medium: "Memory" },
});

function deployment(
  name: string,
  opts: { shm?: "none" | "nolimit" | "ok"; image?: string; ns?: string } = {},
): K8sObject {
  const shm = opts.shm ?? "ok";
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, ...(opts.ns ? { namespace: opts.ns } : {}) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: "vllm", image: opts.image ?? "vllm/vllm-openai:v0.11.0" }],
          volumes: shm === "none" ? [] : [shmVolume(shm === "ok" ? "8Gi" : undefined)],
        },
      },
    },
  };
}

function service(name: string, app: string, ns?: string): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
    spec: { selector: { app } },
  };
}

const asSet = (objects: K8sObject[]) => objects.map((object, i) => ({ object, id: `set#${i}` }));

describe("evaluateManifests", () => {
  it("reports resource findings with the rule's level and Kind/namespace/name", () => {
    const v = evaluateManifests(
      asSet([deployment("a", { shm: "none" }), deployment("b", { ns: "ml" })]),
      undefined,
      fakeRules,
    );
    expect(v).toEqual([
      {
        policy: "fake-shm",
        level: "mandatory",
        resource: "Deployment/default/a",
        message: "no memory-backed emptyDir at /dev/shm",
      },
    ]);
    expect(hasMandatory(v)).toBe(true);
  });

  it("keeps an advisory note from a mandatory rule advisory", () => {
    const v = evaluateManifests(asSet([deployment("a", { shm: "nolimit" })]), undefined, fakeRules);
    expect(v.map((x) => [x.policy, x.level])).toEqual([["fake-shm", "advisory"]]);
    expect(hasMandatory(v)).toBe(false);
  });

  it("runs stack rules over the whole set, skipping stacks-only rules", () => {
    const objects = [
      deployment("a"),
      service("a", "a"),
      service("orphan", "nothing", "ml"),
      {
        apiVersion: "leaderworkerset.x-k8s.io/v1",
        kind: "LeaderWorkerSet",
        metadata: { name: "g" },
        spec: {},
      },
    ];
    const v = evaluateManifests(asSet(objects), undefined, fakeRules);
    expect(v).toEqual([
      {
        policy: "fake-service",
        level: "mandatory",
        resource: "Service/ml/orphan",
        message: "selector matches no pod template",
      },
    ]);
  });

  it("applies config: levels, disabled rules, properties over defaults", () => {
    const objects = asSet([
      deployment("a", { shm: "nolimit", image: "nginx" }),
      deployment("b", { shm: "none" }),
    ]);
    const v = evaluateManifests(
      objects,
      {
        "fake-shm": { enforcementLevel: "advisory", requireSizeLimit: false },
        "fake-tag": "mandatory",
      },
      fakeRules,
    );
    expect(v.map((x) => `${x.policy}:${x.level}:${x.resource}`)).toEqual([
      "fake-tag:mandatory:Deployment/default/a",
      "fake-shm:advisory:Deployment/default/b",
    ]);
    expect(evaluateManifests(objects, { all: "disabled" }, fakeRules)).toEqual([]);
    expect(
      evaluateManifests(objects, { all: "disabled", "fake-tag": "advisory" }, fakeRules).map(
        (x) => x.policy,
      ),
    ).toEqual(["fake-tag"]);
  });

  it("turns a crashing rule into a mandatory violation instead of throwing", () => {
    const boom = {
      ...fakeRules[0],
      id: "boom",
      validate: () => {
        throw new Error("kaput");
      },
    };
    const v = evaluateManifests(asSet([deployment("a")]), undefined, [boom]);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      policy: "boom",
      level: "mandatory",
      resource: "Deployment/default/a",
    });
    expect(v[0].message).toContain("kaput");
  });
});

describe("resolvePolicyConfig", () => {
  it("uses schema defaults and rule levels when no config is given", () => {
    const s = resolvePolicyConfig(undefined, fakeRules);
    expect(s.get("fake-shm")).toEqual({ level: "mandatory", config: { requireSizeLimit: true } });
    expect(s.get("fake-tag")).toEqual({ level: "advisory", config: { allowedTags: [] } });
  });

  it("lists every problem by path: unknown ids, properties, bad types and levels", () => {
    let err: unknown;
    try {
      resolvePolicyConfig(
        {
          nope: "advisory",
          "fake-shm": { enforcementLevel: "loud", requireSizeLimit: "yes", extra: 1 },
          "fake-tag": { allowedTags: ["x", 3] },
          "fake-service": 7,
        },
        fakeRules,
        "cfg.json",
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyConfigError);
    const problems = (err as PolicyConfigError).problems.map((p) => p.path);
    expect(problems).toEqual([
      "nope",
      "fake-shm.enforcementLevel",
      "fake-shm.requireSizeLimit",
      "fake-shm.extra",
      "fake-tag.allowedTags[1]",
      "fake-service",
    ]);
    expect((err as Error).message).toMatch(/^cfg\.json: invalid policy config/);
  });

  it("rejects a config that is not an object", () => {
    expect(() => resolvePolicyConfig([1], fakeRules)).toThrow(PolicyConfigError);
  });
});

describe("objects", () => {
  it("maps type tokens to apiVersion/kind and ignores non-objects", () => {
    expect(kindOfType("kubernetes:apps/v1:Deployment")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
    });
    expect(kindOfType("kubernetes:core/v1:Pod")).toEqual({ apiVersion: "v1", kind: "Pod" });
    expect(kindOfType("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet")).toEqual({
      apiVersion: "leaderworkerset.x-k8s.io/v1",
      kind: "LeaderWorkerSet",
    });
    expect(kindOfType("kubernetes:helm.sh/v3:Release")).toBeUndefined();
    expect(kindOfType("kubernetes:yaml/v2:ConfigGroup")).toBeUndefined();
    expect(kindOfType("pulumi:providers:kubernetes")).toBeUndefined();
    expect(kindOfType("gcp:container/cluster:Cluster")).toBeUndefined();
  });

  it("labels objects Kind/namespace/name", () => {
    expect(resourceLabel({ kind: "Pod", metadata: { name: "p" } })).toBe("Pod/default/p");
    expect(resourceLabel({ kind: "Pod", metadata: { namespace: "x" } }, "logical")).toBe(
      "Pod/x/logical",
    );
  });
});

describe("evaluateStack", () => {
  const SIG = "4dabf18193072939515e22adb298388d";
  const stack = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
  const res = (
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    extra: Partial<StackResource> = {},
  ): StackResource => ({
    type,
    name,
    urn: `urn:pulumi:dev::p::${type}::${name}`,
    parent: stack,
    dependencies: [],
    inputs,
    ...extra,
  });

  it("runs the CrossGuard policy objects per resource and over the stack", async () => {
    const controller = res("test:index:Controller", "lws", {});
    const release = res(
      "kubernetes:helm.sh/v3:Release",
      "lws-chart",
      { chart: "lws" },
      { parent: controller.urn },
    );
    const { apiVersion: _a, kind: _k, ...noKind } = deployment("a", { shm: "none" });
    const resources = [
      res("pulumi:pulumi:Stack", "p-dev", {}, { parent: "" }),
      controller,
      release,
      // inputs without apiVersion/kind: the type token supplies them
      res("kubernetes:apps/v1:Deployment", "a", noKind),
      res(
        "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet",
        "g-ok",
        { metadata: { name: "g-ok", namespace: "ml" }, spec: {} },
        { dependencies: [controller.urn] },
      ),
      res("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "g-bad", {
        metadata: { namespace: "ml" },
        spec: {},
      }),
      // a secret wrapped as the SDK sends it is unwrapped before the rules see it
      res("kubernetes:core/v1:Service", "svc", {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "svc" },
        spec: { selector: { [SIG]: "1b47061264138c4ac30d75fd1eb44270", value: { app: "a" } } },
      }),
    ];
    const v = await evaluateStack(resources, undefined, fakeRules);
    expect(v).toEqual([
      {
        policy: "fake-shm",
        level: "mandatory",
        resource: "Deployment/default/a",
        message: "no memory-backed emptyDir at /dev/shm",
      },
      {
        policy: "fake-controller",
        level: "mandatory",
        resource: "LeaderWorkerSet/ml/g-bad",
        message: "no LWS controller installed before this LeaderWorkerSet",
      },
    ]);
  });

  it("reports advisory notes of mandatory policies as advisory, and honours config", async () => {
    const d = res("kubernetes:apps/v1:Deployment", "a", deployment("a", { shm: "nolimit" }));
    expect(await evaluateStack([d], undefined, fakeRules)).toEqual([
      {
        policy: "fake-shm",
        level: "advisory",
        resource: "Deployment/default/a",
        message: "the /dev/shm emptyDir has no sizeLimit",
      },
    ]);
    expect(
      await evaluateStack([d], { "fake-shm": { requireSizeLimit: false } }, fakeRules),
    ).toEqual([]);
    const lws = res("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "g", {
      metadata: { name: "g" },
      spec: {},
    });
    expect(
      await evaluateStack([lws], { "fake-controller": { preinstalled: true } }, fakeRules),
    ).toEqual([]);
    expect(await evaluateStack([lws], { "fake-controller": "disabled" }, fakeRules)).toEqual([]);
  });
});

describe("the shipped example config", () => {
  it("resolves against the pack's rules and names every rule", () => {
    const example = JSON.parse(
      readFileSync(join(__dirname, "..", "..", "policy", "config.example.json"), "utf8"),
    );
    const settings = resolvePolicyConfig(example, rules, "config.example.json");
    expect(Object.keys(example).sort()).toEqual(rules.map((r) => r.id).sort());
    for (const rule of rules) expect(settings.get(rule.id)?.level).toBe(rule.enforcementLevel);
  });
});

describe("evaluateStack with the pack's rules", () => {
  const stackUrn = "urn:pulumi:dev::llm::pulumi:pulumi:Stack::llm-dev";
  const urn = (type: string, name: string) => `urn:pulumi:dev::llm::${type}::${name}`;
  const lwsObject = (name: string) => ({
    apiVersion: "leaderworkerset.x-k8s.io/v1",
    kind: "LeaderWorkerSet",
    metadata: { name, namespace: "llm" },
    spec: {
      leaderWorkerTemplate: {
        size: 1,
        workerTemplate: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "c", image: "busybox:1.36" }] },
        },
      },
    },
  });

  it("sees the LWS controller through a dependency on the operator component", async () => {
    const opType = "llm-serving:index:LeaderWorkerSetOperator";
    const relType = "kubernetes:helm.sh/v3:Release";
    const lwsType = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet";
    const base = [
      {
        type: "pulumi:pulumi:Stack",
        name: "llm-dev",
        urn: stackUrn,
        parent: "",
        dependencies: [],
        inputs: {},
      },
      {
        type: opType,
        name: "lws",
        urn: urn(opType, "lws"),
        parent: stackUrn,
        dependencies: [],
        inputs: {},
      },
      {
        type: relType,
        name: "lws",
        urn: urn(relType, "lws"),
        parent: urn(opType, "lws"),
        dependencies: [],
        inputs: { chart: "oci://registry.k8s.io/lws/charts/lws" },
      },
    ];
    const ok = {
      type: lwsType,
      name: "ok",
      urn: urn(lwsType, "ok"),
      parent: stackUrn,
      dependencies: [urn(opType, "lws")],
      inputs: lwsObject("ok"),
    };
    const orphan = {
      type: lwsType,
      name: "orphan",
      urn: urn(lwsType, "orphan"),
      parent: stackUrn,
      dependencies: [],
      inputs: lwsObject("orphan"),
    };
    const v = (await evaluateStack([...base, ok, orphan])).filter(
      (x) => x.policy === "lws-controller-installed",
    );
    expect(v.map((x) => [x.level, x.resource])).toEqual([
      ["mandatory", "LeaderWorkerSet/llm/orphan"],
    ]);
    expect(
      await evaluateStack([...base, orphan], {
        "lws-controller-installed": { preinstalled: true },
      }),
    ).not.toContainEqual(expect.objectContaining({ policy: "lws-controller-installed" }));
  });
});
