import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, recordRegistrations } from "../../cli/recorder";
import { ConfigError } from "../../components/validation";
import { vllmServerPlan } from "../../components/vllm/plan";
import { VllmServer, withDependencies } from "../../components/vllm/server";
import { outputValue } from "../support/outputs";
import { baseArgs, PROFILE_ARGS, SHAPES } from "./fixtures";

const LWS_TYPE = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet";

class Thing extends pulumi.CustomResource {
  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super("test:index:Thing", name, {}, opts);
  }
}

let rec: Recording;
let single: VllmServer;
let multi: VllmServer;
let lwsController: Thing;
let registeredBeforeInvalid = 0;
let invalidError: unknown;

beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
  single = new VllmServer("chat", baseArgs({ parallelism: SHAPES["one node, TP 4"] }));
  lwsController = new Thing("lws-controller");
  multi = new VllmServer(
    "big",
    baseArgs({
      namespace: "rdma",
      createNamespace: true,
      parallelism: SHAPES["two nodes, TP 8 x PP 2"],
      network: PROFILE_ARGS["gke-rdma"],
    }),
    { dependsOn: [lwsController] },
  );
  await rec.settle();
  registeredBeforeInvalid = rec.resources.length;
  try {
    new VllmServer("broken", baseArgs({ replicas: 0, network: { profile: "roce-hostnet" } }));
  } catch (e) {
    invalidError = e;
  }
  await rec.settle();
});

function byName(name: string) {
  const r = rec.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}`);
  return r;
}

describe("VllmServer", () => {
  it("single node: a Deployment and a Service, children of the component, explicit names", () => {
    const component = byName("chat");
    expect(component.type).toBe("llm-serving:index:VllmServer");
    const deployment = byName("chat-deployment");
    const service = byName("chat-service");
    expect(deployment.type).toBe("kubernetes:apps/v1:Deployment");
    expect(service.type).toBe("kubernetes:core/v1:Service");
    for (const child of [deployment, service]) expect(child.parent).toBe(component.urn);
    expect((deployment.inputs.metadata as { name: string }).name).toBe("chat");
    expect((service.inputs.metadata as { name: string }).name).toBe("chat-api");
    expect(rec.resources.some((r) => r.name === "chat-lws" || r.name === "chat-namespace")).toBe(
      false,
    );
    // Exactly the plan's objects, which plan.test.ts validates against the upstream schemas.
    const plan = vllmServerPlan(baseArgs({ parallelism: SHAPES["one node, TP 4"] }), "chat");
    expect(deployment.inputs).toEqual(plan.deployment);
    expect(service.inputs).toEqual(plan.service);
  });

  it("multi node: Namespace, LWS and Service; the LWS waits for the caller's dependsOn and the Namespace", () => {
    const component = byName("big");
    const ns = byName("big-namespace");
    const lws = byName("big-lws");
    expect(lws.type).toBe(LWS_TYPE);
    for (const child of [ns, lws, byName("big-service")]) expect(child.parent).toBe(component.urn);
    expect(lws.dependencies).toEqual(
      expect.arrayContaining([byName("lws-controller").urn, ns.urn]),
    );
    expect((ns.inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "privileged",
    });
    expect((lws.inputs.metadata as { name: string }).name).toBe("big");
    const plan = vllmServerPlan(
      baseArgs({
        namespace: "rdma",
        createNamespace: true,
        parallelism: SHAPES["two nodes, TP 8 x PP 2"],
        network: PROFILE_ARGS["gke-rdma"],
      }),
      "big",
    );
    expect(lws.inputs).toEqual(plan.leaderWorkerSet);
    expect(ns.inputs).toEqual(plan.namespace);
  });

  it("outputs the Service name and in-cluster URLs", async () => {
    expect(await outputValue(single.serviceName)).toBe("chat-api");
    expect(await outputValue(single.url)).toBe("http://chat-api.llm.svc.cluster.local:8000");
    expect(await outputValue(multi.openaiBaseUrl)).toBe(
      "http://big-api.rdma.svc.cluster.local:8000/v1",
    );
  });

  it("outputs the serving pods' labels and port as the plan decided them (LWS: leaders only)", async () => {
    expect(await outputValue(single.port)).toBe(8000);
    expect(await outputValue(single.namespace)).toBe("llm");
    expect(await outputValue(single.servingSelector)).toEqual({
      "app.kubernetes.io/name": "vllm",
      "app.kubernetes.io/instance": "chat",
    });
    expect(await outputValue(multi.servingSelector)).toEqual({
      "leaderworkerset.sigs.k8s.io/name": "big",
      "leaderworkerset.sigs.k8s.io/worker-index": "0",
    });
  });

  it("an invalid config throws a ConfigError before registering anything", () => {
    expect(invalidError).toBeInstanceOf(ConfigError);
    expect((invalidError as ConfigError).problems.map((p) => p.path)).toEqual([
      "replicas",
      "network.socketInterface",
      "network.ibHcas",
    ]);
    expect(rec.resources.length).toBe(registeredBeforeInvalid);
    expect(rec.resources.some((r) => r.name.startsWith("broken"))).toBe(false);
  });

  it("withDependencies keeps the caller's form and appends ours", async () => {
    const a = lwsController;
    expect(withDependencies(undefined, [a])).toEqual([a]);
    expect(withDependencies(a, [])).toEqual([a]);
    expect(withDependencies([a], [a])).toEqual([a, a]);
    expect(await withDependencies(Promise.resolve([a]), [a])).toEqual([a, a]);
    const out = withDependencies(pulumi.output([a]) as pulumi.Input<pulumi.Resource[]>, [a]);
    expect(pulumi.Output.isInstance(out)).toBe(true);
  });
});
