import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { beforeAll, describe, expect, it } from "vitest";
import * as components from "../../components";
import rootPackage from "../../package.json";
import providerPackage from "../../provider/package.json";

interface SchemaProperty {
  description?: string;
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
}

const exported = getPulumiComponents(components);
let schema: Schema;

beforeAll(async () => {
  const provider = new ComponentProvider({
    dirname: path.join(__dirname, "..", "..", "provider"),
    name: "llm-serving",
    components: exported,
  });
  schema = JSON.parse(await provider.getSchema());
}, 60_000);

describe("ComponentProvider.getSchema()", () => {
  it("finds every exported component", () => {
    const names = exported.map((c) => c.name).sort();
    expect(names).toEqual(
      [
        "GkeGpuCluster",
        "GpuOperator",
        "HuggingFaceToken",
        "LeaderWorkerSetOperator",
        "MicroK8sCluster",
        "ModelCache",
        "NfsExport",
        "VllmServer",
      ].sort(),
    );
    expect(Object.keys(schema.resources).sort()).toEqual(
      names.map((n) => `llm-serving:index:${n}`),
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
    expect(Object.keys(schema.resources["llm-serving:index:VllmServer"].properties).sort()).toEqual(
      ["openaiBaseUrl", "serviceName", "url"],
    );
    expect(schema.resources["llm-serving:index:MicroK8sCluster"].properties).toHaveProperty(
      "kubeconfig",
    );
  });

  it("is versioned with the package", () => {
    expect(providerPackage.version).toBe(rootPackage.version);
    expect(schema.version).toBe(rootPackage.version);
  });
});
