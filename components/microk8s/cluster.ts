import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  INPUT_NODE_FIELDS,
  type MicroK8sClusterArgsLike,
  type MicroK8sClusterConfig,
  type PlannedNode,
  pendingValue,
  plannedNodes,
  validateMicroK8sClusterArgs,
} from "./config";
import {
  commandLine,
  type PlannedCommand,
  planCluster,
  planPreflight,
  resolveNodeName,
} from "./plan";
import { workerJoinToken } from "./token";

/** What every node has: how SSH reaches it and which host key it must present. */
export interface MicroK8sNodeArgs {
  /** Hostname or IP that SSH connects to (may be another resource's output, e.g. a VM's IP). */
  host: pulumi.Input<string>;
  /** SSH user; needs passwordless sudo. */
  user: string;
  /** SSH port. Defaults to 22. */
  port?: number;
  /**
   * The host's public SSH key, `<type> <base64>` (`ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-`,
   * checked against the fingerprint read on the host's console). Required: every command
   * pins it, so a host that presents another key gets nothing (no token, no script).
   */
  hostKey: pulumi.Input<string>;
}

/** The controller: a CPU node running the control plane (and nothing GPU). */
export interface MicroK8sControllerArgs extends MicroK8sNodeArgs {
  /**
   * The node's Kubernetes name (its lowercase hostname); preflight fails if it differs.
   * Defaults to what the host reports in preflight.
   */
  nodeName?: string;
  /**
   * IPv4 of the controller on the cluster network: workers join `<address>:25000` and the
   * kubeconfig points at `https://<address>:16443`; preflight checks the host owns it.
   * Defaults to `host`, which must then be an IPv4 address.
   */
  address?: pulumi.Input<string>;
}

/** A worker node (control plane stays on the controller: workers join with `--worker`). */
export interface MicroK8sWorkerArgs extends MicroK8sNodeArgs {
  /**
   * The node's Kubernetes name: its lowercase hostname (preflight checks it). Also its
   * identity in resource names, so removing or moving one worker never touches another.
   */
  name: string;
  /** IPv4 of the node on the cluster network; preflight checks the host owns it. Optional. */
  address?: pulumi.Input<string>;
  /**
   * GPU node: preflight checks `nvidia-smi`, `/dev/nvidia*` and the `nvidia` module.
   * Defaults to false.
   */
  gpu?: boolean;
  /**
   * RDMA devices preflight requires present with an ACTIVE port, e.g. both halves of a DGX
   * Spark QSFP port (`rocep1s0f0`, `roceP2p1s0f0`). Defaults to none.
   */
  rdmaDevices?: string[];
}

/** Arguments of {@link MicroK8sCluster}. */
export interface MicroK8sClusterArgs {
  /** The control-plane node. */
  controller: MicroK8sControllerArgs;
  /** Worker nodes, joined with `--worker`; names must be unique. Defaults to none. */
  workers?: MicroK8sWorkerArgs[];
  /** SSH private key (OpenSSH/PEM text) accepted by every node. Wrapped as a secret here. */
  privateKey: pulumi.Input<string>;
  /**
   * Snap channel `<track>/<risk>`, the same on every node; a node already on another channel
   * fails preflight (version skew) instead of being upgraded. Defaults to
   * `versions.microk8sChannel`.
   */
  channel?: string;
  /** Hold snap refreshes of MicroK8s (`snap refresh --hold`). Defaults to true. */
  holdRefresh?: boolean;
  /**
   * Secret (>= 32 letters/digits) each worker's join token is derived from. Wrapped as a
   * secret here. Defaults to the private key (HMAC-SHA256 per worker), stable across runs.
   */
  joinToken?: pulumi.Input<string>;
  /** Seconds a registered join token stays valid until its node is Ready. Defaults to 900. */
  joinTokenTtlSeconds?: number;
  /** On destroy, `snap remove --purge microk8s` on every node. Defaults to false. */
  purgeOnDestroy?: boolean;
  /**
   * Seconds for `microk8s status --wait-ready` on each node and for each node to become
   * `Ready`. Defaults to 600.
   */
  readyTimeoutSeconds?: number;
  /** Free GiB preflight demands under /var on every node. Defaults to 20. */
  minFreeDiskGiB?: number;
}

/** The values of a node's Input fields (see {@link INPUT_NODE_FIELDS}). */
export type MicroK8sNodeInputs = Record<(typeof INPUT_NODE_FIELDS)[number], unknown>;

/**
 * Validates the component's arguments: with `values` (the resolved Input fields, controller
 * first), the real config; without, the config with every not-yet-known Input replaced by a
 * pending stand-in (see {@link pendingValue}), so every known value is checked at once and
 * the plan's shape is fixed before any Output resolves.
 * @throws ConfigError listing every problem by path.
 */
export function resolveMicroK8sClusterConfig(
  args: MicroK8sClusterArgs,
  context: string,
  values?: MicroK8sNodeInputs[],
): MicroK8sClusterConfig {
  return validateMicroK8sClusterArgs(
    withNodeValues(args, values) as unknown as MicroK8sClusterArgsLike,
    context,
  );
}

function withNodeValues(
  args: MicroK8sClusterArgs,
  values?: MicroK8sNodeInputs[],
): Record<string, unknown> {
  const nodes = [args.controller, ...(args.workers ?? [])] as unknown as MicroK8sNodeInputs[];
  const fill = (node: MicroK8sNodeInputs, i: number) => {
    const out: Record<string, unknown> = { ...node };
    for (const field of INPUT_NODE_FIELDS) {
      const v = values ? values[i]?.[field] : node[field];
      out[field] = v === undefined || typeof v === "string" ? v : pendingValue(field, i);
    }
    return out;
  };
  const [controller, ...workers] = nodes.map(fill);
  return { ...args, controller, ...(args.workers ? { workers } : {}) };
}

/**
 * A MicroK8s cluster formed over SSH: one controller plus workers (GPU or CPU), every step a
 * `remote.Command` running a script built by a pure function (see `components/microk8s/scripts`),
 * ordered by explicit `dependsOn`: preflight (all nodes) → install → RBAC → per worker:
 * token registration, join, admission (Ready, token removed) → kubeconfig. Every command
 * pins its node's SSH host key and names its node by key, never by list position.
 */
export class MicroK8sCluster extends pulumi.ComponentResource {
  /** Admin kubeconfig pointing at `https://<controllerAddress>:16443` (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** IPv4 of the controller that workers joined and the kubeconfig points at. */
  public readonly controllerAddress: pulumi.Output<string>;
  /** Kubernetes node names, controller first, then workers in the order given. */
  public readonly nodeNames: pulumi.Output<string[]>;
  /**
   * The preflight commands: resources that change a host of this cluster (e.g. an NFS
   * export on the controller) should `dependsOn` them, so nothing changes before every node
   * passed.
   */
  public readonly preflights: remote.Command[];

  constructor(name: string, args: MicroK8sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate what is known now: a bad config registers nothing, not even this component.
    const context = `MicroK8sCluster "${name}"`;
    const shapeConfig = resolveMicroK8sClusterConfig(args, context);
    super("llm-serving:index:MicroK8sCluster", name, {}, opts);
    const nodes = plannedNodes(shapeConfig);

    // The rest once every Input is known, validated again with the same rules.
    const inputs: pulumi.Input<MicroK8sNodeInputs>[] = [
      args.controller,
      ...(args.workers ?? []),
    ].map((n) => ({ host: n.host, hostKey: n.hostKey, address: n.address }));
    const config: pulumi.Output<MicroK8sClusterConfig> = pulumi
      .all(inputs)
      .apply((values) =>
        resolveMicroK8sClusterConfig(args, context, values as MicroK8sNodeInputs[]),
      );
    const resolvedNode = (key: string) =>
      config.apply((c) => plannedNodes(c).find((n) => n.key === key) ?? missing(key));
    const address = config.apply((c) => c.controller.address ?? c.controller.host);

    const privateKey = pulumi.secret(args.privateKey);
    const joinToken = args.joinToken === undefined ? undefined : pulumi.secret(args.joinToken);
    const connections = new Map(
      nodes.map((n) => {
        const node = resolvedNode(n.key);
        return [
          n.key,
          {
            host: node.host,
            user: n.user,
            port: n.port,
            hostKey: node.hostKey,
            privateKey,
          },
        ];
      }),
    );
    const tokens = new Map(
      nodes
        .filter((n) => n.role === "worker")
        .map((n) => [
          n.key,
          pulumi.secret(
            pulumi
              .all([privateKey, joinToken, address])
              .apply(([key, explicit, controller]) =>
                workerJoinToken(explicit, key, `${name}/${controller}`, n.key),
              ),
          ),
        ]),
    );

    const commands = new Map<string, remote.Command>();
    const create = (step: PlannedCommand, planned: pulumi.Output<PlannedCommand>) => {
      const token = step.worker === undefined ? undefined : tokens.get(step.worker);
      const stdin =
        step.stdin === "token"
          ? token?.apply((t) => `${t}\n`)
          : step.stdin === "token+fingerprint"
            ? pulumi
                .all([token, commands.get(`member-${step.worker}`)?.stdout])
                .apply(([t, fp]) => `${t}\n${(fp ?? "").trim().split("\n").pop()}\n`)
            : undefined;
      const command = new remote.Command(
        `${name}-${step.key}`,
        {
          connection: connections.get(step.node) ?? missing(step.node),
          create: planned.apply((s) => commandLine(s.create)),
          delete:
            step.delete === undefined
              ? undefined
              : planned.apply((s) => commandLine(s.delete ?? "")),
          stdin: stdin === undefined ? undefined : pulumi.secret(stdin),
          triggers: planned.apply((s) => s.triggers),
          logging: step.secretStdout ? "stderr" : "stdoutAndStderr",
          // The previous stdout may be the kubeconfig: never send it back over SSH.
          addPreviousOutputInEnv: false,
        },
        {
          parent: this,
          dependsOn: step.dependsOn.map((key) => commands.get(key) ?? missing(key)),
          deleteBeforeReplace: step.deleteBeforeReplace,
          additionalSecretOutputs: step.secretStdout ? ["stdout"] : [],
        },
      );
      commands.set(step.key, command);
      return command;
    };

    // The shape (keys, order, stdin) never depends on Input values; the scripts and triggers
    // do, so each command takes its step from the plan of the resolved config.
    const preflightPlan = config.apply(planPreflight);
    this.preflights = planPreflight(shapeConfig).map((step, i) =>
      create(
        step,
        preflightPlan.apply((p) => p[i] ?? missing(step.key)),
      ),
    );
    const clusterPlan = config.apply(planCluster);
    for (const [i, step] of planCluster(shapeConfig).entries()) {
      create(
        step,
        clusterPlan.apply((p) => (p[i]?.key === step.key ? p[i] : missing(step.key))),
      );
    }

    const kubeconfigCommand = commands.get("kubeconfig") ?? missing("kubeconfig");
    this.kubeconfig = pulumi.secret(kubeconfigCommand.stdout);
    this.controllerAddress = address;
    this.nodeNames = pulumi
      .all(this.preflights.map((p) => p.stdout))
      .apply((outs) => nodes.map((n: PlannedNode, i) => resolveNodeName(n, outs[i])));
    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      controllerAddress: this.controllerAddress,
      nodeNames: this.nodeNames,
    });
  }
}

function missing(key: string): never {
  throw new Error(`MicroK8sCluster: internal plan error, no ${key}`);
}
