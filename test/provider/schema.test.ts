import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  ConstructRequest,
  type ConstructResponse,
  GetSchemaRequest,
  type GetSchemaResponse,
} from "@pulumi/pulumi/proto/provider_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CAPACITY_MODES, NETWORKING_MODES, RELEASE_CHANNELS } from "../../components/gke/config";
import { GPU_OPERATOR_PRESETS } from "../../components/gpu-operator/presets";
import { ACCESS_MODES } from "../../components/model/claim";
import { NCCL_DEBUG_LEVELS, NETWORK_PROFILE_NAMES } from "../../components/nccl/profiles";
import { VllmLauncher } from "../../components/vllm/args";
import rootPackage from "../../package.json";
import providerPackage from "../../provider/package.json";
import { type MockMonitor, startMockMonitor } from "./mock-monitor";
import { type LaunchedPlugin, launchPlugin, REPO_ROOT, stopPlugin, unary } from "./plugin";

interface SchemaProperty {
  description?: string;
  type?: string;
  $ref?: string;
  plain?: boolean;
  items?: SchemaProperty;
}
interface Schema {
  name: string;
  version: string;
  resources: Record<
    string,
    {
      isComponent: boolean;
      inputProperties: Record<string, SchemaProperty>;
      properties: Record<string, SchemaProperty>;
    }
  >;
  types: Record<
    string,
    {
      type: string;
      enum?: { name: string; value: string }[];
      properties?: Record<string, SchemaProperty>;
    }
  >;
}

const TOKEN = "llm-serving:index";
let plugin: LaunchedPlugin | undefined;
let monitor: MockMonitor | undefined;
let schema: Schema;

beforeAll(async () => {
  // The engine passes its address to the plugin; here the mock engine + monitor's.
  monitor = await startMockMonitor("consumer", "dev");
  plugin = await launchPlugin([monitor.endpoint]);
  const response = await unary<GetSchemaRequest, GetSchemaResponse>(
    plugin.client.getSchema.bind(plugin.client),
    new GetSchemaRequest(),
  );
  schema = JSON.parse(response.getSchema());
}, 240_000);

afterAll(() => {
  stopPlugin(plugin);
  monitor?.stop();
});

function input(component: string, property: string): SchemaProperty {
  const prop = schema.resources[`${TOKEN}:${component}`]?.inputProperties[property];
  if (!prop) throw new Error(`${component}.${property} is not in the schema`);
  return prop;
}

function typeProperty(type: string, property: string): SchemaProperty {
  const prop = schema.types[`${TOKEN}:${type}`]?.properties?.[property];
  if (!prop) throw new Error(`${type}.${property} is not in the schema`);
  return prop;
}

function enumValues(name: string): string[] | undefined {
  return schema.types[`${TOKEN}:${name}`]?.enum?.map((m) => m.value);
}

describe("provider/ launched as `pulumi package add` launches it", () => {
  it("starts from a directory with no tsconfig.json and answers GetSchema over gRPC", () => {
    expect(plugin?.port).toBeGreaterThan(0);
    expect(schema.name).toBe("llm-serving");
  });

  it("finds every exported component", () => {
    expect(Object.keys(schema.resources).sort()).toEqual(
      [
        "GcsModelStore",
        "GkeGpuCluster",
        "GpuOperator",
        "HuggingFaceToken",
        "ImagePrePull",
        "InferenceGateway",
        "Keda",
        "LeaderWorkerSetOperator",
        "MicroK8sCluster",
        "ModelCache",
        "ModelPrefetch",
        "Monitoring",
        "NfsExport",
        "NgcCredentials",
        "VllmApiKey",
        "VllmBenchmark",
        "VllmServer",
      ].map((n) => `${TOKEN}:${n}`),
    );
  });

  it("documents every input of every component", () => {
    for (const [token, resource] of Object.entries(schema.resources)) {
      expect(resource.isComponent, token).toBe(true);
      for (const [name, prop] of Object.entries(resource.inputProperties)) {
        expect(prop.description, `${token}.${name}`).toBeTruthy();
      }
    }
  });

  it("exposes the outputs other languages read", () => {
    expect(Object.keys(schema.resources[`${TOKEN}:VllmServer`].properties).sort()).toEqual([
      "namespace",
      "openaiBaseUrl",
      "port",
      "scaleTarget",
      "serviceName",
      "servingSelector",
      "url",
    ]);
    expect(schema.resources[`${TOKEN}:MicroK8sCluster`].properties).toHaveProperty("kubeconfig");
  });

  it("is versioned with the package", () => {
    expect(providerPackage.version).toBe(rootPackage.version);
    expect(schema.version).toBe(rootPackage.version);
  });
});

describe("schema typing", () => {
  it("closed sets are enums, with the values the components validate", () => {
    expect(enumValues("GpuOperatorPreset")).toEqual([...GPU_OPERATOR_PRESETS]);
    expect(input("GpuOperator", "preset").$ref).toBe(`#/types/${TOKEN}:GpuOperatorPreset`);

    expect(enumValues("NetworkProfileName")).toEqual([...NETWORK_PROFILE_NAMES]);
    expect(enumValues("NcclDebugLevel")).toEqual([...NCCL_DEBUG_LEVELS]);
    const network = input("VllmServer", "network").$ref?.replace(`#/types/${TOKEN}:`, "") ?? "";
    expect(typeProperty(network, "profile").$ref).toBe(`#/types/${TOKEN}:NetworkProfileName`);
    expect(typeProperty(network, "ncclDebug").$ref).toBe(`#/types/${TOKEN}:NcclDebugLevel`);

    expect(enumValues("VllmLauncher")).toEqual(Object.values(VllmLauncher));
    expect(input("VllmServer", "launcher").$ref).toBe(`#/types/${TOKEN}:VllmLauncher`);

    expect(enumValues("ModelCacheAccessMode")).toEqual([...ACCESS_MODES]);
    expect(input("ModelCache", "accessMode").$ref).toBe(`#/types/${TOKEN}:ModelCacheAccessMode`);

    expect(enumValues("GkeCapacityMode")).toEqual([...CAPACITY_MODES]);
    const capacity = input("GkeGpuCluster", "capacity").$ref?.replace(`#/types/${TOKEN}:`, "");
    expect(typeProperty(capacity ?? "", "mode").$ref).toBe(`#/types/${TOKEN}:GkeCapacityMode`);
    expect(enumValues("GkeNetworkingMode")).toEqual([...NETWORKING_MODES]);
    expect(input("GkeGpuCluster", "networking").$ref).toBe(`#/types/${TOKEN}:GkeNetworkingMode`);
    expect(enumValues("GkeReleaseChannel")).toEqual([...RELEASE_CHANNELS]);
  });

  it("enum members carry names other languages can use", () => {
    expect(schema.types[`${TOKEN}:NetworkProfileName`].enum?.map((m) => m.name)).toEqual([
      "Nvlink",
      "Tcp",
      "RoceHostnet",
      "GkeRdma",
    ]);
  });

  it("secrets and values that come from other resources are Inputs (not plain)", () => {
    for (const [component, property] of [
      ["HuggingFaceToken", "token"],
      ["MicroK8sCluster", "privateKey"],
      ["MicroK8sCluster", "joinToken"],
      ["NfsExport", "privateKey"],
    ]) {
      const prop = input(component, property);
      expect(prop.type, `${component}.${property}`).toBe("string");
      expect(prop.plain, `${component}.${property}`).toBeUndefined();
    }
    // Values the components decide on stay plain: their checks run before anything exists.
    expect(input("GpuOperator", "version").plain).toBe(true);
  });
});

/** Pulumi's marker for a secret value on the wire (sdk/nodejs/runtime/rpc.ts `specialSigKey`). */
const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

describe("Construct over gRPC (a program in another language creating a component)", () => {
  it("creates HuggingFaceToken's Secret with the token secret although it was passed plain", async () => {
    const req = new ConstructRequest();
    req.setProject("consumer");
    req.setStack("dev");
    req.setOrganization("organization");
    req.setParallel(1);
    req.setMonitorendpoint(monitor?.endpoint ?? "");
    req.setType(`${TOKEN}:HuggingFaceToken`);
    req.setName("hf");
    req.setInputs(Struct.fromJavaScript({ token: "hf_plain_value", namespace: "llm" }));
    req.setAcceptsOutputValues(true);
    const client = plugin?.client;
    const res = await unary<ConstructRequest, ConstructResponse>(
      client?.construct.bind(client) as never,
      req,
    );
    expect(res.getUrn()).toBe(`urn:pulumi:dev::consumer::${TOKEN}:HuggingFaceToken::hf`);
    expect(res.getState()?.toJavaScript()).toEqual({ secretName: "hf-token", secretKey: "token" });
    const secret = monitor?.registrations.find((r) => r.type === "kubernetes:core/v1:Secret");
    expect(secret?.object.metadata).toMatchObject({ name: "hf-token", namespace: "llm" });
    // The whole stringData travels as a secret: state and outputs keep it encrypted.
    expect(secret?.object.stringData).toEqual({
      ...SECRET_SIG,
      value: { token: "hf_plain_value" },
    });
  });

  it("rejects bad input with the component's ConfigError, registering nothing", async () => {
    const before = monitor?.registrations.length;
    const req = new ConstructRequest();
    req.setProject("consumer");
    req.setStack("dev");
    req.setMonitorendpoint(monitor?.endpoint ?? "");
    req.setType(`${TOKEN}:GpuOperator`);
    req.setName("gpu");
    req.setInputs(Struct.fromJavaScript({ preset: "k3s" }));
    const client = plugin?.client;
    await expect(
      unary<ConstructRequest, ConstructResponse>(client?.construct.bind(client) as never, req),
    ).rejects.toThrow(/preset/);
    expect(monitor?.registrations.length).toBe(before);
  });
});

/** Every bare module specifier `components/` imports (`node:` built-ins aside). */
function componentImports(dir = join(REPO_ROOT, "components")): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      for (const m of componentImports(path)) found.add(m);
    } else if (path.endsWith(".ts")) {
      for (const [, spec] of readFileSync(path, "utf8").matchAll(/from "([^".][^"]*)"/g)) {
        if (spec.startsWith("node:")) continue;
        const parts = spec.split("/");
        found.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
      }
    }
  }
  return found;
}

describe("provider/package.json (what `npm install` in provider/ brings)", () => {
  it("depends on every package the components import, at the root package's ranges", () => {
    const deps = providerPackage.dependencies as Record<string, string>;
    const rootDeps = rootPackage.dependencies as Record<string, string>;
    for (const name of componentImports()) {
      expect(deps[name], `${name} missing from provider/package.json`).toBeDefined();
      expect(deps[name], name).toBe(rootDeps[name]);
    }
  });

  it("builds its entry in `prepare` (run by npm install) and brings TypeScript for the schema analyzer", () => {
    expect(providerPackage.main).toBe("bin/provider/index.js");
    expect(providerPackage.scripts.prepare).toBe("tsc -p tsconfig.json");
    const root = rootPackage as { devDependencies: Record<string, string> };
    expect(providerPackage.dependencies.typescript).toBe(root.devDependencies.typescript);
  });

  it("PulumiPlugin.yaml passes no nodeargs: the host puts them after run-plugin, as its args", () => {
    const plugin = parse(readFileSync(join(REPO_ROOT, "provider", "PulumiPlugin.yaml"), "utf8"));
    expect(plugin).toEqual({ runtime: "nodejs" });
  });
});
