/**
 * The offline `pulumi preview --diff`: from the resources of two plans (old, new) to the ordered
 * steps the engine would take. Identity is the URN (type chain + name; `aliases` too), never a
 * position. What replaces a resource: its provider's rules (`plan-providers.ts`), the
 * `replaceOnChanges`, `replacementTrigger` and `replaceWith` options, a replaced provider; what
 * is ignored: `ignoreChanges`. Order as the engine's step generator: creates, updates and
 * replacements in registration order (a delete-before-replace first deletes the resource and
 * every dependent the change would replace), then deletions in reverse order.
 * Sources: pulumi/pulumi `pkg/resource/deploy/step_generator.go` (`applyReplaceOnChanges`,
 * `processIgnoreChanges`, `calculateDependentReplacements`). Pure and SDK-free.
 */

import {
  deepEqual,
  diffValues,
  formatPath,
  type PathSegment,
  parsePath,
  pathContains,
  type RawChange,
  valueAt,
  withValueAt,
} from "./plan-paths";
import { providerModel } from "./plan-providers";
import type { RecordedOptions } from "./recorder";

/** One resource of one side of the diff. */
export interface DiffResource {
  urn: string;
  type: string;
  name: string;
  /** Parent URN, "" for the stack. */
  parent: string;
  /** Provider-managed (false: a component). */
  custom: boolean;
  /** Inputs as compared (recorded values, or redacted ones when the old side is a `--out` directory). */
  inputs: Record<string, unknown>;
  /** The same inputs, secrets redacted: what the diff shows. */
  shown: Record<string, unknown>;
  options: RecordedOptions;
}

/** What happens to one resource. */
export type StepOp = "create" | "update" | "replace" | "delete";

/** One changed property of an update or replacement. */
export interface PropertyChange {
  /** Pulumi property path, e.g. `spec.selector.matchLabels.app`. */
  path: string;
  kind: "add" | "delete" | "update";
  /** Old and new values, secrets redacted (absent when added or deleted). */
  old?: unknown;
  new?: unknown;
  /** True if this change forces the replacement. */
  replaces: boolean;
}

/** One step of the diff. */
export interface PlanStep {
  op: StepOp;
  urn: string;
  type: string;
  name: string;
  /** The old URN when an alias matched it (a rename the engine carries over). */
  oldUrn?: string;
  /** Why a replacement happens (`triggers`, `metadata.name`, `replaceOnChanges: …`, …). */
  reasons: string[];
  /** Changed properties, in input order. */
  changes: PropertyChange[];
  /** Replacement deletes the old resource first (otherwise the new one is created first). */
  deleteBeforeReplace?: boolean;
  /** Extra facts: retained or protected deletes, provider rules not modelled offline. */
  notes: string[];
}

/** The whole diff. */
export interface PlanDiff {
  steps: PlanStep[];
  /** Resources present and unchanged on both sides. */
  same: number;
}

/** Applies `ignoreChanges`: the new inputs take the old values at those paths. */
function ignoringChanges(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  paths: readonly string[],
): Record<string, unknown> {
  let out: unknown = news;
  for (const p of paths) {
    const path = parsePath(p);
    out = withValueAt(out, path, valueAt(olds, path));
  }
  return out as Record<string, unknown>;
}

/** The URN of a provider reference (`urn::id`). */
function providerUrn(ref: string): string {
  const i = ref.lastIndexOf("::");
  return i > 0 ? ref.slice(0, i) : ref;
}

/**
 * A secret compared whole (`connection`) that the redactor could show in part: the change as
 * the shown parts differ (`connection.host`), or whole when only its secret parts changed.
 */
function refineSecret(c: RawChange, oldShown: unknown, newShown: unknown): RawChange[] {
  if (c.kind !== "update") return [c];
  const o = valueAt(oldShown, c.path);
  const n = valueAt(newShown, c.path);
  if (typeof o !== "object" || o === null || typeof n !== "object" || n === null) return [c];
  const parts = diffValues(o, n, c.path);
  return parts.length > 0 ? parts : [c];
}

interface Decision {
  op: "same" | "update" | "replace";
  reasons: string[];
  changes: PropertyChange[];
  deleteBeforeReplace: boolean;
  notes: string[];
}

/** The engine's decision for a resource present on both sides. */
function decide(old: DiffResource, cur: DiffResource, replaced: ReadonlySet<string>): Decision {
  const model = providerModel(cur.type, cur.custom);
  const olds = model.normalize(old.inputs);
  const news = ignoringChanges(olds, model.normalize(cur.inputs), cur.options.ignoreChanges);
  const replaceOnChanges = cur.options.replaceOnChanges.map(parsePath);
  const reasons: string[] = [];
  let providerReplaces = false;
  const changes = diffValues(olds, news)
    .flatMap((c) => refineSecret(c, old.shown, cur.shown))
    .map((c): PropertyChange => {
      const byProvider = model.replaceReason(c.path, olds, news);
      const byOption = replaceOnChanges.find((r) => pathContains(r, c.path));
      if (byProvider) reasons.push(byProvider);
      if (byOption) reasons.push(`replaceOnChanges: ${formatPath(byOption)}`);
      providerReplaces ||= Boolean(byProvider);
      return {
        path: formatPath(c.path),
        kind: c.kind,
        ...(c.kind !== "add" ? { old: valueAt(old.shown, c.path) } : {}),
        ...(c.kind !== "delete" ? { new: valueAt(cur.shown, c.path) } : {}),
        replaces: Boolean(byProvider || byOption),
      };
    });
  const oldTrigger = old.options.replacementTrigger;
  const newTrigger = cur.options.replacementTrigger;
  if (oldTrigger !== undefined && newTrigger !== undefined && !deepEqual(oldTrigger, newTrigger)) {
    reasons.push("replacementTrigger");
  }
  for (const urn of cur.options.replaceWith) {
    if (replaced.has(urn)) reasons.push(`replaceWith: ${urn.slice(urn.lastIndexOf("::") + 2)}`);
  }
  const provider = providerUrn(cur.options.provider);
  if (cur.custom && provider && replaced.has(provider)) {
    reasons.push(`provider ${provider.slice(provider.lastIndexOf("::") + 2)} is replaced`);
  }
  const unique = [...new Set(reasons)];
  const op = unique.length > 0 ? "replace" : changes.length > 0 ? "update" : "same";
  // The provider asks to delete first only for a replacement it decided itself; the program's
  // `deleteBeforeReplace`, when set, overrides it either way.
  const sameName = model.deleteBeforeReplace(olds, news, cur.name);
  const deleteBeforeReplace =
    op === "replace" && (cur.options.deleteBeforeReplace ?? (providerReplaces && sameName));
  const notes: string[] = [];
  if (op === "replace" && !deleteBeforeReplace && sameName) {
    notes.push(
      "the replacement keeps the object's name but is created before the old one is deleted: the API server refuses it (AlreadyExists); set deleteBeforeReplace",
    );
  }
  return { op, reasons: unique, changes, deleteBeforeReplace, notes };
}

/**
 * Dependents of `root` (in the old state) that deleting `root` first forces out too: those whose
 * provider is being replaced, or one of whose inputs comes from a replaced resource and would
 * replace them if it changed (the engine marks such inputs unknown and asks the provider).
 */
function dependentReplacements(
  root: DiffResource,
  olds: readonly DiffResource[],
): { resource: DiffResource; reason: string }[] {
  const replaceSet = new Set([root.urn]);
  const out: { resource: DiffResource; reason: string }[] = [];
  const start = olds.indexOf(root);
  for (const r of olds.slice(start + 1)) {
    if (!r.custom) continue;
    const provider = providerUrn(r.options.provider);
    let reason: string | undefined;
    if (provider && replaceSet.has(provider))
      reason = `its provider is deleted before ${root.name} is replaced`;
    const model = providerModel(r.type, r.custom);
    for (const [key, urns] of Object.entries(r.options.propertyDependencies)) {
      if (reason || !urns.some((u) => replaceSet.has(u))) continue;
      const path: PathSegment[] = [key];
      const byProvider = model.replaceReason(path, r.inputs, r.inputs);
      const byOption = r.options.replaceOnChanges.map(parsePath).some((p) => pathContains(p, path));
      if (byProvider || byOption)
        reason = `${key} depends on ${root.name}, deleted before replacement`;
    }
    if (reason) {
      replaceSet.add(r.urn);
      out.push({ resource: r, reason });
    }
  }
  return out;
}

function step(
  op: StepOp,
  r: DiffResource,
  extra: Partial<Omit<PlanStep, "op" | "urn" | "type" | "name">> = {},
): PlanStep {
  return {
    op,
    urn: r.urn,
    type: r.type,
    name: r.name,
    reasons: [],
    changes: [],
    notes: [],
    ...extra,
  };
}

function deleteNotes(r: DiffResource): string[] {
  const notes: string[] = [];
  if (r.options.retainOnDelete)
    notes.push("retainOnDelete: removed from the stack only, the provider's delete is not run");
  if (r.options.protect) notes.push("protected: the delete fails until `protect` is unset");
  return notes;
}

/**
 * The steps that take a stack from `olds` to `news` (each in registration order).
 * @returns creates, updates and replacements in `news` order, then deletes in reverse `olds` order.
 */
export function diffResources(
  olds: readonly DiffResource[],
  news: readonly DiffResource[],
): PlanDiff {
  const byUrn = new Map(olds.map((r) => [r.urn, r]));
  const matched = new Set<string>();
  const replaced = new Set<string>();
  const forced = new Map<string, string>();
  const steps: PlanStep[] = [];
  let same = 0;
  const seen = new Set<string>();
  for (const cur of news) {
    if (seen.has(cur.urn)) {
      throw new Error(
        `duplicate resource URN ${cur.urn}: the engine refuses a second resource with the same type, parent and name`,
      );
    }
    seen.add(cur.urn);
    const aliasUrn = byUrn.has(cur.urn)
      ? undefined
      : cur.options.aliases.find((a) => byUrn.has(a) && !matched.has(a));
    const old = byUrn.get(cur.urn) ?? (aliasUrn ? byUrn.get(aliasUrn) : undefined);
    if (!old || matched.has(old.urn)) {
      steps.push(step("create", cur));
      continue;
    }
    matched.add(old.urn);
    const decision = decide(old, cur, replaced);
    const forcedReason = forced.get(old.urn);
    if (forcedReason) decision.reasons.push(forcedReason);
    const op = forcedReason ? "replace" : decision.op;
    if (op === "same") {
      same++;
      continue;
    }
    const notes = providerModel(cur.type, cur.custom).modelled
      ? [...decision.notes]
      : ["the provider's schema decides between update and replace: not modelled offline"];
    if (aliasUrn) notes.push(`was ${aliasUrn} (alias)`);
    if (op === "replace") {
      replaced.add(old.urn);
      if (decision.deleteBeforeReplace) {
        for (const d of dependentReplacements(old, olds)) {
          if (!forced.has(d.resource.urn)) forced.set(d.resource.urn, d.reason);
        }
      }
    }
    steps.push(
      step(op, cur, {
        reasons: decision.reasons,
        changes: decision.changes,
        ...(op === "replace"
          ? { deleteBeforeReplace: Boolean(forcedReason) || decision.deleteBeforeReplace }
          : {}),
        notes,
        ...(aliasUrn ? { oldUrn: aliasUrn } : {}),
      }),
    );
  }
  for (const old of [...olds].reverse()) {
    if (matched.has(old.urn)) continue;
    steps.push(step("delete", old, { notes: deleteNotes(old) }));
  }
  return { steps, same };
}

/** Counts of steps by operation, plus the unchanged resources. */
export function summarize(diff: PlanDiff): Record<StepOp | "same", number> {
  const counts = { create: 0, update: 0, replace: 0, delete: 0, same: diff.same };
  for (const s of diff.steps) counts[s.op]++;
  return counts;
}
