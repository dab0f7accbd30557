import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { controllerAddress, plannedNodes, validateMicroK8sClusterArgs } from "./config";
import {
  commandLine,
  type NodeNames,
  type PlannedCommand,
  placeholderNodeNames,
  planCluster,
  planPreflight,
  resolveNodeName,
} from "./plan";
import { resolveJoinToken } from "./token";

/** The controller: a CPU node running the control plane (and nothing GPU). */
export interface MicroK8sControllerArgs {
  /** Hostname or IP that SSH connects to. */
  host: string;
  /** SSH user; needs passwordless sudo. */
  user: string;
  /** SSH port. Defaults to 22. */
  port?: number;
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
  address?: string;
}

/** A worker node (control plane stays on the controller: workers join with `--worker`). */
export interface MicroK8sWorkerArgs {
  /** Hostname or IP that SSH connects to. */
  host: string;
  /** SSH user; needs passwordless sudo. */
  user: string;
  /** SSH port. Defaults to 22. */
  port?: number;
  /**
   * The node's Kubernetes name (its lowercase hostname); preflight fails if it differs.
   * Defaults to what the host reports in preflight.
   */
  nodeName?: string;
  /** IPv4 of the node on the cluster network; preflight checks the host owns it. Optional. */
  address?: string;
  /**
   * GPU node: preflight checks `nvidia-smi`, `/dev/nvidia*` and the `nvidia` module, and the
   * containerd `nvidia` runtime is added for the GPU Operator. Defaults to false.
   */
  gpu?: boolean;
}

/** Arguments of {@link MicroK8sCluster}. */
export interface MicroK8sClusterArgs {
  /** The control-plane node. */
  controller: MicroK8sControllerArgs;
  /** Worker nodes, joined with `--worker`. Defaults to none (a one-node cluster). */
  workers?: MicroK8sWorkerArgs[];
  /** SSH private key (OpenSSH/PEM text) accepted by every node. Kept a secret. */
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
   * Join token (>= 32 letters/digits), a secret. Defaults to one derived from `privateKey`
   * and the cluster's identity (HMAC-SHA256), stable across runs.
   */
  joinToken?: pulumi.Input<string>;
  /** Seconds a registered join token stays valid (`add-node --token-ttl`). Defaults to 900. */
  joinTokenTtlSeconds?: number;
  /** On destroy, `snap remove --purge microk8s` on every node. Defaults to false. */
  purgeOnDestroy?: boolean;
  /**
   * Seconds for `microk8s status --wait-ready` on each node and for every node to become
   * `Ready`. Defaults to 600.
   */
  readyTimeoutSeconds?: number;
  /** Free GiB preflight demands under /var on every node. Defaults to 20. */
  minFreeDiskGiB?: number;
}

/**
 * A MicroK8s cluster formed over SSH: one controller plus workers (GPU or CPU), every step a
 * `remote.Command` running a script built by a pure function (see `components/microk8s/scripts`),
 * ordered by explicit `dependsOn`: preflight (all nodes) → install → token registration and
 * join per worker → containerd `nvidia` runtime on GPU workers → every node Ready → kubeconfig.
 */
export class MicroK8sCluster extends pulumi.ComponentResource {
  /** Admin kubeconfig pointing at `https://<controllerAddress>:16443` (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** IPv4 of the controller that workers joined and the kubeconfig points at. */
  public readonly controllerAddress: pulumi.Output<string>;
  /** Kubernetes node names, controller first, then workers in the order given. */
  public readonly nodeNames: pulumi.Output<string[]>;

  constructor(name: string, args: MicroK8sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const config = validateMicroK8sClusterArgs(
      args as unknown as Record<string, unknown>,
      `MicroK8sCluster "${name}"`,
    );
    super("llm-serving:index:MicroK8sCluster", name, {}, opts);
    const nodes = plannedNodes(config);
    const privateKey = pulumi.secret(args.privateKey);
    const connections = new Map(
      nodes.map((n) => [n.key, { host: n.host, user: n.user, port: n.port, privateKey }]),
    );
    const identity = `${name}/${controllerAddress(config)}`;
    const tokenLine = pulumi.secret(
      pulumi
        .all([args.privateKey, args.joinToken])
        .apply(([key, explicit]) => `${resolveJoinToken(explicit, key, identity)}\n`),
    );

    const commands = new Map<string, remote.Command>();
    const create = (step: PlannedCommand, scripts: pulumi.Input<PlannedCommand>) => {
      const planned = pulumi.output(scripts);
      const command = new remote.Command(
        `${name}-${step.key}`,
        {
          connection: connections.get(step.node) ?? missing(step.node),
          create: planned.apply((s) => commandLine(s.create)),
          delete:
            step.delete === undefined
              ? undefined
              : planned.apply((s) => commandLine(s.delete ?? "")),
          stdin: step.joinTokenOnStdin ? tokenLine : undefined,
          logging: step.secretStdout ? "stderr" : "stdoutAndStderr",
          // The previous stdout may be the kubeconfig: never send it back over SSH.
          addPreviousOutputInEnv: false,
        },
        {
          parent: this,
          dependsOn: step.dependsOn.map((key) => commands.get(key) ?? missing(key)),
          additionalSecretOutputs: step.secretStdout ? ["stdout"] : [],
        },
      );
      commands.set(step.key, command);
      return command;
    };

    const preflights = planPreflight(config).map((step) => create(step, step));
    const names: pulumi.Output<NodeNames> = pulumi
      .all(preflights.map((p) => p.stdout))
      .apply((outs) =>
        Object.fromEntries(nodes.map((n, i) => [n.key, resolveNodeName(n, outs[i])])),
      );
    const shape = planCluster(config, placeholderNodeNames(config));
    for (const [i, step] of shape.entries()) {
      create(step, step.usesNodeNames ? names.apply((ns) => planCluster(config, ns)[i]) : step);
    }

    const kubeconfigCommand = commands.get("kubeconfig") ?? missing("kubeconfig");
    this.kubeconfig = pulumi.secret(kubeconfigCommand.stdout);
    this.controllerAddress = pulumi.output(controllerAddress(config));
    this.nodeNames = names.apply((ns) => nodes.map((n) => ns[n.key] ?? n.key));
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
