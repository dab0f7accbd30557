import { stringify } from "yaml";

/** What a kubeconfig for a GKE cluster needs from the cluster. */
export interface GkeKubeconfigInput {
  /** Context/cluster/user name in the kubeconfig (the GKE cluster name). */
  name: string;
  /** The control plane endpoint (IP or host, without scheme), `Cluster.endpoint`. */
  endpoint: string;
  /** Base64 PEM of the cluster CA, `Cluster.masterAuth.clusterCaCertificate`. */
  caCertificate: string;
}

/**
 * A kubeconfig that authenticates through `gke-gcloud-auth-plugin` (the exec credential
 * plugin GKE requires since 1.26) instead of embedding a token: nothing secret is written,
 * the caller's gcloud identity is used at each call. Still exported as a secret, because it
 * names the endpoint and CA of a private control plane.
 */
export function gkeKubeconfig(input: GkeKubeconfigInput): string {
  const { name } = input;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: {
          server: `https://${input.endpoint}`,
          "certificate-authority-data": input.caCertificate,
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "gke-gcloud-auth-plugin",
            installHint:
              "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin (see https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin)",
            provideClusterInfo: true,
          },
        },
      },
    ],
  });
}
