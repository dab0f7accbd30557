/** The MicroK8s delete scripts (and a few one-off scripts) on hosts where things are already gone, in stub sandboxes. */
import { describe, expect, it } from "vitest";
import { planCluster } from "../../components/microk8s/plan";
import { kubeconfigScript } from "../../components/microk8s/scripts/cluster";
import { rbacScript, uninstallScript } from "../../components/microk8s/scripts/install";
import {
  joinScript,
  leaveScript,
  registerTokenScript,
  removeNodeScript,
} from "../../components/microk8s/scripts/join";
import { changes, Sandbox } from "./sandbox";
import { CHANNEL, config, LOCK, step, TOKEN, twice } from "./script-steps";

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
