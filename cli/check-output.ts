/**
 * The text report of `check` (and `plan`): one table row per violation, then a summary. When
 * violations carry their file (as `check`'s do), the table is grouped by file, each row
 * starting with its line.
 */
import type { Violation } from "../policy/rules/types";

/** Where violations that belong to no file (a crashed stack rule) are listed. */
const NO_FILE = "(manifest set)";

function summary(checked: number, m: number, a: number): string {
  return `${checked} object${checked === 1 ? "" : "s"} checked: ${m} mandatory, ${a} advisory violation${a === 1 ? "" : "s"}\n`;
}

/**
 * Renders violations as an aligned table followed by a one-line summary. Without files:
 * LEVEL, POLICY, RESOURCE, MESSAGE, mandatory rows first. With files: one section per file
 * (in the order the files first appear), rows by line, with LINE, LEVEL, POLICY, RESOURCE,
 * MESSAGE. Multi-line messages continue under MESSAGE.
 */
export function formatTable(checked: number, violations: readonly Violation[]): string {
  if (violations.length === 0) return summary(checked, 0, 0);
  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  const byFile = violations.some((v) => v.file !== undefined);
  const cells = (v: Violation) =>
    byFile
      ? [v.line === undefined ? "" : `${v.line}`, v.level, v.policy, v.resource]
      : [v.level, v.policy, v.resource];
  const head = byFile ? ["LINE", "LEVEL", "POLICY", "RESOURCE"] : ["LEVEL", "POLICY", "RESOURCE"];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...violations.map((v) => (cells(v)[i] as string).length)),
  );
  const pad = byFile ? "  " : "";
  const indent = pad.length + widths.reduce((a, w) => a + w + 2, 0);
  const line = (row: string[], message: string) =>
    `${pad}${row.map((c, i) => c.padEnd(widths[i] as number)).join("  ")}  ${message.split("\n").join(`\n${" ".repeat(indent)}`)}\n`;
  const rank = (v: Violation) => Number(v.level === "advisory");
  if (!byFile) {
    let text = line(head, "MESSAGE");
    for (const v of [...violations].sort((x, y) => rank(x) - rank(y))) {
      text += line(cells(v), v.message);
    }
    return text + summary(checked, mandatory, violations.length - mandatory);
  }
  const groups = new Map<string, Violation[]>();
  for (const v of violations) {
    const key = v.file ?? NO_FILE;
    const list = groups.get(key) ?? [];
    list.push(v);
    groups.set(key, list);
  }
  const sections: string[] = [];
  for (const [file, list] of groups) {
    const rows = [...list].sort((x, y) => (x.line ?? 0) - (y.line ?? 0) || rank(x) - rank(y));
    let text = `${file}\n${line(head, "MESSAGE")}`;
    for (const v of rows) text += line(cells(v), v.message);
    sections.push(text);
  }
  return `${sections.join("\n")}\n${summary(checked, mandatory, violations.length - mandatory)}`;
}
