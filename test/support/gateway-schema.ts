/**
 * Validates what the inference gateway renders against its upstream schemas:
 * - `InferencePool` (`inference.networking.k8s.io/v1`): the Gateway API Inference Extension
 *   v1.6.0 CRD in `shared/upstream/gaie-inferencepool.json`, strict (unknown fields fail).
 * - `Gateway` / `HTTPRoute` (`gateway.networking.k8s.io/v1`): the Gateway API v1.6.1 standard
 *   CRDs in `shared/upstream/gateway-api-*.json`, strict, and `@kubernetes-models/gateway-api`.
 * - GKE's `HealthCheckPolicy` / `GCPBackendPolicy` (`networking.gke.io/v1`):
 *   `@kubernetes-models/gke` 4.6.2 (types, enums, required fields; it does not reject unknown
 *   fields, and no GKE CRD schema is vendored in `shared/upstream`).
 * - The picker's `EndpointPickerConfig`: `test/schemas/llm-d-router/` (hand-written from the
 *   Go types at llm-d-router v0.10.0, see its PROVENANCE.md).
 * - Everything else: `validateManifest` (core kinds).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Gateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { GCPBackendPolicy } from "@kubernetes-models/gke/networking.gke.io/v1/GCPBackendPolicy";
import { HealthCheckPolicy } from "@kubernetes-models/gke/networking.gke.io/v1/HealthCheckPolicy";
import type { ErrorObject, ValidateFunction } from "ajv";
import { kubernetesAjv, strictSchema, validateManifest } from "./k8s-schema";
import { readUpstreamCrd } from "./upstream";

/** The vendored CRD file per `apiVersion/kind`. */
export const GATEWAY_CRD_FILES: Record<string, string> = {
  "inference.networking.k8s.io/v1/InferencePool": "gaie-inferencepool.json",
  "gateway.networking.k8s.io/v1/Gateway": "gateway-api-gateway.json",
  "gateway.networking.k8s.io/v1/HTTPRoute": "gateway-api-httproute.json",
};

type ModelClass = new (data: never) => { validate(): void };
const MODELS: Record<string, ModelClass> = {
  "gateway.networking.k8s.io/v1/Gateway": Gateway as unknown as ModelClass,
  "gateway.networking.k8s.io/v1/HTTPRoute": HTTPRoute as unknown as ModelClass,
  "networking.gke.io/v1/HealthCheckPolicy": HealthCheckPolicy as unknown as ModelClass,
  "networking.gke.io/v1/GCPBackendPolicy": GCPBackendPolicy as unknown as ModelClass,
};

/** Every kind this module validates itself (the rest goes to `validateManifest`). */
export const GATEWAY_KINDS: ReadonlySet<string> = new Set([
  ...Object.keys(GATEWAY_CRD_FILES),
  ...Object.keys(MODELS),
]);

const validators = new Map<string, ValidateFunction | null>();

/** The strict validator of a vendored CRD (compiled once); null without the upstream data. */
function crdValidator(key: string): ValidateFunction | null {
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  const file = GATEWAY_CRD_FILES[key] as string;
  const crd = readUpstreamCrd(file, `${key} schema validation`);
  let v: ValidateFunction | null = null;
  if (crd) {
    // Rendered objects carry no status: leave it out of the (large) compiled schema, so a
    // status field fails as unknown, and compiling stays fast.
    const { status: _status, ...properties } = crd.schema.properties as Record<string, unknown>;
    const ajv = kubernetesAjv();
    ajv.addFormat("ipv4", /^(\d{1,3}\.){3}\d{1,3}$/);
    ajv.addFormat("ipv6", /^[0-9a-fA-F:.]+$/);
    v = ajv.compile(strictSchema({ ...crd.schema, properties }) as object);
  }
  validators.set(key, v);
  return v;
}

function ajvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (e) =>
      `${e.instancePath || "(root)"}: ${e.message}${
        e.keyword === "additionalProperties"
          ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
          : ""
      }`,
  );
}

/** Every problem of one rendered object (empty: valid). */
export function validateGatewayObject(obj: object): string[] {
  const { apiVersion, kind } = obj as { apiVersion: string; kind: string };
  const key = `${apiVersion}/${kind}`;
  const errors: string[] = [];
  const model = MODELS[key];
  if (model) {
    try {
      new model(obj as never).validate();
    } catch (e) {
      errors.push(String((e as Error).message));
    }
  }
  if (key in GATEWAY_CRD_FILES) {
    const v = crdValidator(key);
    if (v && !v(obj)) errors.push(...ajvErrors(v.errors));
  }
  if (!model && !(key in GATEWAY_CRD_FILES)) errors.push(...validateManifest(obj));
  return errors;
}

let pickerConfigValidator: ValidateFunction | undefined;
let metricsSourceValidator: ValidateFunction | undefined;

/** Every problem of an `EndpointPickerConfig` document (empty: valid). */
export function validateEndpointPickerConfig(config: unknown): string[] {
  if (!pickerConfigValidator) {
    const schema = JSON.parse(
      readFileSync(
        join(__dirname, "..", "schemas", "llm-d-router", "endpointpickerconfig.schema.json"),
        "utf8",
      ),
    ) as { $defs: Record<string, object> };
    const ajv = kubernetesAjv();
    pickerConfigValidator = ajv.compile(schema);
    metricsSourceValidator = ajv.compile(schema.$defs["metrics-data-source"] as object);
  }
  const errors = pickerConfigValidator(config) ? [] : ajvErrors(pickerConfigValidator.errors);
  for (const plugin of (config as { plugins?: { type: string; parameters?: unknown }[] }).plugins ??
    []) {
    if (
      plugin.type === "metrics-data-source" &&
      !metricsSourceValidator?.(plugin.parameters ?? {})
    ) {
      errors.push(
        ...ajvErrors(metricsSourceValidator?.errors).map((e) => `metrics-data-source ${e}`),
      );
    }
  }
  return errors;
}
