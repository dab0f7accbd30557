import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { autoName } from "../../cli/plan-mocks";
import { makeRedactor, REDACTED } from "../../cli/plan-redact";
import {
  manifestFiles,
  planResources,
  renderTree,
  resourcesDocument,
  scriptFiles,
  unwrapShellInvocation,
  withAutoNames,
} from "../../cli/plan-view";
import { type RecordedResource, wrapSecret } from "../../cli/recorder";
import { remoteInvocation } from "../../components/microk8s/scripts/common";

const STACK = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s";
const APP = "urn:pulumi:s::p::pulumi:pulumi:Stack$p:index:App::app";

function rec(
  type: string,
  name: string,
  parent: string,
  inputs: Record<string, unknown> = {},
): RecordedResource {
  const urn = parent ? `${parent}$${type}::${name}` : STACK;
  return {
    urn: type === "p:index:App" ? APP : urn,
    type,
    name,
    parent,
    custom: !type.startsWith("p:") && type !== "pulumi:pulumi:Stack",
    dependencies: [],
    inputs,
    additionalSecretOutputs: [],
  };
}

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "vllm", namespace: "ai" },
  spec: {
    template: {
      spec: {
        containers: [
          { name: "c", image: "i:1", env: [{ name: "K", value: wrapSecret("s3cr3t-value") }] },
        ],
      },
    },
  },
};

const recorded: RecordedResource[] = [
  rec("pulumi:pulumi:Stack", "p-s", ""),
  rec("command:remote:Command", "join", STACK, {
    connection: wrapSecret({ host: "10.0.0.1", user: "ubuntu", privateKey: "KEY-abcdef" }),
    create: wrapSecret("#!/bin/bash\nset -euo pipefail\necho KEY-abcdef > k"),
    delete: "microk8s leave || true",
    environment: wrapSecret({ TOKEN: REDACTED }),
  }),
  rec("p:index:App", "app", STACK),
  rec("kubernetes:apps/v1:Deployment", "app-vllm", APP, deployment),
  rec("kubernetes:core/v1:ConfigMap", "app-cm", APP, {
    apiVersion: "v1",
    kind: "ConfigMap",
    data: { a: "b" },
  }),
  rec("kubernetes:helm.sh/v3:Release", "app-lws", APP, { chart: "lws" }),
];

const redact = makeRedactor(["KEY-abcdef", "s3cr3t-value"]);
const resources = planResources(withAutoNames(recorded), redact);

describe("withAutoNames", () => {
  it("names Kubernetes objects that leave metadata.name to the provider, nothing else", () => {
    const named = withAutoNames(recorded);
    expect((named[4].inputs.metadata as { name: string }).name).toBe(autoName("app-cm"));
    expect(named[3].inputs.metadata).toEqual(deployment.metadata);
    expect(named[5].inputs).toEqual({ chart: "lws" });
  });
});

describe("renderTree", () => {
  it("nests children under their parents with type and name", () => {
    expect(renderTree(resources)).toMatchInlineSnapshot(`
      "pulumi:pulumi:Stack  p-s
      ├─ command:remote:Command  join
      └─ p:index:App  app
         ├─ kubernetes:apps/v1:Deployment  app-vllm
         ├─ kubernetes:core/v1:ConfigMap  app-cm
         └─ kubernetes:helm.sh/v3:Release  app-lws"
    `);
  });
});

describe("manifestFiles", () => {
  const files = manifestFiles(resources);

  it("writes one YAML file per Kubernetes object, named by type and name", () => {
    expect(files.map((f) => f.path)).toEqual([
      "manifests/apps-v1-Deployment--app-vllm.yaml",
      "manifests/v1-ConfigMap--app-cm.yaml",
    ]);
  });

  it("parses back to the object, secrets redacted", () => {
    const object = parse(files[0].content);
    expect(object.spec.template.spec.containers[0].env).toEqual([{ name: "K", value: REDACTED }]);
    expect(object.metadata).toEqual(deployment.metadata);
    expect(files.map((f) => f.content).join()).not.toContain("s3cr3t-value");
  });
});

describe("scriptFiles", () => {
  const files = scriptFiles(resources);

  it("writes create and delete scripts with where and with what they run", () => {
    expect(files.map((f) => f.path)).toEqual(["scripts/join.create.sh", "scripts/join.delete.sh"]);
    const create = files[0].content;
    expect(create.split("\n").slice(0, 5)).toEqual([
      "#!/bin/bash",
      '# command:remote:Command "join": create (written by llm-serving plan)',
      "# runs on: ubuntu@10.0.0.1",
      `# environment: TOKEN=${REDACTED}`,
      "set -euo pipefail",
    ]);
    expect(create).toContain(`echo ${REDACTED} > k`);
    expect(files[1].content.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(files.map((f) => f.content).join()).not.toContain("KEY-abcdef");
  });

  it("says so when a whole script is a secret it cannot split", () => {
    const opaque = planResources(
      [rec("command:local:Command", "x", STACK, { create: wrapSecret("curl -H unknown-token") })],
      redact,
    );
    const [file] = scriptFiles(opaque);
    expect(file.content).toContain("plan cannot tell its secret parts apart");
    expect(file.content).not.toContain("unknown-token");
  });
});

describe("unwrapShellInvocation", () => {
  it("recovers any script a component wrapped as one bash -c command (property)", () => {
    fc.assert(
      fc.property(fc.string(), (script) => {
        expect(unwrapShellInvocation(remoteInvocation(script))).toEqual({ shell: "bash", script });
      }),
      { numRuns: 200 },
    );
  });

  it("leaves anything else alone", () => {
    expect(unwrapShellInvocation("bash -c 'a' && rm -rf x")).toBeUndefined();
    expect(unwrapShellInvocation("echo 'hi'")).toBeUndefined();
  });

  it("writes the wrapped script itself, saying how it runs", () => {
    const wrapped = planResources(
      [
        rec("command:remote:Command", "w", STACK, {
          create: remoteInvocation("set -eu\necho 'it'\n"),
        }),
      ],
      redact,
    );
    expect(scriptFiles(wrapped)[0].content).toBe(
      [
        "#!/usr/bin/env bash",
        '# command:remote:Command "w": create (written by llm-serving plan)',
        "# run as: bash -c '<this script>'",
        "set -eu",
        "echo 'it'",
        "",
      ].join("\n"),
    );
  });
});

describe("resourcesDocument", () => {
  it("lists type, name, parent and redacted inputs", () => {
    const doc = resourcesDocument(resources) as Record<string, unknown>[];
    expect(doc).toHaveLength(recorded.length);
    expect(doc[1]).toMatchObject({
      type: "command:remote:Command",
      name: "join",
      parent: STACK,
      inputs: { connection: { host: "10.0.0.1", privateKey: REDACTED } },
    });
  });
});
