/**
 * The gateway's stack keys (checked by config key, before anything exists) and what they turn
 * on in the GKE cluster: the proxy-only subnet and GKE's Gateway API controller.
 */
import { describe, expect, it } from "vitest";
import { clusterArgs } from "../../components/gke/cluster-args";
import { resolveGkeGpuClusterConfig } from "../../components/gke/config";
import { proxyOnlySubnetSpec } from "../../components/gke/network-plan";
import { gkeSettings } from "../../stacks/gke-settings";
import { homelabSettings } from "../../stacks/homelab-settings";
import { HOST_KEYS } from "../microk8s/fixtures";
import { problems, raw } from "../support/stack-config";

const lab = {
  controllerHost: "10.0.0.10",
  controllerHostKey: HOST_KEYS[0],
  workers: [
    { name: "spark-1", host: "10.0.0.21", hostKey: HOST_KEYS[1], roceAddress: "192.168.100.1" },
  ],
  roceInterface: "enp1s0f0np0",
  roceHcas: ["rocep1s0f0"],
};
const gke = {
  gcpProject: "llm-serving-prod",
  gcpZone: "europe-west1-b",
  reservation: "h200-res",
  masterAuthorizedCidrs: ["203.0.113.0/24"],
};
const cluster = (over: Record<string, unknown> = {}) =>
  resolveGkeGpuClusterConfig({
    project: "llm-serving-prod",
    zone: "europe-west1-b",
    namePrefix: "llm",
    capacity: { mode: "reservation", reservation: "h200-res" },
    masterAuthorizedCidrs: ["203.0.113.0/24"],
    ...over,
  });

describe("gateway stack keys", () => {
  it("default on, node port 30080 in the home lab; a proxy-only subnet to create on GKE", () => {
    const h = homelabSettings(raw(lab));
    expect([h.gateway, h.gatewayNodePort]).toEqual([true, 30080]);
    const g = gkeSettings(raw(gke));
    expect([g.gateway, g.gatewayProxySubnetCidr, g.gatewayProxySubnetCreate]).toEqual([
      true,
      "192.168.0.0/23",
      true,
    ]);
  });

  it("a node port outside Kubernetes' range or a malformed subnet fails naming the key", () => {
    expect(problems(() => homelabSettings(raw({ ...lab, gatewayNodePort: 8080 })))).toEqual({
      gatewayNodePort: "must be in Kubernetes' NodePort range 30000-32767",
    });
    expect(
      Object.keys(
        problems(() => gkeSettings(raw({ ...gke, gatewayProxySubnetCidr: "10.0.0/23" }))),
      ),
    ).toEqual(["gatewayProxySubnetCidr"]);
    expect(
      Object.keys(problems(() => homelabSettings(raw({ ...lab, gatewayNodePort: "x" })))),
    ).toEqual(["gatewayNodePort"]);
  });

  it("GKE: the proxy-only subnet is REGIONAL_MANAGED_PROXY/ACTIVE in the primary network's region", () => {
    expect(proxyOnlySubnetSpec(cluster())).toBeUndefined();
    expect(proxyOnlySubnetSpec(cluster({ proxyOnlySubnetCidr: "192.168.0.0/23" }))).toEqual({
      name: "llm-proxy-only",
      args: {
        name: "llm-proxy-only",
        project: "llm-serving-prod",
        region: "europe-west1",
        network: "default",
        ipCidrRange: "192.168.0.0/23",
        purpose: "REGIONAL_MANAGED_PROXY",
        role: "ACTIVE",
      },
    });
    expect(problems(() => cluster({ proxyOnlySubnetCidr: "nope" }))).toHaveProperty(
      "proxyOnlySubnetCidr",
    );
  });

  it("GKE: the Gateway API controller only when asked for", () => {
    expect(clusterArgs(cluster()).gatewayApiConfig).toBeUndefined();
    expect(clusterArgs(cluster({ gatewayApi: true })).gatewayApiConfig).toEqual({
      channel: "CHANNEL_STANDARD",
    });
  });
});
