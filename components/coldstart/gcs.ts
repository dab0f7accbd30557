/**
 * The GKE model store: one Cloud Storage bucket per stack, read by the model pods' Kubernetes
 * service account and written by the prefetch Job's, each through Workload Identity
 * Federation for GKE (no Google service account, no key). Pure specs; `GcsModelStore` wires them.
 */
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IVolume } from "kubernetes-models/v1/Volume";
import { z } from "zod";
import { parseOrThrow } from "../validation";

/** Read-only object access: get and list, what the Run:ai streamer needs to stream a prefix. */
export const BUCKET_READ_ROLE = "roles/storage.objectViewer";
/**
 * Object read, create and delete, no bucket or IAM administration: what Cloud Storage FUSE
 * needs to write files (it lists and stats before it writes, and replaces on overwrite).
 */
export const BUCKET_WRITE_ROLE = "roles/storage.objectUser";

/** Default Kubernetes service account of the model pods (reads the bucket). */
export const MODEL_READER_KSA = "vllm-model-reader";
/** Default Kubernetes service account of the prefetch Job (writes the bucket). */
export const MODEL_WRITER_KSA = "model-prefetch";

/** Cloud Storage FUSE CSI driver (GKE add-on `gcsFuseCsiDriverConfig`). */
export const GCSFUSE_DRIVER = "gcsfuse.csi.storage.gke.io";
/** Pod annotation that makes GKE inject the Cloud Storage FUSE sidecar. */
export const GCSFUSE_ANNOTATION = "gke-gcsfuse/volumes";

/** Everything the bucket and its grants are built from. */
export interface GcsModelStoreOptions {
  /** Project id. */
  project: string;
  /** Region of the GPU nodes: the bucket lives there, so streaming never leaves the region. */
  region: string;
  /** Bucket name. */
  bucket: string;
  /** Namespace of the model pods and the prefetch Job. */
  namespace: string;
  /** KSA of the model pods. */
  readerServiceAccount: string;
  /** KSA of the prefetch Job. */
  writerServiceAccount: string;
}

const schema = z
  .object({
    project: z.string().min(1),
    region: z.string().regex(/^[a-z]+-[a-z]+\d+$/, "must be a region like europe-west1"),
    bucket: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/,
        "must be 3-63 lowercase letters, digits, - and _ (no dots: a dotted name needs domain verification)",
      )
      .refine(
        (b) => !b.startsWith("goog") && !b.includes("google"),
        "may not begin with goog or contain google",
      ),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label"),
    readerServiceAccount: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label"),
    writerServiceAccount: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label"),
  })
  .strict()
  .refine((o) => o.readerServiceAccount !== o.writerServiceAccount, {
    path: ["writerServiceAccount"],
    message: "must differ from readerServiceAccount: the model pods may only read",
  });

/** Validates the options. @throws ConfigError naming each bad field. */
export function validateGcsModelStore(o: GcsModelStoreOptions, path = ""): GcsModelStoreOptions {
  return parseOrThrow(schema, o, "GcsModelStore", path);
}

/** The default bucket name of a stack: `<project>-<namePrefix>-models`. */
export function defaultModelBucket(project: string, namePrefix: string): string {
  return `${project}-${namePrefix}-models`;
}

/**
 * The bucket (`gcp.storage.Bucket` args): in the nodes' region, uniform bucket-level access
 * (IAM only, no object ACLs), public access prevention enforced, no soft-delete retention
 * (a deleted 800 GB checkpoint is fetched again from the Hub, not billed for a week), and
 * never force-destroyed with its objects.
 */
export function modelBucketArgs(o: GcsModelStoreOptions) {
  return {
    name: o.bucket,
    project: o.project,
    location: o.region.toUpperCase(),
    storageClass: "STANDARD",
    uniformBucketLevelAccess: true,
    publicAccessPrevention: "enforced",
    softDeletePolicy: { retentionDurationSeconds: 0 },
    forceDestroy: false,
    labels: { "managed-by": "pulumi", component: "model-store" },
  };
}

/**
 * The IAM principal of one Kubernetes service account under Workload Identity Federation for
 * GKE: `principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<project>.svc.id.goog/subject/ns/<ns>/sa/<ksa>`.
 * Granting to it directly needs no Google service account and no `iam.gke.io` annotation.
 */
export function workloadIdentityPrincipal(
  projectNumber: string,
  project: string,
  namespace: string,
  serviceAccount: string,
): string {
  return `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${project}.svc.id.goog/subject/ns/${namespace}/sa/${serviceAccount}`;
}

/** One bucket IAM grant (`gcp.storage.BucketIAMMember` args). */
export interface BucketGrant {
  /** Which KSA it is for: `reader` or `writer`. */
  who: "reader" | "writer";
  bucket: string;
  role: string;
  member: string;
}

/** The bucket's only two grants: read to the model pods, write to the prefetch Job. */
export function bucketGrants(o: GcsModelStoreOptions, projectNumber: string): BucketGrant[] {
  const member = (ksa: string) =>
    workloadIdentityPrincipal(projectNumber, o.project, o.namespace, ksa);
  return [
    {
      who: "reader",
      bucket: o.bucket,
      role: BUCKET_READ_ROLE,
      member: member(o.readerServiceAccount),
    },
    {
      who: "writer",
      bucket: o.bucket,
      role: BUCKET_WRITE_ROLE,
      member: member(o.writerServiceAccount),
    },
  ];
}

/** A KSA that exists only as an identity: no token is mounted into pods that use it. */
export function identityServiceAccount(name: string, namespace: string): IServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace, labels: { "app.kubernetes.io/component": "model-store" } },
    automountServiceAccountToken: false,
  };
}

/**
 * The bucket as a pod volume through the Cloud Storage FUSE CSI driver (an ephemeral inline
 * volume; the pod needs {@link GCSFUSE_ANNOTATION}). `implicit-dirs` shows prefixes as
 * directories, so files written under `models/<org>/<name>/…` list back as a tree.
 */
export function bucketVolume(name: string, bucket: string): IVolume {
  return {
    name,
    csi: {
      driver: GCSFUSE_DRIVER,
      volumeAttributes: { bucketName: bucket, mountOptions: "implicit-dirs" },
    },
  };
}
