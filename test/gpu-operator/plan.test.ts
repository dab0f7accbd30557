import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type HelmValues, mergeHelmValues } from "../../components/gpu-operator/merge";
import { GPU_OPERATOR_REPO, gpuOperatorPlan } from "../../components/gpu-operator/plan";
import {
  GPU_OPERATOR_PRESETS,
  gpuOperatorPresetValues,
} from "../../components/gpu-operator/presets";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import { expectValidManifest } from "../support/k8s-schema";
import { readUpstreamText } from "../support/upstream";

/**
 * The pinned chart's defaults: NVIDIA/gpu-operator `deployments/gpu-operator/values.yaml` at
 * `versions.gpuOperatorChart`, from shared/upstream (undefined, reported, without it).
 */
const chartDefaultsText = readUpstreamText(
  `gpu-operator-values-${versions.gpuOperatorChart}.yaml`,
  "checking the GPU Operator presets against the pinned chart's values.yaml",
);
const chartDefaults = (
  chartDefaultsText === undefined ? {} : parse(chartDefaultsText)
) as HelmValues;

/** Dotted paths of every map key in `values` (lists are leaves). */
function keyPaths(values: HelmValues, prefix = ""): string[] {
  return Object.entries(values).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? [path, ...keyPaths(v, path)]
      : [path];
  });
}

function has(values: HelmValues, path: string): boolean {
  let cur: unknown = values;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null || !(key in cur)) return false;
    cur = (cur as HelmValues)[key];
  }
  return true;
}

function problems(f: () => unknown): { path: string; message: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("presets", () => {
  it.skipIf(chartDefaultsText === undefined).each(GPU_OPERATOR_PRESETS)(
    "%s only sets keys the pinned chart knows",
    (preset) => {
      const plan = gpuOperatorPlan({ preset, dcgmExporter: true, serviceMonitor: true });
      const unknown = keyPaths(plan.release.values).filter((p) => !has(chartDefaults, p));
      expect(unknown).toEqual([]);
    },
  );

  it("microk8s: host drivers, MicroK8s' containerd files, the operator's CDI default kept", () => {
    const values = gpuOperatorPresetValues("microk8s");
    expect(values.driver).toEqual({ enabled: false });
    const env = Object.fromEntries(
      (values.toolkit.env as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    expect(env).toEqual({
      CONTAINERD_CONFIG: "/var/snap/microk8s/current/args/containerd-template.toml",
      CONTAINERD_SOCKET: "/var/snap/microk8s/common/run/containerd.sock",
      RUNTIME_CONFIG_SOURCE: "file=/var/snap/microk8s/current/args/containerd.toml",
    });
    // Removed from the chart; the RuntimeClass is operator.runtimeClass (chart default nvidia).
    expect(has(values, "operator.defaultRuntime")).toBe(false);
    if (chartDefaultsText !== undefined) expect(chartDefaults.operator.runtimeClass).toBe("nvidia");
    // The operator sets CONTAINERD_RUNTIME_CLASS itself from operator.runtimeClass.
    expect(Object.keys(env)).not.toContain("CONTAINERD_RUNTIME_CLASS");
  });

  it("gke: driver off, NVIDIA files under /home/kubernetes/bin/nvidia, CDI on", () => {
    const values = gpuOperatorPresetValues("gke");
    expect(values.driver.enabled).toBe(false);
    expect(values.hostPaths.driverInstallDir).toBe("/home/kubernetes/bin/nvidia");
    expect(values.toolkit.installDir).toBe("/home/kubernetes/bin/nvidia");
    // cdi.default left the chart in v26.3.0 (cdi.enabled makes CDI the default).
    expect(values.cdi).toEqual({ enabled: true });
  });

  it("generic is the chart defaults", () => {
    expect(gpuOperatorPresetValues("generic")).toEqual({});
  });

  it("renders the same documents as before (snapshot)", () => {
    const all = Object.fromEntries(
      GPU_OPERATOR_PRESETS.map((p) => [p, gpuOperatorPlan({ preset: p }).release.values]),
    );
    expect(all).toMatchSnapshot();
  });

  it("returns fresh objects: mutating one result does not leak into the next", () => {
    gpuOperatorPresetValues("microk8s").toolkit.env.push({ name: "X", value: "1" });
    expect(gpuOperatorPresetValues("microk8s").toolkit.env).toHaveLength(3);
  });
});

describe("gpuOperatorPlan", () => {
  it("defaults: generic preset, pinned chart from NGC, privileged namespace gpu-operator", () => {
    const plan = gpuOperatorPlan({});
    expect(plan.release).toMatchObject({
      name: "gpu-operator",
      chart: "gpu-operator",
      repositoryOpts: { repo: GPU_OPERATOR_REPO },
      version: versions.gpuOperatorChart,
      namespace: "gpu-operator",
      values: {},
    });
    expect(plan.namespace.metadata?.labels).toEqual({
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/warn": "privileged",
    });
    expect(plan.resourceQuotas).toEqual([]);
    expectValidManifest(plan.namespace);
  });

  it("gke adds the system-node-critical ResourceQuota in the operator namespace", () => {
    const plan = gpuOperatorPlan({ preset: "gke", namespace: "nvidia" });
    expect(plan.resourceQuotas).toHaveLength(1);
    const [quota] = plan.resourceQuotas;
    expect(quota.metadata?.namespace).toBe("nvidia");
    expect(quota.spec?.scopeSelector?.matchExpressions?.[0].values).toEqual([
      "system-node-critical",
      "system-cluster-critical",
    ]);
    for (const m of [plan.namespace, quota]) expectValidManifest(m);
  });

  it("layers preset < toggles < raw values", () => {
    const plan = gpuOperatorPlan({
      preset: "microk8s",
      driverEnabled: true,
      dcgmExporter: true,
      serviceMonitor: true,
      values: {
        dcgmExporter: { serviceMonitor: { interval: "30s" } },
        toolkit: { version: "v1.18.2" },
        driver: { enabled: false },
      },
    });
    const v = plan.release.values;
    expect(v.driver).toEqual({ enabled: false });
    expect(v.dcgmExporter).toEqual({
      enabled: true,
      serviceMonitor: { enabled: true, interval: "30s" },
    });
    expect(v.toolkit.version).toBe("v1.18.2");
    expect(v.toolkit.env).toHaveLength(3);
  });

  it("driverEnabled overrides the preset", () => {
    expect(gpuOperatorPlan({ preset: "gke", driverEnabled: true }).release.values.driver).toEqual({
      enabled: true,
    });
  });

  it("rejects bad input, every problem by path", () => {
    const found = problems(() =>
      gpuOperatorPlan(
        {
          preset: "eks" as never,
          version: "v25.3.4",
          namespace: "GPU_Operator",
          dcgmExporter: false,
          serviceMonitor: true,
        },
        "gpuOperator",
      ),
    );
    expect(found.map((p) => p.path).sort()).toEqual([
      "gpuOperator.namespace",
      "gpuOperator.preset",
      "gpuOperator.serviceMonitor",
      "gpuOperator.version",
    ]);
    expect(found.find((p) => p.path === "gpuOperator.version")?.message).toMatch(/GB10/);
    expect(found.find((p) => p.path === "gpuOperator.preset")?.message).toMatch(
      /microk8s, gke, generic/,
    );
  });

  it("rejects versions without the v NVIDIA's tags carry, and unknown keys", () => {
    expect(problems(() => gpuOperatorPlan({ version: "25.10.1" })).map((p) => p.path)).toEqual([
      "version",
    ]);
    expect(
      problems(() => gpuOperatorPlan({ presets: "gke" } as never)).map((p) => p.message),
    ).toEqual([expect.stringMatching(/presets/)]);
  });

  it("accepts every version from v25.10.0 up", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 25, max: 40 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 9 }),
        (major, minor, patch) => {
          const version = `v${major}.${minor}.${patch}`;
          const newEnough = major > 25 || minor >= 10;
          let ok = true;
          try {
            gpuOperatorPlan({ version });
          } catch {
            ok = false;
          }
          return ok === newEnough;
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("mergeHelmValues", () => {
  const json = fc.jsonValue() as fc.Arbitrary<unknown>;
  const tree = fc.dictionary(fc.string({ maxLength: 4 }), json) as fc.Arbitrary<HelmValues>;

  it("keeps a key named __proto__ as data (found by the property below)", () => {
    const a = JSON.parse('{"": {"__proto__": null}, "__proto__": {"x": 1}}') as HelmValues;
    const merged = mergeHelmValues(a, JSON.parse('{"__proto__": {"y": 2}}'));
    expect(JSON.stringify(merged)).toBe('{"":{"__proto__":null},"__proto__":{"x":1,"y":2}}');
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });

  it("merging with nothing is a deep copy", () => {
    fc.assert(
      fc.property(tree, (a) => {
        const merged = mergeHelmValues(a, undefined, {});
        return JSON.stringify(merged) === JSON.stringify(JSON.parse(JSON.stringify(a)));
      }),
      { numRuns: 100 },
    );
  });

  it("the last layer wins on every key it sets", () => {
    fc.assert(
      fc.property(tree, tree, (a, b) => {
        const merged = mergeHelmValues(a, b);
        return Object.entries(b).every(([k, v]) =>
          typeof v === "object" && v !== null && !Array.isArray(v)
            ? typeof merged[k] === "object"
            : JSON.stringify(merged[k]) === JSON.stringify(v),
        );
      }),
      { numRuns: 100 },
    );
  });

  it("lists replace, maps merge, inputs are untouched", () => {
    const a = { x: { list: [1, 2], keep: 1 } };
    const b = { x: { list: [3] } };
    expect(mergeHelmValues(a, b)).toEqual({ x: { list: [3], keep: 1 } });
    expect(a).toEqual({ x: { list: [1, 2], keep: 1 } });
  });
});
