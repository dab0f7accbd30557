import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildStackConfig,
  PlanInputError,
  parseDeclaredConfig,
  readProject,
  readStackConfig,
  SECRET_PLACEHOLDER,
  stackConfigFile,
} from "../../cli/plan-project";

const fixture = path.join(__dirname, "..", "fixtures", "plan-program");

function tempProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-project-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe("parseDeclaredConfig", () => {
  it("reads long and short forms, namespacing bare keys with the project", () => {
    const declared = parseDeclaredConfig("p", {
      sshKey: { type: "string", secret: true },
      "p:replicas": { type: "integer", default: 2 },
      "gcp:region": "us-central1",
      tags: { value: { team: "ml" } },
    });
    expect(declared).toEqual({
      "p:sshKey": { type: "string", secret: true, value: undefined },
      "p:replicas": { type: "integer", secret: false, value: 2 },
      "gcp:region": { secret: false, value: "us-central1" },
      "p:tags": { type: undefined, secret: false, value: { team: "ml" } },
    });
  });

  it("treats a map that is not a declaration as a structured default value", () => {
    expect(parseDeclaredConfig("p", { node: { host: "h" } })["p:node"]).toEqual({
      secret: false,
      value: { host: "h" },
    });
  });
});

describe("buildStackConfig", () => {
  const project = {
    name: "p",
    declared: parseDeclaredConfig("p", {
      sshKey: { type: "string", secret: true },
      count: { type: "integer", secret: true },
      replicas: { type: "integer", default: 1 },
    }),
  };

  it("stores scalars as strings and structured values as JSON, as the SDK reads them", () => {
    const { config } = buildStackConfig(project, {
      config: {
        "p:name": "x",
        enabled: true,
        "p:replicas": 3,
        "p:node": { host: "h", ports: [22] },
      },
    });
    expect(config).toEqual({
      "p:name": "x",
      "p:enabled": "true",
      "p:replicas": "3",
      "p:node": JSON.stringify({ host: "h", ports: [22] }),
    });
  });

  it("applies project defaults the stack does not override", () => {
    expect(buildStackConfig(project, { config: {} }).config["p:replicas"]).toBe("1");
  });

  it("turns secure values into secrets with a placeholder of the declared type", () => {
    const result = buildStackConfig(project, {
      config: { "p:token": { secure: "v1:abc" }, "p:count": { secure: "v1:def" } },
    });
    expect(result.config["p:token"]).toBe(SECRET_PLACEHOLDER);
    expect(result.config["p:count"]).toBe("0");
    expect(result.secretKeys).toEqual(["p:count", "p:token"]);
    expect(result.secretValues).toEqual([]);
  });

  it("makes a structured value with a secure leaf a secret as a whole", () => {
    const result = buildStackConfig(project, {
      config: { "p:node": { host: "h", password: { secure: "v1:x" } } },
    });
    expect(JSON.parse(result.config["p:node"])).toEqual({
      host: "h",
      password: SECRET_PLACEHOLDER,
    });
    expect(result.secretKeys).toEqual(["p:node"]);
  });

  it("makes keys declared secret: true secrets and remembers their clear values", () => {
    const result = buildStackConfig(project, { config: { sshKey: "PLAIN" } });
    expect(result.secretKeys).toEqual(["p:sshKey"]);
    expect(result.secretValues).toEqual(["PLAIN"]);
  });

  it("rejects a config block that is not a map", () => {
    expect(() => buildStackConfig(project, { config: ["a"] }, "f.yaml")).toThrow(PlanInputError);
  });
});

describe("readProject / readStackConfig", () => {
  it("reads the fixture project", () => {
    const project = readProject(fixture);
    expect(project.name).toBe("plan-fixture");
    expect(project.main).toBe(path.join(fixture, "index.ts"));
    expect(stackConfigFile(project, "dev")).toBe(path.join(fixture, "stacks", "Pulumi.dev.yaml"));
    const config = readStackConfig(project, stackConfigFile(project, "dev"), "dev");
    expect(config.secretKeys).toEqual(["plan-fixture:hfToken", "plan-fixture:sshKey"]);
    expect(config.config["plan-fixture:replicas"]).toBe("2");
    expect(config.config["plan-fixture:shm"]).toBe("false");
  });

  it("says which stack file is missing and how to fix it", () => {
    const project = readProject(fixture);
    const file = stackConfigFile(project, "nope");
    expect(() => readStackConfig(project, file, "nope")).toThrow(
      /Pulumi\.nope\.yaml: no settings file for stack "nope".*--config/,
    );
  });

  it("reports bad YAML with file and line, and duplicate keys", () => {
    const dir = tempProject({
      "Pulumi.yaml": "name: p\nmain: index.ts\n",
      "index.ts": "",
      "Pulumi.a.yaml": "config:\n  p:x: [1\n",
      "Pulumi.b.yaml": "config:\n  p:x: 1\n  p:x: 2\n",
    });
    const project = readProject(dir);
    expect(() => readStackConfig(project, path.join(dir, "Pulumi.a.yaml"), "a")).toThrow(
      /Pulumi\.a\.yaml:\d+: /,
    );
    expect(() => readStackConfig(project, path.join(dir, "Pulumi.b.yaml"), "b")).toThrow(
      /Pulumi\.b\.yaml:3: .*[Uu]nique/,
    );
  });

  it("requires Pulumi.yaml with a name and an existing main", () => {
    expect(() => readProject(tempProject({}))).toThrow(/no Pulumi\.yaml/);
    expect(() => readProject(tempProject({ "Pulumi.yaml": "runtime: nodejs\n" }))).toThrow(
      /`name`/,
    );
    expect(() => readProject(tempProject({ "Pulumi.yaml": "name: p\nmain: nope.ts\n" }))).toThrow(
      /nope\.ts: the program named by `main`/,
    );
  });
});
