/** The home lab deploys monitoring by default and wires the DCGM exporter into it. */
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordedResource, Recording } from "../../cli/recorder";
import { homelab } from "../../stacks/homelab";
import { outputIsSecret, outputValue } from "../support/outputs";
import { runStack } from "./stack-support";

let rec: Recording;
let outputs: ReturnType<typeof homelab>;
beforeAll(async () => {
  ({ rec, outputs } = await runStack("homelab", homelab));
});

const ofType = (type: string) => rec.resources.filter((r) => r.type === type);
const named = (type: string, name: string) =>
  ofType(type).find((r) => r.name === name) as RecordedResource;

describe("home lab with monitoring (the default)", () => {
  it("scrapes the vLLM group's leader on its http port", () => {
    const [pm] = ofType("kubernetes:monitoring.coreos.com/v1:PodMonitor");
    const spec = (pm.inputs as { spec: Record<string, any> }).spec;
    expect(spec.namespaceSelector).toEqual({ matchNames: ["llm"] });
    expect(spec.selector.matchLabels).toEqual({
      "leaderworkerset.sigs.k8s.io/name": "vllm",
      "leaderworkerset.sigs.k8s.io/worker-index": "0",
    });
    expect(spec.podMetricsEndpoints[0].port).toBe("http");
  });

  it("turns on the GPU Operator's DCGM ServiceMonitor and installs it after Prometheus' CRDs", () => {
    const release = named("kubernetes:helm.sh/v3:Release", "gpu-operator");
    expect((release.inputs as { values: Record<string, any> }).values.dcgmExporter).toEqual({
      serviceMonitor: { enabled: true, honorLabels: true },
    });
    const gpuOperator = named("llm-serving:index:GpuOperator", "gpu-operator");
    // Depending on a component waits for its children: the chart that installs the CRDs.
    const prometheus = named("kubernetes:helm.sh/v3:Release", "monitoring");
    expect(gpuOperator.dependencies).toContain(prometheus.urn);
  });

  it("outputs the Grafana port-forward line and a secret admin password", async () => {
    const o = outputs as Record<string, any>;
    expect(await outputValue(o.grafana)).toBe(
      "kubectl -n monitoring port-forward svc/monitoring-grafana 3000:80",
    );
    expect(await outputIsSecret(o.grafanaAdminPassword)).toBe(true);
  });
});
