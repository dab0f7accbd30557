import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import {
  makePolicies,
  policies,
  resourcePolicy,
  stackEntries,
  stackPolicy,
} from "../../policy/policies";
import { rules } from "../../policy/rules";
import { fakeController, fakeShm, fakeTag } from "./fake-rules";

const DEPLOY = "kubernetes:apps/v1:Deployment";

function args(
  type: string,
  props: Record<string, unknown>,
  config: Record<string, unknown> = {},
): ResourceValidationArgs {
  return {
    type,
    props,
    urn: `urn:pulumi:dev::p::${type}::x`,
    name: "x",
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable: () => {
      throw new Error("n/a");
    },
  } as ResourceValidationArgs;
}

const deploymentProps = (volumes: unknown[]) => ({
  metadata: { name: "x" },
  spec: { template: { spec: { containers: [{ name: "c", image: "i:1" }], volumes } } },
});

/** Runs a policy's validateResource and returns what it reported. */
function reported(policy: ReturnType<typeof resourcePolicy>, a: ResourceValidationArgs): unknown[] {
  const out: unknown[] = [];
  const validate = policy.validateResource;
  if (!validate || Array.isArray(validate)) throw new Error("expected one validation");
  validate(a, (message: unknown) => out.push(message));
  return out;
}

describe("policies", () => {
  it("has one policy per rule, named by id, with level, steps and the config schema", () => {
    expect(policies.map((p) => p.name)).toEqual(rules.map((r) => r.id));
    for (const [i, rule] of rules.entries()) {
      const p = policies[i];
      expect(p).toMatchObject({
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        remediationSteps: rule.remediationSteps,
      });
      expect(p.configSchema?.properties).toEqual(rule.configSchema);
      expect("validateStack" in p).toBe(rule.scope === "stack");
      expect("remediateResource" in p && typeof p.remediateResource === "function").toBe(
        rule.scope === "resource" && rule.remediate !== undefined,
      );
    }
  });

  it("fills apiVersion/kind from the type token and reports findings as strings", () => {
    const policy = resourcePolicy({
      ...fakeShm,
      validate: (o, c) => {
        expect([o.apiVersion, o.kind]).toEqual(["apps/v1", "Deployment"]);
        return fakeShm.validate(o, c);
      },
    });
    expect(reported(policy, args(DEPLOY, deploymentProps([])))).toEqual([
      "no memory-backed emptyDir at /dev/shm",
    ]);
    // not a Kubernetes object: nothing to check
    expect(reported(policy, args("kubernetes:helm.sh/v3:Release", deploymentProps([])))).toEqual(
      [],
    );
  });

  it("reports an advisory note of a mandatory rule in the object form with level advisory", () => {
    const got = reported(
      resourcePolicy(fakeShm),
      args(DEPLOY, deploymentProps([{ name: "d", emptyDir: { medium: "Memory" } }])),
    );
    expect(got).toEqual([
      {
        message: `${fakeShm.description}\n[advisory] the /dev/shm emptyDir has no sizeLimit`,
        description: fakeShm.description,
        enforcementLevel: "advisory",
        urn: undefined,
      },
    ]);
  });

  it("merges the pack config over the schema defaults", () => {
    const props = deploymentProps([{ name: "d", emptyDir: { medium: "Memory" } }]);
    expect(
      reported(resourcePolicy(fakeShm), args(DEPLOY, props, { requireSizeLimit: false })),
    ).toEqual([]);
    const tag = resourcePolicy(fakeTag);
    const latest = {
      spec: { template: { spec: { containers: [{ name: "c", image: "nginx" }] } } },
    };
    expect(reported(tag, args(DEPLOY, latest))).toHaveLength(1);
    expect(reported(tag, args(DEPLOY, latest, { allowedTags: ["latest"] }))).toEqual([]);
  });

  it("remediates on a plain copy and keeps the inputs' shape", () => {
    const policy = resourcePolicy(fakeShm);
    const props = deploymentProps([]);
    const fixed = policy.remediateResource?.(args(DEPLOY, props)) as Record<string, unknown>;
    expect(fixed).not.toHaveProperty("apiVersion");
    expect(fixed).not.toHaveProperty("kind");
    expect(JSON.stringify(fixed)).toContain('"medium":"Memory"');
    expect(props.spec.template.spec.volumes).toEqual([]); // the input is untouched
    expect(resourcePolicy(fakeTag).remediateResource).toBeUndefined();
  });

  it("gives stack rules dependencies that include the children of a depended-on component", () => {
    const r = (type: string, name: string, props: Record<string, unknown> = {}): PolicyResource =>
      ({
        type,
        name,
        urn: `urn:${name}`,
        props,
        opts: {},
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
      }) as unknown as PolicyResource;
    const operator = r("llm-serving:index:LeaderWorkerSetOperator", "op");
    const release = r("kubernetes:helm.sh/v3:Release", "lws");
    release.parent = operator;
    const lws = r("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "g", {
      metadata: { name: "g" },
    });
    lws.dependencies = [operator];
    const entries = stackEntries([operator, release, lws]);
    expect(entries[2]).toMatchObject({
      id: "urn:g",
      dependencies: ["urn:op", "urn:lws"],
      type: lws.type,
      object: { kind: "LeaderWorkerSet", apiVersion: "leaderworkerset.x-k8s.io/v1" },
    });
    expect(entries[1].object).toEqual({});

    const seen: [unknown, string | undefined][] = [];
    const policy = stackPolicy(fakeController);
    const stackArgs = {
      resources: [operator, release, lws],
      getConfig: () => ({}),
      stackTags: new Map(),
      notApplicable: () => {
        throw new Error();
      },
    } as unknown as StackValidationArgs;
    policy.validateStack(stackArgs, (m: unknown, urn?: string) => seen.push([m, urn]));
    expect(seen).toEqual([]);
    lws.dependencies = [];
    policy.validateStack(stackArgs, (m: unknown, urn?: string) => seen.push([m, urn]));
    expect(seen).toEqual([["no LWS controller installed before this LeaderWorkerSet", "urn:g"]]);
  });

  it("makePolicies keeps the rules' order and scope", () => {
    expect(
      makePolicies([fakeTag, fakeController]).map((p) => [p.name, "validateStack" in p]),
    ).toEqual([
      ["fake-tag", false],
      ["fake-controller", true],
    ]);
  });
});
