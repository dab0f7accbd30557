/**
 * Secret redaction for everything `plan` prints or writes. Pulumi marks secrets coarsely (a
 * script built with `pulumi.interpolate` around one secret is a secret as a whole; so is a
 * Command's whole `connection`). `plan` shows as much as it safely can: inside a secret it
 * replaces every secret it knows the plain text of, and if it finds none there it cannot tell
 * the secret part from the rest, so the whole value becomes the placeholder.
 * Pure, SDK-free.
 */

import { FABRICATED_SECRETS } from "./plan-mocks";
import { isSecretValue, type RecordedResource } from "./recorder";

/** What replaces a secret everywhere. */
export const REDACTED = "[secret]";

/** Shortest string treated as a findable secret (shorter ones would redact ordinary text). */
const MIN_SECRET_LENGTH = 4;

/** Replaces secrets in recorded values and in any text `plan` emits. */
export interface Redactor {
  /** A recorded value (secrets in the SDK's wire form) as safe plain data. */
  value(value: unknown): unknown;
  /** `text` with every secret stored in clear in the stack file replaced (a last guard on everything emitted). */
  text(text: string): string;
  /** `text` with every known secret replaced (for text computed from plain values, e.g. policy messages). */
  secretsIn(text: string): string;
}

/**
 * Every string that is a secret as a whole somewhere in `value` (wire form): `pulumi.secret("…")`
 * leaves, secret config read whole. Objects that are secret as a whole are not split here: their
 * leaves (a connection's host) are not necessarily secret.
 */
export function secretStrings(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (isSecretValue(value)) {
    const inner = unwrapAll(value.value);
    if (typeof inner === "string") out.add(inner);
    return out;
  }
  if (Array.isArray(value)) for (const v of value) secretStrings(v, out);
  else if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) secretStrings(v, out);
  }
  return out;
}

function unwrapAll(value: unknown): unknown {
  if (isSecretValue(value)) return unwrapAll(value.value);
  if (Array.isArray(value)) return value.map(unwrapAll);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapAll(v)]));
  }
  return value;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A redactor for one plan.
 * @param known plain texts of secrets (config secrets stored in clear, fabricated mock
 *   credentials, strings that are wholly secret anywhere in the stack).
 * @param alwaysScrub plain texts that must vanish from every emitted text, secret or not
 *   (real secret values from the stack file: a program may read them with a non-secret getter).
 */
export function makeRedactor(
  known: Iterable<string>,
  alwaysScrub: Iterable<string> = [],
): Redactor {
  const needles = [...new Set(known)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH && s !== REDACTED)
    .sort((a, b) => b.length - a.length);
  const pattern = needles.length ? new RegExp(needles.map(escapeRegExp).join("|"), "g") : undefined;
  const scrubNeedles = [...new Set(alwaysScrub)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH && s !== REDACTED)
    .sort((a, b) => b.length - a.length);
  const scrubPattern = scrubNeedles.length
    ? new RegExp(scrubNeedles.map(escapeRegExp).join("|"), "g")
    : undefined;

  /** Redacts known secrets inside a secret's plain value; `found` says whether any was there. */
  const inside = (value: unknown): { value: unknown; found: boolean } => {
    if (typeof value === "string") {
      const replaced = pattern ? value.replace(pattern, REDACTED) : value;
      return { value: replaced, found: replaced.includes(REDACTED) };
    }
    if (Array.isArray(value)) {
      const items = value.map(inside);
      return { value: items.map((i) => i.value), found: items.some((i) => i.found) };
    }
    if (typeof value === "object" && value !== null) {
      const entries = Object.entries(value).map(([k, v]) => [k, inside(v)] as const);
      return {
        value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
        found: entries.some(([, v]) => v.found),
      };
    }
    // Numbers and booleans inside a secret: only safe when the secret part was found elsewhere.
    return { value, found: false };
  };

  const redactValue = (value: unknown): unknown => {
    if (isSecretValue(value)) {
      const result = inside(unwrapAll(value.value));
      return result.found ? result.value : REDACTED;
    }
    if (Array.isArray(value)) return value.map(redactValue);
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)]));
    }
    return value;
  };

  const text = (s: string): string => (scrubPattern ? s.replace(scrubPattern, REDACTED) : s);
  const scrubDeep = (value: unknown): unknown => {
    if (typeof value === "string") return text(value);
    if (Array.isArray(value)) return value.map(scrubDeep);
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v)]));
    }
    return value;
  };

  const secretsIn = (s: string): string => text(pattern ? s.replace(pattern, REDACTED) : s);
  return { value: (v) => scrubDeep(redactValue(v)), text, secretsIn };
}

/**
 * The secrets a plan can find inside other secrets: `base` (config secrets stored in clear,
 * fabricated credentials) plus every wholly secret string that does not itself embed one of
 * them (a script interpolating a key is a secret string too, but only its key part is secret).
 */
export function knownSecrets(base: Iterable<string>, wholeSecrets: Iterable<string>): string[] {
  const baseList = [...base].filter((s) => s.length >= MIN_SECRET_LENGTH);
  const embedsKnown = (s: string) => s.includes(REDACTED) || baseList.some((b) => s.includes(b));
  return [...new Set([...baseList, ...[...wholeSecrets].filter((s) => !embedsKnown(s))])];
}

/**
 * The redactor for one program run: the secrets known from its settings file (`clearSecrets`),
 * the mocks' fabricated credentials, and every wholly secret string the run recorded.
 */
export function redactorFor(
  resources: readonly Pick<RecordedResource, "inputs">[],
  outputs: unknown,
  clearSecrets: readonly string[],
): Redactor {
  const whole = new Set<string>();
  for (const r of resources) secretStrings(r.inputs, whole);
  secretStrings(outputs, whole);
  return makeRedactor(knownSecrets([...clearSecrets, ...FABRICATED_SECRETS], whole), clearSecrets);
}
