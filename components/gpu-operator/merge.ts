/** A Helm values tree (what `values.yaml` holds). */
// biome-ignore lint/suspicious/noExplicitAny: a values tree is free-form YAML; callers index into it.
export type HelmValues = { [key: string]: any };

/** Arguments of a Helm release from a chart repository, as the install plans decide them. */
export interface HelmReleasePlan {
  name: string;
  chart: string;
  repositoryOpts: { repo: string };
  version: string;
  namespace: string;
  values: HelmValues;
  /** Seconds Helm waits for the release's workloads to become ready. */
  timeout: number;
}

function isPlainObject(value: unknown): value is HelmValues {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merges Helm values the way `helm -f a.yaml -f b.yaml` does: maps merge key by key,
 * everything else (scalars and lists) in a later layer replaces the earlier one.
 * Lists are replaced, not concatenated, so a raw `toolkit.env` override replaces the
 * preset's list: copy the preset's entries you still want. Inputs are not mutated.
 */
export function mergeHelmValues(...layers: (HelmValues | undefined)[]): HelmValues {
  const out: HelmValues = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      const prev = Object.hasOwn(out, key) ? out[key] : undefined;
      const merged =
        isPlainObject(prev) && isPlainObject(value)
          ? mergeHelmValues(prev, value)
          : isPlainObject(value)
            ? mergeHelmValues(value)
            : Array.isArray(value)
              ? structuredClone(value)
              : value;
      // Defined, not assigned: a YAML key named `__proto__` is data, and assigning it would
      // set the prototype instead (and drop the key).
      Object.defineProperty(out, key, {
        value: merged,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return out;
}
