import { describe, expect, it } from "vitest";
import { DEFAULT_OPTIONS } from "../../cli/plan-against";
import { type DiffResource, diffResources, type PlanStep, summarize } from "../../cli/plan-diff";
import { autoName } from "../../cli/plan-mocks";
import { REDACTED } from "../../cli/plan-redact";
import { type RecordedOptions, wrapSecret } from "../../cli/recorder";

const STACK = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s";
const CLUSTER = "urn:pulumi:s::p::llm-serving:index:MicroK8sCluster::homelab";

/** A resource as the diff sees it; `shown` defaults to the inputs (nothing secret). */
function res(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  options: Partial<RecordedOptions> = {},
  extra: Partial<DiffResource> = {},
): DiffResource {
  const parent = extra.parent ?? STACK;
  const chain = parent === STACK ? "" : `${parent.split("::")[2]}$`;
  return {
    urn: `urn:pulumi:s::p::${chain}${type}::${name}`,
    type,
    name,
    parent,
    custom: true,
    inputs,
    shown: inputs,
    options: { ...DEFAULT_OPTIONS, ...options },
    ...extra,
  };
}

const CMD = "command:remote:Command";

/** A worker's join command, keyed by node name, target host in `triggers`. */
function join(node: string, host: string, options: Partial<RecordedOptions> = {}): DiffResource {
  return res(
    CMD,
    `homelab-join-${node}`,
    {
      connection: { host, user: "ubuntu" },
      triggers: [host, "192.168.1.10"],
      create: `join ${node}`,
      delete: `leave ${node}`,
    },
    { deleteBeforeReplace: true, ...options },
    { parent: CLUSTER },
  );
}

function ops(steps: PlanStep[]): string[] {
  return steps.map((s) => `${s.op} ${s.name}`);
}

describe("diffResources: identity is the URN", () => {
  const three = [
    join("spark-1", "10.0.0.1"),
    join("spark-2", "10.0.0.2"),
    join("spark-3", "10.0.0.3"),
  ];

  it("changing nothing changes nothing", () => {
    const diff = diffResources(
      three,
      three.map((r) => structuredClone(r)),
    );
    expect(diff.steps).toEqual([]);
    expect(summarize(diff)).toEqual({ create: 0, update: 0, replace: 0, delete: 0, same: 3 });
  });

  it("removing a middle worker deletes only that worker's resources", () => {
    const diff = diffResources(three, [three[0], three[2]]);
    expect(ops(diff.steps)).toEqual(["delete homelab-join-spark-2"]);
    expect(diff.same).toBe(2);
  });

  it("a resource that moves in the list is the same resource", () => {
    const diff = diffResources(three, [three[2], three[0], three[1]]);
    expect(diff.steps).toEqual([]);
  });

  it("creates in program order, deletes last in reverse registration order", () => {
    const a = res("test:index:T", "a", {});
    const b = res("test:index:T", "b", {});
    const c = res("test:index:T", "c", {});
    const d = res("test:index:T", "d", {});
    expect(ops(diffResources([a, b], [c, d]).steps)).toEqual([
      "create c",
      "create d",
      "delete b",
      "delete a",
    ]);
  });

  it("the same name under a parent of another type is another resource", () => {
    const old = res(CMD, "x", { create: "a" });
    const moved = res(CMD, "x", { create: "a" }, {}, { parent: CLUSTER });
    expect(ops(diffResources([old], [moved]).steps)).toEqual(["create x", "delete x"]);
  });

  it("an alias carries the old URN over: no delete, no create", () => {
    const old = res(CMD, "worker-0", { create: "a" });
    const renamed = res(CMD, "spark-1", { create: "b" }, { aliases: [old.urn] });
    const diff = diffResources([old], [renamed]);
    expect(ops(diff.steps)).toEqual(["update spark-1"]);
    expect(diff.steps[0].oldUrn).toBe(old.urn);
  });
});

describe("diffResources: pulumi-command replaces only on triggers", () => {
  it("moving a host replaces that node's command, deleting it first, naming the trigger", () => {
    const diff = diffResources([join("spark-1", "10.0.0.1")], [join("spark-1", "10.0.0.9")]);
    expect(diff.steps).toHaveLength(1);
    const [step] = diff.steps;
    expect(step).toMatchObject({ op: "replace", reasons: ["triggers"], deleteBeforeReplace: true });
    expect(step.changes).toContainEqual({
      path: "triggers[0]",
      kind: "update",
      old: "10.0.0.1",
      new: "10.0.0.9",
      replaces: true,
    });
    expect(step.changes).toContainEqual(
      expect.objectContaining({ path: "connection.host", replaces: false }),
    );
  });

  it("a changed script with the same triggers is an update (create runs again in place)", () => {
    const old = join("spark-1", "10.0.0.1");
    const cur = { ...old, inputs: { ...old.inputs, create: "join spark-1 --retry 3" } };
    const diff = diffResources([old], [cur]);
    expect(diff.steps[0]).toMatchObject({ op: "update", reasons: [] });
    expect(diff.steps[0].deleteBeforeReplace).toBeUndefined();
    expect(diff.steps[0].changes.map((c) => c.path)).toEqual(["create"]);
  });

  it("a changed connection without triggers is an update, as the issue warns", () => {
    const old = res(CMD, "install", { connection: { host: "a" }, create: "x" });
    const cur = res(CMD, "install", { connection: { host: "b" }, create: "x" });
    expect(diffResources([old], [cur]).steps[0].op).toBe("update");
  });
});

describe("diffResources: Kubernetes objects (pulumi-kubernetes forceNew)", () => {
  const labels = (app: string) => ({ matchLabels: { app } });
  /** `name` null: auto-named (the name plan fills in as the provider would). */
  const deployment = (app: string, replicas: number, name: string | null = "vllm") =>
    res("kubernetes:apps/v1:Deployment", "vllm", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: name ?? autoName("vllm"), namespace: "llm" },
      spec: { replicas, selector: labels(app), template: { metadata: { labels: { app } } } },
    });

  it("a Deployment's replicas update in place; its selector replaces, deleting first when named", () => {
    expect(diffResources([deployment("a", 1)], [deployment("a", 2)]).steps[0]).toMatchObject({
      op: "update",
    });
    const step = diffResources([deployment("a", 1)], [deployment("b", 1)]).steps[0];
    expect(step).toMatchObject({
      op: "replace",
      reasons: ["spec.selector"],
      deleteBeforeReplace: true,
    });
  });

  it("an auto-named object is replaced create-first (the new one gets a new name)", () => {
    const old = deployment("a", 1, null);
    const cur = deployment("b", 1, null);
    expect(diffResources([old], [cur]).steps[0]).toMatchObject({
      op: "replace",
      deleteBeforeReplace: false,
    });
  });

  it("a renamed object (same Pulumi name) is replaced, not created alongside", () => {
    const step = diffResources([deployment("a", 1)], [deployment("a", 1, "vllm-2")]).steps[0];
    expect(step).toMatchObject({
      op: "replace",
      reasons: ["metadata.name"],
      deleteBeforeReplace: false,
    });
  });

  it("a Job's pod template is immutable", () => {
    const job = (image: string) =>
      res("kubernetes:batch/v1:Job", "bench", {
        metadata: { name: "bench", namespace: "llm" },
        spec: { backoffLimit: 0, template: { spec: { containers: [{ name: "b", image }] } } },
      });
    const step = diffResources([job("a:1")], [job("a:2")]).steps[0];
    expect(step).toMatchObject({ op: "replace", reasons: ["spec.template"] });
    expect(step.changes[0].path).toBe("spec.template.spec.containers[0].image");
  });

  it("a PVC's storage class replaces; its requested size updates", () => {
    const pvc = (storageClassName: string, storage: string) =>
      res("kubernetes:core/v1:PersistentVolumeClaim", "cache", {
        metadata: { name: "cache", namespace: "llm" },
        spec: { storageClassName, resources: { requests: { storage } } },
      });
    expect(diffResources([pvc("a", "1Gi")], [pvc("a", "2Gi")]).steps[0].op).toBe("update");
    expect(diffResources([pvc("a", "1Gi")], [pvc("b", "1Gi")]).steps[0].op).toBe("replace");
  });

  it("a Secret's data replaces (the provider treats Secrets as immutable by default)", () => {
    const secret = (token: string) =>
      res(
        "kubernetes:core/v1:Secret",
        "hf-token",
        {
          metadata: { name: "hf-token", namespace: "llm" },
          stringData: { token: wrapSecret(token) },
        },
        {},
        {
          shown: {
            metadata: { name: "hf-token", namespace: "llm" },
            stringData: { token: REDACTED },
          },
        },
      );
    const step = diffResources([secret("hf_a")], [secret("hf_b")]).steps[0];
    expect(step).toMatchObject({ op: "replace", reasons: ["stringData"] });
    expect(step.changes).toEqual([
      { path: "stringData.token", kind: "update", old: REDACTED, new: REDACTED, replaces: true },
    ]);
    expect(diffResources([secret("hf_a")], [secret("hf_a")]).steps).toEqual([]);
  });

  it("an unset namespace is `default` for namespaced kinds", () => {
    const svc = (metadata: object) =>
      res("kubernetes:core/v1:Service", "s", { metadata, spec: {} });
    expect(
      diffResources([svc({ name: "s" })], [svc({ name: "s", namespace: "default" })]).steps,
    ).toEqual([]);
  });

  it("a Helm release replaces on name or namespace only", () => {
    const release = (name: string, version: string) =>
      res("kubernetes:helm.sh/v3:Release", "gpu-operator", {
        name,
        chart: "gpu-operator",
        version,
      });
    expect(diffResources([release("a", "1")], [release("a", "2")]).steps[0].op).toBe("update");
    expect(diffResources([release("a", "1")], [release("b", "1")]).steps[0]).toMatchObject({
      op: "replace",
      reasons: ["name"],
    });
  });
});

describe("diffResources: resource options", () => {
  const thing = (inputs: Record<string, unknown>, options: Partial<RecordedOptions> = {}) =>
    res("test:index:Thing", "t", inputs, options);

  it("replaceOnChanges turns a change under its path into a replacement", () => {
    const step = diffResources(
      [thing({ spec: { ports: [1] } }, { replaceOnChanges: ["spec.ports"] })],
      [thing({ spec: { ports: [2] } }, { replaceOnChanges: ["spec.ports"] })],
    ).steps[0];
    expect(step).toMatchObject({ op: "replace", reasons: ["replaceOnChanges: spec.ports"] });
    expect(step.deleteBeforeReplace).toBe(false);
  });

  it("ignoreChanges hides a change", () => {
    expect(
      diffResources(
        [thing({ a: 1, b: 1 }, { ignoreChanges: ["b"] })],
        [thing({ a: 1, b: 2 }, { ignoreChanges: ["b"] })],
      ).steps,
    ).toEqual([]);
  });

  it("a changed replacementTrigger replaces", () => {
    const step = diffResources(
      [thing({ a: 1 }, { replacementTrigger: "v1" })],
      [thing({ a: 1 }, { replacementTrigger: "v2" })],
    ).steps[0];
    expect(step).toMatchObject({ op: "replace", reasons: ["replacementTrigger"] });
  });

  it("replaceWith follows the replacement of the named resource", () => {
    const a = join("spark-1", "10.0.0.1");
    const moved = join("spark-1", "10.0.0.2");
    const b = res("test:index:Thing", "b", { x: 1 }, { replaceWith: [a.urn] });
    expect(ops(diffResources([a, b], [moved, b]).steps)).toEqual([
      "replace homelab-join-spark-1",
      "replace b",
    ]);
  });

  it("a resource of a replaced provider is replaced", () => {
    const provider = res(
      "pulumi:providers:test",
      "prov",
      { endpoint: "a" },
      { replaceOnChanges: ["endpoint"] },
    );
    const user = res("test:index:Thing", "u", { x: 1 }, { provider: `${provider.urn}::id` });
    const moved = { ...provider, inputs: { endpoint: "b" }, shown: { endpoint: "b" } };
    const steps = diffResources([provider, user], [moved, user]).steps;
    expect(steps[1]).toMatchObject({ op: "replace", reasons: ["provider prov is replaced"] });
  });

  it("deleting first also replaces dependents whose replace-keys come from it", () => {
    const ctl = res(
      CMD,
      "install-ctl",
      { triggers: ["10.0.0.1"], create: "x" },
      { deleteBeforeReplace: true },
    );
    const worker = res(
      CMD,
      "join-w",
      { triggers: ["tok"], create: "join" },
      { propertyDependencies: { triggers: [ctl.urn] } },
    );
    const plain = res(
      CMD,
      "log",
      { create: "echo" },
      { propertyDependencies: { create: [ctl.urn] } },
    );
    const moved = { ...ctl, inputs: { triggers: ["10.0.0.9"], create: "x" } };
    const steps = diffResources([ctl, worker, plain], [moved, worker, plain]).steps;
    expect(ops(steps)).toEqual(["replace install-ctl", "replace join-w"]);
    expect(steps[1].reasons[0]).toMatch(/triggers depends on install-ctl/);
    expect(steps[1].deleteBeforeReplace).toBe(true);
  });

  it("notes retained and protected deletes", () => {
    const kept = res("test:index:Thing", "kept", {}, { retainOnDelete: true });
    const locked = res("test:index:Thing", "locked", {}, { protect: true });
    const [a, b] = diffResources([kept, locked], []).steps;
    expect(b.notes[0]).toMatch(/retainOnDelete/);
    expect(a.notes[0]).toMatch(/protected/);
  });

  it("marks types whose provider rules are not modelled", () => {
    const net = (name: string) => res("gcp:compute/network:Network", "vpc", { name });
    const [step] = diffResources([net("a")], [net("b")]).steps;
    expect(step.op).toBe("update");
    expect(step.notes[0]).toMatch(/not modelled/);
  });
});

describe("diffResources: secrets", () => {
  it("shows the visible parts of a secret compared whole, and no secret value", () => {
    const conn = (host: string, key: string) =>
      res(
        CMD,
        "c",
        { connection: wrapSecret({ host, privateKey: key }), create: "x" },
        {},
        { shown: { connection: { host, privateKey: REDACTED }, create: "x" } },
      );
    const moved = diffResources([conn("a", "K1")], [conn("b", "K1")]).steps[0];
    expect(moved.changes).toEqual([
      { path: "connection.host", kind: "update", old: "a", new: "b", replaces: false },
    ]);
    const rekeyed = diffResources([conn("a", "K1")], [conn("a", "K2")]).steps[0];
    expect(rekeyed.op).toBe("update");
    expect(JSON.stringify(rekeyed)).not.toMatch(/K1|K2/);
  });
});

describe("diffResources: a named object replaced by an option", () => {
  it("is created first unless deleteBeforeReplace is set, and says the name will clash", () => {
    const svc = (port: number, options: Partial<RecordedOptions> = {}) =>
      res(
        "kubernetes:core/v1:Service",
        "svc",
        { metadata: { name: "api", namespace: "llm" }, spec: { ports: [{ port }] } },
        { replaceOnChanges: ["spec.ports"], ...options },
      );
    const [step] = diffResources([svc(1)], [svc(2)]).steps;
    expect(step).toMatchObject({ op: "replace", deleteBeforeReplace: false });
    expect(step.notes[0]).toMatch(/AlreadyExists/);
    const [fixed] = diffResources([svc(1)], [svc(2, { deleteBeforeReplace: true })]).steps;
    expect(fixed).toMatchObject({ op: "replace", deleteBeforeReplace: true, notes: [] });
  });

  it("rejects two resources with one URN, as the engine does", () => {
    const a = res("test:index:T", "a", {});
    expect(() => diffResources([], [a, a])).toThrow(/duplicate resource URN/);
  });
});
