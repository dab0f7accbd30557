import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ModelCacheAccessMode, modelCacheClaim } from "./claim";
import { hfTokenSecret } from "./token";

/** Arguments of {@link HuggingFaceToken}. */
export interface HuggingFaceTokenArgs {
  /**
   * The Hugging Face access token. Pass a Pulumi secret (`config.requireSecret("hfToken")`);
   * it is wrapped as one anyway, so it never appears in plain state or outputs.
   */
  token: pulumi.Input<string>;
  /** Namespace of the Secret: the one the vLLM pods run in. Required. */
  namespace: string;
  /** Secret name (explicit: pods refer to it by name). Defaults to `hf-token`. */
  name?: string;
  /** Key in the Secret that holds the token. Defaults to `token`. */
  key?: string;
}

/**
 * A Kubernetes Secret holding a Hugging Face token, for pods to read with `secretKeyRef`
 * (never as a literal env value). The token stays a Pulumi secret end to end.
 * If the namespace is created in the same program, pass `dependsOn: [namespace]`.
 */
export class HuggingFaceToken extends pulumi.ComponentResource {
  /** Secret name, for `secretKeyRef.name`. */
  public readonly secretName: pulumi.Output<string>;
  /** Key in the Secret, for `secretKeyRef.key`. */
  public readonly secretKey: pulumi.Output<string>;

  constructor(name: string, args: HuggingFaceTokenArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const secret = hfTokenSecret(
      { namespace: args.namespace, name: args.name, key: args.key },
      pulumi.secret(args.token),
    );
    super("llm-serving:index:HuggingFaceToken", name, {}, opts);
    const created = new k8s.core.v1.Secret(name, secret.manifest, {
      parent: this,
      additionalSecretOutputs: ["data", "stringData"],
    });
    this.secretName = created.metadata.name;
    this.secretKey = pulumi.output(secret.key);
    this.registerOutputs({ secretName: this.secretName, secretKey: this.secretKey });
  }
}

/** Arguments of {@link ModelCache}. */
export interface ModelCacheClaimArgs {
  /** Namespace of the claim: the one the vLLM pods run in. Required. */
  namespace: string;
  /** Claim name (explicit: pods mount it by name). Defaults to `model-cache`. */
  name?: string;
  /**
   * StorageClass to provision from; it must support `accessMode`. Defaults to the cluster's
   * default class; `""` binds to a pre-created PersistentVolume instead.
   */
  storageClassName?: string;
  /** Requested size, a Kubernetes quantity. Defaults to `200Gi`. */
  size?: string;
  /**
   * `ReadWriteMany`, `ReadWriteOnce`, `ReadOnlyMany` or `ReadWriteOncePod`. Defaults to
   * `ReadWriteMany`, which multi-node groups need (every node mounts the cache).
   */
  accessMode?: ModelCacheAccessMode;
}

/**
 * A PersistentVolumeClaim for the Hugging Face cache, so model weights are downloaded once
 * and survive pod restarts. Mount it with `modelCacheMount({claimName})`. For a plain NFS
 * export or a node directory no claim is needed: `modelCacheMount` mounts those directly.
 */
export class ModelCache extends pulumi.ComponentResource {
  /** Claim name, for `modelCacheMount({claimName})`. */
  public readonly claimName: pulumi.Output<string>;

  constructor(name: string, args: ModelCacheClaimArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const claim = modelCacheClaim(args);
    super("llm-serving:index:ModelCache", name, {}, opts);
    const created = new k8s.core.v1.PersistentVolumeClaim(
      name,
      // kubernetes-models types quantities as string | number; the builder uses strings.
      claim as k8s.core.v1.PersistentVolumeClaimArgs,
      { parent: this },
    );
    this.claimName = created.metadata.name;
    this.registerOutputs({ claimName: this.claimName });
  }
}
