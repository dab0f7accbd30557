import {
  CONTROLLER_KEY,
  controllerAddress,
  type MicroK8sClusterConfig,
  type PlannedNode,
  plannedNodes,
} from "./config";
import { kubeconfigScript } from "./scripts/cluster";
import { remoteInvocation } from "./scripts/common";
import { installScript, rbacScript, uninstallScript } from "./scripts/install";
import {
  admitScript,
  joinScript,
  leaveScript,
  registerTokenScript,
  removeNodeScript,
} from "./scripts/join";
import { preflightScript } from "./scripts/preflight";

/** What a command reads on stdin (the component supplies the secret values). */
export type CommandStdin = "none" | "token" | "token+fingerprint";

/** One `remote.Command` of the cluster, as plain data. */
export interface PlannedCommand {
  /** Suffix of the resource name (`<cluster>-<key>`), unique within the cluster. */
  key: string;
  /** Key of the node it runs on (its SSH connection). */
  node: string;
  /** For a worker's membership steps: the worker whose join token goes on stdin. */
  worker?: string;
  /** Script run on create (not yet wrapped for SSH: see {@link remoteInvocation}). */
  create: string;
  /** Script run on destroy, if the step has anything to undo. */
  delete?: string;
  /** Keys of the commands that must have succeeded first. */
  dependsOn: string[];
  /** `token`: the worker's join token; `token+fingerprint`: and the controller's fingerprint. */
  stdin: CommandStdin;
  /** Stdout is secret (the kubeconfig): marked secret and never logged. */
  secretStdout: boolean;
  /**
   * What identifies the command's target: the node's host, port and user (and, for a
   * worker's membership, the controller's address). pulumi-command replaces a Command only
   * when `triggers` change; any other input change re-runs `create` in place. So a node
   * moved to another host is left (delete runs with the connection stored in state, i.e. on
   * the old host) and joined anew, instead of the new host being joined next to the old one.
   */
  triggers: (string | number)[];
  /**
   * Delete before create on replacement: a worker must leave (and be removed) before the
   * same node name joins again.
   */
  deleteBeforeReplace: boolean;
}

const target = (n: PlannedNode): (string | number)[] => [n.host, n.port, n.user];

/**
 * Stage 1: preflight of every node. Nothing else (in this component or any that waits for
 * {@link MicroK8sCluster.preflights}) starts until every one has passed, so a bad node
 * stops the run before any host changes.
 */
export function planPreflight(config: MicroK8sClusterConfig): PlannedCommand[] {
  return plannedNodes(config).map((n) => ({
    key: `preflight-${n.key}`,
    node: n.key,
    create: preflightScript({
      role: n.role,
      gpu: n.gpu,
      channel: config.channel,
      minFreeDiskGiB: config.minFreeDiskGiB,
      nodeName: n.nodeName,
      address: n.address,
      rdmaDevices: n.rdmaDevices,
    }),
    dependsOn: [],
    stdin: "none",
    secretStdout: false,
    triggers: target(n),
    deleteBeforeReplace: false,
  }));
}

/**
 * Stage 2: install on every node, RBAC on the controller, per worker the token registration
 * (controller), the join (worker) and the admission (controller: node Ready, token removed),
 * then the kubeconfig. Every per-node command is named by the node's key, never a list
 * position. Destroy runs the deletes in reverse: leave on the worker, then remove-node on
 * the controller, then the optional purge.
 */
export function planCluster(config: MicroK8sClusterConfig): PlannedCommand[] {
  const nodes = plannedNodes(config);
  const controller = nodes[0] as PlannedNode;
  const workers = nodes.filter((n) => n.role === "worker");
  const preflights = nodes.map((n) => `preflight-${n.key}`);
  const purge = uninstallScript(config.purgeOnDestroy);
  const address = controllerAddress(config);
  const step = { stdin: "none" as const, secretStdout: false, deleteBeforeReplace: true };

  const install = nodes.map(
    (n): PlannedCommand => ({
      ...step,
      key: `install-${n.key}`,
      node: n.key,
      create: installScript({
        channel: config.channel,
        holdRefresh: config.holdRefresh,
        readyTimeoutSeconds: config.readyTimeoutSeconds,
      }),
      ...(purge === undefined ? {} : { delete: purge }),
      dependsOn: preflights,
      triggers: target(n),
    }),
  );
  const rbac: PlannedCommand = {
    ...step,
    key: "rbac",
    node: CONTROLLER_KEY,
    create: rbacScript({ readyTimeoutSeconds: config.readyTimeoutSeconds }),
    dependsOn: [`install-${CONTROLLER_KEY}`],
    triggers: target(controller),
  };
  const membership = workers.flatMap((w): PlannedCommand[] => {
    // The worker's target and the cluster it belongs to: a change of either replaces all three.
    const triggers = [...target(w), address, ...target(controller)];
    const name = w.nodeName ?? w.key;
    return [
      {
        ...step,
        key: `member-${w.key}`,
        node: CONTROLLER_KEY,
        worker: w.key,
        create: registerTokenScript({ worker: name, ttlSeconds: config.joinTokenTtlSeconds }),
        delete: removeNodeScript({ nodeName: name }),
        dependsOn: ["rbac", `install-${w.key}`],
        stdin: "token",
        triggers,
      },
      {
        ...step,
        key: `join-${w.key}`,
        node: w.key,
        worker: w.key,
        create: joinScript({ controllerAddress: address }),
        delete: leaveScript(),
        dependsOn: [`member-${w.key}`],
        stdin: "token+fingerprint",
        triggers,
      },
      {
        ...step,
        key: `admit-${w.key}`,
        node: CONTROLLER_KEY,
        worker: w.key,
        create: admitScript({ nodeName: name, timeoutSeconds: config.readyTimeoutSeconds }),
        dependsOn: [`join-${w.key}`],
        stdin: "token",
        triggers,
      },
    ];
  });
  const kubeconfig: PlannedCommand = {
    ...step,
    key: "kubeconfig",
    node: CONTROLLER_KEY,
    create: kubeconfigScript({ address }),
    dependsOn: ["rbac", ...workers.map((w) => `admit-${w.key}`)],
    secretStdout: true,
    triggers: [...target(controller), address],
  };
  return [...install, rbac, ...membership, kubeconfig];
}

/** A node's Kubernetes name as preflight printed it (its last stdout line). */
const NAME_LINE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * The Kubernetes name of `node`: the name the user gave, else the name its preflight
 * printed. When the preflight output is not known (a mock run; a real run always has it
 * once preflight passed) it is a placeholder naming the node's key.
 * @throws Error when preflight printed something that is not a node name.
 */
export function resolveNodeName(node: PlannedNode, preflightStdout: string | undefined): string {
  if (node.nodeName !== undefined) return node.nodeName;
  if (preflightStdout === undefined) return `unknown-${node.key}`;
  const last = preflightStdout.trim().split("\n").pop()?.trim() ?? "";
  if (!NAME_LINE.test(last)) {
    throw new Error(
      `preflight of ${node.host} printed "${last}" where a node name was expected; set nodeName for ${node.key}`,
    );
  }
  return last;
}

/** Wraps a planned script for `remote.Command` (see {@link remoteInvocation}). */
export function commandLine(scriptText: string): string {
  return remoteInvocation(scriptText);
}
