/**
 * Validates Prometheus Operator objects twice: with `@kubernetes-models/prometheus-operator`
 * (the CRDs' schemas compiled; types, required fields, enums) and strictly (unknown fields
 * rejected, as the API server prunes them) against the upstream CRD schema vendored in
 * `shared/upstream/promop-*.json` (prometheus-operator v0.93.0), when that checkout exists.
 */
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Ajv } from "ajv";
import { strictSchema } from "../support/k8s-schema";
import { readUpstreamCrd } from "../support/upstream";

const MODELS = { PodMonitor, PrometheusRule, ServiceMonitor } as const;
const FILES = {
  PodMonitor: "promop-podmonitor.json",
  PrometheusRule: "promop-prometheusrule.json",
  ServiceMonitor: "promop-servicemonitor.json",
} as const;

/** The CRDs carry Go regexps; `(?i)` (case-insensitive) is the one construct JS lacks. */
const goRegExp = Object.assign(
  (pattern: string, flags: string) =>
    pattern.includes("(?i)")
      ? new RegExp(pattern.replaceAll("(?i)", ""), `${flags}i`)
      : new RegExp(pattern, flags),
  { code: "goRegExp" },
);

const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: goRegExp } });

/**
 * Problems of a Prometheus Operator object; empty when valid. `strict` tells whether the
 * upstream schema was there to check unknown fields too.
 */
export function promOperatorProblems(obj: { kind?: string }): {
  problems: string[];
  strict: boolean;
} {
  const kind = obj.kind as keyof typeof MODELS;
  if (!(kind in MODELS)) return { problems: [`no schema for kind ${obj.kind}`], strict: false };
  const problems: string[] = [];
  try {
    new MODELS[kind](obj as never).validate();
  } catch (e) {
    problems.push(String(e));
  }
  const crd = readUpstreamCrd(FILES[kind], `strict ${kind} validation`);
  if (!crd) return { problems, strict: false };
  const validate = ajv.compile(strictSchema(crd.schema) as object);
  if (!validate(obj)) {
    problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
  }
  return { problems, strict: true };
}
