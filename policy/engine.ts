/**
 * The one evaluation engine behind `check` (plain manifests) and `plan` (a stack under mocks).
 * `check` runs the pure rules directly; `plan` runs the very CrossGuard policy objects of
 * `policies.ts`, with arguments shaped as the analyzer hands them, so what `plan` reports is
 * what `pulumi preview --policy-pack policy` would. Nothing here loads the Pulumi SDK at run
 * time (only its types), which keeps `check` fast.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import { findingLevel, type PolicySettings, resolvePolicyConfig } from "./config";
import { objectOfResource, resourceLabel } from "./objects";
import { ADVISORY_PREFIX, makePolicies } from "./policies";
import { rules as allRules } from "./rules";
import type { K8sObject, Rule, StackEntry, Violation } from "./rules/types";
import { releaseAnalysis } from "./rules/workload";

export { PolicyConfigError, type PolicySettings, resolvePolicyConfig } from "./config";

/** One object of a manifest set and its stable id (`file#index` in `check`). */
export interface ManifestObject {
  object: K8sObject;
  id: string;
  /** The file the object was read from (`<stdin>` for stdin), when it came from one. */
  file?: string;
  /** The 1-based line its document (or List item) starts on in `file`. */
  line?: number;
}

/** One resource of a stack as the mock recorder (or the engine) sees it. */
export interface StackResource {
  /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Logical name. */
  name: string;
  urn: string;
  /** URN of the parent ("" or undefined for the stack's direct children). */
  parent?: string;
  /** URNs this resource depends on. */
  dependencies: string[];
  /** Inputs; secrets may still be wrapped in the SDK's wire form (they are unwrapped here). */
  inputs: Record<string, unknown>;
}

/** A policy config as given (parsed JSON) or already resolved. */
export type PolicyConfigInput = unknown;

function settingsOf(config: PolicyConfigInput, rules: readonly Rule[]): PolicySettings {
  return config instanceof Map ? (config as PolicySettings) : resolvePolicyConfig(config, rules);
}

function crashMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `the policy failed on this object (a bug in the rule, please report it): ${msg}`;
}

/**
 * Runs every rule over a plain manifest set: resource rules on each object, stack rules over
 * the whole set with context `manifests` (rules marked `stacksOnly` are skipped: plain YAML
 * cannot say what the cluster already has). A rule that throws becomes a mandatory violation
 * naming the error, so a bug never passes silently.
 * @param config a CrossGuard policy config (parsed JSON) or resolved {@link PolicySettings};
 *   undefined runs every rule at its defaults.
 * @throws PolicyConfigError when the config does not fit the rules.
 */
export function evaluateManifests(
  objects: readonly ManifestObject[],
  config?: PolicyConfigInput,
  rules: readonly Rule[] = allRules,
): Violation[] {
  const settings = settingsOf(config, rules);
  const out: Violation[] = [];
  const push = (rule: Rule, at: ManifestObject, message: string, level: Violation["level"]) => {
    const v: Violation = { policy: rule.id, level, resource: resourceLabel(at.object), message };
    if (at.file !== undefined) v.file = at.file;
    if (at.line !== undefined) v.line = at.line;
    out.push(v);
  };

  const resourceRules = rules.filter((r) => r.scope === "resource");
  for (const at of objects) {
    for (const rule of resourceRules) {
      const s = settings.get(rule.id);
      if (!s || s.level === "disabled") continue;
      try {
        for (const finding of rule.validate(at.object, s.config)) {
          const level = findingLevel(s.level, finding.level);
          if (level) push(rule, at, finding.message, level);
        }
      } catch (err) {
        push(rule, at, crashMessage(err), "mandatory");
      }
    }
    releaseAnalysis(at.object);
  }

  const byId = new Map<string, ManifestObject>();
  const entries: StackEntry[] = objects.map((o) => {
    byId.set(o.id, o);
    return { object: o.object, id: o.id, dependencies: [] };
  });
  for (const rule of rules) {
    if (rule.scope !== "stack" || rule.stacksOnly) continue;
    const s = settings.get(rule.id);
    if (!s || s.level === "disabled") continue;
    try {
      for (const { entry, finding } of rule.validate(entries, s.config, "manifests")) {
        const level = findingLevel(s.level, finding.level);
        if (level) push(rule, byId.get(entry.id) ?? entry, finding.message, level);
      }
    } catch (err) {
      out.push({
        policy: rule.id,
        level: "mandatory",
        resource: "(manifest set)",
        message: crashMessage(err),
      });
    }
  }
  // What the stack rules analysed again is garbage now (the caller keeps the objects).
  for (const o of objects) releaseAnalysis(o.object);
  return out;
}

/** True if any violation blocks (exit code 1 of `check` and `plan`). */
export function hasMandatory(violations: readonly Violation[]): boolean {
  return violations.some((v) => v.level === "mandatory");
}

/** The SDK's wire marker for a secret value (stable protocol constants). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces wire-form secrets with their plain values, as the analyzer deserializes inputs. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    const rec = value as Record<string, unknown>;
    if (rec[SIG_KEY] === SECRET_SIG) return unwrapSecrets(rec.value);
    return Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason);
}

class NotApplicable extends Error {}

function optionsOf(r: StackResource): PolicyResourceOptions {
  const opts: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
  if (r.parent) opts.parent = r.parent;
  return opts;
}

/** `isType`/`asType` as the analyzer implements them: compare the class's Pulumi type token. */
function typeChecks(type: string, props: Record<string, unknown>) {
  const matches = (cls: unknown): boolean => {
    const c = cls as { __pulumiType?: string; isInstance?: (o: unknown) => boolean };
    if (typeof c.__pulumiType === "string") return c.__pulumiType === type;
    return typeof c.isInstance === "function" && c.isInstance({ __pulumiType: type }) === true;
  };
  return {
    isType: matches as ResourceValidationArgs["isType"],
    asType: ((cls: unknown) =>
      matches(cls) ? props : undefined) as ResourceValidationArgs["asType"],
  };
}

/**
 * Runs the pack's CrossGuard policy objects over a stack's resources exactly as the analyzer
 * would: every resource policy's `validateResource` per resource (`Analyze`), then every stack
 * policy's `validateStack` over all of them (`AnalyzeStack`) with `parent` and `dependencies`
 * resolved to the other `PolicyResource` objects. Violations come back in the `check --json`
 * shape; `resource` is `Kind/namespace/name` (the logical name when `metadata.name` is unset,
 * `type/name` for resources that are not Kubernetes objects).
 * @param config a CrossGuard policy config (parsed JSON) or resolved {@link PolicySettings}.
 * @throws PolicyConfigError when the config does not fit the rules.
 */
export async function evaluateStack(
  resources: readonly StackResource[],
  config?: PolicyConfigInput,
  rules: readonly Rule[] = allRules,
): Promise<Violation[]> {
  const settings = settingsOf(config, rules);
  const policies = makePolicies(rules);
  const stackTags: ReadonlyMap<string, string> = new Map();

  const plain = resources.map((r) => ({
    ...r,
    inputs: unwrapSecrets(r.inputs) as Record<string, unknown>,
  }));
  const labels = new Map<string, string>();
  for (const r of plain) {
    const object = objectOfResource(r.type, r.inputs);
    labels.set(r.urn, object ? resourceLabel(object, r.name) : `${r.type}/${r.name}`);
  }

  const out: Violation[] = [];
  const reporter =
    (
      policyName: string,
      description: string,
      configured: Violation["level"],
      defaultUrn?: string,
    ) =>
    (message: unknown, urn?: string): void => {
      let text: string;
      let level = configured;
      let at = urn ?? defaultUrn;
      if (typeof message === "object" && message !== null) {
        const v = message as { message?: string; enforcementLevel?: string; urn?: string };
        text = v.message ?? description;
        if (text.startsWith(`${description}\n`)) text = text.slice(description.length + 1);
        if (text.startsWith(ADVISORY_PREFIX)) text = text.slice(ADVISORY_PREFIX.length);
        if (v.enforcementLevel === "advisory") level = "advisory";
        at = v.urn ?? at;
      } else {
        text = typeof message === "string" && message !== "" ? message : description;
      }
      out.push({
        policy: policyName,
        level,
        resource: (at && labels.get(at)) ?? "(stack)",
        message: text,
      });
    };

  // Analyze: one call per resource, in registration order.
  for (const r of plain) {
    for (const p of policies) {
      if (!("validateResource" in p) || !p.validateResource) continue;
      const s = settings.get(p.name);
      const level = s ? findingLevel(s.level, undefined) : undefined;
      if (!s || !level) continue;
      const args: ResourceValidationArgs = {
        type: r.type,
        props: r.inputs,
        urn: r.urn,
        name: r.name,
        opts: optionsOf(r),
        stackTags,
        ...typeChecks(r.type, r.inputs),
        getConfig: <T extends object>() => ({ ...s.config }) as T,
        notApplicable,
      };
      const validations = Array.isArray(p.validateResource)
        ? p.validateResource
        : [p.validateResource];
      for (const validate of validations) {
        try {
          await validate(args, reporter(p.name, p.description, level, r.urn));
        } catch (err) {
          if (err instanceof NotApplicable) continue;
          out.push({
            policy: p.name,
            level: "mandatory",
            resource: labels.get(r.urn) ?? r.urn,
            message: crashMessage(err),
          });
        }
      }
    }
  }

  // AnalyzeStack: every resource, parents and dependencies as object references.
  const byUrn = new Map<string, PolicyResource>();
  const policyResources: PolicyResource[] = plain.map((r) => {
    const pr: PolicyResource = {
      type: r.type,
      props: r.inputs,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      dependencies: [],
      propertyDependencies: {},
      ...(typeChecks(r.type, r.inputs) as Pick<PolicyResource, "isType" | "asType">),
    };
    byUrn.set(r.urn, pr);
    return pr;
  });
  plain.forEach((r, i) => {
    const pr = policyResources[i];
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (parent) pr.parent = parent;
    pr.dependencies = r.dependencies.flatMap((d) => byUrn.get(d) ?? []);
  });
  for (const p of policies) {
    if (!("validateStack" in p)) continue;
    const s = settings.get(p.name);
    const level = s ? findingLevel(s.level, undefined) : undefined;
    if (!s || !level) continue;
    const args: StackValidationArgs = {
      resources: policyResources,
      stackTags,
      getConfig: <T extends object>() => ({ ...s.config }) as T,
      notApplicable,
    };
    try {
      await p.validateStack(args, reporter(p.name, p.description, level));
    } catch (err) {
      if (err instanceof NotApplicable) continue;
      out.push({
        policy: p.name,
        level: "mandatory",
        resource: "(stack)",
        message: crashMessage(err),
      });
    }
  }
  return out;
}
