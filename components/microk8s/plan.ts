import {
  controllerAddress,
  type MicroK8sClusterConfig,
  type PlannedNode,
  plannedNodes,
} from "./config";
import { kubeconfigScript, waitReadyScript } from "./scripts/cluster";
import { remoteInvocation } from "./scripts/common";
import { installScript, uninstallScript } from "./scripts/install";
import { joinScript, leaveScript, registerTokenScript, removeNodeScript } from "./scripts/join";
import { preflightScript } from "./scripts/preflight";
import { nvidiaRuntimeScript } from "./scripts/runtime";

/** Kubernetes node name of every node, by node key (`controller`, `worker-0`, …). */
export type NodeNames = Record<string, string>;

/** One `remote.Command` of the cluster, as plain data. */
export interface PlannedCommand {
  /** Suffix of the resource name (`<cluster>-<key>`), unique within the cluster. */
  key: string;
  /** Key of the node it runs on (its SSH connection). */
  node: string;
  /** Script run on create (not yet wrapped for SSH: see {@link remoteInvocation}). */
  create: string;
  /** Script run on destroy, if the step has anything to undo. */
  delete?: string;
  /** Keys of the commands that must have succeeded first. */
  dependsOn: string[];
  /** The secret join token is fed on stdin. */
  joinTokenOnStdin: boolean;
  /** Stdout is secret (the kubeconfig): marked secret and never logged. */
  secretStdout: boolean;
  /**
   * The scripts name nodes, so they are only final once every preflight has reported its
   * node's name; the others are known at once (and readable in a preview).
   */
  usesNodeNames: boolean;
}

/**
 * Stage 1: preflight of every node. Nothing else starts until every one has passed, so a
 * bad node stops the run before any host changes.
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
    }),
    dependsOn: [],
    joinTokenOnStdin: false,
    secretStdout: false,
    usesNodeNames: false,
  }));
}

/**
 * Stage 2, given every node's name: install on every node, per worker a token registration
 * on the controller then the join, the containerd runtime on GPU workers, the wait for every
 * node `Ready`, and the kubeconfig. Destroy runs the deletes in reverse: leave on the worker,
 * then remove-node on the controller, then the optional purge.
 */
export function planCluster(config: MicroK8sClusterConfig, names: NodeNames): PlannedCommand[] {
  const nodes = plannedNodes(config);
  const workers = nodes.filter((n) => n.role === "worker");
  const preflights = nodes.map((n) => `preflight-${n.key}`);
  const purge = uninstallScript(config.purgeOnDestroy);
  const plain = { joinTokenOnStdin: false, secretStdout: false, usesNodeNames: false };

  const install = nodes.map(
    (n): PlannedCommand => ({
      ...plain,
      key: `install-${n.key}`,
      node: n.key,
      create: installScript({
        channel: config.channel,
        holdRefresh: config.holdRefresh,
        readyTimeoutSeconds: config.readyTimeoutSeconds,
      }),
      ...(purge === undefined ? {} : { delete: purge }),
      dependsOn: preflights,
    }),
  );
  const membership = workers.flatMap((w): PlannedCommand[] => [
    {
      key: `member-${w.key}`,
      node: "controller",
      create: registerTokenScript({ worker: w.key, ttlSeconds: config.joinTokenTtlSeconds }),
      delete: removeNodeScript({ nodeName: nodeName(names, w) }),
      dependsOn: ["install-controller", `install-${w.key}`],
      joinTokenOnStdin: true,
      secretStdout: false,
      usesNodeNames: true,
    },
    {
      key: `join-${w.key}`,
      node: w.key,
      create: joinScript({ controllerAddress: controllerAddress(config) }),
      delete: leaveScript(),
      dependsOn: [`member-${w.key}`],
      joinTokenOnStdin: true,
      secretStdout: false,
      usesNodeNames: false,
    },
  ]);
  const runtimes = workers
    .filter((w) => w.gpu)
    .map(
      (w): PlannedCommand => ({
        ...plain,
        key: `runtime-${w.key}`,
        node: w.key,
        create: nvidiaRuntimeScript(),
        dependsOn: [`join-${w.key}`],
      }),
    );
  const ready: PlannedCommand = {
    ...plain,
    usesNodeNames: true,
    key: "ready",
    node: "controller",
    create: waitReadyScript({
      nodeNames: nodes.map((n) => nodeName(names, n)),
      timeoutSeconds: config.readyTimeoutSeconds,
    }),
    dependsOn: [
      "install-controller",
      ...workers.map((w) => `join-${w.key}`),
      ...runtimes.map((r) => r.key),
    ],
  };
  const kubeconfig: PlannedCommand = {
    key: "kubeconfig",
    node: "controller",
    create: kubeconfigScript({ address: controllerAddress(config) }),
    dependsOn: ["ready"],
    joinTokenOnStdin: false,
    secretStdout: true,
    usesNodeNames: false,
  };
  return [...install, ...membership, ...runtimes, ready, kubeconfig];
}

/**
 * Stand-in names (`unknown-<key>`) for planning the shape of stage 2 before the real names
 * are known: the shape (keys, nodes, order) never depends on the names.
 */
export function placeholderNodeNames(config: MicroK8sClusterConfig): NodeNames {
  return Object.fromEntries(
    plannedNodes(config).map((n) => [n.key, n.nodeName ?? `unknown-${n.key}`]),
  );
}

function nodeName(names: NodeNames, node: PlannedNode): string {
  const name = names[node.key];
  if (name === undefined) throw new Error(`no node name for ${node.key}`);
  return name;
}

/** A node's Kubernetes name as preflight printed it (its last stdout line). */
const NAME_LINE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * The Kubernetes name of `node`: the `nodeName` the user gave, else the name its preflight
 * printed. When the preflight output is not known (a mock run; a real run always has it
 * once preflight passed) it is a placeholder naming the node's host.
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
