import { z } from "zod";
import { defaultModelBucket } from "../components/coldstart/gcs";
import { parseCidr } from "../components/gke/cidr";
import { A3_ULTRA_LOCAL_SSDS } from "../components/gke/cluster-args";
import { authorizedCidrsSchema, type GkeCapacityMode } from "../components/gke/config";
import { ConfigError, type ConfigProblem, parseOrThrow } from "../components/validation";
import { versions } from "../components/versions";
import type { VllmAutoscalingArgs } from "../components/vllm/autoscaling";
import { isNimImageRef } from "../components/vllm/nim";
import { AUTOSCALING_KEY, autoscalingSetting } from "./autoscaling";
import { checkGkePlacement } from "./gke-servers";
import type { RawConfig } from "./raw-config";

/** The model the pinned NIM image (`versions.nimImage`) serves: `nimModel`'s default. */
export const DEFAULT_NIM_MODEL = "meta-llama/Llama-3.1-8B-Instruct";

/** GPUs on one a3-ultragpu-8g node. */
export const GPUS_PER_A3_ULTRA_NODE = 8;

/** One model the GKE stack serves, in one of the three shapes (or the optional NIM). */
export interface GkeModel {
  /** Short name: Kubernetes object names derive from it. */
  name: "single-gpu" | "one-node" | "multi-node" | "nim";
  /** `nim` for the NVIDIA NIM server; the others run vLLM. */
  runtime?: "nim";
  /** Hugging Face id. */
  id: string;
  tensor: number;
  pipeline: number;
  nodes: number;
  gpusPerNode: number;
  /** `nvlink` inside one node, `gke-rdma` across nodes. */
  profile: "nvlink" | "gke-rdma";
  /** Its autoscaling, when its `<name>Autoscaling` key is set. */
  autoscaling?: VllmAutoscalingArgs;
}

/** The validated GKE stack settings. */
export interface GkeSettings {
  project: string;
  zone: string;
  region: string;
  namePrefix: string;
  capacityMode: GkeCapacityMode;
  reservation: string;
  gpuNodeCount: number;
  deletionProtection: boolean;
  /** Ranges allowed to reach the control plane. */
  masterAuthorizedCidrs: string[];
  /** Ephemeral storage each multi-node pod requests for the weights it downloads. */
  multiNodeModelStorage: string;
  /** `bucket`: the multi-node model streams from a prefetched bucket; `hub`: each pod downloads. */
  modelStore: "hub" | "bucket";
  /** The model store's bucket (used with `bucket`). */
  modelBucket: string;
  /** Secondary boot disk image with the serving images, if any. */
  gpuImageCacheDiskImage?: string;
  namespace: string;
  image: string;
  /** The NIM server's image (`nimImage`, else the pin). */
  nimImage: string;
  lwsVersion: string;
  /** KEDA chart version, installed when a model autoscales. */
  kedaVersion: string;
  /** Enabled models only. */
  models: GkeModel[];
  /** Put GKE Inference Gateway in front of the models. */
  gateway: boolean;
  /** The region's proxy-only subnet range. */
  gatewayProxySubnetCidr: string;
  /** Whether the stack creates that subnet. */
  gatewayProxySubnetCreate: boolean;
}

/** A local SSD of the a3-ultragpu-8g, in bytes (375 GB each). */
const LOCAL_SSD_BYTES = 375e9;

/** Bytes of a `<n>G`, `<n>Gi`, `<n>T` or `<n>Ti` quantity, or undefined. */
export function storageBytes(q: string): number | undefined {
  const m = /^([1-9]\d*)(G|Gi|T|Ti)$/.exec(q);
  if (!m) return undefined;
  const unit = { G: 1e9, Gi: 2 ** 30, T: 1e12, Ti: 2 ** 40 }[m[2] as "G" | "Gi" | "T" | "Ti"];
  return Number(m[1]) * unit;
}

const hfId = z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be a Hugging Face id like org/name");

const schema = z
  .object({
    gcpProject: z
      .string()
      .regex(
        /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/,
        "required for the gke stack: a project id (pulumi config set gcpProject my-project)",
      ),
    gcpZone: z
      .string()
      .regex(
        /^[a-z]+-[a-z]+\d+-[a-z]$/,
        "required for the gke stack: a zone with A3 Ultra capacity (pulumi config set gcpZone europe-west1-b)",
      ),
    namePrefix: z
      .string()
      .regex(/^[a-z][-a-z0-9]{0,19}$/, "lowercase letters, digits and -, at most 20 characters"),
    capacityMode: z.enum(["reservation", "spot", "flex-start"], {
      message: "must be reservation, spot or flex-start",
    }),
    reservation: z.string(),
    gpuNodeCount: z.number().int().min(0),
    deletionProtection: z.boolean(),
    masterAuthorizedCidrs: authorizedCidrsSchema(
      "required for the gke stack: the CIDRs pulumi and kubectl reach the control plane from (pulumi config set --path 'masterAuthorizedCidrs[0]' 203.0.113.0/24)",
    ),
    multiNodeModelStorage: z.string().refine((q) => {
      const b = storageBytes(q);
      return b !== undefined && b <= A3_ULTRA_LOCAL_SSDS * LOCAL_SSD_BYTES;
    }, `must be a size such as 1000G or 2Ti, at most the node's ${A3_ULTRA_LOCAL_SSDS} × 375 GB of local SSD`),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label"),
    modelStore: z.enum(["", "hub", "bucket"], {
      message: "must be hub or bucket on GKE (empty = bucket)",
    }),
    modelBucket: z
      .string()
      .regex(
        /^$|^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/,
        "must be a bucket name: 3-63 lowercase letters, digits, - and _ (no dots)",
      ),
    gpuImageCacheDiskImage: z
      .string()
      .regex(
        /^$|^(projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/)?global\/images\/[a-z]([-a-z0-9]*[a-z0-9])?$/,
        "must be global/images/NAME or projects/PROJECT/global/images/NAME (a disk image built with gke-disk-image-builder)",
      ),
    vllmImage: z.string(),
    lwsVersion: z.string(),
    singleGpuEnabled: z.boolean(),
    singleGpuModel: hfId,
    oneNodeEnabled: z.boolean(),
    oneNodeModel: hfId,
    oneNodeTensorParallel: z
      .number()
      .int()
      .refine((n) => [2, 4, 8].includes(n), "must be 2, 4 or 8 (GPUs inside one node)"),
    multiNodeEnabled: z.boolean(),
    multiNodeModel: hfId,
    multiNodeTensorParallel: z
      .number()
      .int()
      .refine(
        (n) => n >= 1 && GPUS_PER_A3_ULTRA_NODE % n === 0,
        "must divide 8 (GPUs per a3-ultragpu-8g node)",
      ),
    multiNodePipelineParallel: z.number().int().min(1),
    nimEnabled: z.boolean(),
    nimModel: hfId,
    nimImage: z
      .string()
      .refine(
        (v) => v === "" || isNimImageRef(v),
        "must be a NIM for LLMs image, nvcr.io/nim/<org>/<model>:<tag> (or empty for the pin)",
      ),
    gateway: z.boolean(),
    gatewayProxySubnetCidr: z
      .string()
      .refine(
        (v) => typeof parseCidr(v) !== "string",
        "must be an IPv4 CIDR such as 192.168.0.0/23 (a /23 or larger is what Google recommends for a proxy-only subnet)",
      ),
    gatewayProxySubnetCreate: z.boolean(),
  })
  .superRefine(
    (c, ctx) => {
      if ((c.capacityMode === "reservation") !== (c.reservation !== "")) {
        ctx.addIssue({
          code: "custom",
          path: ["reservation"],
          message:
            c.capacityMode === "reservation"
              ? "capacityMode reservation needs the reservation's name (pulumi config set reservation <name>)"
              : `only capacityMode reservation uses a reservation; unset it for ${c.capacityMode}`,
        });
      }
      if (c.nimEnabled && c.nimImage === "" && c.nimModel !== DEFAULT_NIM_MODEL) {
        ctx.addIssue({
          code: "custom",
          path: ["nimImage"],
          message: `the pinned NIM (${versions.nimImage}) serves ${DEFAULT_NIM_MODEL}, not ${c.nimModel}: set nimImage to the NIM for ${c.nimModel} (nvcr.io/nim/<org>/<model>:<tag> from the NGC catalog)`,
        });
      }
      if (c.multiNodeEnabled && c.multiNodeTensorParallel * c.multiNodePipelineParallel <= 8) {
        ctx.addIssue({
          code: "custom",
          path: ["multiNodePipelineParallel"],
          message:
            "the multi-node model fits one node (TP × PP ≤ 8): use the one-node shape, or raise PP",
        });
      }
    },
    // readRawConfig already typed every key, so cross-key checks can run even when a
    // single key failed: the user sees every problem in one run.
    { when: () => true },
  );

/**
 * Validates the GKE settings (every problem at once, by config key), derives the enabled
 * models' shapes and checks that the pool can place them in any order the manifests allow
 * (`checkGkePlacement`). Capacity-mode combinations are the cluster component's to reject.
 * @throws ConfigError before any resource exists.
 */
export function gkeSettings(raw: RawConfig): GkeSettings {
  const c = parseOrThrow(schema, raw, "gke stack config");
  const models: GkeModel[] = [];
  if (c.singleGpuEnabled) {
    models.push({
      name: "single-gpu",
      id: c.singleGpuModel,
      tensor: 1,
      pipeline: 1,
      nodes: 1,
      gpusPerNode: 1,
      profile: "nvlink",
    });
  }
  if (c.oneNodeEnabled) {
    models.push({
      name: "one-node",
      id: c.oneNodeModel,
      tensor: c.oneNodeTensorParallel,
      pipeline: 1,
      nodes: 1,
      gpusPerNode: c.oneNodeTensorParallel,
      profile: "nvlink",
    });
  }
  if (c.multiNodeEnabled) {
    const world = c.multiNodeTensorParallel * c.multiNodePipelineParallel;
    models.push({
      name: "multi-node",
      id: c.multiNodeModel,
      tensor: c.multiNodeTensorParallel,
      pipeline: c.multiNodePipelineParallel,
      nodes: world / GPUS_PER_A3_ULTRA_NODE,
      gpusPerNode: GPUS_PER_A3_ULTRA_NODE,
      profile: "gke-rdma",
    });
  }
  if (c.nimEnabled) {
    // One GPU on the shared node, like the single-GPU model: the pinned 8B NIM fits an H200.
    models.push({
      name: "nim",
      runtime: "nim",
      id: c.nimModel,
      tensor: 1,
      pipeline: 1,
      nodes: 1,
      gpusPerNode: 1,
      profile: "nvlink",
    });
  }
  const world = c.multiNodeTensorParallel * c.multiNodePipelineParallel;
  const problems: ConfigProblem[] = [];
  for (const m of models) {
    // Every server, the NIM too: NIM 2.0.x exports vLLM's queue and KV-cache series.
    const key = AUTOSCALING_KEY[m.name];
    const setting = autoscalingSetting(key, raw[key], raw.monitoring);
    problems.push(...setting.problems);
    if (setting.args) m.autoscaling = setting.args;
  }
  if (c.multiNodeEnabled && world % GPUS_PER_A3_ULTRA_NODE !== 0) {
    problems.push({
      path: "multiNodeTensorParallel",
      message: `TP × PP = ${world} must fill whole nodes (a multiple of 8 GPUs)`,
    });
  }
  if (problems.length > 0) throw new ConfigError("gke stack config", problems);
  const settings: GkeSettings = {
    project: c.gcpProject,
    zone: c.gcpZone,
    region: c.gcpZone.replace(/-[a-z]$/, ""),
    namePrefix: c.namePrefix,
    capacityMode: c.capacityMode,
    reservation: c.reservation,
    gpuNodeCount: c.gpuNodeCount,
    deletionProtection: c.deletionProtection,
    masterAuthorizedCidrs: c.masterAuthorizedCidrs,
    multiNodeModelStorage: c.multiNodeModelStorage,
    modelStore: c.modelStore || "bucket",
    modelBucket: c.modelBucket || defaultModelBucket(c.gcpProject, c.namePrefix),
    ...(c.gpuImageCacheDiskImage ? { gpuImageCacheDiskImage: c.gpuImageCacheDiskImage } : {}),
    namespace: c.namespace,
    image: c.vllmImage || versions.vllmImage,
    nimImage: c.nimImage || versions.nimImage,
    lwsVersion: c.lwsVersion || versions.leaderWorkerSet,
    kedaVersion: raw.kedaVersion || versions.kedaChart,
    models,
    gateway: c.gateway,
    gatewayProxySubnetCidr: c.gatewayProxySubnetCidr,
    gatewayProxySubnetCreate: c.gatewayProxySubnetCreate,
  };
  checkGkePlacement(settings);
  return settings;
}
