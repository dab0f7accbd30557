/** The text report of `check` (and `plan`): one table row per violation, then a summary. */
import type { Violation } from "../policy/rules/types";

/**
 * Renders violations as an aligned table (LEVEL, POLICY, RESOURCE, MESSAGE), mandatory ones
 * first, followed by a one-line summary. Multi-line messages continue under MESSAGE.
 */
export function formatTable(checked: number, violations: readonly Violation[]): string {
  const summary = (m: number, a: number) =>
    `${checked} object${checked === 1 ? "" : "s"} checked: ${m} mandatory, ${a} advisory violation${a === 1 ? "" : "s"}\n`;
  if (violations.length === 0) return summary(0, 0);
  const rows = [...violations].sort(
    (x, y) => Number(x.level === "advisory") - Number(y.level === "advisory"),
  );
  const head = ["LEVEL", "POLICY", "RESOURCE"];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((v) => [v.level, v.policy, v.resource][i].length)),
  );
  const indent = widths.reduce((a, w) => a + w + 2, 0);
  const line = (cells: string[], message: string) =>
    `${cells.map((c, i) => c.padEnd(widths[i])).join("  ")}  ${message.split("\n").join(`\n${" ".repeat(indent)}`)}\n`;
  let text = line(head, "MESSAGE");
  for (const v of rows) text += line([v.level, v.policy, v.resource], v.message);
  const mandatory = rows.filter((v) => v.level === "mandatory").length;
  return text + summary(mandatory, rows.length - mandatory);
}
