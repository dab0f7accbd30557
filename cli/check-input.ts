/**
 * Reads what `check` is pointed at: files, directories (recursively: `.yaml`, `.yml`, `.json`)
 * or `-` for stdin; multi-document YAML (Helm output included: `---` separators and
 * `# Source:` comments are plain YAML), JSON, and `List` kinds. Every object keeps its file
 * and line; every problem is reported with its file and line, and one bad file never stops
 * the others from being read. Nothing here throws for bad input, and nothing but a regular
 * file (or stdin) is ever opened.
 */
import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { Composer, Parser, type YAMLSeq } from "yaml";
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
  /** Skipped input (not Kubernetes objects, not regular files), as `file:line: message`. */
  warnings: string[];
  /** Files read (regular files and stdin), for the summary. */
  files: number;
}

/** The manifest files under `path`, sorted so runs are reproducible; non-regular files skipped. */
function walk(path: string, into: string[], skipped: string[], seen = new Set<string>()): void {
  // Symlinked directories are followed once each, so a link cycle cannot loop forever.
  const real = realpathSync(path);
  if (seen.has(real)) return;
  seen.add(real);
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const full = join(path, entry.name);
    let kind: "dir" | "file" | "other" = entry.isDirectory()
      ? "dir"
      : entry.isFile()
        ? "file"
        : "other";
    if (entry.isSymbolicLink()) {
      try {
        const target = statSync(full);
        kind = target.isDirectory() ? "dir" : target.isFile() ? "file" : "other";
      } catch {
        kind = "other"; // a dangling link
      }
    }
    if (kind === "dir") walk(full, into, skipped, seen);
    else if (!MANIFEST_EXTENSIONS.test(entry.name)) continue;
    else if (kind === "file") into.push(full);
    else skipped.push(full);
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file or directory";
  if (e?.code === "EACCES") return "permission denied";
  if (e?.code === "EISDIR") return "is a directory";
  return e instanceof Error ? e.message : String(err);
}

/**
 * The text of a manifest file's bytes: UTF-8 (a byte-order mark dropped), or UTF-16 with a
 * byte-order mark, as editors on Windows save it. Anything else — UTF-16 without a mark, a
 * binary file, invalid UTF-8 — is rejected with what to do.
 */
export function decodeManifest(bytes: Uint8Array): { text: string } | { error: string } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder("utf-16le").decode(bytes.subarray(2)) };
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.swap16();
    return { text: new TextDecoder("utf-16le").decode(swapped) };
  }
  if (bytes.includes(0)) {
    return {
      error:
        "not UTF-8 text (NUL bytes: UTF-16 without a byte-order mark, or a binary file); save it as UTF-8",
    };
  }
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { error: "not valid UTF-8; save it as UTF-8" };
  }
}

/**
 * Line and column of offsets in a text, counted forward from the previous question: documents
 * and their items come in order, so a file costs one pass. (yaml's LineCounter keeps every
 * line's offset instead: ten million numbers for a 200,000-object file.)
 */
class LineCursor {
  private offset = 0;
  private line = 1;
  constructor(private readonly text: string) {}

  /** 1-based line and column of `pos`. */
  at(pos: number): { line: number; col: number } {
    if (pos < this.offset) {
      this.offset = 0;
      this.line = 1;
    }
    for (let i = this.text.indexOf("\n", this.offset); i !== -1 && i < pos; ) {
      this.line++;
      i = this.text.indexOf("\n", i + 1);
    }
    this.offset = pos;
    return { line: this.line, col: pos - this.text.lastIndexOf("\n", pos - 1) };
  }
}

/**
 * Parses one file's text into objects (appended to `into`), errors and warnings.
 * @param name how the file is named in messages and ids.
 */
export function parseManifestText(name: string, text: string, into: LoadedInput): void {
  // Parser + Composer (what parseAllDocuments does inside), consumed one document at a time:
  // each becomes plain data and its syntax tree is garbage at once, instead of every tree of a
  // large file staying alive until the last document is read.
  const lines = new LineCursor(text);
  // Merge keys (`<<: *anchor`) resolved as Kubernetes' reader (sigs.k8s.io/yaml on go-yaml)
  // does; yaml's own warnings come back as data (logLevel error) and are reported with a line.
  const composer = new Composer({ merge: true, logLevel: "error" });
  const objects: ManifestObject[] = [];
  const warnings: string[] = [];
  let failed = false;
  let n = 0;
  for (const doc of composer.compose(new Parser().parse(text))) {
    if (doc.errors.length > 0) {
      failed = true;
      for (const err of doc.errors) {
        const pos = lines.at(err.pos[0]);
        into.errors.push(`${name}:${pos.line}:${pos.col}: ${err.message.split("\n")[0]}`);
      }
      continue;
    }
    if (failed) continue;
    const line = lines.at(doc.contents?.range?.[0] ?? doc.range[0]).line;
    for (const w of doc.warnings) {
      warnings.push(`${name}:${lines.at(w.pos[0]).line}: ${w.message.split("\n")[0]}`);
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue; // empty document (e.g. Helm's comment-only ones)
    const isList = Array.isArray(value) || (typeof value === "object" && "items" in value);
    const items = Array.isArray(value) ? value.flatMap(flattenLists) : flattenLists(value);
    if (items.length === 0 && !isList) {
      warnings.push(`${name}:${line}: skipped: not a Kubernetes object`);
      continue;
    }
    // A List's items each start on their own line; nested Lists keep their item's line.
    const itemNodes =
      !Array.isArray(value) && isList
        ? ((doc.get("items", true) as YAMLSeq | undefined)?.items ?? [])
        : [];
    const itemLine = (i: number): number => {
      const node = itemNodes[i] as { range?: [number, number, number] } | undefined;
      return node?.range ? lines.at(node.range[0]).line : line;
    };
    items.forEach((object, i) => {
      const at = items.length === itemNodes.length ? itemLine(i) : line;
      if (typeof object.kind !== "string" || typeof object.apiVersion !== "string") {
        warnings.push(`${name}:${at}: skipped: not a Kubernetes object (no apiVersion/kind)`);
        return;
      }
      objects.push({ object, id: `${name}#${n++}`, file: name, line: at });
    });
  }
  if (failed) return;
  for (const o of objects) into.objects.push(o);
  for (const w of warnings) into.warnings.push(w);
}

/** Reads one file's bytes, or says why not; never opens anything but a regular file. */
function readRegularFile(file: string): { bytes: Buffer } | { skip: string } | { error: string } {
  try {
    // stat first: opening a FIFO blocks and opening a device can act on it.
    if (!statSync(file).isFile()) return { skip: "skipped: not a regular file" };
    const fd = openSync(file, "r");
    try {
      // The path may have been swapped between stat and open: check what was opened.
      if (!fstatSync(fd).isFile()) return { skip: "skipped: not a regular file" };
      return { bytes: readFileSync(fd) };
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return { error: `cannot read: ${reason(err)}` };
  }
}

function parseBytes(name: string, bytes: Uint8Array, into: LoadedInput): void {
  const decoded = decodeManifest(bytes);
  if ("error" in decoded) {
    into.errors.push(`${name}: ${decoded.error}`);
    return;
  }
  into.files += 1;
  parseManifestText(name, decoded.text, into);
}

/**
 * Reads every path (files, directories, `-` for stdin) into one manifest set. A path or file
 * that cannot be read or parsed is recorded in `errors` and the others are still read.
 * @param readStdin supplies stdin's bytes for `-` (injected so tests need no real stdin).
 */
export function loadManifests(
  paths: readonly string[],
  readStdin?: () => string | Uint8Array,
): LoadedInput {
  const out: LoadedInput = { objects: [], errors: [], warnings: [], files: 0 };
  for (const path of paths) {
    if (path === "-") {
      try {
        const input = readStdin ? readStdin() : readFileSync(0);
        parseBytes("<stdin>", typeof input === "string" ? Buffer.from(input) : input, out);
      } catch (err) {
        out.errors.push(`<stdin>: cannot read: ${reason(err)}`);
      }
      continue;
    }
    let files: string[];
    try {
      if (statSync(path).isDirectory()) {
        files = [];
        const skipped: string[] = [];
        walk(path, files, skipped);
        for (const s of skipped) out.warnings.push(`${s}: skipped: not a regular file`);
        if (files.length === 0) out.warnings.push(`${path}: no .yaml, .yml or .json files found`);
      } else {
        files = [path];
      }
    } catch (err) {
      out.errors.push(`${path}: cannot read: ${reason(err)}`);
      continue;
    }
    for (const file of files) {
      const read = readRegularFile(file);
      if ("error" in read) out.errors.push(`${file}: ${read.error}`);
      else if ("skip" in read) out.warnings.push(`${file}: ${read.skip}`);
      else parseBytes(file, read.bytes, out);
    }
  }
  return out;
}
