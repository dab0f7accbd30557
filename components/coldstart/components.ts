// GCP resources by module path, as in components/gke: the package index would bring every GCP
// service's declarations (some 2,000 files) into every type check, the provider's among them.
import { getProjectOutput } from "@pulumi/gcp/organizations/getProject";
import { Bucket } from "@pulumi/gcp/storage/bucket";
import { BucketIAMMember } from "@pulumi/gcp/storage/bucketIAMMember";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  bucketGrants,
  type GcsModelStoreOptions,
  identityServiceAccount,
  MODEL_READER_KSA,
  MODEL_WRITER_KSA,
  modelBucketArgs,
  validateGcsModelStore,
} from "./gcs";
import { type ModelPrefetchArgs, modelPrefetchPlan } from "./plan";
import { type ImagePrePullOptions, imagePrePullDaemonSet } from "./prepull";

/**
 * Fills a model store once, before the servers start: a Job that downloads the model from the
 * Hub, verifies every file against the Hub's hashes and moves it into a model cache or a
 * bucket. Pulumi waits for the Job to complete, so give it to the servers' `dependsOn`.
 * Invalid arguments throw a `ConfigError` before anything is registered.
 */
export class ModelPrefetch extends pulumi.ComponentResource {
  /** Name of the Job. */
  public readonly jobName: pulumi.Output<string>;

  constructor(name: string, args: ModelPrefetchArgs, opts?: pulumi.ComponentResourceOptions) {
    const job = modelPrefetchPlan(args, name);
    super("llm-serving:index:ModelPrefetch", name, {}, opts);
    const created = new k8s.batch.v1.Job(name, job as k8s.batch.v1.JobArgs, {
      parent: this,
      dependsOn: opts?.dependsOn,
    });
    this.jobName = created.metadata.name;
    this.registerOutputs({ jobName: this.jobName });
  }
}

/** Arguments of {@link GcsModelStore}. */
export interface GcsModelStoreArgs {
  /** Google Cloud project id. Required. */
  project: string;
  /** Region of the GPU nodes (the bucket's location). Required. */
  region: string;
  /** Bucket name, globally unique. Required. */
  bucket: string;
  /** Namespace of the model pods and the prefetch Job. Required. */
  namespace: string;
  /** Kubernetes service account of the model pods (read). Defaults to `vllm-model-reader`. */
  readerServiceAccount?: string;
  /** Kubernetes service account of the prefetch Job (write). Defaults to `model-prefetch`. */
  writerServiceAccount?: string;
}

/**
 * A Cloud Storage bucket for model weights and the only two grants on it: object read for the
 * model pods' Kubernetes service account and object read/write for the prefetch Job's, both
 * through Workload Identity Federation for GKE principals. Creates the two service accounts.
 * Pass the cluster's Kubernetes provider in `providers`.
 */
export class GcsModelStore extends pulumi.ComponentResource {
  /** The bucket's name. */
  public readonly bucketName: pulumi.Output<string>;
  /** Service account the model pods run as. */
  public readonly readerServiceAccount: string;
  /** Service account the prefetch Job runs as. */
  public readonly writerServiceAccount: string;
  /** The read grant: servers depend on it. */
  public readonly readGrant: pulumi.Resource;
  /** The write grant: the prefetch Job depends on it. */
  public readonly writeGrant: pulumi.Resource;

  constructor(name: string, args: GcsModelStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    const o: GcsModelStoreOptions = validateGcsModelStore({
      ...args,
      readerServiceAccount: args.readerServiceAccount ?? MODEL_READER_KSA,
      writerServiceAccount: args.writerServiceAccount ?? MODEL_WRITER_KSA,
    });
    super("llm-serving:index:GcsModelStore", name, {}, opts);
    const child = { parent: this };
    const bucket = new Bucket(`${name}-bucket`, modelBucketArgs(o), child);
    const accounts = [o.readerServiceAccount, o.writerServiceAccount].map(
      (ksa) =>
        new k8s.core.v1.ServiceAccount(
          `${name}-${ksa}`,
          identityServiceAccount(ksa, o.namespace) as k8s.core.v1.ServiceAccountArgs,
          { ...child, dependsOn: opts?.dependsOn },
        ),
    );
    const project = getProjectOutput({ projectId: o.project }, child);
    const grants = project.number.apply((number) => bucketGrants(o, number));
    const [read, write] = (["reader", "writer"] as const).map(
      (who, i) =>
        new BucketIAMMember(
          `${name}-${who}`,
          {
            bucket: bucket.name,
            role: grants.apply((g) => g[i].role),
            member: grants.apply((g) => g[i].member),
          },
          { ...child, dependsOn: [accounts[i]] },
        ),
    );
    this.bucketName = bucket.name;
    this.readerServiceAccount = o.readerServiceAccount;
    this.writerServiceAccount = o.writerServiceAccount;
    this.readGrant = read;
    this.writeGrant = write;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}

/** Arguments of {@link ImagePrePull}. */
export interface ImagePrePullArgs {
  /** Namespace of the DaemonSet. Required. */
  namespace: string;
  /** Images to keep on the nodes (vLLM, NIM, …), pinned. Required. */
  images: string[];
  /** Labels of the nodes to pull on. Required. */
  nodeSelector: { [key: string]: string };
  /** DaemonSet name. Defaults to the component's name. */
  name?: string;
}

/**
 * Keeps serving images on every matching node (a DaemonSet of init containers, one per image,
 * then a pause container), so a replacement server pod does not wait on a registry.
 */
export class ImagePrePull extends pulumi.ComponentResource {
  constructor(name: string, args: ImagePrePullArgs, opts?: pulumi.ComponentResourceOptions) {
    const ds = imagePrePullDaemonSet({ ...args, name: args.name ?? name } as ImagePrePullOptions);
    super("llm-serving:index:ImagePrePull", name, {}, opts);
    new k8s.apps.v1.DaemonSet(name, ds as k8s.apps.v1.DaemonSetArgs, {
      parent: this,
      dependsOn: opts?.dependsOn,
    });
    this.registerOutputs({});
  }
}
