/**
 * What the MicroK8s script tests share: the home-lab cluster's planned steps, their scripts,
 * and sandbox helpers (run a script twice, a controller with RBAC on, a worker joined to it).
 * The tests are split by script family so both test workers share the bash-heavy work.
 */
import { expect } from "vitest";
import { validateMicroK8sClusterArgs } from "../../components/microk8s/config";
import { type PlannedCommand, planCluster, planPreflight } from "../../components/microk8s/plan";
import { installScript } from "../../components/microk8s/scripts/install";
import { deriveJoinToken } from "../../components/microk8s/token";
import { HOST_KEYS } from "./fixtures";
import { changes, Sandbox } from "./sandbox";

/** The MicroK8s channel every script pins. */
export const CHANNEL = "1.36/stable";
/** spark-1's join token. */
export const TOKEN = deriveJoinToken("test-key", "lab/192.168.1.10/spark-1");
/** cpu-1's join token. */
export const OTHER_TOKEN = deriveJoinToken("test-key", "lab/192.168.1.10/cpu-1");
/** MicroK8s' marker of a joined node. */
export const LOCK = "/var/snap/microk8s/current/var/lock/clustered.lock";
/** The cluster agent's token file. */
export const TOKENS = "/var/snap/microk8s/current/credentials/cluster-tokens.txt";
/** The API server's arguments (its authorization mode). */
export const APISERVER = "/var/snap/microk8s/current/args/kube-apiserver";

/** The home-lab shape: a CPU controller, a GPU worker, a CPU worker; purge on destroy. */
export const config = validateMicroK8sClusterArgs({
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
/** The planned step named `key` (preflight or cluster); throws if the plan has none. */
export const step = (key: string) => {
  const found = steps.find((s) => s.key === key);
  if (!found) throw new Error(`no step ${key}`);
  return found;
};

/** Every script of every step (create and delete), plus the variants the plan did not pick. */
export function everyScript(): Array<[string, string]> {
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

/** Runs `script` twice; the first run must succeed, the second must change nothing. */
export function twice(box: Sandbox, script: string, stdin = "") {
  const first = box.run(script, stdin);
  expect(first.status, first.stderr).toBe(0);
  const second = box.run(script, stdin);
  expect(second.status, second.stderr).toBe(0);
  expect(changes(second.calls).filter((c) => !c.includes(TOKENS))).toEqual([]);
  return { first, second };
}

/** Unix time in seconds, as the cluster agent compares token expiries. */
export const now = () => Math.floor(Date.now() / 1000);
/** A controller with MicroK8s installed and RBAC on, as the member step finds it. */
export function controller(nodes: string[] = ["ctrl"]) {
  const box = new Sandbox({ hostname: "ctrl", installedChannel: CHANNEL, nodes });
  expect(box.run(step("rbac").create).status).toBe(0);
  return box;
}
/** A worker with MicroK8s installed whose join reaches `ctrl`'s cluster agent. */
export const worker = (ctrl: Sandbox, hostname = "spark-1") =>
  new Sandbox({ hostname, installedChannel: CHANNEL, controller: ctrl });
