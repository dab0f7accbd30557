import { beforeAll, describe, expect, it } from "vitest";
import { type RecordedResource, type Recording, recordRegistrations } from "../../cli/recorder";
import { Monitoring } from "../../components/monitoring/monitoring";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import { expectValidManifest } from "../support/k8s-schema";
import { outputIsSecret, outputValue } from "../support/outputs";
import { promOperatorProblems } from "./prom-schema";

let rec: Recording;
let monitoring: Monitoring;
let invalid: unknown;
let countBeforeInvalid = 0;

beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
  monitoring = new Monitoring("mon", {
    servers: [
      { name: "vllm", namespace: "llm", nodes: 2 },
      { name: "small", namespace: "llm" },
    ],
  });
  await rec.settle();
  countBeforeInvalid = rec.resources.length;
  try {
    new Monitoring("bad", { retention: "forever" });
  } catch (e) {
    invalid = e;
  }
  await rec.settle();
});

const children = () => {
  const parent = rec.resources.find(
    (r) => r.type === "llm-serving:index:Monitoring",
  ) as RecordedResource;
  return rec.resources.filter((r) => r.parent === parent.urn);
};
const ofType = (type: string) => children().filter((r) => r.type === type);

describe("Monitoring under mocks", () => {
  it("creates the namespace, admin Secret, dashboards, release, PodMonitors and rules", () => {
    expect(
      children()
        .map((r) => r.type)
        .sort(),
    ).toEqual([
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:Secret",
      "kubernetes:helm.sh/v3:Release",
      "kubernetes:monitoring.coreos.com/v1:PodMonitor",
      "kubernetes:monitoring.coreos.com/v1:PodMonitor",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
      "random:index/randomPassword:RandomPassword",
    ]);
    for (const r of [
      ...ofType("kubernetes:core/v1:Namespace"),
      ...ofType("kubernetes:core/v1:ConfigMap"),
    ]) {
      expectValidManifest(r.inputs);
    }
    for (const r of [
      ...ofType("kubernetes:monitoring.coreos.com/v1:PodMonitor"),
      ...ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule"),
    ]) {
      expect(promOperatorProblems(r.inputs as { kind: string }).problems).toEqual([]);
    }
  });

  it("installs the pinned chart after its Secret and dashboards; CRD objects wait for the chart", () => {
    const [release] = ofType("kubernetes:helm.sh/v3:Release");
    expect(release.inputs).toMatchObject({
      chart: "kube-prometheus-stack",
      version: versions.kubePrometheusStackChart,
      namespace: "monitoring",
    });
    const [secret] = ofType("kubernetes:core/v1:Secret");
    expect(release.dependencies).toContain(secret.urn);
    for (const pm of ofType("kubernetes:monitoring.coreos.com/v1:PodMonitor")) {
      expect(pm.dependencies).toContain(release.urn);
    }
  });

  it("outputs the port-forward line and a secret admin password", async () => {
    expect(await outputValue(monitoring.grafanaPortForward)).toBe(
      "kubectl -n monitoring port-forward svc/monitoring-grafana 3000:80",
    );
    expect(await outputIsSecret(monitoring.grafanaAdminPassword)).toBe(true);
  });

  it("registers nothing for a bad config", () => {
    expect(invalid).toBeInstanceOf(ConfigError);
    expect((invalid as ConfigError).problems.map((p) => p.path)).toEqual(["retention"]);
    expect(rec.resources.length).toBe(countBeforeInvalid);
  });
});
