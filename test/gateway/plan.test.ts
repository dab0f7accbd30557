import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GCP_HEALTH_CHECK_RANGES, GKE_INTERNAL_GATEWAY_CLASS } from "../../components/gateway/gke";
import {
  EPP_EXT_PROC_PORT,
  endpointPickerConfig,
  INFERENCE_POOL_GROUP,
} from "../../components/gateway/picker";
import {
  gatewayObjects,
  gatewayServerOf,
  type InferenceGatewayArgs,
  inferenceGatewayPlan,
  inferencePoolCrdUrl,
} from "../../components/gateway/plan";
import { DESTINATION_HEADER, envoyConfig, PROXY_PORT } from "../../components/gateway/standalone";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import { apiNetworkPolicy } from "../../components/vllm/network-policy";
import { podMayCarryLabel, podTemplates } from "../../policy/rules/podspecs";
import type { K8sObject } from "../../policy/rules/types";
import { validateEndpointPickerConfig, validateGatewayObject } from "../support/gateway-schema";
import { plan, SHAPES } from "../vllm/fixtures";

/** The value, or a failed test when it is missing. */
function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("missing");
  return value;
}

const single = plan({ parallelism: SHAPES["one node, TP 4"] });
const multi = plan({ name: "big", parallelism: SHAPES["two nodes, TP 8 x PP 2"] });
const servers = [gatewayServerOf(single), gatewayServerOf(multi)];
const PROXY_SUBNET = "192.168.0.0/23";

const gke = inferenceGatewayPlan({ mode: "gke", servers, proxyOnlySubnetCidr: PROXY_SUBNET });
const standalone = inferenceGatewayPlan({
  mode: "standalone",
  servers: [gatewayServerOf(single, 30080), gatewayServerOf(multi, 30081)],
});

function problems(args: InferenceGatewayArgs): { path: string; message: string }[] {
  try {
    inferenceGatewayPlan(args);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

/** True when every term of `selector` may be carried by the template's pods. */
function selects(
  selector: Record<string, string>,
  object: unknown,
  which: "leader" | "worker" | "pod",
) {
  return podTemplates(object as K8sObject)
    .filter((t) => (which === "pod" ? true : t.role === which))
    .some((t) => Object.entries(selector).every(([k, v]) => podMayCarryLabel(t, k, v)));
}

describe("InferenceGateway plan", () => {
  it("every object is valid against its upstream schema (both modes, both workload kinds)", () => {
    const objects = [...gatewayObjects(gke), ...gatewayObjects(standalone)];
    expect(objects.length).toBeGreaterThan(25);
    for (const o of objects) {
      const { kind, metadata } = o as { kind: string; metadata: { name: string } };
      expect(validateGatewayObject(o), `${kind} ${metadata.name}`).toEqual([]);
    }
  });

  it("the schemas reject what the API server would (the checks can fail)", () => {
    const pool = structuredClone(gke.pickers[0]?.pool) as unknown as Record<string, unknown>;
    (pool.spec as Record<string, unknown>).targetPortNumber = 8000; // the pre-v1 field
    expect(validateGatewayObject(pool).join()).toMatch(/targetPortNumber/);
    const route = structuredClone(gke.pickers[0]?.route) as unknown as {
      spec: { rules: { backendRefs: { kind: string }[] }[] };
    };
    must(must(route.spec.rules[0]).backendRefs[0]).kind = "not a kind!";
    expect(validateGatewayObject(route)).not.toEqual([]);
    const hc = structuredClone(gke.pickers[0]?.healthCheckPolicy) as unknown as {
      spec: { default: { config: { type: string } } };
    };
    hc.spec.default.config.type = "CARRIER_PIGEON";
    expect(validateGatewayObject(hc)).not.toEqual([]);
  });

  it("the picker's config is a valid EndpointPickerConfig with prefix-cache, queue and KV-cache scoring", () => {
    const config = endpointPickerConfig();
    expect(validateEndpointPickerConfig(config)).toEqual([]);
    const stored = parse(gke.pickers[0]?.configMap.data?.["config.yaml"] as string);
    expect(stored).toEqual(config);
    const profile = (config.schedulingProfiles as { plugins: { pluginRef: string }[] }[])[0];
    expect(profile?.plugins.map((p) => p.pluginRef)).toEqual([
      "queue-scorer",
      "kv-cache-utilization-scorer",
      "prefix-cache-scorer",
      "max-score-picker",
    ]);
    // Every profile entry names a declared plugin.
    const declared = new Set((config.plugins as { type: string }[]).map((p) => p.type));
    for (const p of profile?.plugins ?? []) expect(declared.has(p.pluginRef)).toBe(true);
    // Strict decoding: an unknown field or parameter is an error.
    expect(validateEndpointPickerConfig({ ...config, scorers: [] })).not.toEqual([]);
    const badParams = {
      ...config,
      plugins: [{ type: "metrics-data-source", parameters: { url: "http://x/metrics" } }],
    };
    expect(validateEndpointPickerConfig(badParams).join()).toMatch(/metrics-data-source/);
  });

  it("each pool selects its serving pods only: Deployment pods, or LWS leaders (never workers)", () => {
    const [one, big] = gke.pickers;
    expect(one?.pool.spec.selector.matchLabels).toEqual(single.servingSelector);
    expect(one?.pool.spec.selector.matchLabels).toEqual(single.service.spec?.selector);
    expect(selects(must(one).pool.spec.selector.matchLabels, single.deployment, "pod")).toBe(true);
    expect(big?.pool.spec.selector.matchLabels).toEqual(multi.service.spec?.selector);
    expect(selects(must(big).pool.spec.selector.matchLabels, multi.leaderWorkerSet, "leader")).toBe(
      true,
    );
    expect(selects(must(big).pool.spec.selector.matchLabels, multi.leaderWorkerSet, "worker")).toBe(
      false,
    );
    // The picker's pods are never pool members.
    const picker = one?.deployment.spec?.template;
    expect(selects(must(one).pool.spec.selector.matchLabels, one?.deployment, "pod")).toBe(false);
    expect(picker?.metadata?.labels?.["app.kubernetes.io/name"]).toBe("endpoint-picker");
    expect(one?.pool.spec.targetPorts).toEqual([{ number: single.port }]);
    // CEL rule of the CRD (not evaluated by JSON Schema): a Service ref needs its port.
    expect(one?.pool.spec.endpointPickerRef).toMatchObject({
      kind: "Service",
      name: one?.service.metadata?.name,
      port: { number: EPP_EXT_PROC_PORT },
    });
  });

  it("the picker reads its own pool with read-only, namespaced rights", () => {
    const p = must(gke.pickers[1]);
    const epp = p.deployment.spec?.template.spec?.containers.find((c) => c.name === "epp");
    const flag = (name: string) => epp?.args?.[(epp?.args?.indexOf(name) ?? -2) + 1];
    expect(flag("--pool-name")).toBe(p.pool.metadata.name);
    expect(flag("--pool-namespace")).toBe(p.pool.metadata.namespace);
    expect(flag("--pool-group")).toBe(INFERENCE_POOL_GROUP);
    expect(flag("--config-file")).toBe("/config/config.yaml");
    expect(epp?.image).toBe(versions.endpointPickerImage);
    for (const rule of p.role.rules ?? []) expect(rule.verbs).toEqual(["get", "list", "watch"]);
    expect(
      p.role.rules?.find((r) => r.resources?.includes("inferencepools"))?.resourceNames,
    ).toEqual([p.pool.metadata.name]);
    expect(p.authDelegation.roleRef.name).toBe("system:auth-delegator");
    expect(p.roleBinding.subjects?.[0]?.name).toBe(
      p.deployment.spec?.template.spec?.serviceAccountName,
    );
  });

  it("GKE: an internal Gateway of GKE's class, a route per server to its pool, policies on the pool", () => {
    expect(gke.gateway?.spec.gatewayClassName).toBe(GKE_INTERNAL_GATEWAY_CLASS);
    const allowed = gke.gateway?.spec.listeners[0]?.allowedRoutes?.namespaces;
    expect(allowed?.from).toBe("Selector");
    expect(allowed?.selector?.matchExpressions?.[0]?.values).toEqual(["llm"]);
    for (const p of gke.pickers) {
      const rule = p.route?.spec?.rules?.[0];
      expect(rule?.backendRefs).toEqual([
        { group: INFERENCE_POOL_GROUP, kind: "InferencePool", name: p.pool.metadata.name },
      ]);
      expect(rule?.matches?.[0]?.path?.value).toBe(`/${p.target.name}`);
      expect(p.basePath).toBe(`/${p.target.name}/v1`);
      expect(p.route?.spec?.parentRefs?.[0]).toMatchObject({ name: gke.gateway?.metadata?.name });
      for (const policy of [p.healthCheckPolicy, p.backendPolicy]) {
        expect(policy?.spec.targetRef).toEqual({
          group: INFERENCE_POOL_GROUP,
          kind: "InferencePool",
          name: p.pool.metadata.name,
        });
      }
      expect(p.healthCheckPolicy?.spec.default?.config?.httpHealthCheck).toMatchObject({
        port: p.target.port,
        requestPath: "/health",
      });
    }
    expect(gke.crdUrl).toBeUndefined();
  });

  it("GKE: the serving pods admit the proxy-only subnet and health checkers on the API port only", () => {
    const p = must(gke.pickers[1]);
    const serving = p.networkPolicies.find((n) => n.metadata?.name === "big-gateway");
    expect(serving?.spec?.podSelector.matchLabels).toEqual(multi.servingSelector);
    expect(serving?.spec?.ingress?.[0]?.from?.map((f) => f.ipBlock?.cidr)).toEqual([
      PROXY_SUBNET,
      ...GCP_HEALTH_CHECK_RANGES,
    ]);
    expect(serving?.spec?.ingress?.[0]?.ports).toEqual([{ protocol: "TCP", port: multi.port }]);
    // The picker is in the server's namespace: vLLM's own API policy already admits it
    // (metrics scrape and, in standalone mode, the proxy).
    const api = apiNetworkPolicy(multi.config);
    expect(api.spec?.ingress?.[0]?.from).toContainEqual({ podSelector: {} });
    expect(p.deployment.metadata?.namespace).toBe(multi.config.namespace);
  });

  it("standalone: Envoy in the picker's pod on a NodePort, steered by the picker's header, no Gateway", () => {
    expect(standalone.gateway).toBeUndefined();
    expect(standalone.crdUrl).toBe(inferencePoolCrdUrl(versions.inferencePoolCrd));
    const p = must(standalone.pickers[1]);
    expect(p.proxyService?.spec?.type).toBe("NodePort");
    expect(p.proxyService?.spec?.ports?.[0]).toMatchObject({
      nodePort: 30081,
      targetPort: PROXY_PORT,
    });
    const containers = p.deployment.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(["epp", "envoy"]);
    expect(containers[1]?.image).toBe(versions.envoyImage);
    expect(parse(p.proxyConfigMap?.data?.["envoy.yaml"] as string)).toEqual(envoyConfig());
    const text = JSON.stringify(envoyConfig());
    expect(text).toContain(DESTINATION_HEADER);
    expect(text.match(/FULL_DUPLEX_STREAMED/g)).toHaveLength(2);
    expect(p.basePath).toBe("/v1");
    expect(p.route).toBeUndefined();
  });

  it("bad arguments fail with every problem by path", () => {
    expect(problems({ mode: "gke", servers }).map((p) => p.path)).toEqual(["proxyOnlySubnetCidr"]);
    expect(
      problems({ mode: "gke", servers, proxyOnlySubnetCidr: "10.0.0.0/33" }).map((p) => p.path),
    ).toEqual(["proxyOnlySubnetCidr"]);
    expect(
      problems({ mode: "standalone", servers: [must(servers[0]), must(servers[0])] }).map(
        (p) => p.path,
      ),
    ).toEqual(["servers[1].name", "servers[1].nodePort"]);
    expect(
      problems({ mode: "standalone", servers: [{ ...must(servers[0]), nodePort: 8080 }] }).map(
        (p) => p.path,
      ),
    ).toEqual(["servers[0].nodePort"]);
    expect(problems({ mode: "standalone", servers: [] }).map((p) => p.path)).toEqual(["servers"]);
    expect(
      problems({
        mode: "gke",
        servers: [{ ...must(servers[0]), servingSelector: {} }],
        proxyOnlySubnetCidr: PROXY_SUBNET,
      })[0]?.path,
    ).toBe("servers[0].servingSelector");
  });
});
