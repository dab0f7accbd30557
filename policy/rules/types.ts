/**
 * The contract between the pure policy rules and their three front ends: the CrossGuard pack
 * (`policy/policies.ts`), the offline `check` CLI (plain YAML) and `plan` (a stack under mocks).
 * Nothing here may import the Pulumi SDK: `check` must stay fast and SDK-free.
 */

/** How a violation is enforced; the names CrossGuard uses. */
export type EnforcementLevel = "advisory" | "mandatory" | "disabled";

/** A Kubernetes object as parsed from YAML or as a resource's inputs (kind and apiVersion set). */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A JSON-schema fragment describing one config property of a rule (CrossGuard's `configSchema`). */
export interface ConfigProperty {
  type: "string" | "number" | "integer" | "boolean" | "array" | "object";
  description?: string;
  items?: ConfigProperty;
  default: unknown;
}

/** A rule's config: property name → value (defaults already applied). */
export type RuleConfig = Record<string, unknown>;

/** One finding of a rule. */
export interface Finding {
  /** What is wrong, in terms of the object (container names, volume names …). */
  message: string;
  /** Overrides the rule's level for this finding (e.g. an advisory note from a mandatory rule). */
  level?: EnforcementLevel;
}

/** What every rule declares about itself (shown in docs, the pack and the CLIs). */
export interface RuleMeta {
  /** Stable id, also the CrossGuard policy name, e.g. `shm-memory-backed`. */
  id: string;
  /** One sentence: what the rule enforces and why it matters for GPU inference. */
  description: string;
  /** Default enforcement level (the pack's config can override it). */
  enforcementLevel: EnforcementLevel;
  /** How to fix a violation, as steps a user can follow. */
  remediationSteps: string;
  /** Config properties with their defaults; defaults apply when no config is given. */
  configSchema: Record<string, ConfigProperty>;
}

/** A rule over one object at a time. Returns no findings for objects it does not apply to. */
export interface ResourceRule extends RuleMeta {
  scope: "resource";
  validate(object: K8sObject, config: RuleConfig): Finding[];
  /** Returns a fixed copy of the object, or undefined if it cannot (or need not) fix it. */
  remediate?(object: K8sObject, config: RuleConfig): K8sObject | undefined;
}

/** One object of a stack or manifest set, with what stack rules need to know about it. */
export interface StackEntry {
  object: K8sObject;
  /** Stable id of this entry (the resource URN in a stack, `file#index` in `check`). */
  id: string;
  /** Ids of the entries this one depends on (empty in `check`: plain YAML has no dependencies). */
  dependencies: string[];
  /** Pulumi type token in a stack (e.g. `kubernetes:helm.sh/v3:Release`); undefined in `check`. */
  type?: string;
  /** Raw resource inputs in a stack (e.g. a Helm Release's `chart`), undefined in `check`. */
  inputs?: Record<string, unknown>;
}

/** Where a stack rule runs: a Pulumi stack (knows dependencies) or a plain manifest set. */
export type StackContext = "stack" | "manifests";

/** A rule over the whole stack or manifest set at once. */
export interface StackRule extends RuleMeta {
  scope: "stack";
  /** Stack-only rules (e.g. needing dependencies) are skipped by `check`. */
  stacksOnly: boolean;
  validate(
    entries: StackEntry[],
    config: RuleConfig,
    context: StackContext,
  ): { entry: StackEntry; finding: Finding }[];
}

/** Any rule. */
export type Rule = ResourceRule | StackRule;

/** A violation as every front end reports it (the `check --json` / `policy.json` shape). */
export interface Violation {
  policy: string;
  level: Exclude<EnforcementLevel, "disabled">;
  /** `Kind/namespace/name`, namespace `default` when absent. */
  resource: string;
  message: string;
  /** `check`: the file the object was read from. */
  file?: string;
  /** `check`: the line its document starts on in `file`. */
  line?: number;
}
