import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, recordRegistrations } from "../../cli/recorder";
import { Keda } from "../../components/autoscaling/keda";
import { KEDA_CHART_REPO, kedaPlan, LWS_SCALED_RESOURCE } from "../../components/autoscaling/plan";
import { kubePrometheusStackFullname, prometheusUrl } from "../../components/monitoring/prometheus";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import { expectValidManifest } from "../support/k8s-schema";

describe("kedaPlan", () => {
  it("pins kedacore's chart and puts KEDA in a restricted namespace of its own", () => {
    const p = kedaPlan();
    expectValidManifest(p.namespace);
    expect(p.namespace.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(p.release).toMatchObject({
      name: "keda",
      chart: "keda",
      repositoryOpts: { repo: KEDA_CHART_REPO },
      version: versions.kedaChart,
      namespace: "keda",
    });
    expect(versions.kedaChart).toBe("2.20.2");
  });

  it("narrows KEDA's defaults: scales LeaderWorkerSets only, reads Secrets in its namespace only", () => {
    const v = kedaPlan().release.values as Record<string, any>;
    // The chart's default is {apiGroup: "*", kind: "*"}: get + scale on everything.
    expect(v.rbac.scaledRefKinds).toEqual([
      { apiGroup: "leaderworkerset.x-k8s.io", kind: "leaderworkersets" },
    ]);
    expect(LWS_SCALED_RESOURCE.resource).toBe("leaderworkersets");
    expect(v.permissions.operator.restrict.secret).toBe(true);
    expect(v.permissions.metricServer.restrict.secret).toBe(true);
    expect(v.crds.install).toBe(true);
    // Reachable from a private GKE control plane (firewall: 443 and 10250 only).
    expect(v.service.portHttpsTarget).toBe(10250);
    expect(v.webhooks.port).toBe(10250);
  });

  it("merges raw values last and rejects a version range or a bad namespace by field", () => {
    const v = kedaPlan({ values: { rbac: { aggregateToDefaultRoles: true } } }).release
      .values as Record<string, any>;
    expect(v.rbac).toMatchObject({
      aggregateToDefaultRoles: true,
      enabledCustomScaledRefKinds: true,
    });
    try {
      kedaPlan({ version: "^2.20", namespace: "KEDA" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.path).sort()).toEqual([
        "namespace",
        "version",
      ]);
    }
  });
});

describe("the in-cluster Prometheus URL", () => {
  it("follows kube-prometheus-stack's fullname: release + chart name, truncated to 26", () => {
    expect(kubePrometheusStackFullname("monitoring")).toBe("monitoring-kube-prometheus");
    expect(kubePrometheusStackFullname("kube-prometheus-stack")).toBe("kube-prometheus-stack");
    expect(kubePrometheusStackFullname("obs")).toBe("obs-kube-prometheus-stack");
    // Truncation that ends on a dash drops it (the template's trimSuffix).
    expect(kubePrometheusStackFullname("abcdefghijklmnopqrstuvwxy")).toBe(
      "abcdefghijklmnopqrstuvwxy",
    );
    expect(prometheusUrl()).toBe(
      "http://monitoring-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090",
    );
  });
});

describe("Keda component (Pulumi mocks)", () => {
  let rec: Recording;
  let registeredBefore = 0;
  let error: unknown;
  beforeAll(async () => {
    rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
    new Keda("keda");
    await rec.settle();
    registeredBefore = rec.resources.length;
    try {
      new Keda("bad", { releaseName: "Bad_Name" });
    } catch (e) {
      error = e;
    }
    await rec.settle();
  });

  it("creates the namespace, then the release in it, as children", () => {
    const component = rec.resources.find((r) => r.name === "keda" && !r.custom);
    const ns = rec.resources.find((r) => r.name === "keda-ns");
    const release = rec.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
    expect(ns?.parent).toBe(component?.urn);
    expect(release?.parent).toBe(component?.urn);
    expect(release?.dependencies).toContain(ns?.urn);
    expect(release?.inputs).toMatchObject({ chart: "keda", version: "2.20.2" });
  });

  it("a bad argument registers nothing", () => {
    expect(error).toBeInstanceOf(ConfigError);
    expect(rec.resources.length).toBe(registeredBefore);
  });
});
