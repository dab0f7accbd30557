/** `monitoring: false` leaves the monitoring stack and the DCGM ServiceMonitor out. */
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordedResource, Recording } from "../../cli/recorder";
import { homelab } from "../../stacks/homelab";
import { runStack } from "./stack-support";

let rec: Recording;
let outputs: ReturnType<typeof homelab>;
beforeAll(async () => {
  ({ rec, outputs } = await runStack("homelab", homelab, { "llm-serving:monitoring": "false" }));
});

describe("home lab with monitoring: false", () => {
  it("creates no monitoring objects and no ServiceMonitor values", () => {
    expect(rec.resources.filter((r) => /Monitoring|monitoring\.coreos/.test(r.type))).toEqual([]);
    const release = rec.resources.find(
      (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === "gpu-operator",
    );
    expect(
      ((release as RecordedResource).inputs as { values: Record<string, unknown> }).values
        .dcgmExporter,
    ).toBe(undefined);
    expect(Object.keys(outputs)).not.toContain("grafana");
  });
});
