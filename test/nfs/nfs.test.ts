import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  containsSecret,
  type Recording,
  recordRegistrations,
  unwrapSecrets,
} from "../../cli/recorder";
import { NfsExport, nfsExportPlan } from "../../components/nfs/export";
import { EXPORTS_FILE, nfsClientScript, nfsUnexportScript } from "../../components/nfs/scripts";
import { ConfigError } from "../../components/validation";
import { HOST_KEYS } from "../microk8s/fixtures";
import { changes, Sandbox } from "../microk8s/sandbox";
import { outputValue } from "../support/outputs";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnfs-test-key\n-----END OPENSSH PRIVATE KEY-----";
const args = {
  server: { host: "192.168.1.10", user: "ubuntu", hostKey: HOST_KEYS[0] },
  clients: [
    {
      name: "spark-1",
      host: "192.168.1.21",
      user: "ubuntu",
      hostKey: HOST_KEYS[1],
      address: "192.168.100.11",
    },
    {
      name: "spark-2",
      host: "192.168.1.22",
      user: "ubuntu",
      hostKey: HOST_KEYS[2],
      address: "192.168.100.12",
    },
  ],
  path: "/srv/llm-serving/hf-cache",
};
const OPTIONS = "rw,sync,no_subtree_check,root_squash,all_squash,anonuid=65534,anongid=65534";
const plan = nfsExportPlan(args, "test");

function problems(value: unknown): string[] {
  try {
    nfsExportPlan(value as typeof args, "test");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.path);
    throw err;
  }
  return [];
}

describe("nfsExportPlan", () => {
  it("exports the path only to the clients' addresses, every user squashed to the owner", () => {
    expect(plan.serverScripts.create).toContain(
      `'/srv/llm-serving/hf-cache 192.168.100.11(${OPTIONS}) 192.168.100.12(${OPTIONS})'`,
    );
    expect(plan.serverScripts.create).not.toContain("no_root_squash");
    const own = nfsExportPlan({ ...args, ownerUid: 1000, ownerGid: 1000 }, "t");
    expect(own.serverScripts.create).toContain("anonuid=1000,anongid=1000");
  });

  it("rejects bad input by path, before anything exists", () => {
    expect(
      problems({
        ...args,
        path: "srv/x y",
        server: { host: "a b", user: "Root!", hostKey: "x" },
        ownerUid: 0,
      }),
    ).toEqual(["server.host", "server.user", "server.hostKey", "path", "ownerUid"]);
    expect(problems({ ...args, clients: [] })).toEqual(["allowedClients"]);
    expect(problems({ ...args, allowedClients: ["*"] })).toEqual(["allowedClients[0]"]);
    expect(problems({ ...args, allowedClients: ["10.0.0.0/8"] })).toEqual(["allowedClients[0]"]);
  });

  it.each([
    "/",
    "/etc",
    "/etc/nfs",
    "/usr/local/cache",
    "/var",
    "/root",
    "/boot",
    "/home",
    "/proc",
    "/sys/x",
    "/dev",
    "/srv/../etc",
    "//etc/",
    "/var/lib/kubelet/x",
  ])("refuses the system path %s, naming the key", (path) => {
    try {
      nfsExportPlan({ ...args, path }, "t");
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems[0]?.path).toBe("path");
      expect((e as ConfigError).problems[0]?.message).toMatch(/system directory|\.\. segments/);
    }
  });

  it.each(["/srv/llm-serving/hf-cache", "/home/me/hf", "/var/cache/hf", "/data/models"])(
    "accepts the data path %s",
    (path) => {
      expect(problems({ ...args, path })).toEqual([]);
    },
  );
});

describe("shellcheck", () => {
  const found = spawnSync("shellcheck", ["--version"]).status === 0;
  it.skipIf(!found && process.env.CI !== "true")("every NFS script passes shellcheck", () => {
    expect(found, "shellcheck is not installed (apt-get install -y shellcheck)").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "nfs-shellcheck-"));
    const files = [plan.serverScripts.create, plan.serverScripts.delete, plan.clientScript].map(
      (text, i) => {
        const file = join(dir, `${i}.sh`);
        writeFileSync(file, text);
        return file;
      },
    );
    const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", ...files], {
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toBe("");
  });
});

describe("scripts in a stub sandbox", () => {
  it("the server script is idempotent: the second run changes nothing", () => {
    const host = new Sandbox();
    const first = host.run(plan.serverScripts.create);
    expect(first.status, first.stderr).toBe(0);
    expect(changes(first.calls).join("\n")).toMatch(
      /apt-get -o DPkg::Lock::Timeout=600 install -y -qq nfs-kernel-server/,
    );
    expect(changes(first.calls).join("\n")).toMatch(/exportfs -ra/);
    expect(changes(first.calls).join("\n")).toMatch(/systemctl enable --now nfs-server/);
    expect(host.read(EXPORTS_FILE)).toMatch(/^\/srv\/llm-serving\/hf-cache 192\.168\.100\.11\(/);
    expect(existsSync(host.path(args.path))).toBe(true);
    expect(changes(first.calls)).toContain(`CHANGE sudo chown 65534:65534 ${host.path(args.path)}`);
    const second = host.run(plan.serverScripts.create);
    expect(second.status, second.stderr).toBe(0);
    expect(changes(second.calls)).toEqual([]);
  });

  it("re-exports only when the export line changes", () => {
    const host = new Sandbox();
    host.run(plan.serverScripts.create);
    const wider = nfsExportPlan({ ...args, allowedClients: ["192.168.100.0/24"] }, "test");
    const run = host.run(wider.serverScripts.create);
    expect(run.status, run.stderr).toBe(0);
    expect(changes(run.calls).some((c) => c.includes("exportfs -ra"))).toBe(true);
    expect(changes(run.calls).some((c) => c.includes("apt-get"))).toBe(false);
    expect(host.read(EXPORTS_FILE)).toContain("192.168.100.0/24(rw,");
  });

  it("apt waits for a dpkg lock held by unattended-upgrades instead of failing", () => {
    const host = new Sandbox();
    writeFileSync(join(host.state, "dpkg_locked"), "");
    const run = host.run(nfsClientScript());
    expect(run.status, run.stderr).toBe(0);
    // The stub refuses a locked apt without the option, so this is a real check.
    const bare = host.run("#!/usr/bin/env bash\nsudo -n apt-get install -y x\n");
    expect(bare.status).toBe(100);
  });

  it("the client script is idempotent", () => {
    const host = new Sandbox();
    expect(changes(host.run(nfsClientScript()).calls).join("\n")).toMatch(
      /install -y -qq nfs-common/,
    );
    const second = host.run(nfsClientScript());
    expect(second.status, second.stderr).toBe(0);
    expect(changes(second.calls)).toEqual([]);
  });

  it("delete withdraws the export, keeps the data, and succeeds where nothing is exported", () => {
    const host = new Sandbox();
    host.run(plan.serverScripts.create);
    const run = host.run(nfsUnexportScript());
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(host.path(EXPORTS_FILE))).toBe(false);
    expect(existsSync(host.path(args.path))).toBe(true);
    const bare = new Sandbox();
    const again = bare.run(nfsUnexportScript());
    expect(again.status, again.stderr).toBe(0);
    expect(changes(again.calls)).toEqual([]);
  });
});

describe("NfsExport under mocks", () => {
  let rec: Recording;
  let nfs: NfsExport;
  beforeAll(async () => {
    rec = await recordRegistrations({ project: "nfs", stack: "test" });
    expect(() => new NfsExport("bad", { ...args, path: "relative", privateKey: KEY })).toThrow(
      ConfigError,
    );
    nfs = new NfsExport("cache", {
      ...args,
      // Hosts often come from other resources: an Output is checked once it is known.
      server: { ...args.server, host: pulumi.output(args.server.host) },
      privateKey: KEY,
    });
    await rec.settle();
  });

  it("registers nothing for a bad config", () => {
    expect(rec.resources.some((r) => r.name.startsWith("bad"))).toBe(false);
  });

  it("runs the export on the server and the client on every worker, key kept secret", async () => {
    const commands = rec.resources.filter((r) => r.type === "command:remote:Command");
    expect(commands.map((c) => c.name).sort()).toEqual([
      "cache-client-spark-1",
      "cache-client-spark-2",
      "cache-export",
    ]);
    const component = rec.resources.find((r) => r.type === "llm-serving:index:NfsExport");
    for (const c of commands) {
      expect(c.parent).toBe(component?.urn);
      expect(containsSecret(c.inputs.connection)).toBe(true);
      expect(JSON.stringify(c.inputs.create)).not.toContain("nfs-test-key");
      const conn = unwrapSecrets(c.inputs.connection) as { host: string; hostKey: string };
      const i = HOST_KEYS.indexOf(conn.hostKey);
      expect(conn.host).toBe(["192.168.1.10", "192.168.1.21", "192.168.1.22"][i]);
      expect(c.inputs.triggers).toEqual([conn.host, 22, "ubuntu"]);
    }
    expect(await outputValue(nfs.server)).toBe("192.168.1.10");
    expect(await outputValue(nfs.path)).toBe(args.path);
  });
});
