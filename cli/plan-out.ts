/**
 * `plan --out DIR`: writes the plan's files and a manifest of them (`.llm-serving-plan.json`),
 * so the next run removes exactly what the last one wrote (a resource the stack no longer has
 * leaves no stale file) and never a file it did not write. A non-empty directory without a
 * manifest is refused unless `--force`, which writes over only the paths plan writes.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { PlanInputError } from "./plan-project";
import type { PlanFile } from "./plan-view";

/** The manifest's file name inside the output directory. */
export const MANIFEST_FILE = ".llm-serving-plan.json";

/** What the manifest records. */
interface Manifest {
  writtenBy: "llm-serving plan";
  /** Paths relative to the directory, `/`-separated. */
  files: string[];
}

/** True if `rel` stays inside its directory (no absolute path, no `..`). */
function isInside(rel: string): boolean {
  const normal = path.posix.normalize(rel);
  return (
    !path.posix.isAbsolute(normal) && normal !== ".." && !normal.startsWith("../") && normal !== "."
  );
}

/** The files the last run recorded, or undefined when `dir` has no manifest. */
export function readManifest(dir: string): string[] | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return undefined;
  let doc: Partial<Manifest>;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PlanInputError(
      `${file}: not a plan manifest (${(err as Error).message}); remove it or choose another --out directory`,
    );
  }
  if (doc.writtenBy !== "llm-serving plan" || !Array.isArray(doc.files)) {
    throw new PlanInputError(
      `${file}: not a plan manifest; remove it or choose another --out directory`,
    );
  }
  return doc.files.filter((f): f is string => typeof f === "string" && isInside(f));
}

/** Removes `rel` if it is a file (never a directory), then its parents that became empty. */
function removeWritten(dir: string, rel: string): void {
  const target = path.join(dir, rel);
  const stat = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!stat || stat.isDirectory()) return;
  fs.unlinkSync(target);
  for (
    let parent = path.dirname(target);
    parent !== dir && parent.startsWith(dir);
    parent = path.dirname(parent)
  ) {
    try {
      fs.rmdirSync(parent);
    } catch {
      return; // Not empty: something else lives there.
    }
  }
}

/**
 * Writes `files` under `dir` (created if missing) and records them in the manifest.
 * @param force write into a non-empty directory no plan wrote (overwriting only plan's paths).
 * @throws PlanInputError for a non-empty directory without a manifest and without `force`.
 */
export function writePlanFiles(dir: string, files: readonly PlanFile[], force = false): void {
  const root = path.resolve(dir);
  const previous = readManifest(root);
  if (previous === undefined && !force && fs.existsSync(root) && fs.readdirSync(root).length > 0) {
    throw new PlanInputError(
      `--out ${dir}: the directory is not empty and was not written by plan (no ${MANIFEST_FILE}); choose an empty or new directory, or pass --force to write into it (plan never deletes files it did not write)`,
    );
  }
  for (const rel of previous ?? []) removeWritten(root, rel);
  for (const f of files) {
    const target = path.join(root, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content, { mode: f.path.endsWith(".sh") ? 0o755 : 0o644 });
  }
  const manifest: Manifest = { writtenBy: "llm-serving plan", files: files.map((f) => f.path) };
  fs.writeFileSync(path.join(root, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
