import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  aliasUrn,
  containsSecret,
  type Recording,
  recordRegistrations,
  unwrapSecrets,
} from "../../cli/recorder";

class Thing extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super("test:index:Thing", name, props, opts);
  }
}

class Box extends pulumi.ComponentResource {
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Box", name, {}, opts);
    new Thing(`${name}-thing`, { secret: pulumi.secret("s3cr3t"), plain: "p" }, { parent: this });
    this.registerOutputs({});
  }
}

let rec: Recording;
beforeAll(async () => {
  rec = await recordRegistrations({ project: "p", stack: "s" });
  const first = new Box("a");
  new Box("b", { dependsOn: [first] });
  await rec.settle();
});

describe("recordRegistrations", () => {
  it("records type, parent and dependencies", () => {
    const thing = rec.resources.find((r) => r.name === "a-thing");
    const box = rec.resources.find((r) => r.name === "a");
    expect(box?.custom).toBe(false);
    expect(thing?.parent).toBe(box?.urn);
    expect(thing?.urn).toContain("test:index:Box$test:index:Thing::a-thing");
    const b = rec.resources.find((r) => r.name === "b");
    expect(b?.dependencies).toContain(thing?.urn);
  });

  it("keeps secrets wrapped until asked", () => {
    const thing = rec.resources.find((r) => r.name === "a-thing");
    expect(containsSecret(thing?.inputs)).toBe(true);
    expect(unwrapSecrets(thing?.inputs, "[secret]")).toEqual({ secret: "[secret]", plain: "p" });
    expect(unwrapSecrets(thing?.inputs)).toEqual({ secret: "s3cr3t", plain: "p" });
  });
});

describe("recordRegistrations: the options a diff acts on", () => {
  let opts: Recording;
  beforeAll(async () => {
    opts = rec;
    const base = new Thing("base", { plain: "p" });
    new Thing(
      "opted",
      { plain: base.urn, other: "o" },
      {
        replaceOnChanges: ["plain"],
        ignoreChanges: ["other"],
        deleteBeforeReplace: true,
        retainOnDelete: true,
        aliases: [{ name: "old-name" }],
      },
    );
    await opts.settle();
  });

  it("records replaceOnChanges, ignoreChanges, deleteBeforeReplace, retainOnDelete", () => {
    const opted = opts.resources.find((r) => r.name === "opted");
    expect(opted?.options).toMatchObject({
      replaceOnChanges: ["plain"],
      ignoreChanges: ["other"],
      deleteBeforeReplace: true,
      retainOnDelete: true,
      protect: false,
    });
    // Unset means "the provider decides", not false.
    const thing = opts.resources.find((r) => r.name === "a-thing");
    expect(thing?.options?.deleteBeforeReplace).toBeUndefined();
  });

  it("resolves aliases to the URN the engine would look up, and records property dependencies", () => {
    const opted = opts.resources.find((r) => r.name === "opted");
    const base = opts.resources.find((r) => r.name === "base");
    expect(opted?.options?.aliases).toEqual([opted?.urn.replace(/::opted$/, "::old-name")]);
    expect(opted?.options?.propertyDependencies.plain).toEqual([base?.urn]);
  });

  it("builds alias URNs with the parent's type chain, never the stack's", () => {
    const own = {
      urn: "urn:pulumi:s::p::test:index:Box$test:index:Thing::a-thing",
      type: "test:index:Thing",
      name: "a-thing",
      parent: "urn:pulumi:s::p::test:index:Box::a",
    };
    expect(aliasUrn({ name: "thing-0" }, own)).toBe(
      "urn:pulumi:s::p::test:index:Box$test:index:Thing::thing-0",
    );
    expect(aliasUrn({ noParent: true }, own)).toBe("urn:pulumi:s::p::test:index:Thing::a-thing");
    expect(aliasUrn({ parentUrn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s" }, own)).toBe(
      "urn:pulumi:s::p::test:index:Thing::a-thing",
    );
  });
});
