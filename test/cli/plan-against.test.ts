/**
 * `plan --against` end to end on the fixture program: each run is its own process (mocks are
 * process-global) and runs the old settings in a child of its own. The runs start together.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runPlan } from "../../cli/plan";
import type { PlanStep } from "../../cli/plan-diff";
import { type CliRun, REPO_ROOT, runPlanCli } from "../support/plan-cli";

const fixture = path.join(REPO_ROOT, "test", "fixtures", "plan-program");
const SSH_KEY = "PLAIN-SSH-KEY-7f3a9c";

type Run = CliRun;

function plan(...args: string[]): Promise<Run> {
  return runPlanCli(["ok", "--cwd", fixture, ...args], 110_000);
}

/** Settings of the fixture's `ok` stack plus workers keyed by name and a benchmark Job. */
function settings(extra: Record<string, unknown>): string {
  return stringify({
    config: {
      "plan-fixture:sshKey": SSH_KEY,
      "plan-fixture:hfToken": { secure: "v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBB" },
      "plan-fixture:node": { host: "192.0.2.10", user: "ubuntu" },
      "plan-fixture:shm": true,
      ...extra,
    },
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-against-"));
const oldFile = path.join(tmp, "old.yaml");
const newFile = path.join(tmp, "new.yaml");
const outDir = path.join(tmp, "out");
fs.writeFileSync(
  oldFile,
  settings({
    "plan-fixture:workers": [
      { name: "spark-1", host: "192.0.2.21" },
      { name: "spark-2", host: "192.0.2.22" },
      { name: "spark-3", host: "192.0.2.23" },
    ],
    "plan-fixture:benchArgs": "--num-prompts 10",
  }),
);
// spark-2 removed (the middle one), spark-3 moved, spark-4 added; the Job's args, the
// Deployment's replicas and the Service's port changed.
fs.writeFileSync(
  newFile,
  settings({
    "plan-fixture:workers": [
      { name: "spark-1", host: "192.0.2.21" },
      { name: "spark-3", host: "192.0.2.33" },
      { name: "spark-4", host: "192.0.2.24" },
    ],
    "plan-fixture:benchArgs": "--num-prompts 20",
    "plan-fixture:replicas": 2,
    "plan-fixture:port": 8001,
  }),
);

let changed: Run;
let unchanged: Run;
let againstDir: Run;
let written: Run;
beforeAll(async () => {
  [changed, written] = await Promise.all([
    plan("--config", newFile, "--against", oldFile, "--json"),
    plan("--config", oldFile, "--out", outDir),
  ]);
  [againstDir, unchanged] = await Promise.all([
    plan("--config", newFile, "--against", outDir),
    plan("--config", oldFile, "--against", outDir, "--json"),
  ]);
}, 240_000);

function steps(run: Run): PlanStep[] {
  return (JSON.parse(run.stdout) as { steps: PlanStep[] }).steps;
}

const byName = (run: Run, name: string) => steps(run).find((s) => s.name === name);

describe("plan --against another settings file", () => {
  it("lists creates, updates, replacements and deletes in the engine's order", () => {
    expect(changed.stderr).toBe("");
    expect(changed.code).toBe(0);
    const ops = steps(changed).map((s) => `${s.op} ${s.name}`);
    expect([...ops].sort()).toEqual([
      "create join-spark-4",
      "delete join-spark-2",
      "replace bench",
      "replace chat-svc",
      "replace join-spark-3",
      "update chat-vllm",
    ]);
    // Deletions come after every create, update and replacement.
    expect(ops.at(-1)).toBe("delete join-spark-2");
    expect(JSON.parse(changed.stdout).summary).toEqual({
      create: 1,
      update: 1,
      replace: 3,
      delete: 1,
      same: 9,
    });
  });

  it("removing a middle worker deletes only that worker's command", () => {
    const deletes = steps(changed).filter((s) => s.op === "delete");
    expect(deletes.map((s) => s.name)).toEqual(["join-spark-2"]);
    expect(byName(changed, "join-spark-1")).toBeUndefined();
  });

  it("moving a host replaces that node's command, naming the trigger, deleting first", () => {
    // The provider's rule, and the `replaceOnChanges` the @pulumi/command SDK sets itself.
    expect(byName(changed, "join-spark-3")).toMatchObject({
      reasons: ["triggers", "replaceOnChanges: triggers[*]"],
      deleteBeforeReplace: true,
    });
    expect(byName(changed, "join-spark-3")?.changes).toContainEqual({
      path: "triggers[0]",
      kind: "update",
      old: "192.0.2.23",
      new: "192.0.2.33",
      replaces: true,
    });
  });

  it("names the provider's and the options' reasons for the other replacements", () => {
    expect(byName(changed, "bench")).toMatchObject({
      reasons: ["spec.template"],
      deleteBeforeReplace: true,
    });
    // Replaced by the program's option, not the provider: created first, so the name clashes.
    expect(byName(changed, "chat-svc")).toMatchObject({
      reasons: ["replaceOnChanges: spec.ports"],
      deleteBeforeReplace: false,
    });
    expect(byName(changed, "chat-svc")?.notes[0]).toMatch(/AlreadyExists/);
    expect(byName(changed, "chat-vllm")?.changes).toEqual([
      { path: "spec.replicas", kind: "update", old: 1, new: 2, replaces: false },
    ]);
  });

  it("changing nothing changes nothing", () => {
    expect(unchanged.code).toBe(0);
    expect(JSON.parse(unchanged.stdout)).toMatchObject({
      steps: [],
      summary: { create: 0, update: 0, replace: 0, delete: 0, same: 14 },
    });
  });

  it("shows no secret", () => {
    for (const run of [changed, unchanged, againstDir]) expect(run.stdout).not.toContain(SSH_KEY);
  });
});

describe("plan --against a directory written by plan --out", () => {
  it("shows the same steps as a table, then each change", () => {
    expect(written.code).toBe(0);
    expect(againstDir.stderr).toBe("");
    expect(againstDir.code).toBe(0);
    const text = againstDir.stdout;
    expect(text).toContain(`changes against ${outDir}`);
    expect(text).toMatch(
      /^\+- replace +command:remote:Command +join-spark-3 +triggers, replaceOnChanges: triggers\[\*\] \(delete first\)$/m,
    );
    expect(text).toMatch(/^- delete +command:remote:Command +join-spark-2$/m);
    expect(text).toMatch(/^\+ create +command:remote:Command +join-spark-4$/m);
    expect(text).toMatch(/^~ update +kubernetes:apps\/v1:Deployment +chat-vllm +spec$/m);
    expect(text).toContain(
      "Resources: 1 to create, 1 to update, 3 to replace, 1 to delete, 9 unchanged",
    );
    expect(text).toContain('    ~ triggers[0]: "192.0.2.23" => "192.0.2.33"  [replace]');
  });
});

describe("plan --against: bad input", () => {
  it("a path that does not exist exits 2 with the option named", async () => {
    let stderr = "";
    const code = await runPlan(["ok", "--cwd", fixture, "--against", path.join(tmp, "nope")], {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (stderr += t) },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/--against .*nope: no such file or directory/);
  });

  it("a directory without resources.json exits 2", async () => {
    let stderr = "";
    const code = await runPlan(["ok", "--cwd", fixture, "--against", tmp], {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (stderr += t) },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/no readable resources\.json/);
  });
});
