/** Each VllmServer's NetworkPolicies: the API port from allowed namespaces, internal ports from the group. */
import { describe, expect, it } from "vitest";
import { API_CLIENT_LABEL } from "../../components/vllm/network-policy";
import { LWS_NAME_LABEL } from "../../components/vllm/workload";
import { expectValidManifest } from "../support/k8s-schema";
import { plan, SHAPES } from "./fixtures";

/** Does a policy's rule admit a peer (pod labels + its namespace's labels, same namespace?) on a port? */
function admits(
  policy: ReturnType<typeof plan>["networkPolicies"][number],
  peer: { podLabels: Record<string, string>; nsLabels: Record<string, string>; sameNs: boolean },
  port: number,
): boolean {
  const matches = (
    sel: { matchLabels?: Record<string, string> } | undefined,
    labels: Record<string, string>,
  ) => Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (policy.spec?.ingress ?? []).some((rule) => {
    const portOk = !rule.ports || rule.ports.some((p) => p.port === port);
    const fromOk = (rule.from ?? []).some((f) =>
      f.namespaceSelector
        ? matches(f.namespaceSelector, peer.nsLabels) &&
          (!f.podSelector || matches(f.podSelector, peer.podLabels))
        : peer.sameNs && matches(f.podSelector, peer.podLabels),
    );
    return portOk && fromOk;
  });
}

const outsider = { podLabels: { app: "x" }, nsLabels: {}, sameNs: false };
const neighbour = { podLabels: { app: "x" }, nsLabels: {}, sameNs: true };
const client = {
  podLabels: { app: "prometheus" },
  nsLabels: { [API_CLIENT_LABEL]: "true" },
  sameNs: false,
};

describe("vllmNetworkPolicies", () => {
  for (const [shape, parallelism] of Object.entries(SHAPES)) {
    it(`${shape}: valid, and selects the serving pods for the API port`, () => {
      const p = plan({ parallelism });
      const multi = (parallelism?.nodes ?? 1) > 1;
      expect(p.networkPolicies.map((n) => n.metadata?.name)).toEqual(
        multi ? ["chat-api", "chat-group"] : ["chat-api"],
      );
      for (const n of p.networkPolicies) {
        expectValidManifest(n);
        expect(n.metadata?.namespace).toBe("llm");
        expect(n.spec?.policyTypes).toEqual(["Ingress"]);
      }
      const api = p.networkPolicies[0];
      expect(api.spec?.podSelector.matchLabels).toEqual(p.service.spec?.selector);
      expect(admits(api, neighbour, 8000)).toBe(true);
      expect(admits(api, client, 8000)).toBe(true);
      expect(admits(api, outsider, 8000)).toBe(false);
      // Only the API port: not the master port, not anything else.
      expect(admits(api, neighbour, 29501)).toBe(false);
      expect(admits(api, client, 6379)).toBe(false);
    });
  }

  it("a multi-node group's other ports answer its own pods only", () => {
    const p = plan({ parallelism: { tensor: 2, nodes: 2 } });
    const group = p.networkPolicies[1];
    const member = { podLabels: { [LWS_NAME_LABEL]: "chat" }, nsLabels: {}, sameNs: true };
    const otherServer = { podLabels: { [LWS_NAME_LABEL]: "other" }, nsLabels: {}, sameNs: true };
    expect(group.spec?.podSelector.matchLabels).toEqual({ [LWS_NAME_LABEL]: "chat" });
    for (const port of [29501, 29600, 6379, 41234]) {
      expect(admits(group, member, port)).toBe(true);
      expect(admits(group, otherServer, port)).toBe(false);
      expect(admits(group, neighbour, port)).toBe(false);
      expect(admits(group, client, port)).toBe(false);
      // A member from another namespace with the same labels does not count.
      expect(admits(group, { ...member, sameNs: false }, port)).toBe(false);
    }
  });

  it("follows the configured port", () => {
    const api = plan({ port: 9000 }).networkPolicies[0];
    expect(admits(api, neighbour, 9000)).toBe(true);
    expect(admits(api, neighbour, 8000)).toBe(false);
  });
});

describe("pod hardening", () => {
  it("every vLLM pod: no service-account token, RuntimeDefault seccomp", () => {
    for (const parallelism of Object.values(SHAPES)) {
      const p = plan({ parallelism });
      const specs = p.deployment
        ? [p.deployment.spec?.template.spec]
        : [
            p.leaderWorkerSet?.spec.leaderWorkerTemplate.leaderTemplate?.spec,
            p.leaderWorkerSet?.spec.leaderWorkerTemplate.workerTemplate.spec,
          ];
      for (const spec of specs) {
        expect(spec?.automountServiceAccountToken).toBe(false);
        expect(spec?.securityContext?.seccompProfile).toEqual({ type: "RuntimeDefault" });
      }
    }
  });
});
