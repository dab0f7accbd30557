import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateMicroK8sClusterConfig } from "../../components/microk8s/config";
import {
  type NodeNames,
  type PlannedCommand,
  planCluster,
  planPreflight,
} from "../../components/microk8s/plan";
import { kubeconfigScript, waitReadyScript } from "../../components/microk8s/scripts/cluster";
import { installScript, uninstallScript } from "../../components/microk8s/scripts/install";
import {
  joinScript,
  leaveScript,
  registerTokenScript,
  removeNodeScript,
} from "../../components/microk8s/scripts/join";
import { preflightScript } from "../../components/microk8s/scripts/preflight";
import {
  NVIDIA_RUNTIME_BINARY,
  NVIDIA_RUNTIME_TABLE,
  nvidiaRuntimeScript,
} from "../../components/microk8s/scripts/runtime";
import { deriveJoinToken } from "../../components/microk8s/token";
import { changes, Sandbox, STUBS } from "./sandbox";

const CHANNEL = "1.36/stable";
const TOKEN = deriveJoinToken("test-key", "lab/192.168.1.10");
const TEMPLATE = "/var/snap/microk8s/current/args/containerd-template.toml";
const LOCK = "/var/snap/microk8s/current/var/lock/clustered.lock";

/** The home-lab shape: a CPU controller, a GPU worker, a CPU worker; purge on destroy. */
const config = validateMicroK8sClusterConfig({
  controller: { host: "192.168.1.10", user: "ubuntu" },
  workers: [
    { host: "192.168.1.11", user: "ubuntu", gpu: true, address: "192.168.1.11" },
    { host: "192.168.1.12", user: "ubuntu", nodeName: "cpu-1" },
  ],
  channel: CHANNEL,
  purgeOnDestroy: true,
});
const names: NodeNames = { controller: "ctrl", "worker-0": "spark-1", "worker-1": "cpu-1" };
const steps: PlannedCommand[] = [...planPreflight(config), ...planCluster(config, names)];

/** Every script of every step (create and delete), plus the variants the plan did not pick. */
function everyScript(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const s of steps) {
    out.push([`${s.key}.create`, s.create]);
    if (s.delete) out.push([`${s.key}.delete`, s.delete]);
  }
  out.push([
    "install (no hold)",
    installScript({ channel: CHANNEL, holdRefresh: false, readyTimeoutSeconds: 5 }),
  ]);
  return out;
}

describe("shellcheck", () => {
  const found = spawnSync("shellcheck", ["--version"]).status === 0;
  const ci = process.env.CI === "true";
  it.skipIf(!found && !ci)("every script passes shellcheck", () => {
    expect(found, "shellcheck is not installed (apt-get install -y shellcheck)").toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "mk8s-shellcheck-"));
    const files = everyScript().map(([name, text], i) => {
      const file = join(dir, `${i}-${name.replace(/[^a-z0-9.-]/gi, "_")}.sh`);
      writeFileSync(file, text);
      return file;
    });
    const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", ...files], {
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
  it.skipIf(!found && !ci)("the stubs pass shellcheck too", () => {
    const stubs = readdirSync(STUBS)
      .filter((f) => !f.includes("."))
      .map((f) => join(STUBS, f));
    expect(stubs.length).toBeGreaterThanOrEqual(12);
    const result = spawnSync("shellcheck", ["-x", "--shell=bash", ...stubs], {
      encoding: "utf8",
      cwd: STUBS,
    });
    expect(result.stdout + result.stderr).toBe("");
  });
  if (!found && !ci) {
    it("reports that shellcheck is missing", () => {
      console.warn(
        "shellcheck not installed: skipping the shellcheck test (CI=true makes it fail)",
      );
      expect(found).toBe(false);
    });
  }
});

describe("every script", () => {
  it.each(everyScript())("%s is strict bash and never embeds the join token", (_, text) => {
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(text).toContain("\nset -euo pipefail\n");
    expect(text).not.toContain(TOKEN);
  });
});

/** Runs `script` twice; the first run must change state, the second must not. */
function twice(box: Sandbox, script: string, stdin = "") {
  const first = box.run(script, stdin);
  expect(first.status, first.stderr).toBe(0);
  const second = box.run(script, stdin);
  expect(second.status, second.stderr).toBe(0);
  expect(changes(second.calls)).toEqual([]);
  return { first, second };
}

const step = (key: string) => {
  const found = steps.find((s) => s.key === key);
  if (!found) throw new Error(`no step ${key}`);
  return found;
};

describe("idempotency in a stub sandbox (each create script run twice)", () => {
  it("controller: preflight, install, token registration, ready, kubeconfig", () => {
    const box = new Sandbox({
      hostname: "Ctrl",
      addresses: ["192.168.1.10"],
      nodes: ["ctrl", "spark-1", "cpu-1"],
    });
    const pre = twice(box, step("preflight-controller").create);
    expect(pre.first.stdout).toBe("ctrl\n");
    expect(changes(pre.first.calls)).toEqual([]);

    const install = twice(box, step("install-controller").create);
    expect(changes(install.first.calls)).toEqual([
      `CHANGE snap install microk8s --classic --channel=${CHANNEL}`,
      "CHANGE snap refresh --hold microk8s",
      "CHANGE usermod -a -G microk8s ubuntu",
    ]);
    expect(box.stateFile("channel")).toBe(CHANNEL);

    const member = twice(box, step("member-worker-0").create, `${TOKEN}\n`);
    expect(changes(member.first.calls)).toEqual([
      `CHANGE microk8s add-node --token ${TOKEN} --token-ttl 900`,
    ]);
    expect(member.first.stdout + member.first.stderr).not.toContain(TOKEN);
    expect(box.read("/var/snap/microk8s/current/credentials/cluster-tokens.txt")).toMatch(
      new RegExp(`^${TOKEN}\\|\\d+\\n$`),
    );

    twice(box, step("ready").create);
    const kube = twice(box, step("kubeconfig").create);
    expect(kube.first.stdout).toContain("server: https://192.168.1.10:16443");
    expect(kube.first.stdout).not.toContain("192.168.1.10:16443\n    server");
    expect(kube.first.stdout).toContain("client-key-data");
    expect(kube.second.stdout).toBe(kube.first.stdout);
  });

  it("GPU worker: preflight, install, join, nvidia runtime", () => {
    const box = new Sandbox({ hostname: "spark-1", gpu: true, addresses: ["192.168.1.11"] });
    const pre = twice(box, step("preflight-worker-0").create);
    expect(pre.first.stdout).toBe("spark-1\n");
    twice(box, step("install-worker-0").create);

    const join = twice(box, step("join-worker-0").create, `${TOKEN}\n`);
    expect(changes(join.first.calls)).toEqual([
      `CHANGE microk8s join 192.168.1.10:25000/${TOKEN} --worker`,
    ]);

    const original = box.read(TEMPLATE);
    const runtime = twice(box, step("runtime-worker-0").create);
    expect(changes(runtime.first.calls)).toEqual([
      `CHANGE sudo tee -a ${box.path(TEMPLATE)}`,
      "CHANGE snap restart microk8s.daemon-containerd",
    ]);
    const patched = box.read(TEMPLATE);
    expect(patched.startsWith(original)).toBe(true);
    expect(patched.split(NVIDIA_RUNTIME_TABLE)).toHaveLength(2);
    expect(patched).toContain(`BinaryName = "${NVIDIA_RUNTIME_BINARY}"`);
    expect(patched).toContain('runtime_type = "io.containerd.runc.v2"');
  });

  it("CPU worker: preflight, install, join (no GPU checks, no runtime step)", () => {
    const box = new Sandbox({ hostname: "cpu-1" });
    twice(box, step("preflight-worker-1").create);
    const pre = box.run(step("preflight-worker-1").create);
    expect(pre.calls.some((c) => c.includes("nvidia-smi"))).toBe(false);
    twice(box, step("install-worker-1").create);
    twice(box, step("join-worker-1").create, `${TOKEN}\n`);
    expect(steps.some((s) => s.key === "runtime-worker-1")).toBe(false);
  });

  it("install without holdRefresh leaves refreshes alone", () => {
    const box = new Sandbox();
    const script = installScript({ channel: CHANNEL, holdRefresh: false, readyTimeoutSeconds: 5 });
    const { first } = twice(box, script);
    expect(first.calls.some((c) => c.includes("refresh"))).toBe(false);
  });

  it("an existing install on the pinned channel is adopted, not reinstalled", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const { first } = twice(box, step("install-worker-1").create);
    expect(first.calls.some((c) => c.includes("snap install"))).toBe(false);
  });
});

describe("preflight failures say what to fix and change nothing", () => {
  const gpuPreflight = preflightScript({
    role: "worker",
    gpu: true,
    channel: CHANNEL,
    minFreeDiskGiB: 20,
  });
  const cases: Array<[string, ConstructorParameters<typeof Sandbox>[0], string, RegExp]> = [
    ["sudo prompts", { gpu: true, sudoNeedsPassword: true }, gpuPreflight, /passwordless sudo/],
    ["not Ubuntu", { gpu: true, osId: "fedora" }, gpuPreflight, /runs 'fedora'.*Ubuntu only/],
    [
      "unknown architecture",
      { gpu: true, arch: "riscv64" },
      gpuPreflight,
      /riscv64.*x86_64 or aarch64/,
    ],
    [
      "disk too small",
      { gpu: true, availKiB: 1024 * 1024 },
      gpuPreflight,
      /1 GiB free.*need 20 GiB/,
    ],
    ["nvidia-smi fails", { gpu: true, nvidiaSmi: false }, gpuPreflight, /nvidia-smi fails/],
    ["no /dev/nvidia*", { gpu: true, devNodes: false }, gpuPreflight, /no \/dev\/nvidia/],
    ["no nvidia module", { gpu: true, nvidiaModule: false }, gpuPreflight, /module is not loaded/],
    [
      "version skew",
      { gpu: true, installedChannel: "1.32/stable" },
      gpuPreflight,
      /version skew.*1\.32\/stable.*pinned to 1\.36\/stable/,
    ],
    [
      "address not on the host",
      { addresses: ["10.0.0.5"] },
      preflightScript({
        role: "controller",
        gpu: false,
        channel: CHANNEL,
        minFreeDiskGiB: 1,
        address: "192.168.1.10",
      }),
      /address 192\.168\.1\.10 is not assigned/,
    ],
    [
      "nodeName differs from the hostname",
      { hostname: "spark-2" },
      preflightScript({
        role: "worker",
        gpu: false,
        channel: CHANNEL,
        minFreeDiskGiB: 1,
        nodeName: "spark-1",
      }),
      /nodeName is spark-1 but .* register as spark-2/,
    ],
  ];
  it.each(cases)("%s", (_, setup, script, message) => {
    const box = new Sandbox(setup);
    const result = box.run(script);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
    expect(changes(result.calls)).toEqual([]);
  });

  it("install refuses another channel too (never an upgrade)", () => {
    const box = new Sandbox({ installedChannel: "1.35/stable" });
    const result = box.run(
      installScript({ channel: CHANNEL, holdRefresh: true, readyTimeoutSeconds: 5 }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/version skew/);
    expect(changes(result.calls)).toEqual([]);
  });

  it("join and token registration refuse a missing token", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    for (const script of [
      joinScript({ controllerAddress: "192.168.1.10" }),
      registerTokenScript({ worker: "w", ttlSeconds: 60 }),
    ]) {
      const result = box.run(script, "");
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/no join token on stdin/);
      expect(changes(result.calls)).toEqual([]);
    }
  });

  it("waiting for Ready gives up after the timeout, naming the node", () => {
    const box = new Sandbox({ installedChannel: CHANNEL, nodes: ["ctrl"] });
    const result = box.run(
      waitReadyScript({ nodeNames: ["ctrl", "spark-9"], timeoutSeconds: 1, pollSeconds: 1 }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/node ctrl Ready[\s\S]*node spark-9 is not Ready after 1s/);
  });
});

describe("delete scripts tolerate what is already gone", () => {
  const deletes = {
    leave: leaveScript(),
    removeNode: removeNodeScript({ nodeName: "spark-1" }),
    purge: uninstallScript(true) ?? "",
  };

  it("without purge the install step has no delete (no SSH needed on destroy)", () => {
    expect(uninstallScript(false)).toBeUndefined();
    expect(
      planCluster({ ...config, purgeOnDestroy: false }, names).find(
        (s) => s.key === "install-controller",
      )?.delete,
    ).toBeUndefined();
  });

  it.each(Object.entries(deletes))("%s succeeds on a host with no MicroK8s", (_, script) => {
    const box = new Sandbox();
    const result = box.run(script);
    expect(result.status, result.stderr).toBe(0);
    expect(changes(result.calls)).toEqual([]);
  });

  it("leave succeeds on a node that already left, and leaves a joined one once", () => {
    const left = new Sandbox({ installedChannel: CHANNEL });
    const already = left.run(deletes.leave);
    expect(already.status).toBe(0);
    expect(already.stderr).toMatch(/nothing to leave/);
    expect(changes(already.calls)).toEqual([]);

    const joined = new Sandbox({ installedChannel: CHANNEL, joined: true });
    const { first } = twice(joined, deletes.leave);
    expect(changes(first.calls)).toEqual(["CHANGE microk8s leave"]);
  });

  it("remove-node succeeds for a node the cluster no longer has, or when it fails", () => {
    const gone = new Sandbox({ installedChannel: CHANNEL, nodes: ["ctrl"] });
    const result = gone.run(deletes.removeNode);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/not in the cluster/);
    expect(changes(result.calls)).toEqual([]);

    const failing = new Sandbox({
      installedChannel: CHANNEL,
      nodes: ["ctrl", "spark-1"],
      removeNodeFails: true,
    });
    const failed = failing.run(deletes.removeNode);
    expect(failed.status).toBe(0);
    expect(failed.stderr).toMatch(/warning: remove-node spark-1 failed/);

    const present = new Sandbox({ installedChannel: CHANNEL, nodes: ["ctrl", "spark-1"] });
    const { first } = twice(present, deletes.removeNode);
    expect(changes(first.calls)).toEqual(["CHANGE microk8s remove-node spark-1 --force"]);
  });

  it("purge removes MicroK8s once", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const { first } = twice(box, deletes.purge);
    expect(changes(first.calls)).toEqual(["CHANGE snap remove --purge microk8s"]);
  });

  it("the runtime fix refuses a host without MicroK8s instead of creating the template", () => {
    const box = new Sandbox({ gpu: true });
    const result = box.run(nvidiaRuntimeScript());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/not found: is MicroK8s installed/);
    expect(changes(result.calls)).toEqual([]);
  });

  it("a joined worker skips the join (clustered.lock)", () => {
    const box = new Sandbox({ installedChannel: CHANNEL, joined: true });
    const result = box.run(joinScript({ controllerAddress: "192.168.1.10" }), `${TOKEN}\n`);
    expect(result.status).toBe(0);
    expect(changes(result.calls)).toEqual([]);
  });

  it("the kubeconfig names the address the user gave", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const result = box.run(kubeconfigScript({ address: "10.20.0.1" }));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ {4}server: https:\/\/10\.20\.0\.1:16443$/m);
    expect(result.stdout).not.toContain("192.168.1.10");
  });
});

describe("join token registration", () => {
  it("re-registers a token whose remaining TTL is too short", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const tokens = box.path("/var/snap/microk8s/current/credentials/cluster-tokens.txt");
    writeFileSync(tokens, `${TOKEN}|${Math.floor(Date.now() / 1000) + 10}\n`);
    const result = box.run(registerTokenScript({ worker: "w", ttlSeconds: 900 }), `${TOKEN}\n`);
    expect(result.status).toBe(0);
    expect(changes(result.calls)).toHaveLength(1);
  });

  it("the lock path the scripts guard on is MicroK8s' own", () => {
    expect(step("join-worker-0").create).toContain(LOCK);
  });
});
