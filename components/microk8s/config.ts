import { z } from "zod";
import { ConfigError, type ConfigProblem, formatPath, parseOrThrow } from "../validation";
import { versions } from "../versions";
import { joinTokenProblem } from "./token";

/** Defaults of {@link MicroK8sClusterConfig}, in one place so docs and code agree. */
export const microk8sDefaults = {
  /** SSH port. */
  port: 22,
  /** Refreshes are held: an unattended snap refresh restarts Kubernetes under running pods. */
  holdRefresh: true,
  /** Seconds a registered join token stays valid (long enough for a slow worker to join). */
  joinTokenTtlSeconds: 900,
  /** Destroy keeps the snap (and its images) unless asked to purge. */
  purgeOnDestroy: false,
  /** Seconds to wait for `microk8s status --wait-ready` and for every node to be `Ready`. */
  readyTimeoutSeconds: 600,
  /** Free space preflight demands under /var (images and the model cache live there). */
  minFreeDiskGiB: 20,
} as const;

/** Port of the MicroK8s cluster agent that `microk8s join` contacts. */
export const CLUSTER_AGENT_PORT = 25000;

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

/** True if `value` is a dotted-quad IPv4 address. */
export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

const nodeFields = {
  host: z
    .string()
    .regex(HOST, "must be a hostname or IP address reachable over SSH (no user@, no port)"),
  user: z.string().regex(USER, "must be a POSIX login name (e.g. ubuntu)"),
  port: z.number().int().min(1).max(65535).default(microk8sDefaults.port),
  nodeName: z
    .string()
    .regex(NODE_NAME, "must be the node's lowercase hostname (RFC 1123), as Kubernetes names it")
    .optional(),
  address: z
    .string()
    .regex(IPV4, "must be an IPv4 address of this node (microk8s join accepts only IPv4)")
    .optional(),
};

const controllerSchema = z.object(nodeFields).strict();
const workerSchema = z.object({ ...nodeFields, gpu: z.boolean().default(false) }).strict();

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
      { path: ["controller"], node: v.controller },
      ...v.workers.map((node, i) => ({ path: ["workers", i], node })),
    ];
    for (const field of ["host", "nodeName", "address"] as const) {
      const seen = new Map<string, string>();
      for (const { path, node } of nodes) {
        const value = node[field];
        if (value === undefined) continue;
        const where = path.join(".").replace(/\.(\d+)/g, "[$1]");
        const first = seen.get(value.toLowerCase());
        if (first !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [...path, field],
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
  /** Stable logical key used in resource names: `controller`, `worker-0`, … */
  key: string;
  /** `controller` or `worker`. */
  role: "controller" | "worker";
  /** Hostname or IP that SSH connects to. */
  host: string;
  /** SSH user (passwordless sudo). */
  user: string;
  /** SSH port. */
  port: number;
  /** Whether GPU checks and the containerd `nvidia` runtime apply. */
  gpu: boolean;
  /** Node name the user asserted (preflight checks it), if any. */
  nodeName?: string;
  /** IPv4 on the cluster network (preflight checks the node owns it), if any. */
  address?: string;
}

/**
 * Validates the plain arguments of a `MicroK8sCluster` and fills in defaults.
 * @param context names the cluster in the error headline (`MicroK8sCluster "lab"`).
 * @throws ConfigError listing every problem by path (`workers[1].host: duplicate host …`).
 */
export function validateMicroK8sClusterConfig(
  value: unknown,
  context = "MicroK8sCluster",
): MicroK8sClusterConfig {
  return parseOrThrow(clusterSchema, value, context);
}

/** The controller's IPv4 that workers join and the kubeconfig points at. */
export function controllerAddress(config: MicroK8sClusterConfig): string {
  return config.controller.address ?? config.controller.host;
}

/** Every node of the cluster, controller first, with stable keys for resource names. */
export function plannedNodes(config: MicroK8sClusterConfig): PlannedNode[] {
  return [
    { key: "controller", role: "controller", gpu: false, ...config.controller },
    ...config.workers.map((w, i) => ({ key: `worker-${i}`, role: "worker" as const, ...w })),
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
 * Validates a component's whole argument object: the plain fields (as
 * {@link validateMicroK8sClusterConfig}) plus the presence of the private key and, when the
 * join token is a plain string, its shape. Every problem is reported together.
 * @throws ConfigError listing every problem by path.
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
