import { z } from "zod";
import { parseOrThrow } from "../validation";
import { versions } from "../versions";
import { blocksOverlap, parseCidr, subnetBits } from "./cidr";
import { A3_ULTRA_RDMA_NICS } from "./networks";

/** Capacity modes of the GPU node pool (see `GkeGpuClusterArgs.capacity.mode`; a schema enum). */
export const GkeCapacityMode = {
  /** A specific Compute Engine reservation, compact placement. */
  Reservation: "reservation",
  /** Spot VMs. */
  Spot: "spot",
  /** DWS flex-start VMs, up to 7 days each. */
  FlexStart: "flex-start",
} as const;
/** One of {@link GkeCapacityMode}'s values. */
export type GkeCapacityMode = (typeof GkeCapacityMode)[keyof typeof GkeCapacityMode];
/** The capacity modes as a list. */
export const CAPACITY_MODES = Object.values(GkeCapacityMode) as [
  GkeCapacityMode,
  ...GkeCapacityMode[],
];

/** How the GPU pool's extra NICs are wired (see `GkeGpuClusterArgs.networking`; a schema enum). */
export const GkeNetworkingMode = {
  /** Create the VPCs, attach them and create the in-cluster `Network` objects. */
  Explicit: "explicit",
  /** The node pool's accelerator network profile `auto`: GKE creates all of it. */
  Auto: "auto",
} as const;
/** One of {@link GkeNetworkingMode}'s values. */
export type GkeNetworkingMode = (typeof GkeNetworkingMode)[keyof typeof GkeNetworkingMode];
/** The networking modes as a list. */
export const NETWORKING_MODES = Object.values(GkeNetworkingMode) as [
  GkeNetworkingMode,
  ...GkeNetworkingMode[],
];

/** GKE release channels that can carry A3 Ultra versions (a schema enum). */
export const GkeReleaseChannel = {
  Rapid: "RAPID",
  Regular: "REGULAR",
  Stable: "STABLE",
  Extended: "EXTENDED",
} as const;
/** One of {@link GkeReleaseChannel}'s values. */
export type GkeReleaseChannel = (typeof GkeReleaseChannel)[keyof typeof GkeReleaseChannel];
/** The release channels as a list. */
export const RELEASE_CHANNELS = Object.values(GkeReleaseChannel) as [
  GkeReleaseChannel,
  ...GkeReleaseChannel[],
];

/**
 * Version floors GKE documents. A minimum version given in config must not be below the
 * floor of every feature in use.
 */
export const GKE_VERSION_FLOORS = {
  /** GPUDirect RDMA on A3 Ultra (AI Hypercomputer "create custom GKE cluster" requirements). */
  a3UltraRdma: "1.31.4-gke.1183000",
  /** Flex-start provisioning for GPUs (GKE "About flex-start provisioning" requirements). */
  flexStart: "1.32.2-gke.1652000",
  /** Accelerator network profile / managed DRANET (cluster-toolkit gke-node-pool floor). */
  autoNetworking: "1.34.1-gke.1829001",
} as const;

/** Flex-start VMs run for at most seven days (GKE flex-start concept page). */
export const FLEX_START_MAX_RUN_SECONDS = 7 * 24 * 3600;

/** GCP limits a cluster name to 40 characters; the longest suffix we add is `-gvnic-internal`. */
export const NAME_PREFIX_MAX = 24;

/** Parsed `1.X[.Y[-gke.N]]`; missing parts mean "the newest", as GKE resolves version aliases. */
function versionParts(v: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+)(?:-gke\.(\d+))?)?$/.exec(v);
  if (!m) return undefined;
  return m.slice(1).map((p) => (p === undefined ? Number.POSITIVE_INFINITY : Number(p)));
}

/** True if GKE version (or alias) `v` is at or above `floor`. */
export function gkeVersionAtLeast(v: string, floor: string): boolean {
  const a = versionParts(v);
  const b = versionParts(floor);
  if (!a || !b) return false;
  for (let i = 0; i < 4; i++) {
    if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number);
  }
  return true;
}

const gcpName = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const capacitySchema = z.strictObject({
  mode: z.enum(CAPACITY_MODES, {
    message: `must be one of ${CAPACITY_MODES.join(", ")}`,
  }),
  reservation: z
    .string()
    .regex(gcpName, "must be a reservation name (lowercase letters, digits, hyphens)")
    .optional(),
  reservationBlock: z
    .string()
    .regex(gcpName, "must be a reservation block name (lowercase letters, digits, hyphens)")
    .optional(),
  compactPlacement: z.boolean().optional(),
  queuedProvisioning: z.boolean().default(false),
  maxRunDuration: z
    .string()
    .regex(/^[1-9]\d*s$/, 'must be a duration in seconds such as "86400s"')
    .optional(),
});

const gpuPoolSchema = z.strictObject({
  minNodes: z.number().int().min(0, "must be 0 or more").default(0),
  maxNodes: z.number().int().min(1, "must be at least 1").default(2),
  diskSizeGb: z.number().int().min(10, "must be at least 10 GB").default(200),
  gpuDriverVersion: z
    .enum(["LATEST", "DEFAULT"], { message: "must be LATEST or DEFAULT" })
    .default("LATEST"),
  imageCacheDiskImage: z
    .string()
    .regex(
      /^(projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/)?global\/images\/[a-z]([-a-z0-9]*[a-z0-9])?$/,
      "must be a disk image path: global/images/NAME or projects/PROJECT/global/images/NAME",
    )
    .optional(),
});

const systemPoolSchema = z.strictObject({
  machineType: z.string().min(1).default("e2-standard-8"),
  nodeCount: z.number().int().min(1, "must be at least 1 (system pods need a node)").default(1),
  diskSizeGb: z.number().int().min(10, "must be at least 10 GB").default(100),
});

const cidrField = z.string().refine((v) => typeof parseCidr(v) !== "string", {
  error: (issue) => {
    const r = parseCidr(String(issue.input));
    return typeof r === "string" ? r : "invalid CIDR";
  },
});

/**
 * CIDRs allowed to reach the control plane: at least one, each a valid block, never
 * `0.0.0.0/0` (which would undo the restriction).
 * @param whenEmpty the message for an empty list (stack config names its key and command).
 */
export function authorizedCidrsSchema(whenEmpty: string) {
  return z
    .array(
      cidrField.refine((v) => v !== "0.0.0.0/0", {
        message:
          "authorizes every address on the internet: name the ranges that run pulumi and kubectl",
      }),
    )
    .min(1, whenEmpty);
}

/** The validated shape of `GkeGpuClusterArgs` (plain values only). */
export const gkeGpuClusterSchema = z
  .strictObject({
    project: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
        "must be a GCP project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter",
      ),
    zone: z
      .string()
      .regex(
        /^[a-z]+-[a-z]+\d+-[a-z]$/,
        'must be a zone such as "europe-west1-b" (A3 Ultra and its RoCE network profile are zonal)',
      ),
    namePrefix: z
      .string()
      .max(
        NAME_PREFIX_MAX,
        `must be at most ${NAME_PREFIX_MAX} characters (GKE caps cluster names at 40)`,
      )
      .regex(
        gcpName,
        "must start with a lowercase letter and contain only lowercase letters, digits and hyphens (not ending in one)",
      ),
    networking: z
      .enum(NETWORKING_MODES, { message: `must be one of ${NETWORKING_MODES.join(", ")}` })
      .default("explicit"),
    gvnicCidr: cidrField.default("192.168.64.0/18"),
    rdmaCidr: cidrField.default("192.168.128.0/18"),
    primaryNetwork: z.string().min(1).default("default"),
    primarySubnetwork: z.string().min(1).default("default"),
    releaseChannel: z
      .enum(RELEASE_CHANNELS, { message: `must be one of ${RELEASE_CHANNELS.join(", ")}` })
      .default("REGULAR"),
    minMasterVersion: z
      .string()
      .regex(
        /^\d+\.\d+(\.\d+(-gke\.\d+)?)?$/,
        'must be a GKE version such as "1.33" or "1.33.5-gke.1080000"',
      )
      .optional(),
    deletionProtection: z.boolean().default(true),
    systemPool: systemPoolSchema.default(() => systemPoolSchema.parse({})),
    gpuPool: gpuPoolSchema.default(() => gpuPoolSchema.parse({})),
    capacity: capacitySchema,
    gibInstallerImage: z.string().min(1).default(versions.gibInstallerImage),
    masterAuthorizedCidrs: authorizedCidrsSchema(
      "list at least one CIDR allowed to reach the control plane (the range pulumi and kubectl run from)",
    ),
    cloudNat: z.boolean().default(true),
    proxyOnlySubnetCidr: cidrField.optional(),
    gatewayApi: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    const cap = c.capacity;

    if (c.gpuPool.minNodes > c.gpuPool.maxNodes) {
      issue(
        ["gpuPool", "minNodes"],
        `${c.gpuPool.minNodes} is above gpuPool.maxNodes (${c.gpuPool.maxNodes})`,
      );
    }

    if (cap.mode === "reservation" && !cap.reservation) {
      issue(
        ["capacity", "reservation"],
        "is required with mode reservation: name the specific reservation that holds your a3-ultragpu-8g capacity",
      );
    }
    if (cap.mode !== "reservation") {
      if (cap.reservation) {
        issue(
          ["capacity", "reservation"],
          `cannot be used with mode ${cap.mode}: ${cap.mode} VMs must not consume reservations (NO_RESERVATION); remove it or use mode reservation`,
        );
      }
      if (cap.reservationBlock) {
        issue(["capacity", "reservationBlock"], `only applies to mode reservation`);
      }
    }
    if (cap.reservationBlock && !cap.reservation) {
      issue(
        ["capacity", "reservationBlock"],
        "needs capacity.reservation (a block is addressed as <reservation>/reservationBlocks/<block>)",
      );
    }
    if (cap.queuedProvisioning) {
      if (cap.mode !== "flex-start") {
        issue(
          ["capacity", "queuedProvisioning"],
          "only applies to mode flex-start (flex-start with queued provisioning)",
        );
      } else {
        if (c.gpuPool.minNodes !== 0) {
          issue(
            ["gpuPool", "minNodes"],
            "must be 0 with queued provisioning: nodes only come from ProvisioningRequests",
          );
        }
        if (cap.compactPlacement) {
          issue(
            ["capacity", "compactPlacement"],
            "cannot be used with queued provisioning on GPUs",
          );
        }
      }
    }
    if (cap.maxRunDuration && cap.mode === "flex-start") {
      const seconds = Number(cap.maxRunDuration.slice(0, -1));
      if (seconds > FLEX_START_MAX_RUN_SECONDS) {
        issue(
          ["capacity", "maxRunDuration"],
          `flex-start VMs run at most 7 days (${FLEX_START_MAX_RUN_SECONDS}s)`,
        );
      }
    }

    if (c.networking === "explicit") {
      const gvnic = parseCidr(c.gvnicCidr);
      const rdma = parseCidr(c.rdmaCidr);
      if (typeof gvnic !== "string" && gvnic.prefix > 29) {
        issue(["gvnicCidr"], "must be /29 or larger (GCP's smallest IPv4 subnet)");
      }
      if (typeof rdma !== "string") {
        const needed = 29 - subnetBits(A3_ULTRA_RDMA_NICS);
        if (rdma.prefix > needed) {
          issue(
            ["rdmaCidr"],
            `must be /${needed} or larger to hold ${A3_ULTRA_RDMA_NICS} subnets of at least /29`,
          );
        }
      }
      if (typeof gvnic !== "string" && typeof rdma !== "string" && blocksOverlap(gvnic, rdma)) {
        issue(
          ["rdmaCidr"],
          `${c.rdmaCidr} overlaps gvnicCidr ${c.gvnicCidr}; the two networks need disjoint ranges`,
        );
      }
    }

    if (c.minMasterVersion) {
      const floors: [string, string][] = [
        ["GPUDirect RDMA on A3 Ultra", GKE_VERSION_FLOORS.a3UltraRdma],
      ];
      if (cap.mode === "flex-start") floors.push(["flex-start", GKE_VERSION_FLOORS.flexStart]);
      if (c.networking === "auto")
        floors.push(["automated accelerator networking", GKE_VERSION_FLOORS.autoNetworking]);
      for (const [feature, floor] of floors) {
        if (!gkeVersionAtLeast(c.minMasterVersion, floor)) {
          issue(
            ["minMasterVersion"],
            `${c.minMasterVersion} is below ${floor}, the minimum GKE version for ${feature}`,
          );
        }
      }
    }
  });

/** A fully defaulted, validated `GkeGpuCluster` configuration. */
export type GkeGpuClusterConfig = z.output<typeof gkeGpuClusterSchema> & {
  /** Region derived from the zone (`europe-west1-b` → `europe-west1`). */
  region: string;
};

/**
 * Validates `GkeGpuClusterArgs` (as plain values) and fills every default, or throws a
 * `ConfigError` listing every problem by path. Pure: call it before creating any resource.
 * @param root path prefix for error messages (e.g. `gke` when the args come from stack config).
 */
export function resolveGkeGpuClusterConfig(
  args: unknown,
  context = "GkeGpuCluster",
  root = "",
): GkeGpuClusterConfig {
  const parsed = parseOrThrow(gkeGpuClusterSchema, args, context, root);
  return { ...parsed, region: parsed.zone.replace(/-[a-z]$/, "") };
}
