import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateMicroK8sClusterArgs } from "../../components/microk8s/config";
import { type PlannedCommand, planCluster, planPreflight } from "../../components/microk8s/plan";
import { kubeconfigScript } from "../../components/microk8s/scripts/cluster";
import {
  installScript,
  rbacScript,
  SNAP_INSTALL_RETRY,
  uninstallScript,
} from "../../components/microk8s/scripts/install";
import {
  admitScript,
  JOIN_RETRY,
  joinScript,
  leaveScript,
  registerTokenScript,
  removeNodeScript,
} from "../../components/microk8s/scripts/join";
import { preflightScript } from "../../components/microk8s/scripts/preflight";
import { deriveJoinToken } from "../../components/microk8s/token";
import { HOST_KEYS } from "./fixtures";
import { changes, Sandbox, STUBS } from "./sandbox";

const CHANNEL = "1.36/stable";
const TOKEN = deriveJoinToken("test-key", "lab/192.168.1.10/spark-1");
const OTHER_TOKEN = deriveJoinToken("test-key", "lab/192.168.1.10/cpu-1");
const LOCK = "/var/snap/microk8s/current/var/lock/clustered.lock";
const TOKENS = "/var/snap/microk8s/current/credentials/cluster-tokens.txt";
const APISERVER = "/var/snap/microk8s/current/args/kube-apiserver";

/** The home-lab shape: a CPU controller, a GPU worker, a CPU worker; purge on destroy. */
const config = validateMicroK8sClusterArgs({
  privateKey: "k",
  controller: { host: "192.168.1.10", user: "ubuntu", hostKey: HOST_KEYS[0], nodeName: "ctrl" },
  workers: [
    {
      name: "spark-1",
      host: "192.168.1.11",
      user: "ubuntu",
      hostKey: HOST_KEYS[1],
      gpu: true,
      address: "192.168.100.11",
      rdmaDevices: ["rocep1s0f0", "roceP2p1s0f0"],
    },
    { name: "cpu-1", host: "192.168.1.12", user: "ubuntu", hostKey: HOST_KEYS[2] },
  ],
  channel: CHANNEL,
  purgeOnDestroy: true,
});
const steps: PlannedCommand[] = [...planPreflight(config), ...planCluster(config)];
const step = (key: string) => {
  const found = steps.find((s) => s.key === key);
  if (!found) throw new Error(`no step ${key}`);
  return found;
};

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
    expect(stubs.length).toBeGreaterThanOrEqual(13);
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
  it.each(everyScript())("%s is strict bash and never embeds a join token", (_, text) => {
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(text).toContain("\nset -euo pipefail\n");
    expect(text).not.toContain(TOKEN);
  });
});

/** Runs `script` twice; the first run must succeed, the second must change nothing. */
function twice(box: Sandbox, script: string, stdin = "") {
  const first = box.run(script, stdin);
  expect(first.status, first.stderr).toBe(0);
  const second = box.run(script, stdin);
  expect(second.status, second.stderr).toBe(0);
  expect(changes(second.calls).filter((c) => !c.includes(TOKENS))).toEqual([]);
  return { first, second };
}

const now = () => Math.floor(Date.now() / 1000);
/** A controller with MicroK8s installed and RBAC on, as the member step finds it. */
function controller(nodes: string[] = ["ctrl"]) {
  const box = new Sandbox({ hostname: "ctrl", installedChannel: CHANNEL, nodes });
  expect(box.run(step("rbac").create).status).toBe(0);
  return box;
}
/** A worker with MicroK8s installed whose join reaches `ctrl`'s cluster agent. */
const worker = (ctrl: Sandbox, hostname = "spark-1") =>
  new Sandbox({ hostname, installedChannel: CHANNEL, controller: ctrl });

describe("idempotency in a stub sandbox (each create script run twice)", () => {
  it("controller: preflight, install, RBAC, kubeconfig", () => {
    const box = new Sandbox({ hostname: "Ctrl", addresses: ["192.168.1.10"] });
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

    expect(box.read(APISERVER)).toContain("--authorization-mode=AlwaysAllow");
    const rbac = twice(box, step("rbac").create);
    expect(changes(rbac.first.calls)).toEqual(["CHANGE microk8s enable rbac"]);
    expect(box.read(APISERVER)).toContain("--authorization-mode=RBAC,Node");
    expect(box.read(APISERVER)).not.toContain("AlwaysAllow");

    const kube = twice(box, step("kubeconfig").create);
    expect(kube.first.stdout).toContain("server: https://192.168.1.10:16443");
    expect(kube.first.stdout).toContain("client-key-data");
    expect(kube.second.stdout).toBe(kube.first.stdout);
  });

  it("GPU worker: preflight checks both RDMA devices, install", () => {
    const box = new Sandbox({
      hostname: "spark-1",
      gpu: true,
      addresses: ["192.168.100.11"],
      rdma: { rocep1s0f0: "4: ACTIVE", roceP2p1s0f0: "4: ACTIVE" },
    });
    const pre = twice(box, step("preflight-spark-1").create);
    expect(pre.first.stdout).toBe("spark-1\n");
    expect(pre.first.stderr).toMatch(/rocep1s0f0 active[\s\S]*roceP2p1s0f0 active/);
    twice(box, step("install-spark-1").create);
  });

  it("CPU worker: no GPU checks", () => {
    const box = new Sandbox({ hostname: "cpu-1" });
    const { first } = twice(box, step("preflight-cpu-1").create);
    expect(first.calls.some((c) => c.includes("nvidia-smi"))).toBe(false);
  });

  it("install without holdRefresh leaves refreshes alone", () => {
    const box = new Sandbox();
    const script = installScript({ channel: CHANNEL, holdRefresh: false, readyTimeoutSeconds: 5 });
    const { first } = twice(box, script);
    expect(first.calls.some((c) => c.includes("refresh"))).toBe(false);
  });

  it("an existing install on the pinned channel is adopted, not reinstalled", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const { first } = twice(box, step("install-cpu-1").create);
    expect(first.calls.some((c) => c.includes("snap install"))).toBe(false);
  });
});

describe("the join, against the cluster agent's first-match token semantics", () => {
  /** member → join → admit, as the component chains them (fingerprint from member's stdout). */
  function joinFlow(ctrl: Sandbox, wrk: Sandbox, token = TOKEN) {
    const member = ctrl.run(step("member-spark-1").create, `${token}\n`);
    expect(member.status, member.stderr).toBe(0);
    const fingerprint = member.stdout.trim();
    const join = wrk.run(step("join-spark-1").create, `${token}\n${fingerprint}\n`);
    return { member, fingerprint, join };
  }

  it("registers, joins with the pinned fingerprint, admits and forgets the token", () => {
    const ctrl = controller();
    const wrk = worker(ctrl);
    const { member, fingerprint, join } = joinFlow(ctrl, wrk);
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(join.status, join.stdout + join.stderr).toBe(0);
    expect(changes(join.calls)).toEqual([
      `CHANGE microk8s join 192.168.1.10:25000/${TOKEN}/${fingerprint} --worker`,
    ]);
    expect(ctrl.read(TOKENS)).toMatch(new RegExp(`^${TOKEN}\\|\\d+\\n$`));
    // The controller side never has the token on a command line (ps shows argv).
    expect(member.calls.join("\n")).not.toContain(TOKEN);

    const admit = ctrl.run(step("admit-spark-1").create, `${TOKEN}\n`);
    expect(admit.status, admit.stderr).toBe(0);
    expect(admit.calls.join("\n")).not.toContain(TOKEN);
    expect(ctrl.read(TOKENS)).not.toContain(TOKEN);

    // Seen token, node Ready: it admits nothing any more (a second node cannot use it).
    const thief = new Sandbox({ hostname: "evil", installedChannel: CHANNEL, controller: ctrl });
    const stolen = thief.run(step("join-spark-1").create, `${TOKEN}\n${fingerprint}\n`);
    expect(stolen.status).toBe(1);
    expect(stolen.stderr).toMatch(/refused the join token/);

    // A re-run of the joined worker changes nothing.
    const again = wrk.run(step("join-spark-1").create, `${TOKEN}\n${fingerprint}\n`);
    expect(again.status).toBe(0);
    expect(changes(again.calls)).toEqual([]);
  });

  it("an expired line of the same token shadows add-node's appended one (why we rewrite)", () => {
    const ctrl = controller();
    writeFileSync(ctrl.path(TOKENS), `${TOKEN}|${now() - 60}\n`);
    // What the old registration did: add-node appends a fresh line below the expired one.
    expect(ctrl.run(`sudo -n microk8s add-node --token ${TOKEN} --token-ttl 900\n`).status).toBe(0);
    const fp = ctrl.run(step("member-spark-1").create, `${OTHER_TOKEN}\n`).stdout.trim();
    const refused = worker(ctrl).run(step("join-spark-1").create, `${TOKEN}\n${fp}\n`);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refused the join token/);
    // Exit 6 is final: no retries against a verdict that cannot change.
    expect(changes(refused.calls)).toHaveLength(1);
  });

  it("a join after an expired registration of the same token works", () => {
    const ctrl = controller();
    const other = `${OTHER_TOKEN}|${now() + 600}`;
    writeFileSync(
      ctrl.path(TOKENS),
      `${TOKEN}|${now() - 3600}\n${other}\n  ${TOKEN}|${now() - 60}  \n${TOKEN}\n`,
    );
    const { join } = joinFlow(ctrl, worker(ctrl));
    expect(join.status, join.stdout + join.stderr).toBe(0);
    const lines = ctrl.read(TOKENS).trim().split("\n");
    // Every stale line of this token is gone; other workers' lines are kept as they were.
    expect(lines).toEqual([other, expect.stringMatching(new RegExp(`^${TOKEN}\\|\\d+$`))]);
  });

  it("two registrations for different workers keep each other's lines", () => {
    const ctrl = controller();
    ctrl.run(step("member-spark-1").create, `${TOKEN}\n`);
    ctrl.run(step("member-cpu-1").create, `${OTHER_TOKEN}\n`);
    const lines = ctrl.read(TOKENS);
    expect(lines).toContain(`${TOKEN}|`);
    expect(lines).toContain(`${OTHER_TOKEN}|`);
  });

  it("a token line without expiry is valid once (the agent consumes it)", () => {
    const ctrl = controller();
    writeFileSync(ctrl.path(TOKENS), `${TOKEN}\n`);
    const fp = ctrl.run(step("member-cpu-1").create, `${OTHER_TOKEN}\n`).stdout.trim();
    const first = worker(ctrl).run(step("join-spark-1").create, `${TOKEN}\n${fp}\n`);
    expect(first.status, first.stderr).toBe(0);
    expect(ctrl.read(TOKENS)).not.toMatch(new RegExp(`^${TOKEN}$`, "m"));
    const second = worker(ctrl, "spark-2").run(step("join-spark-1").create, `${TOKEN}\n${fp}\n`);
    expect(second.status).toBe(1);
  });

  it("an agent with another certificate is not joined (fingerprint pinned)", () => {
    const ctrl = controller();
    const wrk = worker(ctrl);
    const member = ctrl.run(step("member-spark-1").create, `${TOKEN}\n`);
    const wrong = "0".repeat(64);
    const join = wrk.run(step("join-spark-1").create, `${TOKEN}\n${wrong}\n`);
    expect(member.stdout.trim()).not.toBe(wrong);
    expect(join.status).toBe(1);
    expect(join.stderr).toMatch(/not the controller this run registered/);
    expect(changes(join.calls)).toHaveLength(1);
  });

  it("an unreachable controller is retried a bounded number of times", () => {
    const wrk = new Sandbox({ installedChannel: CHANNEL });
    const result = wrk.run(step("join-spark-1").create, `${TOKEN}\n${"a".repeat(64)}\n`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/port 25000 reachable/);
    expect(changes(result.calls)).toHaveLength(JOIN_RETRY.attempts);
  });

  it("join refuses stdin without a fingerprint; registration without a token", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const join = box.run(step("join-spark-1").create, `${TOKEN}\n`);
    expect(join.status).toBe(1);
    expect(join.stderr).toMatch(/no controller certificate fingerprint/);
    const member = box.run(step("member-spark-1").create, "");
    expect(member.status).toBe(1);
    expect(member.stderr).toMatch(/no join token on stdin/);
    expect(changes([...join.calls, ...member.calls])).toEqual([]);
  });

  it("admission gives up after its timeout, naming the node, and keeps the token", () => {
    const ctrl = controller();
    ctrl.run(step("member-spark-1").create, `${TOKEN}\n`);
    const result = ctrl.run(admitScript({ nodeName: "spark-9", timeoutSeconds: 1 }), `${TOKEN}\n`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/node spark-9 is not Ready after 1s/);
    expect(ctrl.read(TOKENS)).toContain(TOKEN);
  });
});

describe("snap install is bounded and retried", () => {
  const script = installScript({ channel: CHANNEL, holdRefresh: false, readyTimeoutSeconds: 5 });
  it("succeeds after transient store failures", () => {
    const box = new Sandbox();
    writeFileSync(join(box.state, "install_failures"), "2");
    const result = box.run(script);
    expect(result.status, result.stderr).toBe(0);
    expect(changes(result.calls).filter((c) => c.includes("snap install"))).toHaveLength(3);
  });
  it("gives up after its attempts, saying so", () => {
    const box = new Sandbox();
    writeFileSync(join(box.state, "install_failures"), "9");
    const result = box.run(script);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`failed ${SNAP_INSTALL_RETRY.attempts} times.*snap store`),
    );
  });
});

describe("preflight failures say what to fix and change nothing", () => {
  const gpuPreflight = preflightScript({
    role: "worker",
    gpu: true,
    channel: CHANNEL,
    minFreeDiskGiB: 20,
  });
  const plain = { role: "worker", gpu: false, channel: CHANNEL, minFreeDiskGiB: 1 };
  const rdma = preflightScript({ ...plain, rdmaDevices: ["rocep1s0f0", "roceP2p1s0f0"] });
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
      "a leftover /var/lib/kubelet directory",
      { gpu: true, kubeletDir: true },
      gpuPreflight,
      /\/var\/lib\/kubelet .* directory left by another Kubernetes/,
    ],
    [
      "one half of the RoCE port missing",
      { rdma: { rocep1s0f0: "4: ACTIVE" } },
      rdma,
      /RDMA device roceP2p1s0f0 not found/,
    ],
    [
      "a RoCE half down",
      { rdma: { rocep1s0f0: "4: ACTIVE", roceP2p1s0f0: "1: DOWN" } },
      rdma,
      /roceP2p1s0f0 .* not ACTIVE \(1: DOWN\)/,
    ],
    [
      "address not on the host",
      { addresses: ["10.0.0.5"] },
      preflightScript({ ...plain, role: "controller", address: "192.168.1.10" }),
      /address 192\.168\.1\.10 is not assigned/,
    ],
    [
      "node name differs from the hostname",
      { hostname: "spark-2" },
      preflightScript({ ...plain, nodeName: "spark-1" }),
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

  it("MicroK8s' own /var/lib/kubelet symlink passes", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const result = box.run(preflightScript(plain));
    expect(result.status, result.stderr).toBe(0);
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
      planCluster({ ...config, purgeOnDestroy: false }).find((s) => s.key === "install-controller")
        ?.delete,
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

  it("a joined worker skips the join (clustered.lock)", () => {
    const box = new Sandbox({ installedChannel: CHANNEL, joined: true });
    const result = box.run(
      joinScript({ controllerAddress: "192.168.1.10" }),
      `${TOKEN}\n${"a".repeat(64)}\n`,
    );
    expect(result.status).toBe(0);
    expect(changes(result.calls)).toEqual([]);
    expect(step("join-spark-1").create).toContain(LOCK);
  });

  it("the kubeconfig names the address the user gave", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const result = box.run(kubeconfigScript({ address: "10.20.0.1" }));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ {4}server: https:\/\/10\.20\.0\.1:16443$/m);
    expect(result.stdout).not.toContain("192.168.1.10");
  });

  it("RBAC on a controller where it is already on changes nothing", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    twice(box, rbacScript({ readyTimeoutSeconds: 5 }));
    const again = box.run(rbacScript({ readyTimeoutSeconds: 5 }));
    expect(again.stderr).toMatch(/RBAC already on/);
  });

  it("registration refuses a controller without MicroK8s", () => {
    const box = new Sandbox();
    const result = box.run(registerTokenScript({ worker: "w", ttlSeconds: 60 }), `${TOKEN}\n`);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/is MicroK8s installed/);
  });
});
