/**
 * `plan` end to end: each run is its own process (Pulumi mocks are process-global), as users
 * run it. The runs start together so the file stays fast.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runPlan } from "../../cli/plan";
import { REDACTED } from "../../cli/plan-redact";
import { expectValidManifest } from "../support/k8s-schema";
import { type CliRun, REPO_ROOT, runPlanCli } from "../support/plan-cli";

const fixture = path.join(REPO_ROOT, "test", "fixtures", "plan-program");
/** The plain value of the fixture's `sshKey` (declared `secret: true`, stored in clear). */
const SSH_KEY = "PLAIN-SSH-KEY-7f3a9c";

type Run = CliRun;

function plan(...args: string[]): Promise<Run> {
  return runPlanCli(["--cwd", fixture, ...args]);
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
const out = path.join(tmp, "out");
const badYaml = path.join(tmp, "Pulumi.broken.yaml");
fs.writeFileSync(badYaml, "config:\n  plan-fixture:node: {host: [\n");

/** Runs `plan` in this process: only for input it rejects before loading any program. */
async function planHere(...args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runPlan(["--cwd", fixture, ...args], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

let dev: Run;
let ok: Run;
let bad: Run;
let missing: Run;
let broken: Run;
let help: Run;
let unknown: Run;
beforeAll(async () => {
  [dev, ok, bad, missing, broken, help, unknown] = await Promise.all([
    plan("dev", "--json", "--out", out),
    plan("ok"),
    plan("bad"),
    planHere("nope"),
    planHere("dev", "--config", badYaml),
    planHere("--help"),
    planHere("dev", "--verbose"),
  ]);
}, 60_000);

describe("plan dev --json --out (a mandatory violation)", () => {
  it("exits 1 and reports the missing /dev/shm", () => {
    expect(dev.stderr).toContain(`wrote`);
    expect(dev.code).toBe(1);
    const report = JSON.parse(dev.stdout);
    expect(report.violations).toContainEqual(
      expect.objectContaining({
        policy: "shm-memory-backed",
        level: "mandatory",
        resource: "Deployment/inference/vllm",
      }),
    );
  });

  it("records the tree: the stack, its children and the component's children", () => {
    const { resources } = JSON.parse(dev.stdout) as {
      resources: { type: string; name: string; parent: string; urn: string }[];
    };
    const urn = (name: string) => resources.find((r) => r.name === name)?.urn;
    const parentName = (name: string) =>
      resources.find((r) => r.urn === resources.find((x) => x.name === name)?.parent)?.name;
    expect(resources[0]).toMatchObject({ type: "pulumi:pulumi:Stack", parent: "" });
    expect(parentName("install")).toBe("plan-fixture-dev");
    expect(parentName("login")).toBe("plan-fixture-dev");
    expect(parentName("chat")).toBe("plan-fixture-dev");
    for (const child of ["chat-ns", "chat-token", "chat-vllm", "chat-svc"]) {
      expect(parentName(child)).toBe("chat");
    }
    expect(urn("chat-vllm")).toContain("kubernetes:apps/v1:Deployment::chat-vllm");
  });

  it("redacts secret outputs and keeps plain ones", () => {
    const { outputs } = JSON.parse(dev.stdout);
    expect(outputs).toEqual({
      url: "http://vllm.inference.svc:8000",
      nodeHost: "192.0.2.10",
      kubeconfigOut: REDACTED,
      token: REDACTED,
      auth: { user: "ubuntu", key: REDACTED },
    });
  });

  it("never shows the secret, in stdout or in any written file", () => {
    expect(dev.stdout).not.toContain(SSH_KEY);
    const files = filesUnder(out);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) expect(fs.readFileSync(file, "utf8")).not.toContain(SSH_KEY);
  });

  it("writes every Kubernetes object as YAML that parses back to the object", () => {
    const { resources } = JSON.parse(dev.stdout) as {
      resources: { type: string; name: string; inputs: Record<string, unknown> }[];
    };
    const k8s = resources.filter((r) => /^kubernetes:(core|apps)\//.test(r.type));
    const manifests = fs.readdirSync(path.join(out, "manifests")).sort();
    expect(manifests).toEqual(
      [
        "apps-v1-Deployment--chat-vllm.yaml",
        "v1-Namespace--chat-ns.yaml",
        "v1-Secret--chat-token.yaml",
        "v1-Service--chat-svc.yaml",
      ].sort(),
    );
    for (const r of k8s) {
      const file = manifests.find((m) => m.endsWith(`--${r.name}.yaml`)) ?? "";
      const object = parse(fs.readFileSync(path.join(out, "manifests", file), "utf8"));
      expect(object).toEqual(r.inputs);
      expectValidManifest(object);
    }
    const secret = parse(
      fs.readFileSync(path.join(out, "manifests", "v1-Secret--chat-token.yaml"), "utf8"),
    );
    expect(secret.stringData).toEqual({ token: REDACTED });
  });

  it("writes each command's create/update/delete script, secret parts redacted", () => {
    const scripts = fs.readdirSync(path.join(out, "scripts")).sort();
    expect(scripts).toEqual([
      "install.create.sh",
      "install.delete.sh",
      "kubeconfig.create.sh",
      "kubeconfig.update.sh",
      "login.create.sh",
    ]);
    const create = fs.readFileSync(path.join(out, "scripts", "install.create.sh"), "utf8");
    expect(create).toContain(`printf '%s' '${REDACTED}' > /root/.ssh/id_fixture`);
    expect(create).toContain("# runs on: ubuntu@192.0.2.10");
    const update = fs.readFileSync(path.join(out, "scripts", "kubeconfig.update.sh"), "utf8");
    expect(update).toContain(`# environment: HF_TOKEN=${REDACTED}`);
    expect(update).toContain('echo "$HF_TOKEN" | wc -c');
    const login = fs.readFileSync(path.join(out, "scripts", "login.create.sh"), "utf8");
    expect(login).toContain(`# stdin: ${REDACTED}`);
    expect(login).toContain("IFS= read -r token");
  });

  it("writes scripts that pass shellcheck", () => {
    const dir = path.join(out, "scripts");
    const files = fs.readdirSync(dir).map((f) => path.join(dir, f));
    expect(() => execFileSync("shellcheck", ["-S", "warning", ...files])).not.toThrow();
  });

  it("writes resources.json and policy.json in the documented shapes", () => {
    const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
    expect(resources.length).toBe(JSON.parse(dev.stdout).resources.length);
    for (const r of resources) {
      expect(Object.keys(r).sort()).toEqual([
        "custom",
        "inputs",
        "name",
        "options",
        "parent",
        "type",
        "urn",
      ]);
    }
    const policy = JSON.parse(fs.readFileSync(path.join(out, "policy.json"), "utf8"));
    expect(Object.keys(policy).sort()).toEqual(["checked", "violations"]);
    expect(policy.checked).toBe(resources.length);
    for (const v of policy.violations) {
      expect(Object.keys(v).sort()).toEqual(["level", "message", "policy", "resource"]);
    }
    expect(policy.violations).toEqual(JSON.parse(dev.stdout).violations);
  });
});

describe("plan ok (text output)", () => {
  it("prints the tree and the verdicts and exits 0 without mandatory violations", () => {
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("└─ plan-fixture:index:App  chat");
    expect(ok.stdout).toContain("   ├─ kubernetes:core/v1:Namespace  chat-ns");
    expect(ok.stdout).toMatch(/Policies: \d+ resources checked, 0 mandatory/);
    expect(ok.stdout).not.toContain(SSH_KEY);
  });
});

describe("bad input exits 2 with a message, never a stack trace", () => {
  it("a program that throws a ConfigError", () => {
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("node.host:");
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(bad.stdout).toBe("");
  });

  it("a missing stack settings file", () => {
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/stacks\/Pulumi\.nope\.yaml: no settings file for stack "nope"/);
  });

  it("an unknown option, with the usage; --help prints it and exits 0", () => {
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option --verbose");
    expect(unknown.stderr).toContain("usage: llm-serving plan STACK");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: llm-serving plan STACK");
  });

  it("a stack file that is not YAML, with file and line", () => {
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/Pulumi\.broken\.yaml:\d+: /);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });
});
