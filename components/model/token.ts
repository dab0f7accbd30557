import type { ISecret } from "kubernetes-models/v1/Secret";
import { z } from "zod";
import { parseOrThrow } from "../validation";

/** Default Secret name: the one VllmServer reads the token from unless told otherwise. */
export const DEFAULT_HF_TOKEN_SECRET = "hf-token";

/** Default key inside the Secret. */
export const DEFAULT_HF_TOKEN_KEY = "token";

/** Where the token Secret goes and how it is named (plain, validated data). */
export interface HfTokenSecretOptions {
  /** Namespace of the Secret (the one the vLLM pods run in). */
  namespace: string;
  /** Secret name. Defaults to `hf-token`. */
  name?: string;
  /** Key holding the token. Defaults to `token`. */
  key?: string;
}

const dnsSubdomain = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    "must be a DNS subdomain: lowercase letters, digits, '-' and '.'",
  );

/**
 * A one-value Opaque Secret whose value may be a Pulumi secret (`T`), labelled with the
 * component it belongs to.
 */
export function opaqueSecret<T>(
  name: string,
  namespace: string,
  component: string,
  key: string,
  value: T,
): Omit<ISecret, "stringData"> & { stringData: { [key: string]: T } } {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace, labels: { "app.kubernetes.io/component": component } },
    type: "Opaque",
    stringData: { [key]: value },
  };
}

/**
 * Where a one-value Secret goes (namespace) and how it is named (name, key): shared by the
 * token Secret and the vLLM API-key Secret, which the pods read by `secretKeyRef`.
 */
export const secretPlacementSchema = z
  .object({
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label (a namespace name)"),
    name: dnsSubdomain.optional(),
    key: z
      .string()
      .max(253)
      .regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key: letters, digits, '-', '_' and '.'")
      .optional(),
  })
  .strict();

/** The token Secret, with the token's place filled by `token` (a Pulumi secret in the component). */
export interface HfTokenSecret<T> {
  /** The Secret object; its `stringData` maps the key to `token`. */
  manifest: Omit<ISecret, "stringData"> & { stringData: { [key: string]: T } };
  /** Secret name, for `secretKeyRef.name`. */
  name: string;
  /** Key, for `secretKeyRef.key`. */
  key: string;
}

/**
 * Builds the Secret that carries a Hugging Face token. `stringData` (not `data`) so the
 * token needs no base64 step; the caller passes the token as a Pulumi secret.
 * @throws ConfigError for an invalid namespace, name or key.
 */
export function hfTokenSecret<T>(
  options: HfTokenSecretOptions,
  token: T,
  path = "",
): HfTokenSecret<T> {
  const o = parseOrThrow(secretPlacementSchema, options, "HuggingFaceToken", path);
  const name = o.name ?? DEFAULT_HF_TOKEN_SECRET;
  const key = o.key ?? DEFAULT_HF_TOKEN_KEY;
  return {
    name,
    key,
    manifest: opaqueSecret(name, o.namespace, "hf-token", key, token),
  };
}
