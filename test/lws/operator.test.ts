import * as k8s from "@pulumi/kubernetes";
import { beforeAll, describe, expect, it } from "vitest";
import { type RecordedResource, type Recording, recordRegistrations } from "../../cli/recorder";
import { LeaderWorkerSetOperator } from "../../components/lws/operator";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";
import { expectValidManifest } from "../support/k8s-schema";
import { outputValue } from "../support/outputs";

let rec: Recording;
let lws: LeaderWorkerSetOperator;
let invalid: unknown;
let countBeforeInvalid = 0;

beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
  lws = new LeaderWorkerSetOperator("lws", { values: { replicaCount: 2 } });
  // How callers use it: the LWS object waits for the whole operator component.
  new k8s.apiextensions.CustomResource(
    "chat",
    {
      apiVersion: "leaderworkerset.x-k8s.io/v1",
      kind: "LeaderWorkerSet",
      metadata: { name: "chat", namespace: "default" },
      spec: { leaderWorkerTemplate: { size: 2, workerTemplate: { spec: { containers: [] } } } },
    },
    { dependsOn: [lws] },
  );
  await rec.settle();
  countBeforeInvalid = rec.resources.length;
  try {
    new LeaderWorkerSetOperator("bad", { version: "main" });
  } catch (e) {
    invalid = e;
  }
  await rec.settle();
});

const find = (type: string, name?: string) =>
  rec.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
const component = () =>
  find("llm-serving:index:LeaderWorkerSetOperator", "lws")[0] as RecordedResource;

describe("LeaderWorkerSetOperator under mocks", () => {
  it("creates its namespace and the Helm release as children", () => {
    const children = rec.resources.filter((r) => r.parent === component().urn);
    expect(children.map((r) => r.type).sort()).toEqual([
      "kubernetes:core/v1:Namespace",
      "kubernetes:helm.sh/v3:Release",
    ]);
    const ns = children.find((r) => r.type === "kubernetes:core/v1:Namespace") as RecordedResource;
    expect((ns.inputs.metadata as { name: string }).name).toBe("lws-system");
    expectValidManifest(ns.inputs);
  });

  it("installs the pinned OCI chart with the raw values", () => {
    const [release] = find("kubernetes:helm.sh/v3:Release", "lws");
    expect(release.inputs).toMatchObject({
      name: "lws",
      chart: "oci://registry.k8s.io/lws/charts/lws",
      version: versions.leaderWorkerSet.replace(/^v/, ""),
      namespace: "lws-system",
      values: { replicaCount: 2 },
    });
  });

  it("an LWS object with dependsOn: [operator] waits for the release", () => {
    const [obj] = find("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "chat");
    const [release] = find("kubernetes:helm.sh/v3:Release", "lws");
    expect(obj.dependencies).toContain(release.urn);
  });

  it("outputs namespace and version", async () => {
    expect(await outputValue(lws.namespace)).toBe("lws-system");
    expect(await outputValue(lws.version)).toBe(versions.leaderWorkerSet);
  });

  it("rejects a non-release version before registering anything", () => {
    expect(invalid).toBeInstanceOf(ConfigError);
    expect(rec.resources.slice(countBeforeInvalid)).toEqual([]);
  });
});
