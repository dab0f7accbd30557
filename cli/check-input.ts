/**
 * Reads what `check` is pointed at: files, directories (recursively: `.yaml`, `.yml`, `.json`)
 * or `-` for stdin; multi-document YAML (Helm output included: `---` separators and
 * `# Source:` comments are plain YAML), JSON, and `List` kinds. Every problem is reported with
 * its file and line; nothing here throws for bad input.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { ManifestObject } from "../policy/engine";
import { flattenLists } from "../policy/objects";

/** Extensions read when walking a directory (a file named explicitly is read whatever its name). */
const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/** Everything read from the inputs. */
export interface LoadedInput {
  /** Every object, in input order; ids are `file#n` (n counts objects in that file from 0). */
  objects: ManifestObject[];
  /** Unreadable or unparseable input, as `file:line:col: message` (check exits 2 if any). */
  errors: string[];
  /** Documents that are not Kubernetes objects (skipped), as `file:line: message`. */
  warnings: string[];
}

/** The manifest files under `path`, sorted so runs are reproducible. */
function walk(path: string, into: string[]): void {
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = join(path, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full).isDirectory());
    if (isDir) walk(full, into);
    else if (MANIFEST_EXTENSIONS.test(entry.name)) into.push(full);
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file or directory";
  if (e?.code === "EACCES") return "permission denied";
  return e instanceof Error ? e.message : String(err);
}

/** Line (1-based) of a character offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/**
 * Parses one file's text into objects (appended to `into`), errors and warnings.
 * @param name how the file is named in messages and ids.
 */
export function parseManifestText(name: string, text: string, into: LoadedInput): void {
  const docs = parseAllDocuments(text);
  // A file that is not YAML at all can come back as an EmptyStream with no documents.
  const list = Array.isArray(docs) ? docs : [];
  let failed = false;
  for (const doc of list) {
    for (const err of doc.errors) {
      failed = true;
      const pos = err.linePos?.[0];
      const where = pos ? `${pos.line}:${pos.col}` : `${lineOf(text, err.pos[0])}`;
      const headline = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      into.errors.push(`${name}:${where}: ${headline}`);
    }
  }
  if (failed) return;
  let n = 0;
  for (const doc of list) {
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue; // empty document (e.g. Helm's comment-only ones)
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    const items = Array.isArray(value) ? value.flatMap(flattenLists) : flattenLists(value);
    if (
      items.length === 0 &&
      !(typeof value === "object" && (value as { items?: unknown }).items)
    ) {
      into.warnings.push(`${name}:${lineOf(text, start)}: skipped: not a Kubernetes object`);
      continue;
    }
    for (const object of items) {
      if (typeof object.kind !== "string" || typeof object.apiVersion !== "string") {
        into.warnings.push(
          `${name}:${lineOf(text, start)}: skipped: not a Kubernetes object (no apiVersion/kind)`,
        );
        continue;
      }
      into.objects.push({ object, id: `${name}#${n++}` });
    }
  }
}

/**
 * Reads every path (files, directories, `-` for stdin) into one manifest set.
 * @param readStdin supplies stdin's text for `-` (injected so tests need no real stdin).
 */
export function loadManifests(paths: readonly string[], readStdin?: () => string): LoadedInput {
  const out: LoadedInput = { objects: [], errors: [], warnings: [] };
  for (const path of paths) {
    if (path === "-") {
      try {
        parseManifestText("<stdin>", readStdin ? readStdin() : readFileSync(0, "utf8"), out);
      } catch (err) {
        out.errors.push(`<stdin>: cannot read: ${reason(err)}`);
      }
      continue;
    }
    let files: string[];
    try {
      if (statSync(path).isDirectory()) {
        files = [];
        walk(path, files);
        if (files.length === 0) out.warnings.push(`${path}: no .yaml, .yml or .json files found`);
      } else {
        files = [path];
      }
    } catch (err) {
      out.errors.push(`${path}: cannot read: ${reason(err)}`);
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        out.errors.push(`${file}: cannot read: ${reason(err)}`);
        continue;
      }
      parseManifestText(file, text, out);
    }
  }
  return out;
}
