import * as command from "@pulumi/command";
import { Cluster } from "@pulumi/gcp/container/cluster";
import { getProject } from "@pulumi/gcp/organizations/getProject";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import {
  autoName,
  commandStdout,
  FAKE_CA_CERTIFICATE,
  FAKE_GKE_ENDPOINT,
  FAKE_KUBECONFIG,
  mockCall,
  mockState,
} from "../../cli/plan-mocks";
import { type Recording, recordRegistrations } from "../../cli/recorder";

/** Resolves an output to its value and whether it is secret. */
async function resolve<T>(o: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const internal = o as unknown as { promise(): Promise<T>; isSecret: Promise<boolean> };
  return { value: await internal.promise(), secret: (await internal.isSecret) === true };
}

describe("mockState (pure)", () => {
  it("echoes inputs and adds only the table's outputs", () => {
    expect(mockState("random:index:Thing", "x", { a: 1 })).toEqual({ a: 1 });
    expect(mockState("command:remote:Command", "c", { create: "microk8s config" })).toMatchObject({
      create: "microk8s config",
      stdout: FAKE_KUBECONFIG,
      stderr: "",
    });
  });

  it("auto-names Kubernetes objects without a name, keeps explicit names", () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { labels: { a: "b" } } };
    expect(mockState("kubernetes:core/v1:ConfigMap", "cm", cm).metadata).toEqual({
      labels: { a: "b" },
      name: autoName("cm"),
    });
    const named = { ...cm, metadata: { name: "fixed" } };
    expect(mockState("kubernetes:core/v1:ConfigMap", "cm", named).metadata).toEqual({
      name: "fixed",
    });
    expect(autoName("cm")).toMatch(/^cm-[0-9a-f]{7}$/);
  });

  it("prints a kubeconfig only for the commands that print one", () => {
    expect(commandStdout("sudo microk8s config")).toBe(FAKE_KUBECONFIG);
    expect(commandStdout("gcloud container clusters get-credentials c")).toBe(FAKE_KUBECONFIG);
    expect(commandStdout("snap install microk8s")).toBeUndefined();
    expect(commandStdout(undefined)).toBeUndefined();
    expect(mockState("command:remote:Command", "c", { create: "hostname" })).toEqual({
      create: "hostname",
    });
  });

  it("answers the GCP invokes the stacks use, echoes the rest", () => {
    expect(mockCall("gcp:organizations/getProject:getProject", {})).toMatchObject({
      number: "123456789012",
    });
    expect(mockCall("gcp:compute/getZones:getZones", { region: "europe-west4" }).names).toEqual([
      "europe-west4-a",
      "europe-west4-b",
      "europe-west4-c",
    ]);
    expect(mockCall("x:y:z", { q: 1 })).toEqual({ q: 1 });
  });
});

describe("under the recorder", () => {
  let rec: Recording;
  let cmd: command.remote.Command;
  let cluster: Cluster;
  let cm: k8s.core.v1.ConfigMap;
  let release: k8s.helm.v3.Release;
  beforeAll(async () => {
    rec = await recordRegistrations({ project: "p", stack: "s", state: mockState, call: mockCall });
    cmd = new command.remote.Command(
      "kc",
      { connection: { host: "h" }, create: "microk8s config" },
      { additionalSecretOutputs: ["stdout"] },
    );
    cluster = new Cluster("gke", { location: "us-central1", project: "proj" });
    cm = new k8s.core.v1.ConfigMap("cm", { data: { a: "b" } });
    release = new k8s.helm.v3.Release("lws", { chart: "lws", namespace: "lws-system" });
    await rec.settle();
  });

  it("marks additionalSecretOutputs secret, as the engine does", async () => {
    expect(await resolve(cmd.stdout)).toEqual({ value: FAKE_KUBECONFIG, secret: true });
    expect(await resolve(cmd.stderr)).toEqual({ value: "", secret: false });
    expect(rec.resources.find((r) => r.name === "kc")?.additionalSecretOutputs).toContain("stdout");
  });

  it("gives a GKE cluster an endpoint and a CA certificate", async () => {
    expect((await resolve(cluster.endpoint)).value).toBe(FAKE_GKE_ENDPOINT);
    expect((await resolve(cluster.masterAuth)).value.clusterCaCertificate).toBe(
      FAKE_CA_CERTIFICATE,
    );
    expect((await resolve(cluster.name)).value).toBe(autoName("gke"));
  });

  it("reads back auto-names and Helm release status", async () => {
    expect((await resolve(cm.metadata)).value.name).toBe(autoName("cm"));
    expect((await resolve(release.status)).value).toMatchObject({
      namespace: "lws-system",
      status: "deployed",
    });
  });

  it("routes invokes through the table", async () => {
    const project = await getProject({});
    expect(project.number).toBe("123456789012");
  });
});
