import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { H200_ACCELERATOR } from "./cluster-args";

/** Name of GKE's gIB installer DaemonSet (as published, so `kubectl` guides match). */
export const GIB_INSTALLER_NAME = "nccl-rdma-installer";
/** Host directory the installer fills with the gIB NCCL plugin and `scripts/set_nccl_env.sh`. */
export const GIB_INSTALL_HOST_PATH = "/home/kubernetes/bin/gib";
/** Host directory of the GKE-installed NVIDIA libraries, which also receive gIB's libraries. */
export const NVIDIA_LIB_HOST_PATH = "/home/kubernetes/bin/nvidia/lib64";
/** Pause image of GKE's published manifest, pinned by digest there. */
export const GKE_PAUSE_IMAGE =
  "gke.gcr.io/pause:3.8@sha256:880e63f94b145e46f1b1082bb71b85e21f16b99b180b9996407d61240ceb9830";

/** Inputs of {@link gibInstallerDaemonSet}. */
export interface GibInstallerOptions {
  /** Installer image (`versions.gibInstallerImage` unless overridden). */
  image: string;
  /** GPU type the installer runs for. Defaults to the A3 Ultra H200. */
  accelerator?: string;
}

/**
 * GKE's gIB (NCCL RDMA plugin) installer as a DaemonSet in kube-system, following the
 * manifest GKE publishes (container-engine-accelerators `gpudirect-rdma/nccl-rdma-installer.yaml`):
 * an init container copies the plugin and NCCL to the host, then a pause container keeps the
 * pod alive. It targets GPU nodes by the `cloud.google.com/gke-accelerator` label and
 * tolerates every taint (GKE taints GPU nodes `nvidia.com/gpu`). Workloads mount
 * {@link GIB_INSTALL_HOST_PATH} and source `set_nccl_env.sh` from it.
 */
export function gibInstallerDaemonSet(options: GibInstallerOptions): IDaemonSet {
  const labels = { "k8s-app": GIB_INSTALLER_NAME };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: GIB_INSTALLER_NAME, namespace: "kube-system", labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: "RollingUpdate" },
      template: {
        metadata: { labels: { ...labels, name: GIB_INSTALLER_NAME } },
        spec: {
          priorityClassName: "system-node-critical",
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      {
                        key: "cloud.google.com/gke-accelerator",
                        operator: "In",
                        values: [options.accelerator ?? H200_ACCELERATOR],
                      },
                    ],
                  },
                ],
              },
            },
          },
          tolerations: [{ operator: "Exists" }],
          hostNetwork: true,
          hostPID: true,
          volumes: [
            {
              name: "library-dir-host",
              hostPath: { path: NVIDIA_LIB_HOST_PATH, type: "DirectoryOrCreate" },
            },
            { name: "gib", hostPath: { path: GIB_INSTALL_HOST_PATH } },
          ],
          initContainers: [
            {
              name: GIB_INSTALLER_NAME,
              image: options.image,
              resources: { requests: { cpu: "150m" } },
              securityContext: { privileged: true },
              volumeMounts: [
                { name: "library-dir-host", mountPath: `/usr/local${NVIDIA_LIB_HOST_PATH}` },
                { name: "gib", mountPath: `/usr/local${GIB_INSTALL_HOST_PATH}` },
              ],
              command: ["/bin/sh", "-c"],
              args: [
                [
                  "set -ex",
                  // No --install-nccl, as Google's manifest since May 2026: NCCL itself comes
                  // from the serving image (one image per group, so one NCCL in every pod);
                  // the host only gets the gIB network plugin.
                  "/scripts/container_entry.sh install",
                  `cp -r /var/lib/gib/lib64/. /usr/local${NVIDIA_LIB_HOST_PATH}`,
                  `cp -r /var/lib/gib/. /usr/local${GIB_INSTALL_HOST_PATH}`,
                  'echo "installation finishes"',
                ].join("\n"),
              ],
            },
          ],
          containers: [{ name: "pause", image: GKE_PAUSE_IMAGE }],
        },
      },
    },
  };
}
