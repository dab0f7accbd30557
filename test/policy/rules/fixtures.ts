import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { K8sObject, StackContext, StackEntry } from "../../../policy/rules/types";

/** Root of the rule fixtures: `<rule-id>/{pass,fail}/*.yaml`. */
export const FIXTURE_ROOT = join(__dirname, "..", "..", "fixtures", "policy");

/**
 * One fixture file. Its leading `#` comment block describes the case and may carry
 * directives: `expect: <fragment>` (each must appear in some finding of a fail fixture),
 * `level: advisory|mandatory` (the level the expected findings have; defaults to the
 * rule's), `config: {json}` (rule config) and `context: stack` (each document is a
 * StackEntry `{id, type, dependencies, inputs, object}` instead of a Kubernetes object).
 */
export interface Fixture {
  rule: string;
  outcome: "pass" | "fail";
  file: string;
  name: string;
  expect: string[];
  level: string | undefined;
  config: Record<string, unknown>;
  context: StackContext;
  documents: unknown[];
}

function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) {
      if (line.trim() === "") continue;
      break;
    }
    const m = /^#\s*(expect|level|config|context):\s*(.*)$/.exec(line);
    if (m) out.set(m[1] as string, [...(out.get(m[1] as string) ?? []), (m[2] as string).trim()]);
  }
  return out;
}

/** Reads and parses one fixture file; throws on YAML errors (a broken fixture is a bug). */
export function loadFixture(rule: string, outcome: "pass" | "fail", file: string): Fixture {
  const text = readFileSync(file, "utf8");
  const docs = parseAllDocuments(text, { uniqueKeys: true, merge: true });
  const documents: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) documents.push(value);
  }
  const d = directives(text);
  return {
    rule,
    outcome,
    file,
    name: file.slice(FIXTURE_ROOT.length + 1),
    expect: d.get("expect") ?? [],
    level: d.get("level")?.[0],
    config: d.has("config") ? JSON.parse((d.get("config") as string[]).join(" ")) : {},
    context: d.get("context")?.[0] === "stack" ? "stack" : "manifests",
    documents,
  };
}

/** Every fixture, grouped by rule id (directory name). */
export function loadAllFixtures(): Map<string, Fixture[]> {
  const byRule = new Map<string, Fixture[]>();
  for (const rule of readdirSync(FIXTURE_ROOT).sort()) {
    const fixtures: Fixture[] = [];
    for (const outcome of ["pass", "fail"] as const) {
      const dir = join(FIXTURE_ROOT, rule, outcome);
      let files: string[] = [];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
      } catch {
        files = [];
      }
      for (const f of files.sort()) fixtures.push(loadFixture(rule, outcome, join(dir, f)));
    }
    byRule.set(rule, fixtures);
  }
  return byRule;
}

/** The fixture's documents as stack entries (`file#index` ids in a manifest set). */
export function fixtureEntries(fixture: Fixture): StackEntry[] {
  if (fixture.context === "stack") return fixture.documents as StackEntry[];
  return fixture.documents.map((object, i) => ({
    object: object as K8sObject,
    id: `${fixture.name}#${i}`,
    dependencies: [],
  }));
}
