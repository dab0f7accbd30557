import { describe, expect, it } from "vitest";
import { containerGpus, podMayCarryLabel, podTemplates } from "../../../policy/rules/podspecs";
import type { K8sObject } from "../../../policy/rules/types";

/** One pod template as podTemplates reports it. */
type Template = ReturnType<typeof podTemplates>[number];

const spec = (name: string) => ({ containers: [{ name, image: "busybox:1.37" }] });
const template = (name: string, labels: Record<string, string> = {}) => ({
  metadata: { labels },
  spec: spec(name),
});

describe("podTemplates", () => {
  it("reads a Pod's own spec with its metadata", () => {
    const [t] = podTemplates({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "ns", labels: { a: "b" }, annotations: { x: "y" } },
      spec: spec("c"),
    });
    expect(t).toMatchObject({
      kind: "Pod",
      name: "p",
      namespace: "ns",
      path: "spec",
      role: "single",
      groupSize: 1,
      replicas: 1,
      labels: { a: "b" },
      annotations: { x: "y" },
    });
    expect(t?.spec.containers?.[0]?.name).toBe("c");
  });

  it.each([
    ["apps/v1", "Deployment", "spec.template", 3],
    ["apps/v1", "StatefulSet", "spec.template", 3],
    ["apps/v1", "ReplicaSet", "spec.template", 3],
    ["apps/v1", "DaemonSet", "spec.template", 1],
  ])("reads %s %s at %s", (apiVersion, kind, path, replicas) => {
    const templates = podTemplates({
      apiVersion,
      kind,
      metadata: { name: "w" },
      spec: {
        replicas: kind === "DaemonSet" ? undefined : 3,
        template: template("c", { app: "w" }),
      },
    });
    expect(templates).toHaveLength(1);
    expect(templates[0]).toMatchObject({
      kind,
      path,
      role: "single",
      replicas,
      labels: { app: "w" },
    });
  });

  it("reads a Job's template with its parallelism and a CronJob's job template", () => {
    const [job] = podTemplates({
      apiVersion: "batch/v1",
      kind: "Job",
      spec: { parallelism: 4, template: template("j") },
    });
    expect(job).toMatchObject({ path: "spec.template", replicas: 4 });
    const [cron] = podTemplates({
      apiVersion: "batch/v1",
      kind: "CronJob",
      spec: { schedule: "@daily", jobTemplate: { spec: { template: template("cj") } } },
    });
    expect(cron?.path).toBe("spec.jobTemplate.spec.template");
    expect(cron?.spec.containers?.[0]?.name).toBe("cj");
  });

  const lws = (leader: boolean, size: number): K8sObject => ({
    apiVersion: "leaderworkerset.x-k8s.io/v1",
    kind: "LeaderWorkerSet",
    metadata: { name: "vllm", namespace: "inference" },
    spec: {
      replicas: 2,
      leaderWorkerTemplate: {
        size,
        ...(leader ? { leaderTemplate: template("leader", { role: "leader" }) } : {}),
        workerTemplate: template("worker", { role: "worker" }),
      },
    },
  });

  it("reads both LWS templates with group size, replicas and the LWS name label", () => {
    const [leader, worker] = podTemplates(lws(true, 4));
    expect(leader).toMatchObject({
      role: "leader",
      path: "spec.leaderWorkerTemplate.leaderTemplate",
      groupSize: 4,
      replicas: 2,
      podsPerGroup: 1,
      includesLeader: true,
      namespace: "inference",
      labels: { role: "leader", "leaderworkerset.sigs.k8s.io/name": "vllm" },
    });
    expect(worker).toMatchObject({
      role: "worker",
      path: "spec.leaderWorkerTemplate.workerTemplate",
      groupSize: 4,
      podsPerGroup: 3,
      includesLeader: false,
      labels: { role: "worker", "leaderworkerset.sigs.k8s.io/name": "vllm" },
    });
  });

  it("lets the worker template serve as leader when leaderTemplate is absent", () => {
    const templates = podTemplates(lws(false, 3));
    expect(templates).toHaveLength(1);
    expect(templates[0]).toMatchObject({ role: "worker", podsPerGroup: 3, includesLeader: true });
    expect(
      podMayCarryLabel(templates[0] as Template, "leaderworkerset.sigs.k8s.io/worker-index", "0"),
    ).toBe(true);
  });

  it("has no worker pods in an LWS group of one with a leader template", () => {
    expect(podTemplates(lws(true, 1)).map((t) => t.role)).toEqual(["leader"]);
  });

  it("ignores objects of other kinds or groups, and tolerates malformed input", () => {
    expect(podTemplates({ apiVersion: "v1", kind: "Service", spec: {} })).toEqual([]);
    expect(
      podTemplates({ apiVersion: "example.com/v1", kind: "LeaderWorkerSet", spec: {} }),
    ).toEqual([]);
    expect(
      podTemplates({ apiVersion: "apps/v1", kind: "Deployment", spec: { template: 5 } }),
    ).toEqual([]);
    expect(podTemplates({ kind: "Deployment" })).toEqual([]);
  });
});

describe("labels the controllers add", () => {
  it("knows LWS worker indexes per template and hashes as any value", () => {
    const templates = podTemplates({
      apiVersion: "leaderworkerset.x-k8s.io/v1",
      kind: "LeaderWorkerSet",
      metadata: { name: "g" },
      spec: {
        leaderWorkerTemplate: {
          size: 3,
          leaderTemplate: template("l"),
          workerTemplate: template("w"),
        },
      },
    });
    const [leader, worker] = [templates[0], templates[1]] as [Template, Template];
    const index = "leaderworkerset.sigs.k8s.io/worker-index";
    expect(podMayCarryLabel(leader, index, "0")).toBe(true);
    expect(podMayCarryLabel(leader, index, "1")).toBe(false);
    expect(podMayCarryLabel(worker, index, "2")).toBe(true);
    expect(podMayCarryLabel(worker, index, "0")).toBe(false);
    expect(podMayCarryLabel(worker, "leaderworkerset.sigs.k8s.io/group-index", "7")).toBe(true);
    expect(podMayCarryLabel(worker, "leaderworkerset.sigs.k8s.io/name", "other")).toBe(false);
  });
});

describe("containerGpus", () => {
  it("takes the limit, else the request, as numbers or strings", () => {
    expect(containerGpus({ resources: { limits: { "nvidia.com/gpu": "8" } } })).toBe(8);
    expect(containerGpus({ resources: { requests: { "nvidia.com/gpu": 2 } } })).toBe(2);
    expect(containerGpus({ resources: { limits: { cpu: "4" } } })).toBe(0);
    expect(containerGpus({})).toBe(0);
  });
});
