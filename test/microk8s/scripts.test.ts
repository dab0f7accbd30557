/** The MicroK8s scripts as text (shellcheck, strict mode) and run twice in a stub sandbox. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installScript, SNAP_INSTALL_RETRY } from "../../components/microk8s/scripts/install";
import { changes, Sandbox, STUBS } from "./sandbox";
import { APISERVER, CHANNEL, everyScript, step, TOKEN, twice } from "./script-steps";

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
