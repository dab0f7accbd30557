import { describe, expect, it } from "vitest";
import { LWS_CHART, lwsOperatorPlan } from "../../components/lws/plan";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import { expectValidManifest } from "../support/k8s-schema";

describe("lwsOperatorPlan", () => {
  it("defaults: pinned release from the upstream OCI chart into lws-system", () => {
    const plan = lwsOperatorPlan({});
    expect(plan.release).toEqual({
      name: "lws",
      chart: LWS_CHART,
      version: versions.leaderWorkerSet.replace(/^v/, ""),
      namespace: "lws-system",
      values: {},
      timeout: 600,
    });
    expect(LWS_CHART).toBe("oci://registry.k8s.io/lws/charts/lws");
    expect(plan.appVersion).toBe(versions.leaderWorkerSet);
    expect(plan.namespace.metadata).toEqual({
      name: "lws-system",
      labels: {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "baseline",
      },
    });
    expectValidManifest(plan.namespace);
  });

  it("accepts versions with or without v; the chart version never has it", () => {
    for (const version of ["v0.9.0", "0.9.0"]) {
      const plan = lwsOperatorPlan({ version });
      expect(plan.release.version).toBe("0.9.0");
      expect(plan.appVersion).toBe("v0.9.0");
    }
  });

  it("passes raw values through, copied", () => {
    const values = { enablePrometheus: true, nodeSelector: { role: "cpu" } };
    const plan = lwsOperatorPlan({ values, namespace: "lws", releaseName: "leaderworkerset" });
    expect(plan.release.values).toEqual(values);
    expect(plan.release.values).not.toBe(values);
    expect(plan.release.namespace).toBe("lws");
    expect(plan.release.name).toBe("leaderworkerset");
  });

  it("rejects bad input, every problem by path", () => {
    let error: unknown;
    try {
      lwsOperatorPlan({ version: "latest", namespace: "LWS", releaseName: "-x" }, "lws");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.path).sort()).toEqual([
      "lws.namespace",
      "lws.releaseName",
      "lws.version",
    ]);
  });
});
