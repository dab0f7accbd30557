import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LineCounter, parseAllDocuments } from "yaml";
import {
  decodeManifest,
  type LoadedInput,
  loadManifests,
  parseManifestText,
} from "../../cli/check-input";

const ROOT = join(__dirname, "..", "..");
const POD =
  "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: busybox:1.37}]\n";

/** Runs `check` as the CLI runs, with a hard timeout so a hang fails instead of blocking. */
function cli(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", "check", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "check-input-"));
}

describe("check reads files as a tool must", () => {
  it("skips FIFOs in a directory and named explicitly, never opening them (no hang)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.yaml"), POD);
    const fifo = join(dir, "pipe.yaml");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const r = cli(["--json", dir, fifo]);
    expect(r.error).toBeUndefined(); // no timeout
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).checked).toBe(1);
    expect(r.stderr).toBe(
      `check: warning: ${fifo}: skipped: not a regular file\ncheck: warning: ${fifo}: skipped: not a regular file\n`,
    );
  });

  it("skips character devices without reading them", () => {
    const input = loadManifests(["/dev/zero"]);
    expect(input.objects).toEqual([]);
    expect(input.errors).toEqual([]);
    expect(input.warnings).toEqual(["/dev/zero: skipped: not a regular file"]);
  });

  it("reports an unreadable file, checks the rest, and exits 2 at the end", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.yaml"), POD.replace("busybox:1.37", "busybox"));
    symlinkSync(join(dir, "gone.yaml"), join(dir, "dangling.yaml"));
    const r = cli(["--json", join(dir, "dangling.yaml"), join(dir, "a.yaml")]);
    expect(r.status).toBe(2);
    const json = JSON.parse(r.stdout);
    expect(json.checked).toBe(1);
    expect(json.violations.map((v: { policy: string }) => v.policy)).toContain("image-tag-pinned");
    expect(json.errors).toEqual([
      `${join(dir, "dangling.yaml")}: cannot read: no such file or directory`,
    ]);
    expect(r.stderr).toBe(
      `check: ${join(dir, "dangling.yaml")}: cannot read: no such file or directory\n`,
    );
  });

  it("reads UTF-8 with a byte-order mark and UTF-16 (LE and BE) with one", () => {
    const dir = tempDir();
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(POD, "utf16le")]);
    const be = Buffer.from(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(POD, "utf16le")]));
    be.swap16(); // FE FF + big-endian text
    writeFileSync(
      join(dir, "bom8.yaml"),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(POD)]),
    );
    writeFileSync(join(dir, "le.yaml"), le);
    writeFileSync(join(dir, "be.yaml"), be);
    const input = loadManifests([dir]);
    expect(input.errors).toEqual([]);
    expect(
      input.objects.map((o) => `${o.object.kind} ${o.object.metadata?.name} ${o.line}`),
    ).toEqual(["Pod p 1", "Pod p 1", "Pod p 1"]);
  });

  it("rejects UTF-16 without a byte-order mark and invalid UTF-8 with what to do", () => {
    expect(decodeManifest(Buffer.from(POD, "utf16le"))).toEqual({
      error:
        "not UTF-8 text (NUL bytes: UTF-16 without a byte-order mark, or a binary file); save it as UTF-8",
    });
    expect(decodeManifest(Buffer.from([0x61, 0xc3, 0x28]))).toEqual({
      error: "not valid UTF-8; save it as UTF-8",
    });
    const dir = tempDir();
    writeFileSync(join(dir, "utf16.yaml"), Buffer.from(POD, "utf16le"));
    writeFileSync(join(dir, "ok.yaml"), POD);
    const r = cli([dir]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("1 object checked");
    expect(r.stderr).toBe(
      `check: ${join(dir, "utf16.yaml")}: not UTF-8 text (NUL bytes: UTF-16 without a byte-order mark, or a binary file); save it as UTF-8\n`,
    );
  });

  it("lets no stray library warning reach stderr: yaml's warnings come back as check's, with a line", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "tagged.yaml"),
      `${POD}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  key: !vault secret\n`,
    );
    const r = cli([join(dir, "tagged.yaml")]);
    expect(r.status).toBe(0);
    for (const line of r.stderr.trimEnd().split("\n")) expect(line).toMatch(/^check: warning: /);
    expect(r.stderr).toContain(`${join(dir, "tagged.yaml")}:11: Unresolved tag: !vault`);
    expect(r.stderr).not.toMatch(/\(node:\d+\)|YAMLWarning/);
  });

  it("places objects, warnings and syntax errors where yaml's LineCounter does", () => {
    const text = `${POD}---\n# a comment\n\n${POD}---\n${POD.replace("busybox:1.37", "!vault x")}---\nspec: [unclosed\n  x: {\n`;
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
    if (!Array.isArray(docs)) throw new Error("expected documents");
    const input: LoadedInput = { objects: [], errors: [], warnings: [], files: 0 };
    parseManifestText("f.yaml", text, input);
    // The file has a syntax error, so none of its objects is checked; its position is yaml's.
    expect(input.objects).toEqual([]);
    expect(input.errors).toHaveLength(3);
    expect(input.errors).toEqual(
      (docs[3]?.errors ?? []).map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return `f.yaml:${line}:${col}: ${e.message.split("\n")[0]}`;
      }),
    );
    const good: LoadedInput = { objects: [], errors: [], warnings: [], files: 0 };
    parseManifestText("g.yaml", text.slice(0, text.lastIndexOf("---")), good);
    expect(good.objects.map((o) => o.line)).toEqual([1, 9, 15]);
    expect(good.warnings).toEqual([
      `g.yaml:${lines.linePos(text.indexOf("!vault")).line}: Unresolved tag: !vault`,
    ]);
  });

  it("gives each List item its own line", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "l"));
    writeFileSync(
      join(dir, "l", "list.yaml"),
      `apiVersion: v1\nkind: List\nitems:\n  - ${POD.replace(/\n(?=.)/g, "\n    ")}  - ${POD.replace("name: p", "name: q").replace(/\n(?=.)/g, "\n    ")}`,
    );
    const input = loadManifests([join(dir, "l")]);
    expect(input.errors).toEqual([]);
    expect(input.objects.map((o) => [o.object.metadata?.name, o.line])).toEqual([
      ["p", 4],
      ["q", 9],
    ]);
  });
});

describe("the README's check examples", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const examples = [...readme.matchAll(/^npm run check -- (.+?)(?:\s+#.*)?$/gm)].map((m) =>
    (m[1] as string).trim().split(/\s+/),
  );

  it("exist", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  for (const args of examples) {
    it(`work as written on a fresh clone: npm run check -- ${args.join(" ")}`, () => {
      const r = cli(args);
      expect(r.error).toBeUndefined();
      // 0 or 1 (a verdict), never 2 (unreadable or invalid input)
      expect([0, 1]).toContain(r.status);
      expect(r.stderr).toBe("");
    });
  }
});
