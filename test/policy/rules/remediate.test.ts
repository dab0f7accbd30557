import { describe, expect, it } from "vitest";
import { withDefaults } from "../../../policy/rules/config";
import { shmMemoryBacked } from "../../../policy/rules/shm-memory-backed";
import type { K8sObject } from "../../../policy/rules/types";
import { validateManifest } from "../../support/k8s-schema";
import { loadAllFixtures } from "./fixtures";

const fixtures = loadAllFixtures().get(shmMemoryBacked.id) ?? [];
const config = withDefaults(shmMemoryBacked);

describe("shm-memory-backed remediation", () => {
  for (const fixture of fixtures.filter((f) => f.outcome === "fail")) {
    it(`fixes ${fixture.name} so the rule passes, without touching the input`, () => {
      for (const doc of fixture.documents as K8sObject[]) {
        const before = structuredClone(doc);
        const fixed = shmMemoryBacked.remediate?.(doc, config);
        expect(doc).toEqual(before);
        if (shmMemoryBacked.validate(doc, config).length === 0) {
          expect(fixed).toBeUndefined();
          continue;
        }
        expect(fixed).toBeDefined();
        expect(shmMemoryBacked.validate(fixed as K8sObject, config)).toEqual([]);
        expect(validateManifest(fixed)).toEqual([]);
      }
    });
  }

  it("returns undefined for objects that already pass", () => {
    for (const fixture of fixtures.filter((f) => f.outcome === "pass")) {
      for (const doc of fixture.documents as K8sObject[]) {
        expect(shmMemoryBacked.remediate?.(doc, config)).toBeUndefined();
      }
    }
  });

  it("adds a uniquely named volume with the configured sizeLimit and mounts it", () => {
    const deployment: K8sObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d" },
      spec: {
        selector: { matchLabels: { app: "d" } },
        template: {
          metadata: { labels: { app: "d" } },
          spec: {
            containers: [
              {
                name: "vllm",
                image: "vllm/vllm-openai:v0.11.0",
                args: ["m", "-tp", "2"],
                resources: { limits: { "nvidia.com/gpu": 2 } },
                volumeMounts: [{ name: "dshm", mountPath: "/data" }],
              },
            ],
            volumes: [{ name: "dshm", persistentVolumeClaim: { claimName: "data" } }],
          },
        },
      },
    };
    const fixed = shmMemoryBacked.remediate?.(
      deployment,
      withDefaults(shmMemoryBacked, { remediationSizeLimit: "4Gi" }),
    ) as K8sObject;
    const spec = (fixed.spec as { template: { spec: Record<string, unknown[]> } }).template.spec;
    expect(spec.volumes).toContainEqual({
      name: "dshm-2",
      emptyDir: { medium: "Memory", sizeLimit: "4Gi" },
    });
    expect((spec.containers[0] as { volumeMounts: unknown[] }).volumeMounts).toEqual([
      { name: "dshm", mountPath: "/data" },
      { name: "dshm-2", mountPath: "/dev/shm" },
    ]);
  });
});
