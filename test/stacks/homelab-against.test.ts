/**
 * `plan homelab --against`: what a change of the worker list does to the home lab, offline.
 * Two runs (each its own process, as mocks are process-global) start together.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { PlanStep } from "../../cli/plan-diff";
import { HOST_KEYS } from "../microk8s/fixtures";

const root = path.join(__dirname, "..", "..");
const example = parse(fs.readFileSync(path.join(root, "stacks", "Pulumi.homelab.yaml"), "utf8"));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function plan(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", path.join(root, "cli", "main.ts"), "plan", "homelab", ...args],
      { cwd: root, timeout: 230_000, env: { ...process.env, NODE_OPTIONS: "" } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? -1) : 0;
        resolve({ code: typeof code === "number" ? code : -1, stdout, stderr });
      },
    );
  });
}

const worker = (n: number, host: string) => ({
  name: `spark-${n}`,
  host,
  hostKey: HOST_KEYS[n],
  roceAddress: `192.168.100.1${n}`,
});
/** The example stack file with its worker list replaced. */
function settings(workers: unknown[]): string {
  return stringify({ config: { ...example.config, "llm-serving:workers": workers } });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-against-"));
const oldFile = path.join(tmp, "old.yaml");
const newFile = path.join(tmp, "new.yaml");
fs.writeFileSync(
  oldFile,
  settings([worker(1, "192.168.1.21"), worker(2, "192.168.1.22"), worker(3, "192.168.1.23")]),
);
// spark-2, the middle worker, removed; spark-3 moved to another machine.
fs.writeFileSync(newFile, settings([worker(1, "192.168.1.21"), worker(3, "192.168.1.33")]));

let changed: Run;
let unchanged: Run;
beforeAll(async () => {
  [changed, unchanged] = await Promise.all([
    plan("--config", newFile, "--against", oldFile, "--json"),
    plan("--config", oldFile, "--against", oldFile, "--json"),
  ]);
}, 240_000);

const steps = (run: Run): PlanStep[] => (JSON.parse(run.stdout) as { steps: PlanStep[] }).steps;
const names = (op: string) =>
  steps(changed)
    .filter((s) => s.op === op)
    .map((s) => s.name)
    .sort();
const PER_NODE = ["preflight", "install", "member", "join", "admit"];

describe("plan homelab --against", () => {
  it("removing the middle worker deletes only that worker's resources", () => {
    expect(changed.code, changed.stderr).toBe(0);
    expect(names("delete")).toEqual(
      [...PER_NODE.map((k) => `homelab-${k}-spark-2`), "model-cache-nfs-client-spark-2"].sort(),
    );
    // spark-1 is untouched: no step names it.
    expect(steps(changed).filter((s) => s.name.includes("spark-1"))).toEqual([]);
  });

  it("moving a worker to another host replaces that worker's commands, by their triggers", () => {
    expect(names("replace")).toEqual(
      [...PER_NODE.map((k) => `homelab-${k}-spark-3`), "model-cache-nfs-client-spark-3"].sort(),
    );
    for (const s of steps(changed).filter((x) => x.op === "replace")) {
      expect(s.reasons, s.name).toContain("triggers");
    }
    const join = steps(changed).find((s) => s.name === "homelab-join-spark-3");
    expect(join?.deleteBeforeReplace).toBe(true);
  });

  it("updates in place only what follows the worker count: the export and the vLLM group", () => {
    expect(names("update")).toEqual(["model-cache-nfs-export", "vllm-lws"]);
    expect(names("create")).toEqual([]);
  });

  it("changing nothing changes nothing", () => {
    expect(unchanged.code, unchanged.stderr).toBe(0);
    expect(steps(unchanged)).toEqual([]);
  });
});
