import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCheck } from "../../cli/check";
import { fakeRules } from "../policy/fake-rules";

const FIX = join(__dirname, "..", "fixtures", "check");
const fx = (name: string) => join(FIX, name);

/** Runs check with the fake rules, capturing output. */
async function check(argv: string[], stdin?: string) {
  let stdout = "";
  let stderr = "";
  const code = await runCheck(
    argv,
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    },
    { rules: fakeRules, readStdin: stdin === undefined ? undefined : () => stdin },
  );
  return { code, stdout, stderr };
}

async function checkJson(argv: string[]) {
  const r = await check(["--json", ...argv]);
  return {
    ...r,
    json: JSON.parse(r.stdout) as { checked: number; violations: Record<string, string>[] },
  };
}

describe("check exit codes", () => {
  it("0 when nothing mandatory is violated", async () => {
    const r = await check([fx("good.yaml")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("2 objects checked: 0 mandatory, 0 advisory violations\n");
    expect(r.stderr).toBe("");
  });

  it("1 on a mandatory violation, with a table naming its file and line", async () => {
    const r = await check([fx("bad-shm.yaml")]);
    expect(r.code).toBe(1);
    const [file, head, row, summary] = r.stdout.trimEnd().split("\n").filter(Boolean);
    expect(file).toBe(fx("bad-shm.yaml"));
    expect(head).toMatch(/^ {2}LINE\s+LEVEL\s+POLICY\s+RESOURCE\s+MESSAGE$/);
    expect(row).toMatch(
      /^ {2}2\s+mandatory\s+fake-shm\s+Deployment\/default\/chat-noshm\s+no memory-backed emptyDir at \/dev\/shm$/,
    );
    expect(summary).toBe("1 object checked: 1 mandatory, 0 advisory violations");
  });

  it("groups the table by file, in input order, rows by line", async () => {
    const r = await check([fx("list.yaml"), fx("helm-output.yaml")]);
    const out = r.stdout;
    const list = out.indexOf(`${fx("list.yaml")}\n`);
    const helm = out.indexOf(`${fx("helm-output.yaml")}\n`);
    expect(list).toBe(0);
    expect(helm).toBeGreaterThan(list);
    const helmRows = out
      .slice(helm)
      .split("\n")
      .filter((l) => /^ {2}\d/.test(l))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(helmRows.length).toBe(2);
    expect([...helmRows].sort((a, b) => a - b)).toEqual(helmRows);
  });

  it("0 with only advisory violations", async () => {
    const { code, json } = await checkJson([fx("helm-output.yaml")]);
    expect(code).toBe(0);
    expect(json.violations.map((v) => `${v.level} ${v.policy}`).sort()).toEqual([
      "advisory fake-shm",
      "advisory fake-tag",
    ]);
  });

  it("2 on unknown options and missing paths, with the usage", async () => {
    for (const argv of [["--jsn", fx("good.yaml")], [], ["--policy-config"]]) {
      const r = await check(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("Usage: llm-serving check");
      expect(r.stdout).toBe("");
    }
    expect((await check(["--help"])).code).toBe(0);
  });

  it("2 on a missing file, naming it, without a stack trace", async () => {
    const r = await check([fx("nope.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`check: ${fx("nope.yaml")}: cannot read: no such file or directory\n`);
  });

  it("2 on duplicate keys in YAML and JSON, with file and line", async () => {
    const y = await check([fx("dup-keys.yaml")]);
    expect(y.code).toBe(2);
    expect(y.stderr).toBe(`check: ${fx("dup-keys.yaml")}:5:3: Map keys must be unique\n`);
    const j = await check([fx("dup-keys.json")]);
    expect(j.code).toBe(2);
    expect(j.stderr).toMatch(new RegExp(`${fx("dup-keys.json")}:4:\\d+: Map keys must be unique`));
  });

  it("2 on a syntax error, reporting every broken file after checking all the others", async () => {
    const r = await check([fx("broken.yaml"), fx("dup-keys.yaml"), fx("bad-shm.yaml")]);
    expect(r.code).toBe(2);
    // bad-shm.yaml is still checked and its violation reported
    expect(r.stdout).toContain("fake-shm");
    expect(r.stdout).toContain("1 object checked: 1 mandatory");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.some((l) => l.startsWith(`check: ${fx("broken.yaml")}:`))).toBe(true);
    expect(lines.some((l) => l.startsWith(`check: ${fx("dup-keys.yaml")}:5:3:`))).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("check --json", () => {
  it("prints exactly {checked, violations[{policy, level, resource, message, file, line}]}", async () => {
    const { code, json, stdout } = await checkJson([fx("bad-shm.yaml"), fx("good.yaml")]);
    expect(code).toBe(1);
    expect(Object.keys(json)).toEqual(["checked", "violations"]);
    expect(json).toEqual({
      checked: 3,
      violations: [
        {
          policy: "fake-shm",
          level: "mandatory",
          resource: "Deployment/default/chat-noshm",
          message: "no memory-backed emptyDir at /dev/shm",
          file: fx("bad-shm.yaml"),
          line: 2,
        },
      ],
    });
    expect(stdout.endsWith("}\n")).toBe(true);
  });
});

describe("check inputs", () => {
  it("walks directories recursively (.yaml, .yml, .json only, hidden dirs skipped) as one set", async () => {
    const { code, json } = await checkJson([fx("tree")]);
    expect(code).toBe(0);
    expect(json.checked).toBe(3);
    // the Service in nested/b.yml selects the Pod in a.yaml: one manifest set
    expect(json.violations.map((v) => v.resource)).toEqual(["Pod/default/tree-c"]);
  });

  it("forms one manifest set across files: a Service in one file selects pods in another", async () => {
    const svc = `apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: llm}\nspec: {selector: {app: chat}}\n`;
    const r = await check(["--json", "-", fx("good.yaml")], svc);
    expect(JSON.parse(r.stdout).violations).toEqual([]);
    const r2 = await check(["--json", "-"], svc);
    expect(JSON.parse(r2.stdout).violations.map((v: { policy: string }) => v.policy)).toEqual([
      "fake-service",
    ]);
  });

  it("flattens List kinds, nested ones included", async () => {
    const { json } = await checkJson([fx("list.yaml")]);
    expect(json.checked).toBe(3);
    expect(json.violations.map((v) => `${v.policy} ${v.resource}`)).toEqual([
      "fake-tag Pod/default/p2",
    ]);
  });

  it("reads Helm output: comment-only documents are skipped", async () => {
    const { json } = await checkJson([fx("helm-output.yaml")]);
    expect(json.checked).toBe(2);
    expect(json.violations.map((v) => v.resource)).toEqual([
      "Deployment/default/release-chat",
      "Deployment/default/release-chat",
    ]);
  });

  it("reads JSON manifests", async () => {
    const { json } = await checkJson([fx("pod.json")]);
    expect(json).toEqual({
      checked: 1,
      violations: [
        {
          policy: "fake-shm",
          level: "mandatory",
          resource: "Pod/ml/from-json",
          message: "no memory-backed emptyDir at /dev/shm",
          file: fx("pod.json"),
          line: 1,
        },
      ],
    });
  });

  it("skips documents that are not Kubernetes objects with a warning", async () => {
    const r = await check(["--json", fx("values.yaml"), fx("good.yaml")]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).checked).toBe(2);
    expect(r.stderr).toBe(
      `check: warning: ${fx("values.yaml")}:2: skipped: not a Kubernetes object (no apiVersion/kind)\n`,
    );
  });
});

describe("check --policy-config", () => {
  it("overrides levels and properties, and disables rules", async () => {
    const base = await checkJson([fx("helm-output.yaml"), fx("bad-shm.yaml")]);
    expect(base.code).toBe(1);
    const r = await checkJson([
      "--policy-config",
      fx("config-disable.json"),
      fx("helm-output.yaml"),
      fx("bad-shm.yaml"),
    ]);
    expect(r.code).toBe(0);
    expect(r.json.violations).toEqual([]);
    const up = await checkJson([`--policy-config=${fx("config-disable.json")}`, fx("list.yaml")]);
    expect(up.json.violations).toEqual([]);
  });

  it("2 on a config that does not fit the rules, listing every problem", async () => {
    const r = await check(["--policy-config", fx("config-bad.json"), fx("good.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("fake-shm.requireSizeLimit: must be a boolean, got string");
    expect(r.stderr).toContain("no-such-policy: unknown policy");
  });

  it("2 on a config that is not JSON or not there", async () => {
    const broken = await check(["--policy-config", fx("config-broken.json"), fx("good.yaml")]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/config-broken\.json(:\d+)?: not valid JSON/);
    const missing = await check(["--policy-config", fx("none.json"), fx("good.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("none.json: cannot read");
  });
});

describe("check with the pack's rules", () => {
  const real = async (argv: string[]) => {
    let stdout = "";
    const code = await runCheck(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => 0 },
    });
    return { code, stdout };
  };

  it("passes a well-formed tensor-parallel Deployment and fails one without /dev/shm", async () => {
    const good = await real(["--json", fx("good.yaml")]);
    expect(JSON.parse(good.stdout)).toEqual({ checked: 2, violations: [] });
    expect(good.code).toBe(0);
    const bad = await real(["--json", fx("bad-shm.yaml")]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).violations.map((v: { policy: string }) => v.policy)).toContain(
      "shm-memory-backed",
    );
  });

  it("resolves YAML merge keys as Kubernetes does: the merged container is checked too", async () => {
    const r = await real(["--json", fx("merge-keys.yaml")]);
    const secrets = JSON.parse(r.stdout)
      .violations.filter((v: { policy: string }) => v.policy === "secret-env-from-secret")
      .map((v: { message: string }) => /container "(\w)"/.exec(v.message)?.[1]);
    expect(secrets.sort()).toEqual(["a", "b"]);
    expect(r.code).toBe(1);
  });

  it("can disable a rule from a policy config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "check-"));
    const cfg = join(dir, "policy.json");
    writeFileSync(cfg, JSON.stringify({ "shm-memory-backed": "disabled" }));
    const r = await real(["--json", "--policy-config", cfg, fx("bad-shm.yaml")]);
    expect(JSON.parse(r.stdout).violations.map((v: { policy: string }) => v.policy)).not.toContain(
      "shm-memory-backed",
    );
  });
});

describe("check as a process", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", "check", ...args], {
      cwd: join(__dirname, "..", ".."),
      encoding: "utf8",
      timeout: 20_000,
    });

  it("exits 2 with one file:line message, no stack trace", () => {
    const r = run([fx("dup-keys.yaml")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`check: ${fx("dup-keys.yaml")}:5:3: Map keys must be unique\n`);
  });

  it("loads neither the Pulumi SDK nor zod", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        "require('./cli/check'); process.stdout.write(Object.keys(require.cache).filter((k) => /@pulumi|zod/.test(k)).join(','))",
      ],
      { cwd: join(__dirname, "..", ".."), encoding: "utf8", timeout: 20_000 },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
  });
});
