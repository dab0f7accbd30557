/**
 * What `plan` pretends providers return. Mocks echo a resource's inputs (what the engine shows
 * for a create); this table adds the few outputs the stacks read back from providers: auto-names,
 * GKE endpoint and CA, Helm release status, a Command's `stdout` used as a kubeconfig. Keep it
 * small and in this one place: the home-lab and GKE stacks extend it here, not in their code.
 * Pure: no Pulumi SDK import.
 */

import { createHash } from "node:crypto";
import { GRAFANA_PASSWORD_LENGTH } from "../components/monitoring/plan";
import { GENERATED_API_KEY_LENGTH } from "../components/vllm/args";

/** A kubeconfig `plan` hands out wherever a command would print one (never a real credential). */
export const FAKE_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: plan-cluster
    cluster:
      server: https://192.0.2.1:16443
      certificate-authority-data: cGxhbi1mYWtlLWNh
users:
  - name: plan-admin
    user:
      token: plan-fake-token-0000000000000000
contexts:
  - name: plan
    context: {cluster: plan-cluster, user: plan-admin}
current-context: plan
`;

/** Base64 of a fake PEM CA certificate, for GKE `masterAuth.clusterCaCertificate`. */
export const FAKE_CA_CERTIFICATE = Buffer.from(
  "-----BEGIN CERTIFICATE-----\nplan-fake-ca\n-----END CERTIFICATE-----\n",
).toString("base64");

/** The GKE control-plane address `plan` reports (TEST-NET-3, never routable). */
export const FAKE_GKE_ENDPOINT = "203.0.113.10";

/** The control plane's internal address `plan` reports (a PSC cluster's, in the node subnet). */
export const FAKE_GKE_PRIVATE_ENDPOINT = "10.128.0.2";

/** The project id used where a GCP resource or invoke names none. */
export const FAKE_GCP_PROJECT = "plan-project";

/**
 * The password `plan` hands out for a `random.RandomPassword` of `length` characters (the vLLM
 * API key, Grafana's admin password): letters and digits, as `special: false` asks.
 */
export function fakePassword(length: number): string {
  return "planFakePassword0".repeat(Math.ceil(length / 17)).slice(0, length);
}

/**
 * Every fabricated string that may stand in for a secret (a kubeconfig printed by a command,
 * a token). `plan` redacts them wherever they end up inside a secret value.
 */
export const FABRICATED_SECRETS: readonly string[] = [
  FAKE_KUBECONFIG,
  FAKE_CA_CERTIFICATE,
  // Every RandomPassword length this project asks for (API key 48, Grafana 24) and the default.
  ...[GENERATED_API_KEY_LENGTH, GRAFANA_PASSWORD_LENGTH, 16].map(fakePassword),
];

/**
 * The physical name a provider would give a resource that sets none: the logical name plus a
 * random suffix. Here the suffix is a hash of the name, so every plan run prints the same.
 */
export function autoName(name: string): string {
  return `${name}-${createHash("sha256").update(name).digest("hex").slice(0, 7)}`;
}

/**
 * What a command prints when it runs `create`: a kubeconfig for the usual config commands,
 * otherwise nothing is known (undefined, as plain mocks leave it), so programs that parse a
 * command's output can tell a mock run from an empty real output.
 */
export function commandStdout(script: unknown): string | undefined {
  if (typeof script !== "string") return undefined;
  return /microk8s (kubectl )?config\b|kubectl config view|\bkubeconfig\b|get-credentials/i.test(
    script,
  )
    ? FAKE_KUBECONFIG
    : undefined;
}

/** A Command's fabricated outputs: `stdout` only when {@link commandStdout} knows it. */
function commandOutputs(inputs: State): State {
  const stdout = commandStdout(inputs.create);
  return stdout === undefined ? {} : { stdout, stderr: "" };
}

type State = Record<string, unknown>;
type Fabricator = (name: string, inputs: State) => State;

function gcpName(name: string, inputs: State): string {
  return typeof inputs.name === "string" ? inputs.name : autoName(name);
}

function gcpProject(inputs: State): string {
  return typeof inputs.project === "string" ? inputs.project : FAKE_GCP_PROJECT;
}

/** Outputs by exact type token, merged over the echoed inputs. */
const BY_TYPE: Record<string, Fabricator> = {
  "command:remote:Command": (_n, inputs) => commandOutputs(inputs),
  "command:local:Command": (_n, inputs) => commandOutputs(inputs),
  // Generated keys and passwords (vLLM API key, Grafana admin): the SDK marks `result`
  // secret, so plan redacts it.
  "random:index/randomPassword:RandomPassword": (_name, inputs) => ({
    result: fakePassword(typeof inputs.length === "number" ? inputs.length : 16),
  }),
  "kubernetes:helm.sh/v3:Release": (name, inputs) => {
    const release = typeof inputs.name === "string" ? inputs.name : autoName(name);
    const namespace = typeof inputs.namespace === "string" ? inputs.namespace : "default";
    return {
      name: release,
      namespace,
      status: {
        name: release,
        namespace,
        chart: inputs.chart,
        version: inputs.version,
        revision: 1,
        status: "deployed",
      },
    };
  },
  "gcp:container/cluster:Cluster": (name, inputs) => {
    const cluster = gcpName(name, inputs);
    const location = typeof inputs.location === "string" ? inputs.location : "us-central1";
    return {
      name: cluster,
      project: gcpProject(inputs),
      location,
      endpoint: FAKE_GKE_ENDPOINT,
      privateClusterConfig: {
        ...(inputs.privateClusterConfig as State | undefined),
        privateEndpoint: FAKE_GKE_PRIVATE_ENDPOINT,
      },
      masterVersion: "1.33.5-gke.1000000",
      masterAuth: {
        ...(inputs.masterAuth as State | undefined),
        clusterCaCertificate: FAKE_CA_CERTIFICATE,
      },
      selfLink: `https://container.googleapis.com/v1/projects/${gcpProject(inputs)}/locations/${location}/clusters/${cluster}`,
    };
  },
  "gcp:container/nodePool:NodePool": (name, inputs) => ({
    name: gcpName(name, inputs),
    project: gcpProject(inputs),
    instanceGroupUrls: [],
    managedInstanceGroupUrls: [],
  }),
  "gcp:serviceaccount/account:Account": (name, inputs) => {
    const accountId =
      typeof inputs.accountId === "string" ? inputs.accountId : gcpName(name, inputs);
    return {
      accountId,
      project: gcpProject(inputs),
      email: `${accountId}@${gcpProject(inputs)}.iam.gserviceaccount.com`,
      member: `serviceAccount:${accountId}@${gcpProject(inputs)}.iam.gserviceaccount.com`,
    };
  },
  "gcp:compute/network:Network": (name, inputs) => ({
    name: gcpName(name, inputs),
    project: gcpProject(inputs),
    selfLink: `https://www.googleapis.com/compute/v1/projects/${gcpProject(inputs)}/global/networks/${gcpName(name, inputs)}`,
  }),
  "gcp:compute/subnetwork:Subnetwork": (name, inputs) => ({
    name: gcpName(name, inputs),
    project: gcpProject(inputs),
    gatewayAddress: "10.0.0.1",
    selfLink: `https://www.googleapis.com/compute/v1/projects/${gcpProject(inputs)}/regions/${inputs.region ?? "us-central1"}/subnetworks/${gcpName(name, inputs)}`,
  }),
};

/** Outputs by type prefix, for the many resources that only need a name read back. */
function byFamily(type: string, name: string, inputs: State): State {
  if (type.startsWith("gcp:")) return { name: gcpName(name, inputs), project: gcpProject(inputs) };
  if (type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm.sh/")) {
    const metadata = (inputs.metadata ?? {}) as State;
    if (typeof metadata.name === "string" || !("kind" in inputs)) return {};
    return { metadata: { ...metadata, name: autoName(name) } };
  }
  return {};
}

/**
 * The state a provider would return for a new resource: its inputs plus the fabricated
 * outputs the stacks read back. Only used by `plan`'s mocks.
 */
export function mockState(type: string, name: string, inputs: State): State {
  const fabricate = BY_TYPE[type];
  return { ...inputs, ...byFamily(type, name, inputs), ...(fabricate?.(name, inputs) ?? {}) };
}

/** Results of provider functions the stacks call, by token; anything else echoes its arguments. */
const INVOKES: Record<string, (inputs: State) => State> = {
  "gcp:organizations/getProject:getProject": (inputs) => ({
    projectId: inputs.projectId ?? FAKE_GCP_PROJECT,
    number: "123456789012",
    name: inputs.projectId ?? FAKE_GCP_PROJECT,
  }),
  "gcp:organizations/getClientConfig:getClientConfig": () => ({
    id: "plan",
    project: FAKE_GCP_PROJECT,
    region: "us-central1",
    zone: "us-central1-a",
    accessToken: "plan-fake-access-token",
  }),
  "gcp:container/getEngineVersions:getEngineVersions": () => ({
    latestMasterVersion: "1.33.5-gke.1000000",
    latestNodeVersion: "1.33.5-gke.1000000",
    defaultClusterVersion: "1.33.5-gke.1000000",
    validMasterVersions: ["1.33.5-gke.1000000"],
    validNodeVersions: ["1.33.5-gke.1000000"],
    releaseChannelDefaultVersion: {
      RAPID: "1.34.1-gke.1000000",
      REGULAR: "1.33.5-gke.1000000",
      STABLE: "1.32.9-gke.1000000",
    },
    releaseChannelLatestVersion: {
      RAPID: "1.34.1-gke.1000000",
      REGULAR: "1.33.5-gke.1000000",
      STABLE: "1.32.9-gke.1000000",
    },
  }),
  "gcp:compute/getZones:getZones": (inputs) => {
    const region = typeof inputs.region === "string" ? inputs.region : "us-central1";
    return { names: [`${region}-a`, `${region}-b`, `${region}-c`], project: FAKE_GCP_PROJECT };
  },
};

/** The result of a provider function call under `plan`'s mocks. */
export function mockCall(token: string, inputs: State): State {
  return INVOKES[token]?.(inputs) ?? inputs;
}
