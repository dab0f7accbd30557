/**
 * Reads what `check` is pointed at: files, directories (recursively: `.yaml`, `.yml`, `.json`)
 * or `-` for stdin; multi-document YAML (Helm output included: `---` separators and
 * `# Source:` comments are plain YAML), JSON, and `List` kinds. Every problem is reported with
 * its file and line; nothing here throws for bad input.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { Composer, LineCounter, Parser } from "yaml";
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
function walk(path: string, into: string[], seen = new Set<string>()): void {
  // Symlinked directories are followed once each, so a link cycle cannot loop forever.
  const real = realpathSync(path);
  if (seen.has(real)) return;
  seen.add(real);
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = join(path, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full).isDirectory());
    if (isDir) walk(full, into, seen);
    else if (MANIFEST_EXTENSIONS.test(entry.name)) into.push(full);
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file or directory";
  if (e?.code === "EACCES") return "permission denied";
  return e instanceof Error ? e.message : String(err);
}

/**
 * Parses one file's text into objects (appended to `into`), errors and warnings.
 * @param name how the file is named in messages and ids.
 */
export function parseManifestText(name: string, text: string, into: LoadedInput): void {
  // Parser + Composer (what parseAllDocuments does inside), consumed one document at a time:
  // each becomes plain data and its syntax tree is garbage at once, instead of every tree of a
  // large file staying alive until the last document is read.
  const lines = new LineCounter();
  // Merge keys (`<<: *anchor`) resolved as Kubernetes' reader (sigs.k8s.io/yaml on go-yaml) does.
  const composer = new Composer({ merge: true });
  const objects: ManifestObject[] = [];
  const warnings: string[] = [];
  let failed = false;
  let n = 0;
  for (const doc of composer.compose(new Parser(lines.addNewLine).parse(text))) {
    if (doc.errors.length > 0) {
      failed = true;
      for (const err of doc.errors) {
        const pos = lines.linePos(err.pos[0]);
        into.errors.push(`${name}:${pos.line}:${pos.col}: ${err.message.split("\n")[0]}`);
      }
      continue;
    }
    if (failed) continue;
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue; // empty document (e.g. Helm's comment-only ones)
    const line = lines.linePos(doc.contents?.range?.[0] ?? doc.range[0]).line;
    const items = Array.isArray(value) ? value.flatMap(flattenLists) : flattenLists(value);
    if (items.length === 0 && !(typeof value === "object" && "items" in value)) {
      warnings.push(`${name}:${line}: skipped: not a Kubernetes object`);
      continue;
    }
    for (const object of items) {
      if (typeof object.kind !== "string" || typeof object.apiVersion !== "string") {
        warnings.push(`${name}:${line}: skipped: not a Kubernetes object (no apiVersion/kind)`);
        continue;
      }
      objects.push({ object, id: `${name}#${n++}` });
    }
  }
  if (failed) return;
  for (const o of objects) into.objects.push(o);
  for (const w of warnings) into.warnings.push(w);
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
