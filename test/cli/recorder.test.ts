import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
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
