import { describe, expect, it } from "vitest";
import type { PlanDiff } from "../../cli/plan-diff";
import { diffDocument, lineDiff, renderDiff, showValue } from "../../cli/plan-diff-view";

const diff: PlanDiff = {
  same: 5,
  steps: [
    {
      op: "create",
      urn: "urn:pulumi:s::p::command:remote:Command::join-spark-4",
      type: "command:remote:Command",
      name: "join-spark-4",
      reasons: [],
      changes: [],
      notes: [],
    },
    {
      op: "update",
      urn: "urn:pulumi:s::p::command:remote:Command::install",
      type: "command:remote:Command",
      name: "install",
      reasons: [],
      changes: [
        {
          path: "create",
          kind: "update",
          old: "set -e\napt-get install a\necho done",
          new: "set -e\napt-get install a b\necho done",
          replaces: false,
        },
      ],
      notes: [],
    },
    {
      op: "replace",
      urn: "urn:pulumi:s::p::command:remote:Command::join-spark-3",
      type: "command:remote:Command",
      name: "join-spark-3",
      reasons: ["triggers"],
      changes: [
        { path: "triggers[0]", kind: "update", old: "10.0.0.3", new: "10.0.0.9", replaces: true },
      ],
      deleteBeforeReplace: true,
      notes: [],
    },
    {
      op: "delete",
      urn: "urn:pulumi:s::p::command:remote:Command::join-spark-2",
      type: "command:remote:Command",
      name: "join-spark-2",
      reasons: [],
      changes: [],
      notes: [],
    },
  ],
};

describe("renderDiff", () => {
  const text = renderDiff(diff, 'Plan of stack "homelab": changes against old.yaml');

  it("lists every step in a table with Pulumi's symbols and the reason", () => {
    expect(text).toContain(
      [
        "OP          TYPE                    NAME          WHY",
        "+ create    command:remote:Command  join-spark-4",
        "~ update    command:remote:Command  install       create",
        "+- replace  command:remote:Command  join-spark-3  triggers (delete first)",
        "- delete    command:remote:Command  join-spark-2",
      ].join("\n"),
    );
    expect(text).toContain(
      "Resources: 1 to create, 1 to update, 1 to replace, 1 to delete, 5 unchanged",
    );
  });

  it("details changed properties: scripts as line diffs, values old => new", () => {
    expect(text).toContain(
      ["    ~ create:", "        - apt-get install a", "        + apt-get install a b"].join("\n"),
    );
    expect(text).toContain('    ~ triggers[0]: "10.0.0.3" => "10.0.0.9"  [replace]');
  });

  it("says so when nothing changes", () => {
    expect(renderDiff({ same: 3, steps: [] }, "h")).toContain("No changes.");
  });

  it("gives --json the summary and the steps", () => {
    expect(diffDocument(diff).summary).toEqual({
      create: 1,
      update: 1,
      replace: 1,
      delete: 1,
      same: 5,
    });
  });
});

describe("lineDiff and showValue", () => {
  it("keeps common lines out and orders removals before additions", () => {
    expect(lineDiff("a\nb\nc", "a\nx\nc\nd")).toEqual(["- b", "+ x", "+ d"]);
  });

  it("cuts long values", () => {
    expect(showValue("x".repeat(500)).length).toBe(160);
    expect(showValue({ a: 1 })).toBe('{"a":1}');
  });
});
