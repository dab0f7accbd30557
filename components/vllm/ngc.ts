/**
 * NGC credentials of a NIM server: the NGC API key as an Opaque Secret (`NGC_API_KEY`, read
 * with `secretKeyRef`) and a `kubernetes.io/dockerconfigjson` Secret that lets the kubelet
 * pull from `nvcr.io` (user `$oauthtoken`, password the key). Both come from one Pulumi secret
 * and stay secret end to end; `plan` prints neither.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ISecret } from "kubernetes-models/v1/Secret";
import { opaqueSecret, secretPlacementSchema } from "../model/token";
import { ConfigError, parseOrThrow } from "../validation";
import {
  DEFAULT_NGC_API_KEY_KEY,
  DEFAULT_NGC_API_KEY_SECRET,
  DEFAULT_NGC_PULL_SECRET,
  NGC_REGISTRY,
  NGC_REGISTRY_USER,
} from "./nim";

/** Where the NGC Secrets go (plain, validated data). */
export interface NgcSecretsOptions {
  /** Namespace of the Secrets (the one the NIM pods run in). */
  namespace: string;
  /** Name of the API-key Secret. Defaults to `ngc-api-key`. */
  name?: string;
  /** Key holding the API key. Defaults to `NGC_API_KEY`. */
  key?: string;
  /** Name of the image pull Secret. Defaults to `ngc-registry`. */
  pullSecretName?: string;
}

/** The shared Secret placement plus the pull Secret's name (a DNS subdomain, as `name`). */
const placementSchema = secretPlacementSchema.extend({
  pullSecretName: secretPlacementSchema.shape.name,
});

/** A Secret whose `stringData` values are `T` (a Pulumi secret in the component). */
export type SecretOf<T> = Omit<ISecret, "stringData"> & { stringData: { [key: string]: T } };

/** The two Secrets, with the key's place filled by `T`, and the names `VllmServer.nim` takes. */
export interface NgcSecrets<T> {
  /** Opaque Secret: `key` → the NGC API key. */
  apiKey: SecretOf<T>;
  /** `kubernetes.io/dockerconfigjson` Secret: `.dockerconfigjson` → {@link dockerConfigJson}. */
  pullSecret: SecretOf<T>;
  /** `VllmServerArgs.nim` naming these Secrets. */
  ref: { ngcApiKeySecret: { name: string; key: string }; imagePullSecret: string };
}

/**
 * The `.dockerconfigjson` document for `nvcr.io` with an NGC API key: what `kubectl create
 * secret docker-registry --docker-server=nvcr.io --docker-username='$oauthtoken'
 * --docker-password=<key>` writes (`auths.<server>.{username,password,auth}`, `auth` being
 * base64 of `user:password`).
 */
export function dockerConfigJson(apiKey: string): string {
  const auth = Buffer.from(`${NGC_REGISTRY_USER}:${apiKey}`).toString("base64");
  return JSON.stringify({
    auths: { [NGC_REGISTRY]: { username: NGC_REGISTRY_USER, password: apiKey, auth } },
  });
}

/**
 * Builds both Secrets. `apiKey` fills the API-key Secret, `dockerConfig` the pull Secret (the
 * component passes Pulumi secrets; tests pass strings).
 * @throws ConfigError for an invalid namespace, name or key.
 */
export function ngcSecrets<T>(
  options: NgcSecretsOptions,
  apiKey: T,
  dockerConfig: T,
): NgcSecrets<T> {
  const o = parseOrThrow(placementSchema, options, "NgcCredentials");
  const name = o.name ?? DEFAULT_NGC_API_KEY_SECRET;
  const key = o.key ?? DEFAULT_NGC_API_KEY_KEY;
  const pullName = o.pullSecretName ?? DEFAULT_NGC_PULL_SECRET;
  if (pullName === name) {
    throw new ConfigError("NgcCredentials", [
      { path: "pullSecretName", message: `must differ from the API-key Secret's name (${name})` },
    ]);
  }
  const registry = opaqueSecret(
    pullName,
    o.namespace,
    "ngc-registry",
    ".dockerconfigjson",
    dockerConfig,
  );
  return {
    apiKey: opaqueSecret(name, o.namespace, "ngc-api-key", key, apiKey),
    pullSecret: { ...registry, type: "kubernetes.io/dockerconfigjson" },
    ref: { ngcApiKeySecret: { name, key }, imagePullSecret: pullName },
  };
}

/** Fewest characters an NGC API key has (personal keys are far longer; this catches an empty or truncated value). */
export const MIN_NGC_API_KEY_LENGTH = 20;

/**
 * A configured NGC key, checked without echoing it: empty or with spaces it can neither
 * authenticate a pull nor a download.
 * @param path the config key to name (e.g. `ngcApiKey`).
 * @throws ConfigError naming `path`.
 */
export function checkedNgcApiKey(key: string, path = "ngcApiKey"): string {
  if (key.length < MIN_NGC_API_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ConfigError("NgcCredentials", [
      {
        path,
        message: `must be an NGC API key (at least ${MIN_NGC_API_KEY_LENGTH} printable characters, no spaces): create one at ngc.nvidia.com → Setup → API Key, then pulumi config set --secret ${path} <key>`,
      },
    ]);
  }
  return key;
}

/** Arguments of {@link NgcCredentials}. */
export interface NgcCredentialsArgs {
  /** Namespace of the NIM pods. Required. */
  namespace: string;
  /** The NGC API key. Pass a Pulumi secret (`config.requireSecret("ngcApiKey")`); it is wrapped as one anyway. Required. */
  ngcApiKey: pulumi.Input<string>;
  /** Name of the API-key Secret. Defaults to `ngc-api-key`. */
  name?: string;
  /** Key holding the API key. Defaults to `NGC_API_KEY`. */
  key?: string;
  /** Name of the `nvcr.io` image pull Secret. Defaults to `ngc-registry`. */
  pullSecretName?: string;
}

/**
 * The NGC API key Secret and the `nvcr.io` pull Secret a NIM `VllmServer` needs (its `nim`
 * argument names them; the defaults match). If the namespace is created in the same program,
 * pass `dependsOn: [namespace]`.
 */
export class NgcCredentials extends pulumi.ComponentResource {
  /** Name of the API-key Secret, for `nim.ngcApiKeySecret.name`. */
  public readonly apiKeySecretName: pulumi.Output<string>;
  /** Key in it, for `nim.ngcApiKeySecret.key`. */
  public readonly apiKeySecretKey: pulumi.Output<string>;
  /** Name of the `nvcr.io` pull Secret, for `nim.imagePullSecret`. */
  public readonly pullSecretName: pulumi.Output<string>;

  constructor(name: string, args: NgcCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const planned = ngcSecrets(
      {
        namespace: args.namespace,
        name: args.name,
        key: args.key,
        pullSecretName: args.pullSecretName,
      },
      "",
      "",
    );
    super("llm-serving:index:NgcCredentials", name, {}, opts);
    const key = pulumi.secret(pulumi.output(args.ngcApiKey).apply((k) => checkedNgcApiKey(k)));
    const secretOpts = { parent: this, additionalSecretOutputs: ["data", "stringData"] };
    const ref = planned.ref;
    const apiKeySecret = new k8s.core.v1.Secret(
      `${name}-api-key`,
      { ...planned.apiKey, stringData: { [ref.ngcApiKeySecret.key]: key } },
      secretOpts,
    );
    const pullSecret = new k8s.core.v1.Secret(
      `${name}-registry`,
      {
        ...planned.pullSecret,
        stringData: { ".dockerconfigjson": pulumi.secret(key.apply(dockerConfigJson)) },
      },
      secretOpts,
    );
    this.apiKeySecretName = apiKeySecret.metadata.name;
    this.apiKeySecretKey = pulumi.output(ref.ngcApiKeySecret.key);
    this.pullSecretName = pullSecret.metadata.name;
    this.registerOutputs({
      apiKeySecretName: this.apiKeySecretName,
      apiKeySecretKey: this.apiKeySecretKey,
      pullSecretName: this.pullSecretName,
    });
  }
}
