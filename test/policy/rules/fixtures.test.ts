import { describe, expect, it } from "vitest";
import { rules } from "../../../policy/rules";
import { withDefaults } from "../../../policy/rules/config";
import type { Finding, K8sObject, Rule } from "../../../policy/rules/types";
import { validateManifest } from "../../support/k8s-schema";
import { type Fixture, fixtureEntries, loadAllFixtures } from "./fixtures";

const fixtures = loadAllFixtures();

/** Runs a rule over a fixture the way the front ends do: defaults + the fixture's config. */
function run(rule: Rule, fixture: Fixture): Finding[] {
  const config = withDefaults(rule, fixture.config);
  if (rule.scope === "resource") {
    return fixture.documents.flatMap((d) => rule.validate(d as K8sObject, config));
  }
  return rule.validate(fixtureEntries(fixture), config, fixture.context).map((v) => v.finding);
}

function levelOf(rule: Rule, fixture: Fixture, f: Finding): string {
  const configured = fixture.config.enforcementLevel;
  return f.level ?? (typeof configured === "string" ? configured : rule.enforcementLevel);
}

describe("rule fixtures", () => {
  it("every rule has a fixture directory and every directory a rule", () => {
    expect([...fixtures.keys()].sort()).toEqual(rules.map((r) => r.id).sort());
  });

  for (const rule of rules) {
    const mine = fixtures.get(rule.id) ?? [];
    describe(rule.id, () => {
      it("has at least 3 passing and 3 failing fixtures", () => {
        expect(mine.filter((f) => f.outcome === "pass").length).toBeGreaterThanOrEqual(3);
        expect(mine.filter((f) => f.outcome === "fail").length).toBeGreaterThanOrEqual(3);
      });
      for (const fixture of mine) {
        it(`${fixture.outcome}: ${fixture.name}`, () => {
          const findings = run(rule, fixture);
          if (fixture.outcome === "pass") {
            const atLevel = findings.filter(
              (f) => levelOf(rule, fixture, f) === rule.enforcementLevel,
            );
            expect(atLevel.map((f) => f.message)).toEqual([]);
          } else {
            const level = fixture.level ?? rule.enforcementLevel;
            const atLevel = findings.filter((f) => levelOf(rule, fixture, f) === level);
            expect(fixture.expect.length, "a fail fixture says what it expects").toBeGreaterThan(0);
            expect(atLevel.length).toBeGreaterThan(0);
            for (const fragment of fixture.expect) {
              expect(atLevel.map((f) => f.message).join("\n")).toContain(fragment);
            }
          }
        });
      }
    });
  }
});

describe("fixtures are valid Kubernetes objects", () => {
  for (const [, mine] of fixtures) {
    for (const fixture of mine) {
      it(fixture.name, () => {
        const objects =
          fixture.context === "stack"
            ? fixtureEntries(fixture)
                .map((e) => e.object)
                .filter((o) => o?.kind !== undefined)
            : fixture.documents;
        for (const o of objects) expect(validateManifest(o)).toEqual([]);
      });
    }
  }
});
