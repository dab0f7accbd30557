/**
 * Finds the upstream reference data (CRD schemas, Helm chart values) that tests validate
 * rendered objects against. Those files are copied from other projects, so they do not live
 * in this repository: they sit in the steering repository's `shared/upstream/`, which CI lays
 * beside the clone (`<repo>/../shared/upstream`). Each `.json` there is one CRD's served
 * `openAPIV3Schema` plus `_source` (repo, tag, commit, path).
 *
 * Where an npm package carries a schema, tests use the package instead (checked for this
 * module; compiled validators, not JSON):
 * - `kubernetes-models`: every core kind.
 * - `@kubernetes-models/keda`: `keda.sh/v1alpha1` ScaledObject, TriggerAuthentication, ….
 * - `@kubernetes-models/gateway-api`: `gateway.networking.k8s.io` Gateway, HTTPRoute, ….
 * - `@kubernetes-models/prometheus-operator`: `monitoring.coreos.com` ServiceMonitor,
 *   PodMonitor, PrometheusRule, ….
 * - `@kubernetes-models/gke` (4.6.2): Config Connector kinds and some `networking.gke.io`
 *   kinds (GCPBackendPolicy, HealthCheckPolicy, …) but NOT the multi-networking `Network` /
 *   `GKENetworkParamSet`, nor Managed Prometheus' `monitoring.googleapis.com` kinds.
 * - None carries LeaderWorkerSet, the Inference Extension, or the GPU Operator chart values.
 *
 * A clone without `../shared` is not an error: tests that need a file skip, and this module
 * prints once, to stderr, what was skipped and where it looked.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The environment variable that points at an `upstream/` directory explicitly. */
export const UPSTREAM_ENV = "LLM_SERVING_UPSTREAM";

/** The repository root (this file is `test/support/upstream.ts`). */
const REPO_ROOT = resolve(__dirname, "..", "..");

/**
 * Where to look, in order: `$LLM_SERVING_UPSTREAM`, the repository's sibling
 * `../shared/upstream` (a clone next to the steering repo, and CI), then the workplace's
 * `/work/shared/upstream` (git worktrees, whose siblings are other worktrees).
 */
export function upstreamCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = env[UPSTREAM_ENV];
  return [
    ...(fromEnv ? [resolve(fromEnv)] : []),
    join(dirname(REPO_ROOT), "shared", "upstream"),
    "/work/shared/upstream",
  ];
}

/** The first candidate that is a directory with a README.md, or undefined. */
export function findUpstreamDir(candidates: string[] = upstreamCandidates()): string | undefined {
  return candidates.find((dir) => existsSync(join(dir, "README.md")));
}

/** The upstream directory of this run, or undefined when no candidate exists. */
export const UPSTREAM_DIR: string | undefined = findUpstreamDir();

/** True when the upstream reference data is present. */
export const hasUpstream: boolean = UPSTREAM_DIR !== undefined;

/** The one line a skipped test or check reports: what is missing and how to provide it. */
export function upstreamMissingMessage(what: string): string {
  return (
    `upstream reference data not found, so ${what} is skipped: looked in ` +
    `${upstreamCandidates().join(", ")}. Put the steering repo's shared/ beside this ` +
    `clone, or set ${UPSTREAM_ENV} to its upstream/ directory.`
  );
}

const reported = new Set<string>();

/** Prints {@link upstreamMissingMessage} once per `what` (stderr, so vitest shows it). */
export function reportUpstreamMissing(what: string): void {
  if (reported.has(what)) return;
  reported.add(what);
  console.warn(`[upstream] ${upstreamMissingMessage(what)}`);
}

/**
 * Absolute path of `file` in the upstream directory, or undefined (reported once) when the
 * directory is absent. A file missing from a PRESENT directory throws: that is a wrong name
 * or a file still to be added, never something to skip silently.
 */
export function upstreamPath(file: string, what = file): string | undefined {
  if (!UPSTREAM_DIR) {
    reportUpstreamMissing(what);
    return undefined;
  }
  const path = join(UPSTREAM_DIR, file);
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist: add it to shared/upstream (see its README.md)`);
  }
  return path;
}

/** A file's text, or undefined when the upstream directory is absent (reported). */
export function readUpstreamText(file: string, what = file): string | undefined {
  const path = upstreamPath(file, what);
  return path === undefined ? undefined : readFileSync(path, "utf8");
}

/** Where an upstream file came from (`_source` of the `.json` files). */
export interface UpstreamSource {
  /** owner/name on GitHub. */
  repo: string;
  /** Release tag the file was taken from. */
  tag: string;
  /** Commit of that tag. */
  commit?: string;
  /** Path of the file in that repository. */
  path: string;
  /** The CRD's group/version. */
  apiVersion?: string;
  /** The CRD's kind. */
  kind?: string;
}

/** One CRD's `openAPIV3Schema` with its provenance. */
export interface UpstreamCrdSchema {
  /** Where it came from. */
  source: UpstreamSource;
  /** The served version's `openAPIV3Schema`. */
  schema: Record<string, unknown>;
}

/** A CRD schema file (`<name>.json`), or undefined when the directory is absent (reported). */
export function readUpstreamCrd(file: string, what = file): UpstreamCrdSchema | undefined {
  const text = readUpstreamText(file, what);
  if (text === undefined) return undefined;
  const { _source, ...schema } = JSON.parse(text) as Record<string, unknown>;
  if (!_source) throw new Error(`${file}: no _source (see shared/upstream/README.md)`);
  return { source: _source as UpstreamSource, schema };
}
