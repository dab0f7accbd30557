/**
 * The API key of a vLLM server: a Kubernetes Secret that `VllmServer` reads with
 * `secretKeyRef` (`apiKeySecret`), holding a key the user gives or one generated here.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ISecret } from "kubernetes-models/v1/Secret";
import { opaqueSecret, secretPlacementSchema } from "../model/token";
import { ConfigError, parseOrThrow } from "../validation";
import {
  DEFAULT_API_KEY_SECRET,
  DEFAULT_API_KEY_SECRET_KEY,
  GENERATED_API_KEY_LENGTH,
} from "./args";

/** Where the API-key Secret goes (plain, validated data). */
export interface ApiKeySecretOptions {
  /** Namespace of the Secret (the one the vLLM pods run in). */
  namespace: string;
  /** Secret name. Defaults to `vllm-api-key`. */
  name?: string;
  /** Key holding the API key. Defaults to `api-key`. */
  key?: string;
}

/** The API-key Secret with the key's place filled by `value` (a Pulumi secret in the component). */
export interface ApiKeySecret<T> {
  /** The Secret object; `stringData` maps the key to `value`. */
  manifest: Omit<ISecret, "stringData"> & { stringData: { [key: string]: T } };
  /** Secret name and key, as `VllmServer`'s `apiKeySecret` takes them. */
  ref: { name: string; key: string };
}

/**
 * Builds the Secret that carries a vLLM API key.
 * @throws ConfigError for an invalid namespace, name or key.
 */
export function apiKeySecret<T>(
  options: ApiKeySecretOptions,
  value: T,
  path = "",
): ApiKeySecret<T> {
  const o = parseOrThrow(secretPlacementSchema, options, "VllmApiKey", path);
  const name = o.name ?? DEFAULT_API_KEY_SECRET;
  const key = o.key ?? DEFAULT_API_KEY_SECRET_KEY;
  return {
    ref: { name, key },
    manifest: opaqueSecret(name, o.namespace, "api-key", key, value),
  };
}

/** Fewest characters a configured key may have. */
export const MIN_API_KEY_LENGTH = 16;

/**
 * A configured key, checked: vLLM switches authentication OFF for an empty key, and a key
 * with spaces or control characters cannot travel in an `Authorization` header.
 * @throws ConfigError naming `apiKey` (the stack key), never echoing the value.
 */
export function checkedApiKey(key: string): string {
  if (key.length < MIN_API_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ConfigError("VllmApiKey", [
      {
        path: "apiKey",
        message: `must be at least ${MIN_API_KEY_LENGTH} printable characters without spaces (an empty key would turn vLLM's authentication off); or unset it to generate one`,
      },
    ]);
  }
  return key;
}

/** Arguments of {@link VllmApiKey}. */
export interface VllmApiKeyArgs {
  /** Namespace of the Secret: the one the vLLM pods run in. Required. */
  namespace: string;
  /** Secret name (explicit: pods refer to it by name). Defaults to `vllm-api-key`. */
  name?: string;
  /** Key in the Secret that holds the API key. Defaults to `api-key`. */
  key?: string;
  /**
   * The API key. Pass a Pulumi secret (`config.getSecret("apiKey")`); it is wrapped as one
   * anyway. Defaults to a generated key of 48 letters and digits (`@pulumi/random`
   * `RandomPassword`, kept in the stack state, so it stays the same on every `up`).
   */
  apiKey?: pulumi.Input<string>;
}

/**
 * A Kubernetes Secret holding a vLLM API key, for `VllmServer`'s `apiKeySecret`. The key
 * is a Pulumi secret end to end; read it back from the `apiKey` output.
 * If the namespace is created in the same program, pass `dependsOn: [namespace]`.
 */
export class VllmApiKey extends pulumi.ComponentResource {
  /** Secret name, for `apiKeySecret.name`. */
  public readonly secretName: pulumi.Output<string>;
  /** Key in the Secret, for `apiKeySecret.key`. */
  public readonly secretKey: pulumi.Output<string>;
  /** The API key (secret). */
  public readonly apiKey: pulumi.Output<string>;

  constructor(name: string, args: VllmApiKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const planned = apiKeySecret({ namespace: args.namespace, name: args.name, key: args.key }, "");
    super("llm-serving:index:VllmApiKey", name, {}, opts);
    const value =
      args.apiKey !== undefined
        ? pulumi.secret(pulumi.output(args.apiKey).apply(checkedApiKey))
        : new random.RandomPassword(
            `${name}-generated`,
            // Letters and digits only: the key travels in an HTTP header and in shell variables.
            { length: GENERATED_API_KEY_LENGTH, special: false },
            { parent: this },
          ).result;
    const created = new k8s.core.v1.Secret(
      name,
      { ...planned.manifest, stringData: { [planned.ref.key]: pulumi.secret(value) } },
      { parent: this, additionalSecretOutputs: ["data", "stringData"] },
    );
    this.secretName = created.metadata.name;
    this.secretKey = pulumi.output(planned.ref.key);
    this.apiKey = pulumi.secret(value);
    this.registerOutputs({
      secretName: this.secretName,
      secretKey: this.secretKey,
      apiKey: this.apiKey,
    });
  }
}
