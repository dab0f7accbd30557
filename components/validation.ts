import { z } from "zod";

/** One problem in a configuration, located by its path (`models[0].parallelism.tensor`). */
export interface ConfigProblem {
  /** Dotted/indexed path of the offending field, relative to the validated root. */
  path: string;
  /** What is wrong and, where possible, what to do instead. */
  message: string;
}

/**
 * Thrown when a configuration cannot describe a working deployment. It carries every
 * problem found, not only the first, so one run tells the user everything to fix.
 * Thrown before any resource is registered, so nothing is half-created.
 */
export class ConfigError extends Error {
  /** Every problem found, in the order the validator met them. */
  readonly problems: ConfigProblem[];

  constructor(context: string, problems: ConfigProblem[]) {
    super(
      `${context}: invalid configuration\n${problems.map((p) => `  - ${p.path || "(root)"}: ${p.message}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Renders a zod issue path the way users write config keys: `a.b[0].c`. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * Parses `value` with `schema`, or throws a {@link ConfigError} listing every issue by path.
 * @param context names the thing being validated in the error headline (e.g. `VllmServer "chat"`).
 * @param root prefix for every path (e.g. `models[0]`), empty for the top level.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  context: string,
  root = "",
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigError(
    context,
    result.error.issues.map((issue) => ({
      path: formatPath(root, issue.path),
      message: issue.message,
    })),
  );
}

/** A Kubernetes DNS label (RFC 1123): namespace and release names. */
export const dnsLabelSchema = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "must be a DNS label: lowercase letters, digits and '-', at most 63 characters",
  );

/**
 * A container image pinned by tag or digest (`repo:1.2.3`, `repo@sha256:…`), never `latest`:
 * a floating image changes under a running cluster at the next pull.
 */
export const pinnedImageSchema = z
  .string()
  .regex(/^\S+$/, "must be an image reference")
  .refine(
    (s) =>
      /@sha256:[a-f0-9]{64}$/.test(s) ||
      /:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s.split("/").pop() ?? ""),
    "pin the image by tag or digest",
  )
  .refine((s) => !s.endsWith(":latest"), "`latest` is not a pin: name a version");
