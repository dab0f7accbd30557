import { describe, expect, it } from "vitest";
import { diffValues, formatPath, hasPath, parsePath, pathContains } from "../../cli/plan-paths";
import { wrapSecret } from "../../cli/recorder";

describe("property paths", () => {
  it("parse and format round-trip Pulumi's notation", () => {
    for (const p of [
      "spec.template.spec.containers[0].image",
      'metadata.annotations["app.kubernetes.io/name"]',
      "spec.containers[*].env",
      "triggers[1]",
    ]) {
      expect(formatPath(parsePath(p))).toBe(p);
    }
    expect(parsePath(".spec.selector")).toEqual(["spec", "selector"]);
    expect(() => parsePath('a["b')).toThrow(/unterminated/);
  });

  it("contain paths under them, with * for any segment", () => {
    expect(pathContains(parsePath("spec.ports"), parsePath("spec.ports[0].port"))).toBe(true);
    expect(pathContains(parsePath("*"), parsePath("anything.at.all"))).toBe(true);
    expect(
      pathContains(parsePath("spec.containers[*].image"), parsePath("spec.containers[2].image")),
    ).toBe(true);
    expect(pathContains(parsePath("spec.ports"), parsePath("spec"))).toBe(false);
    expect(pathContains(parsePath("spec.ports"), parsePath("spec.selector"))).toBe(false);
    expect(hasPath({ a: [{ b: 1 }] }, parsePath("a[*].b"))).toBe(true);
    expect(hasPath({ a: [{ c: 1 }] }, parsePath("a[*].b"))).toBe(false);
  });
});

describe("diffValues", () => {
  it("lists leaf changes through objects and arrays, adds and deletes whole", () => {
    expect(
      diffValues({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { b: 2, c: [1] }, e: { f: 1 } }),
    ).toEqual([
      { path: ["a", "b"], kind: "update" },
      { path: ["a", "c", 1], kind: "delete" },
      { path: ["d"], kind: "delete" },
      { path: ["e"], kind: "add" },
    ]);
  });

  it("compares a secret whole, by its plain value", () => {
    expect(diffValues({ k: wrapSecret({ x: 1 }) }, { k: wrapSecret({ x: 1 }) })).toEqual([]);
    expect(diffValues({ k: wrapSecret({ x: 1 }) }, { k: wrapSecret({ x: 2 }) })).toEqual([
      { path: ["k"], kind: "update" },
    ]);
  });
});
