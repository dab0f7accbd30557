import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../components/validation";
import { configKeys } from "../../stacks/config-keys";
import { readRawConfig } from "../../stacks/raw-config";
import { programFor } from "../../stacks/select";

const project = parse(readFileSync(join(__dirname, "../../Pulumi.yaml"), "utf8"));

describe("Pulumi.yaml config block", () => {
  it("declares exactly the keys the program reads, with their types and defaults", () => {
    const declared = project.config as Record<string, Record<string, unknown>>;
    expect(Object.keys(declared).sort()).toEqual(Object.keys(configKeys).sort());
    for (const [name, key] of Object.entries(configKeys)) {
      const d = declared[name];
      expect(d.type, name).toBe(key.type);
      expect(d.description, name).toBe(key.description);
      expect(d.secret ?? false, name).toBe("secret" in key && key.secret === true);
      expect(d.default, name).toEqual("default" in key ? key.default : undefined);
      if (key.type === "array") {
        expect(d.items, name).toEqual({ type: "items" in key ? key.items : "string" });
      }
    }
  });

  it("gives every non-secret key a default, since Pulumi requires undefaulted keys in every stack", () => {
    for (const [name, key] of Object.entries(configKeys)) {
      const secret = "secret" in key && key.secret === true;
      expect("default" in key, name).toBe(!secret);
    }
  });

  it("runs the program with tsx from stacks/index.ts", () => {
    expect(project.main).toBe("stacks/index.ts");
    expect(project.stackConfigDir).toBe("stacks");
    expect(project.runtime.options.nodeargs).toContain("tsx");
  });
});

describe("docs", () => {
  it.each(["homelab", "gke"])("docs/%s.md documents every key the stack reads", (stack) => {
    const doc = readFileSync(join(__dirname, `../../docs/${stack}.md`), "utf8");
    for (const [name, key] of Object.entries(configKeys)) {
      if (key.stack !== stack && key.stack !== "both") continue;
      const rows = doc.split("\n").filter((line) => line.startsWith(`| \`${name}\` |`));
      expect(
        rows.some((row) => row.includes(key.description)),
        `${stack}: ${name}`,
      ).toBe(true);
    }
  });
});

describe("readRawConfig", () => {
  it("applies defaults and parses declared types", () => {
    const values: Record<string, string> = {
      sshPort: "2222",
      purgeOnDestroy: "true",
      roceHcas: '["rocep1s0f0","roceP2p1s0f0"]',
      workers: '[{"name":"spark-1","host":"10.0.0.1"}]',
    };
    const raw = readRawConfig((k) => values[k]);
    expect(raw.sshPort).toBe(2222);
    expect(raw.purgeOnDestroy).toBe(true);
    expect(raw.roceHcas).toEqual(["rocep1s0f0", "roceP2p1s0f0"]);
    expect(raw.workers).toEqual([{ name: "spark-1", host: "10.0.0.1" }]);
    expect(raw.sshUser).toBe("ubuntu");
    expect("hfToken" in raw).toBe(false);
  });

  it("lists every mistyped key by name", () => {
    const values: Record<string, string> = {
      sshPort: "twenty-two",
      purgeOnDestroy: "yes",
      roceHcas: "rocep1s0f0",
      workers: '["spark-1"]',
    };
    try {
      readRawConfig((k) => values[k]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const paths = (err as ConfigError).problems.map((p) => p.path).sort();
      expect(paths).toEqual(["purgeOnDestroy", "roceHcas", "sshPort", "workers"]);
    }
  });
});

describe("programFor", () => {
  it("picks the program by stack name prefix", () => {
    expect(programFor("homelab")).toBe("homelab");
    expect(programFor("homelab-dev")).toBe("homelab");
    expect(programFor("gke-prod")).toBe("gke");
    expect(() => programFor("gkefoo")).toThrow(/name it homelab or gke/);
  });
});
