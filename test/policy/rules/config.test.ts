import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ruleById, rules } from "../../../policy/rules";
import { withDefaults } from "../../../policy/rules/config";
import { ncclDebugLevel } from "../../../policy/rules/nccl-debug-level";
import { secretEnvFromSecret } from "../../../policy/rules/secret-env-from-secret";
import type { K8sObject } from "../../../policy/rules/types";

const RULES_DIR = join(__dirname, "..", "..", "..", "policy", "rules");

const pod = (env: { name: string; value: string }[]): K8sObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p" },
  spec: { containers: [{ name: "c", image: "busybox:1.37", env }] },
});

describe("rule metadata", () => {
  it("lists the rules in a stable order with unique ids", () => {
    expect(rules.map((r) => r.id)).toEqual([
      "shm-memory-backed",
      "rdma-ipc-lock",
      "nccl-socket-ifname",
      "nccl-group-consistent",
      "nccl-debug-level",
      "vllm-parallelism-matches-gpus",
      "vllm-multinode-launcher",
      "vllm-fits-memory",
      "gpu-requests-equal-limits",
      "gpu-rollout-no-surge",
      "image-tag-pinned",
      "secret-env-from-secret",
      "vllm-api-auth",
      "host-driver-mount-readonly",
      "serving-probes",
      "service-selects-pods",
      "autoscaler-targets-workload",
      "lws-controller-installed",
    ]);
    for (const r of rules) expect(ruleById.get(r.id)).toBe(r);
  });

  it("gives every rule a description, level, remediation and defaults for every config key", () => {
    for (const r of rules) {
      expect(r.description.length, r.id).toBeGreaterThan(40);
      expect(r.remediationSteps.length, r.id).toBeGreaterThan(40);
      expect(["advisory", "mandatory"]).toContain(r.enforcementLevel);
      for (const [key, p] of Object.entries(r.configSchema)) {
        expect(p.default, `${r.id}.${key}`).not.toBeUndefined();
        expect(p.description, `${r.id}.${key}`).toBeTruthy();
      }
    }
  });

  it("keeps the issue's default levels and the stack rules' scopes", () => {
    const levels = Object.fromEntries(rules.map((r) => [r.id, r.enforcementLevel]));
    expect(levels["nccl-debug-level"]).toBe("advisory");
    expect(levels["gpu-requests-equal-limits"]).toBe("advisory");
    expect(levels["image-tag-pinned"]).toBe("advisory");
    expect(levels["serving-probes"]).toBe("advisory");
    expect(levels["shm-memory-backed"]).toBe("mandatory");
    const lws = ruleById.get("lws-controller-installed");
    const svc = ruleById.get("service-selects-pods");
    expect(lws?.scope === "stack" && lws.stacksOnly).toBe(true);
    expect(svc?.scope === "stack" && !svc.stacksOnly).toBe(true);
  });

  it("runs the stacks-only rule in stacks only (check cannot know the cluster)", () => {
    const lws = ruleById.get("lws-controller-installed");
    if (lws?.scope !== "stack") throw new Error("lws-controller-installed is a stack rule");
    const entry = {
      id: "a.yaml#0",
      dependencies: [],
      object: {
        apiVersion: "leaderworkerset.x-k8s.io/v1",
        kind: "LeaderWorkerSet",
        metadata: { name: "g" },
      },
    };
    expect(lws.validate([entry], withDefaults(lws), "manifests")).toEqual([]);
    expect(lws.validate([entry], withDefaults(lws), "stack")).toHaveLength(1);
  });

  it("imports no Pulumi package anywhere in the rules", () => {
    for (const file of readdirSync(RULES_DIR).filter((f) => f.endsWith(".ts"))) {
      expect(readFileSync(join(RULES_DIR, file), "utf8"), file).not.toMatch(/from\s+"@pulumi\//);
    }
  });
});

describe("withDefaults", () => {
  it("applies every default when no config is given", () => {
    expect(withDefaults(ncclDebugLevel)).toEqual({ allowedLevels: ["VERSION", "WARN", "INFO"] });
    expect(withDefaults(secretEnvFromSecret, undefined)).toEqual({
      names: [
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "NGC_API_KEY",
        "VLLM_API_KEY",
        "SGLANG_API_KEY",
      ],
      additionalNames: [],
    });
  });

  it("overrides given keys, keeps defaults for undefined ones and passes unknown keys through", () => {
    expect(
      withDefaults(ncclDebugLevel, { allowedLevels: ["WARN"], enforcementLevel: "mandatory" }),
    ).toEqual({ allowedLevels: ["WARN"], enforcementLevel: "mandatory" });
    expect(withDefaults(ncclDebugLevel, { allowedLevels: undefined }).allowedLevels).toEqual([
      "VERSION",
      "WARN",
      "INFO",
    ]);
  });

  it("hands out copies, so a caller mutating its config cannot change the defaults", () => {
    (withDefaults(ncclDebugLevel).allowedLevels as string[]).push("TRACE");
    expect(withDefaults(ncclDebugLevel).allowedLevels).toEqual(["VERSION", "WARN", "INFO"]);
  });

  it("changes what the rules report", () => {
    const trace = pod([{ name: "NCCL_DEBUG", value: "TRACE" }]);
    expect(ncclDebugLevel.validate(trace, withDefaults(ncclDebugLevel))).toHaveLength(1);
    expect(
      ncclDebugLevel.validate(trace, withDefaults(ncclDebugLevel, { allowedLevels: ["trace"] })),
    ).toEqual([]);
    const wandb = pod([{ name: "WANDB_API_KEY", value: "k" }]);
    expect(secretEnvFromSecret.validate(wandb, withDefaults(secretEnvFromSecret))).toEqual([]);
    expect(
      secretEnvFromSecret.validate(
        wandb,
        withDefaults(secretEnvFromSecret, { additionalNames: ["WANDB_API_KEY"] }),
      ),
    ).toHaveLength(1);
  });

  it("matches policy/config.example.json, which shows every rule and every option", () => {
    const example = JSON.parse(
      readFileSync(join(RULES_DIR, "..", "config.example.json"), "utf8"),
    ) as Record<string, Record<string, unknown>>;
    expect(Object.keys(example).sort()).toEqual(rules.map((r) => r.id).sort());
    for (const r of rules) {
      const { enforcementLevel, ...props } = example[r.id] as Record<string, unknown>;
      expect(enforcementLevel, r.id).toBe(r.enforcementLevel);
      expect(Object.keys(props).sort(), r.id).toEqual(Object.keys(r.configSchema).sort());
    }
  });
});
