import { z } from "zod";
import { ConfigError, type ConfigProblem, formatPath } from "../validation";
import { versions } from "../versions";
import { hostKeyProblem } from "./host-key";
import { joinTokenProblem } from "./token";

/** Defaults of {@link MicroK8sClusterConfig}, in one place so docs and code agree. */
export const microk8sDefaults = {
  /** SSH port. */
  port: 22,
  /** Refreshes are held: an unattended snap refresh restarts Kubernetes under running pods. */
  holdRefresh: true,
  /**
   * Seconds a registered join token stays valid. The token is per node and removed as soon
   * as its node is Ready, so the TTL only bounds how long a failed run leaves it usable.
   */
  joinTokenTtlSeconds: 900,
  /** Destroy keeps the snap (and its images) unless asked to purge. */
  purgeOnDestroy: false,
  /** Seconds to wait for `microk8s status --wait-ready` and for each node to be `Ready`. */
  readyTimeoutSeconds: 600,
  /** Free space preflight demands under /var (images and the model cache live there). */
  minFreeDiskGiB: 20,
} as const;

/** Port of the MicroK8s cluster agent that `microk8s join` contacts. */
export const CLUSTER_AGENT_PORT = 25000;

/** Resource key of the controller; no worker may use it as its name. */
export const CONTROLLER_KEY = "controller";

/**
 * A snap channel `track/risk`. Only classic tracks: strict-confinement tracks (`1.32-strict`)
 * cannot be installed with `--classic` and have no `microk8s join --worker` parity.
 */
const CHANNEL = /^(latest|\d+\.\d+)\/(stable|candidate|beta|edge)$/;
/** Kubernetes node names are lowercase RFC 1123 subdomains. */
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** POSIX login names (what `usermod -a -G` accepts). */
const USER = /^[a-z_][a-z0-9_-]*[$]?$/;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** RDMA device names as the kernel lists them under /sys/class/infiniband. */
const RDMA_DEVICE = /^[A-Za-z0-9_.-]{1,64}$/;

/** True if `value` is a dotted-quad IPv4 address. */
export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

const hostKey = z
  .string({
    message:
      "required: the host's public SSH key, pinned on every connection (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-, then compare its fingerprint with the host's console; docs/homelab.md)",
  })
  .superRefine((v, ctx) => {
    const problem = hostKeyProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const nodeFields = {
  host: z
    .string()
    .regex(HOST, "must be a hostname or IP address reachable over SSH (no user@, no port)"),
  user: z.string().regex(USER, "must be a POSIX login name (e.g. ubuntu)"),
  port: z.number().int().min(1).max(65535).default(microk8sDefaults.port),
  hostKey,
  address: z
    .string()
    .regex(IPV4, "must be an IPv4 address of this node (microk8s join accepts only IPv4)")
    .optional(),
};

const controllerSchema = z
  .object({
    ...nodeFields,
    nodeName: z
      .string()
      .regex(NODE_NAME, "must be the node's lowercase hostname (RFC 1123), as Kubernetes names it")
      .optional(),
  })
  .strict();
const workerSchema = z
  .object({
    name: z
      .string()
      .regex(NODE_NAME, "must be the node's lowercase hostname (RFC 1123), as Kubernetes names it")
      .refine((n) => n !== CONTROLLER_KEY, `"${CONTROLLER_KEY}" is reserved for the controller`),
    ...nodeFields,
    gpu: z.boolean().default(false),
    rdmaDevices: z
      .array(z.string().regex(RDMA_DEVICE, "must be an RDMA device name, e.g. rocep1s0f0"))
      .default([]),
  })
  .strict();

const clusterSchema = z
  .object({
    controller: controllerSchema,
    workers: z.array(workerSchema).default([]),
    channel: z
      .string()
      .regex(CHANNEL, "must be a classic snap channel `<track>/<risk>`, e.g. 1.36/stable")
      .default(versions.microk8sChannel),
    holdRefresh: z.boolean().default(microk8sDefaults.holdRefresh),
    joinTokenTtlSeconds: z
      .number()
      .int()
      .positive("must be > 0: a token without TTL is consumed even by a failed join")
      .default(microk8sDefaults.joinTokenTtlSeconds),
    purgeOnDestroy: z.boolean().default(microk8sDefaults.purgeOnDestroy),
    readyTimeoutSeconds: z
      .number()
      .int()
      .positive("must be > 0 seconds")
      .default(microk8sDefaults.readyTimeoutSeconds),
    minFreeDiskGiB: z
      .number()
      .int()
      .nonnegative("must be >= 0 GiB")
      .default(microk8sDefaults.minFreeDiskGiB),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!v.controller.address && !isIPv4(v.controller.host)) {
      ctx.addIssue({
        code: "custom",
        path: ["controller", "address"],
        message: `workers join the controller by IPv4 address and controller.host "${v.controller.host}" is not one: set controller.address to the controller's IPv4 on the cluster network`,
      });
    }
    const nodes = [
      { path: ["controller"], node: { ...v.controller, name: v.controller.nodeName } },
      ...v.workers.map((node, i) => ({ path: ["workers", i], node })),
    ];
    for (const field of ["host", "name", "address"] as const) {
      const seen = new Map<string, string>();
      for (const { path, node } of nodes) {
        const value = node[field];
        if (value === undefined) continue;
        const where = formatPath("", path);
        const first = seen.get(value.toLowerCase());
        const key = field === "name" && path[0] === "controller" ? "nodeName" : field;
        if (first !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [...path, key],
            message: `duplicate ${field} "${value}" (also ${first}): every node needs its own`,
          });
        } else {
          seen.set(value.toLowerCase(), where);
        }
      }
    }
  });

/** The plain (non-secret) part of the cluster arguments, as validated. */
export type MicroK8sClusterConfig = z.output<typeof clusterSchema>;

/** One node of a validated cluster, with the facts every script builder needs. */
export interface PlannedNode {
  /**
   * Stable key used in resource names: `controller`, or the worker's name. Never a list
   * position: removing one worker must not rename (and so re-target) another.
   */
  key: string;
  /** `controller` or `worker`. */
  role: "controller" | "worker";
  /** Hostname or IP that SSH connects to. */
  host: string;
  /** SSH user (passwordless sudo). */
  user: string;
  /** SSH port. */
  port: number;
  /** The host's public SSH key, `<type> <base64>`: the only key the connection accepts. */
  hostKey: string;
  /** Whether GPU checks apply. */
  gpu: boolean;
  /** RDMA devices preflight checks are ACTIVE. */
  rdmaDevices: string[];
  /** Kubernetes node name preflight checks (workers: their name), if known up front. */
  nodeName?: string;
  /** IPv4 on the cluster network (preflight checks the node owns it), if any. */
  address?: string;
}

/** The controller's IPv4 that workers join and the kubeconfig points at. */
export function controllerAddress(config: MicroK8sClusterConfig): string {
  return config.controller.address ?? config.controller.host;
}

/** Every node of the cluster, controller first, keyed by name (see {@link PlannedNode.key}). */
export function plannedNodes(config: MicroK8sClusterConfig): PlannedNode[] {
  const { nodeName, ...controller } = config.controller;
  return [
    {
      key: CONTROLLER_KEY,
      role: "controller",
      gpu: false,
      rdmaDevices: [],
      ...controller,
      ...(nodeName === undefined ? {} : { nodeName }),
    },
    ...config.workers.map(({ name, ...w }) => ({
      key: name,
      role: "worker" as const,
      nodeName: name,
      ...w,
    })),
  ];
}

/** The arguments {@link validateMicroK8sClusterArgs} reads (the component's args). */
export interface MicroK8sClusterArgsLike {
  /** Must be present (any non-empty value; usually a secret Output). */
  privateKey?: unknown;
  /** Checked for shape when it is a plain string (an Output is checked when it resolves). */
  joinToken?: unknown;
  [field: string]: unknown;
}

/**
 * Validates a component's whole argument object once every value is known: the plain fields
 * plus the presence of the private key and, when the join token is a plain string, its shape.
 * Every problem is reported together.
 * @param context names the cluster in the error headline (`MicroK8sCluster "lab"`).
 * @throws ConfigError listing every problem by path (`workers[1].host: duplicate host …`).
 */
export function validateMicroK8sClusterArgs(
  args: MicroK8sClusterArgsLike,
  context = "MicroK8sCluster",
): MicroK8sClusterConfig {
  const { privateKey, joinToken, ...plain } = args;
  const problems: ConfigProblem[] = [];
  if (privateKey === undefined || privateKey === null || privateKey === "") {
    problems.push({
      path: "privateKey",
      message: "required: the SSH private key for every node, as a Pulumi secret",
    });
  }
  if (typeof joinToken === "string" && joinToken !== "") {
    const problem = joinTokenProblem(joinToken);
    if (problem) problems.push({ path: "joinToken", message: problem });
  }
  const parsed = clusterSchema.safeParse(plain);
  if (!parsed.success) {
    problems.push(
      ...parsed.error.issues.map((i) => ({ path: formatPath("", i.path), message: i.message })),
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(context, problems);
  return parsed.data;
}

/** The node fields that may be `pulumi.Input`s (often another resource's outputs). */
export const INPUT_NODE_FIELDS = ["host", "hostKey", "address"] as const;

/**
 * Stand-ins for node fields whose value is not known yet (an Output of another resource):
 * valid and distinct, so the rest of the arguments can be checked at once and the shape of
 * the plan (which commands, in what order) computed before the values arrive. The real
 * values are validated again, with the same rules, once known.
 */
export function pendingValue(field: (typeof INPUT_NODE_FIELDS)[number], index: number): string {
  switch (field) {
    case "host":
      return `pending-host-${index}.invalid`;
    case "address":
      // 240.0.0.0/4 is reserved: it can never collide with a real node's address.
      return `240.0.${Math.floor(index / 256)}.${index % 256}`;
    case "hostKey":
      return PENDING_HOST_KEY;
  }
}

/** A syntactically valid ed25519 public key (32 zero bytes) standing in for a pending one. */
const PENDING_HOST_KEY = `ssh-ed25519 ${Buffer.concat([
  Buffer.from([0, 0, 0, 11]),
  Buffer.from("ssh-ed25519"),
  Buffer.from([0, 0, 0, 32]),
  Buffer.alloc(32),
]).toString("base64")}`;
