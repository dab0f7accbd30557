/**
 * Property paths as Pulumi writes them (`spec.template.spec.containers[0].image`,
 * `metadata.annotations["app.kubernetes.io/name"]`, `triggers[*]`), the walk that lists where
 * two input bags differ, and the matching rules the engine and providers use on those paths.
 * Pure and SDK-free.
 */

import { isSecretValue } from "./recorder";

/** One step of a property path: a key, an array index, or `*` (any key or index). */
export type PathSegment = string | number;

/** The wildcard segment (`*` / `[*]`). */
export const ANY = "*";

/**
 * Parses a Pulumi property path (`a.b[0]["x.y"]`, `*`, `a[*].b`; Kubernetes' leading `.` too).
 * @throws Error on an unterminated bracket or quote.
 */
export function parsePath(text: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = text.startsWith(".") ? 1 : 0;
  let key = "";
  const flush = () => {
    if (key !== "") out.push(key);
    key = "";
  };
  while (i < text.length) {
    const c = text[i];
    if (c === ".") {
      flush();
      i++;
    } else if (c === "[") {
      flush();
      const close = text.indexOf("]", i);
      if (text[i + 1] === '"') {
        const end = text.indexOf('"]', i + 2);
        if (end < 0) throw new Error(`unterminated quoted key in property path ${text}`);
        out.push(text.slice(i + 2, end).replaceAll('\\"', '"'));
        i = end + 2;
      } else {
        if (close < 0) throw new Error(`unterminated index in property path ${text}`);
        const inner = text.slice(i + 1, close);
        out.push(inner === ANY ? ANY : /^\d+$/.test(inner) ? Number(inner) : inner);
        i = close + 1;
      }
    } else {
      key += c;
      i++;
    }
  }
  flush();
  return out;
}

/** Formats segments as Pulumi prints a property path. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const s of path) {
    if (typeof s === "number") out += `[${s}]`;
    else if (s === ANY) out += out === "" ? s : "[*]";
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out === "" ? s : `.${s}`;
    else out += `["${s.replaceAll('"', '\\"')}"]`;
  }
  return out;
}

function segmentMatches(pattern: PathSegment, actual: PathSegment): boolean {
  return pattern === ANY || pattern === actual;
}

/**
 * True if `path` is `container` or lies under it (`*` matches any one segment): the engine's
 * `PropertyPath.Contains`, by which `replaceOnChanges` and `ignoreChanges` paths cover diffs.
 */
export function pathContains(
  container: readonly PathSegment[],
  path: readonly PathSegment[],
): boolean {
  if (container.length > path.length) return false;
  return container.every((s, i) => segmentMatches(s, path[i]));
}

/** True if `value` has something at `rest` (`*` over any key or index). */
export function hasPath(value: unknown, rest: readonly PathSegment[]): boolean {
  if (rest.length === 0) return value !== undefined;
  if (typeof value !== "object" || value === null) return false;
  const [head, ...tail] = rest;
  const children: unknown[] =
    head === ANY
      ? Object.values(value)
      : [(value as Record<string | number, unknown>)[head as string | number]];
  return children.some((c) => c !== undefined && hasPath(c, tail));
}

/** The value at `path` (undefined where the path leaves the data). */
export function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let v = value;
  for (const s of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[s as string | number];
  }
  return v;
}

/**
 * `value` with the data at `path` replaced by `replacement` (removed if undefined); copies
 * along the path only. Returns `value` itself when an intermediate step is missing, as the
 * engine's `PropertyPath.Reset` fails on a missing element.
 */
export function withValueAt(
  value: unknown,
  path: readonly PathSegment[],
  replacement: unknown,
): unknown {
  if (path.length === 0) return replacement;
  if (typeof value !== "object" || value === null) return value;
  const [head, ...tail] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<
    string | number,
    unknown
  >;
  const key = head as string | number;
  const next = withValueAt(copy[key], tail, replacement);
  if (next === undefined) delete copy[key];
  else copy[key] = next;
  return copy;
}

/** Deep equality of plain data; a secret equals a secret with an equal plain value. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (isSecretValue(a) || isSecretValue(b)) {
    return deepEqual(isSecretValue(a) ? a.value : a, isSecretValue(b) ? b.value : b);
  }
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

/** One difference between two input bags. */
export interface RawChange {
  path: PathSegment[];
  kind: "add" | "delete" | "update";
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === "object" && v !== null && !isSecretValue(v);
}

/**
 * Where `olds` and `news` differ, as the engine's detailed diff lists them: objects and arrays
 * are entered, element by element; anything else (and a secret, whose parts are not shown) is
 * compared whole. Keys in the order old keys first, then new ones.
 */
export function diffValues(olds: unknown, news: unknown, at: PathSegment[] = []): RawChange[] {
  if (deepEqual(olds, news)) return [];
  if (olds === undefined) return [{ path: at, kind: "add" }];
  if (news === undefined) return [{ path: at, kind: "delete" }];
  if (isContainer(olds) && isContainer(news) && Array.isArray(olds) === Array.isArray(news)) {
    const out: RawChange[] = [];
    if (Array.isArray(olds) && Array.isArray(news)) {
      for (let i = 0; i < Math.max(olds.length, news.length); i++) {
        out.push(...diffValues(olds[i], news[i], [...at, i]));
      }
      return out;
    }
    const o = olds as Record<string, unknown>;
    const n = news as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(o), ...Object.keys(n)])];
    for (const k of keys) out.push(...diffValues(o[k], n[k], [...at, k]));
    return out;
  }
  return [{ path: at, kind: "update" }];
}
