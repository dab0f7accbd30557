import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, recordRegistrations } from "../../cli/recorder";
import { InferenceGateway } from "../../components/gateway/gateway";
import { gatewayServerOf, inferenceGatewayPlan } from "../../components/gateway/plan";
import { ConfigError } from "../../components/validation";
import { VllmServer } from "../../components/vllm/server";
import { outputValue } from "../support/outputs";
import { recorded } from "../support/recording";
import { baseArgs, plan, SHAPES } from "../vllm/fixtures";

const POOL_TYPE = "kubernetes:inference.networking.k8s.io/v1:InferencePool";

let rec: Recording;
let gke: InferenceGateway;
let standalone: InferenceGateway;
let lwsServer: VllmServer;
let before = 0;
let invalid: unknown;
const multiArgs = baseArgs({ parallelism: SHAPES["two nodes, TP 8 x PP 2"] });

beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
  lwsServer = new VllmServer("big", multiArgs);
  const servers = [gatewayServerOf(plan({ parallelism: SHAPES["one node, TP 4"] }))];
  gke = new InferenceGateway("gw", {
    mode: "gke",
    servers: [...servers, gatewayServerOf(plan({ ...multiArgs, name: "big" }))],
    proxyOnlySubnetCidr: "192.168.0.0/23",
  });
  standalone = new InferenceGateway("lan", { mode: "standalone", servers });
  await rec.settle();
  before = rec.resources.length;
  try {
    new InferenceGateway("broken", { mode: "gke", servers });
  } catch (e) {
    invalid = e;
  }
  await rec.settle();
});

const byName = (name: string) => recorded(rec, name);

describe("InferenceGateway", () => {
  it("creates exactly the plan's objects, children of the component", () => {
    const component = byName("gw");
    expect(component.type).toBe("llm-serving:index:InferenceGateway");
    const children = rec.resources.filter((r) => r.parent === component.urn);
    const planned = inferenceGatewayPlan({
      mode: "gke",
      servers: [
        gatewayServerOf(plan({ parallelism: SHAPES["one node, TP 4"] })),
        gatewayServerOf(plan({ ...multiArgs, name: "big" })),
      ],
      proxyOnlySubnetCidr: "192.168.0.0/23",
    });
    // Gateway + per server: SA, Role, RoleBinding, ClusterRoleBinding, ConfigMap, pool,
    // Deployment, Service, 2 NetworkPolicies, route, 2 policies.
    expect(children).toHaveLength(1 + 2 * 13);
    expect(byName("gw-gateway").inputs).toEqual(planned.gateway);
    expect(byName("gw-big-pool").type).toBe(POOL_TYPE);
    expect(byName("gw-big-pool").inputs).toEqual(planned.pickers[1]?.pool);
    expect(byName("gw-chat-epp").inputs).toEqual(planned.pickers[0]?.deployment);
    expect(byName("gw-chat-healthcheck").type).toBe(
      "kubernetes:networking.gke.io/v1:HealthCheckPolicy",
    );
  });

  it("the picker starts after its rights, its config and its pool exist; policies after the pool", () => {
    const epp = byName("gw-big-epp");
    for (const dep of [
      "gw-big-epp-rolebinding",
      "gw-big-epp-auth",
      "gw-big-pool",
      "gw-big-epp-config",
    ]) {
      expect(epp.dependencies).toContain(byName(dep).urn);
    }
    expect(byName("gw-big-route").dependencies).toContain(byName("gw-big-pool").urn);
  });

  it("the pool selects exactly what the VllmServer's Service selects (one source of truth)", async () => {
    const pool = byName("gw-big-pool").inputs as { spec: { selector: { matchLabels: unknown } } };
    expect(pool.spec.selector.matchLabels).toEqual(await outputValue(lwsServer.servingSelector));
    const service = byName("big-service").inputs as { spec: { selector: unknown } };
    expect(pool.spec.selector.matchLabels).toEqual(service.spec.selector);
  });

  it("standalone: the InferencePool CRD first, then the pool; Envoy config and NodePort", async () => {
    const crd = byName("lan-inferencepool-crd");
    expect(crd.type).toBe("kubernetes:yaml/v2:ConfigFile");
    expect(byName("lan-chat-pool").dependencies).toContain(crd.urn);
    expect(byName("lan-chat-proxy-svc").type).toBe("kubernetes:core/v1:Service");
    expect(rec.resources.some((r) => r.name === "lan-gateway")).toBe(false);
    expect(await outputValue(standalone.basePaths)).toEqual({ chat: "/v1" });
    expect(await outputValue(gke.basePaths)).toEqual({ chat: "/chat/v1", big: "/big/v1" });
  });

  it("a bad config throws a ConfigError and registers nothing", () => {
    expect(invalid).toBeInstanceOf(ConfigError);
    expect((invalid as ConfigError).problems.map((p) => p.path)).toEqual(["proxyOnlySubnetCidr"]);
    expect(rec.resources).toHaveLength(before);
  });
});
