/**
 * The CrossGuard policies: one `ResourceValidationPolicy` per resource rule and one
 * `StackValidationPolicy` per stack rule, wrapping the pure rules in `./rules`. Only types come
 * from `@pulumi/policy` (constructing a `PolicyPack` starts a gRPC server: that happens in
 * `index.ts` alone), so tests and `plan` import this module freely.
 *
 * Levels: CrossGuard has one enforcement level per policy. A rule may emit a finding at a lower
 * level than its own (an advisory note from a mandatory rule, e.g. an shm volume without a
 * `sizeLimit`); such a finding is reported through the analyzer's object form of
 * `reportViolation` with `enforcementLevel: "advisory"` and its message prefixed `[advisory]`,
 * so it shows as advisory and does not block `pulumi up`. A finding never raises its policy's
 * level above the configured one.
 */
import type {
  EnforcementLevel as PolicyLevel,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { objectOfResource, plainCopy } from "./objects";
import { rules as allRules } from "./rules";
import { withDefaults } from "./rules/config";
import type { Finding, ResourceRule, Rule, RuleConfig, StackEntry, StackRule } from "./rules/types";

/** The analyzer's undocumented-in-types object form of a violation (see `@pulumi/policy` server). */
interface ViolationObject {
  message: string;
  description?: string;
  urn?: string;
  enforcementLevel?: PolicyLevel;
}

/** Prefix of a finding reported below its policy's level. */
export const ADVISORY_PREFIX = "[advisory] ";

/** A rule's effective config: schema defaults overlaid with what the pack's config sets. */
function configOf(rule: Rule, configured: Record<string, unknown>): RuleConfig {
  return withDefaults(rule, configured);
}

/** Reports one finding the way CrossGuard needs it (see the module comment for levels). */
function report(
  rule: Rule,
  finding: Finding,
  reportViolation: ReportViolation,
  urn?: string,
): void {
  if (finding.level === "disabled") return;
  if (finding.level === "advisory") {
    const violation: ViolationObject = {
      message: `${rule.description}\n${ADVISORY_PREFIX}${finding.message}`,
      description: rule.description,
      enforcementLevel: "advisory",
      urn,
    };
    // The object overload of reportViolation (pulumi/pulumi-policy#424, in @pulumi/policy
    // 1.21) carries a per-violation level; it is kept out of the published type for now, hence
    // the cast. The analyzer test proves the level arrives as advisory over gRPC.
    (reportViolation as unknown as (v: ViolationObject) => void)(violation);
    return;
  }
  reportViolation(finding.message, urn);
}

/** What CrossGuard shows of a rule: the same for resource and stack policies. */
function policyMeta(rule: Rule) {
  return {
    name: rule.id,
    description: rule.description,
    enforcementLevel: rule.enforcementLevel,
    remediationSteps: rule.remediationSteps,
    configSchema: {
      properties: rule.configSchema as NonNullable<
        ResourceValidationPolicy["configSchema"]
      >["properties"],
    },
  };
}

/** The CrossGuard policy for one resource rule. */
export function resourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
  const policy: ResourceValidationPolicy = {
    ...policyMeta(rule),
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      const object = objectOfResource(args.type, args.props);
      if (!object) return;
      for (const finding of rule.validate(object, configOf(rule, args.getConfig()))) {
        report(rule, finding, reportViolation);
      }
    },
  };
  const remediate = rule.remediate;
  if (remediate) {
    policy.remediateResource = (args: ResourceValidationArgs) => {
      const props = plainCopy(args.props) as Record<string, unknown>;
      const object = objectOfResource(args.type, props);
      if (!object) return undefined;
      const fixed = remediate(object, configOf(rule, args.getConfig()));
      if (!fixed) return undefined;
      // Hand back inputs in the shape they came: no apiVersion/kind the program did not set.
      const out: Record<string, unknown> = { ...fixed };
      if (!("apiVersion" in props)) delete out.apiVersion;
      if (!("kind" in props)) delete out.kind;
      return out;
    };
  }
  return policy;
}

/**
 * Stack entries for CrossGuard's resources. A dependency on a component also counts as a
 * dependency on everything inside it (Pulumi waits for a component's children), so a
 * LeaderWorkerSet that depends on an operator component depends on its Helm release too.
 */
export function stackEntries(resources: PolicyResource[]): StackEntry[] {
  const children = new Map<string, PolicyResource[]>();
  for (const r of resources) {
    if (!r.parent) continue;
    const list = children.get(r.parent.urn) ?? [];
    list.push(r);
    children.set(r.parent.urn, list);
  }
  const descendants = (urn: string, into: Set<string>): void => {
    for (const child of children.get(urn) ?? []) {
      if (into.has(child.urn)) continue;
      into.add(child.urn);
      descendants(child.urn, into);
    }
  };
  return resources.map((r) => {
    const deps = new Set<string>();
    for (const d of r.dependencies) {
      deps.add(d.urn);
      descendants(d.urn, deps);
    }
    return {
      object: objectOfResource(r.type, r.props) ?? {},
      id: r.urn,
      dependencies: [...deps],
      type: r.type,
      inputs: r.props,
    };
  });
}

/** The CrossGuard policy for one stack rule (context `stack`: dependencies are known). */
export function stackPolicy(rule: StackRule): StackValidationPolicy {
  return {
    ...policyMeta(rule),
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const entries = stackEntries(args.resources);
      for (const { entry, finding } of rule.validate(
        entries,
        configOf(rule, args.getConfig()),
        "stack",
      )) {
        report(rule, finding, reportViolation, entry.id);
      }
    },
  };
}

/** One CrossGuard policy per rule, in the rules' order. */
export function makePolicies(
  rules: readonly Rule[],
): (ResourceValidationPolicy | StackValidationPolicy)[] {
  return rules.map((rule) =>
    rule.scope === "resource" ? resourcePolicy(rule) : stackPolicy(rule),
  );
}

/** The pack's policies: every rule in `./rules`. */
export const policies = makePolicies(allRules);
