/**
 * How `plan --against` shows a diff: a table of steps (as `pulumi preview` lists them), the
 * summary line, then each update and replacement with its changed properties (as
 * `pulumi preview --diff` does; multi-line strings such as scripts as line diffs), and the JSON
 * document for `--json`. Values arrive redacted. Pure.
 */

import {
  type PlanDiff,
  type PlanStep,
  type PropertyChange,
  type StepOp,
  summarize,
} from "./plan-diff";

/** Pulumi's symbols for each operation. */
const SYMBOL: Record<StepOp, string> = { create: "+", update: "~", replace: "+-", delete: "-" };

/** Longest shown value on one line before it is cut. */
const MAX_VALUE = 160;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The top-level properties a step changes, each once. */
function topLevel(changes: readonly PropertyChange[]): string[] {
  return [...new Set(changes.map((c) => c.path.split(/[.[]/, 1)[0]))];
}

function why(step: PlanStep): string {
  if (step.op === "replace") {
    const first = step.deleteBeforeReplace ? " (delete first)" : "";
    return `${step.reasons.join(", ")}${first}`;
  }
  if (step.op === "update") return topLevel(step.changes).join(", ");
  return step.notes.join("; ");
}

/** One value on one line: JSON, cut when long. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}

/** Lines removed (`-`) and added (`+`) from `a` to `b`, by longest common subsequence. */
export function lineDiff(a: string, b: string): string[] {
  const x = a.split("\n");
  const y = b.split("\n");
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () =>
    new Array(y.length + 1).fill(0),
  );
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      i++;
      j++;
    } else if (i < x.length && (j === y.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${x[i++]}`);
    } else out.push(`+ ${y[j++]}`);
  }
  return out;
}

function changeLines(c: PropertyChange): string[] {
  const mark = c.replaces ? "  [replace]" : "";
  if (c.kind === "add") return [`+ ${c.path}: ${showValue(c.new)}${mark}`];
  if (c.kind === "delete") return [`- ${c.path}: ${showValue(c.old)}${mark}`];
  if (
    typeof c.old === "string" &&
    typeof c.new === "string" &&
    (c.old.includes("\n") || c.new.includes("\n"))
  ) {
    return [`~ ${c.path}:${mark}`, ...lineDiff(c.old, c.new).map((l) => `    ${l}`)];
  }
  return [`~ ${c.path}: ${showValue(c.old)} => ${showValue(c.new)}${mark}`];
}

function details(step: PlanStep): string[] {
  const head = [
    `${SYMBOL[step.op]} ${step.type}  ${step.name}  (${step.op}${step.op === "replace" ? `: ${why(step)}` : ""})`,
  ];
  const notes = step.notes.map((n) => `    note: ${n}`);
  return [...head, ...notes, ...step.changes.flatMap(changeLines).map((l) => `    ${l}`)];
}

/** The summary line, as `pulumi preview` ends. */
export function summaryLine(diff: PlanDiff): string {
  const n = summarize(diff);
  return `Resources: ${n.create} to create, ${n.update} to update, ${n.replace} to replace, ${n.delete} to delete, ${n.same} unchanged`;
}

/** The human-readable diff: steps table, summary, then each changed resource's properties. */
export function renderDiff(diff: PlanDiff, heading: string): string {
  const parts = [heading, ""];
  if (diff.steps.length === 0) parts.push("No changes.");
  else {
    parts.push(
      table([
        ["OP", "TYPE", "NAME", "WHY"],
        ...diff.steps.map((s) => [`${SYMBOL[s.op]} ${s.op}`, s.type, s.name, why(s)]),
      ]),
    );
  }
  parts.push("", summaryLine(diff));
  const changed = diff.steps.filter((s) => s.op === "update" || s.op === "replace");
  if (changed.length > 0) parts.push("", ...changed.flatMap((s) => [...details(s), ""]));
  return `${parts.join("\n").trimEnd()}\n`;
}

/** The `--json` form of a diff: `{summary, steps}`. */
export function diffDocument(diff: PlanDiff): {
  summary: ReturnType<typeof summarize>;
  steps: PlanStep[];
} {
  return { summary: summarize(diff), steps: diff.steps };
}
