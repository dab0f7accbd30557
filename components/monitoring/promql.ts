/**
 * PromQL checks with Prometheus' own grammar (`@prometheus-io/lezer-promql`, the parser
 * Prometheus' web UI uses): an expression must parse, and every metric it names must be one
 * the pinned exporters export.
 */
import { parser } from "@prometheus-io/lezer-promql";

/**
 * Grafana's range variables, replaced by a duration before parsing: Grafana substitutes
 * them before Prometheus sees the query. Template variables inside label-matcher strings
 * (`pod=~"$pod"`) are plain strings to PromQL and need nothing.
 */
const GRAFANA_RANGE_VARIABLES = /\$(__rate_interval|__interval|__range)\b/g;

/** The expression Prometheus receives once Grafana has substituted its range variables. */
export function withGrafanaRangesResolved(expr: string): string {
  return expr.replace(GRAFANA_RANGE_VARIABLES, "5m");
}

/** What a PromQL check found. */
export interface PromqlCheck {
  /** Metric names the expression selects (bare names and `__name__="…"` matchers). */
  metrics: string[];
  /** Syntax errors and unknown metrics; empty when the expression is fine. */
  problems: string[];
}

/**
 * Parses `expr` (after {@link withGrafanaRangesResolved}) and lists the metrics it selects.
 * @param allowed when given, every selected metric must be in it.
 */
export function checkPromql(expr: string, allowed?: ReadonlySet<string>): PromqlCheck {
  const text = withGrafanaRangesResolved(expr);
  const metrics: string[] = [];
  const problems: string[] = [];
  if (text.trim() === "") problems.push("empty expression");
  const tree = parser.parse(text);
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) {
        problems.push(`syntax error at offset ${node.from}: ${JSON.stringify(text.slice(0, 80))}`);
        return;
      }
      if (node.name === "VectorSelector") {
        const id = node.node.getChild("Identifier");
        if (id) metrics.push(text.slice(id.from, id.to));
      }
      if (node.name === "UnquotedLabelMatcher") {
        const label = node.node.getChild("LabelName");
        const value = node.node.getChild("StringLiteral");
        if (label && value && text.slice(label.from, label.to) === "__name__") {
          metrics.push(JSON.parse(text.slice(value.from, value.to)) as string);
        }
      }
    },
  });
  if (allowed) {
    for (const m of metrics) {
      if (!allowed.has(m)) problems.push(`metric ${m} is not exported by the pinned exporters`);
    }
  }
  return { metrics, problems };
}
