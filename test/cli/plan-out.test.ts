import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MANIFEST_FILE, readManifest, writePlanFiles } from "../../cli/plan-out";
import { PlanInputError } from "../../cli/plan-project";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
}

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const first = [
  { path: "manifests/v1-Namespace--llm.yaml", content: "kind: Namespace\n" },
  { path: "scripts/join-spark-2.create.sh", content: "#!/usr/bin/env bash\necho join\n" },
  { path: "resources.json", content: "[]\n" },
];
const second = [
  { path: "manifests/v1-Namespace--llm.yaml", content: "kind: Namespace\n" },
  { path: "resources.json", content: "[1]\n" },
];

describe("writePlanFiles", () => {
  it("writes into a new directory and records what it wrote", () => {
    const dir = path.join(tmpDir(), "out");
    writePlanFiles(dir, first);
    expect(files(dir)).toEqual([MANIFEST_FILE, ...first.map((f) => f.path)].sort());
    expect(readManifest(dir)).toEqual(first.map((f) => f.path));
    expect(fs.statSync(path.join(dir, "scripts/join-spark-2.create.sh")).mode & 0o777).toBe(0o755);
  });

  it("on the next run removes only its own stale files, keeping foreign ones beside them", () => {
    const dir = tmpDir();
    writePlanFiles(dir, first);
    fs.writeFileSync(path.join(dir, "manifests", "mine.yaml"), "kind: Mine\n");
    fs.writeFileSync(path.join(dir, "notes.md"), "my notes\n");
    writePlanFiles(dir, second);
    expect(files(dir)).toEqual(
      [
        MANIFEST_FILE,
        "manifests/mine.yaml",
        "manifests/v1-Namespace--llm.yaml",
        "notes.md",
        "resources.json",
      ].sort(),
    );
    // scripts/ held only plan's file: gone with it.
    expect(fs.existsSync(path.join(dir, "scripts"))).toBe(false);
    expect(fs.readFileSync(path.join(dir, "resources.json"), "utf8")).toBe("[1]\n");
  });

  it("refuses a non-empty directory it did not write, and writes there only with force", () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, "scripts"));
    fs.writeFileSync(path.join(dir, "scripts", "deploy.sh"), "echo mine\n");
    fs.writeFileSync(path.join(dir, "README"), "mine\n");
    expect(() => writePlanFiles(dir, first)).toThrow(PlanInputError);
    expect(() => writePlanFiles(dir, first)).toThrow(/--force/);
    expect(files(dir)).toEqual(["README", "scripts/deploy.sh"]);
    writePlanFiles(dir, first, true);
    writePlanFiles(dir, second);
    expect(files(dir)).toEqual(
      [
        MANIFEST_FILE,
        "README",
        "manifests/v1-Namespace--llm.yaml",
        "resources.json",
        "scripts/deploy.sh",
      ].sort(),
    );
  });

  it("never follows a manifest entry out of the directory", () => {
    const parent = tmpDir();
    const dir = path.join(parent, "out");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(parent, "victim"), "keep\n");
    fs.writeFileSync(
      path.join(dir, MANIFEST_FILE),
      JSON.stringify({ writtenBy: "llm-serving plan", files: ["../victim", "/etc/hostname"] }),
    );
    writePlanFiles(dir, second);
    expect(fs.readFileSync(path.join(parent, "victim"), "utf8")).toBe("keep\n");
  });

  it("rejects a manifest it cannot read instead of guessing", () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), "{not json");
    expect(() => writePlanFiles(dir, second)).toThrow(/not a plan manifest/);
  });
});
