import type { HelmValues } from "./merge";

/**
 * The platforms the GPU Operator has a values preset for (an enum in the package schema, so
 * other languages get a typed value).
 */
export const GpuOperatorPreset = {
  /** Host drivers, MicroK8s' containerd paths, `nvidia` as default runtime. */
  Microk8s: "microk8s",
  /** Google's driver installer, NVIDIA's documented GKE values, CDI. */
  Gke: "gke",
  /** The chart's defaults: the operator installs the driver. */
  Generic: "generic",
} as const;
/** One of {@link GpuOperatorPreset}'s values. */
export type GpuOperatorPreset = (typeof GpuOperatorPreset)[keyof typeof GpuOperatorPreset];

/** The presets as a list, in declaration order (for zod and the docs). */
export const GPU_OPERATOR_PRESETS = Object.values(GpuOperatorPreset) as [
  GpuOperatorPreset,
  ...GpuOperatorPreset[],
];

/** Where MicroK8s keeps containerd's files (the snap's `$SNAP_DATA` and `$SNAP_COMMON`). */
const MICROK8S = {
  /** The file MicroK8s renders `containerd.toml` from: edits elsewhere are overwritten. */
  containerdTemplate: "/var/snap/microk8s/current/args/containerd-template.toml",
  /** The rendered config containerd actually runs with. */
  containerdConfig: "/var/snap/microk8s/current/args/containerd.toml",
  containerdSocket: "/var/snap/microk8s/common/run/containerd.sock",
} as const;

/** GKE node images keep NVIDIA files here: `/home` is writable and survives reboots. */
export const GKE_NVIDIA_DIR = "/home/kubernetes/bin/nvidia";

/**
 * MicroK8s with drivers installed on the host (DGX OS / Ubuntu with the NVIDIA driver):
 * the operator must not install a driver, and its container toolkit must edit MicroK8s'
 * containerd, whose files live in the snap, not under /etc/containerd.
 * - `CONTAINERD_CONFIG` points at the template (MicroK8s regenerates containerd.toml from it).
 * - `RUNTIME_CONFIG_SOURCE=file=…containerd.toml` makes the toolkit read the running config
 *   from the rendered file instead of `containerd config dump`: on hosts that also run
 *   Docker (DGX OS ships it) that command reads Docker's containerd, not the snap's, and
 *   the toolkit writes a broken template (NVIDIA/gpu-operator#1367).
 * The toolkit (v1.18.1 in chart v25.10.1; v1.20.0 in v26.7.0) is the one owner of the
 * containerd `nvidia` runtime: it writes `nvidia`, `nvidia-cdi` and `nvidia-legacy` to the
 * drop-in `/etc/containerd/conf.d/99-nvidia.toml`, adds an `imports` line for that directory
 * to the template, and removes both on uninstall (NVIDIA/nvidia-container-toolkit
 * `cmd/nvidia-ctk-installer/container/container.go`; NVIDIA/gpu-operator
 * `controllers/object_controls.go` `DefaultContainerdDropInConfigFile`). The operator sets
 * `NVIDIA_RUNTIME_SET_AS_DEFAULT=false` with CDI on (`transformToolkitCtrForCDI`) and gives
 * its own pods `runtimeClassName: nvidia`; the vLLM pods set it too, so the runtime need not
 * be containerd's default. The RuntimeClass stays the chart's `nvidia`
 * (`operator.runtimeClass`); the chart has no `operator.defaultRuntime` any more.
 */
export function microk8sPreset(): HelmValues {
  return {
    driver: { enabled: false },
    toolkit: {
      env: [
        { name: "CONTAINERD_CONFIG", value: MICROK8S.containerdTemplate },
        { name: "CONTAINERD_SOCKET", value: MICROK8S.containerdSocket },
        { name: "RUNTIME_CONFIG_SOURCE", value: `file=${MICROK8S.containerdConfig}` },
      ],
    },
  };
}

/**
 * GKE Standard with Google's driver installer, as NVIDIA documents for GKE: driver disabled,
 * toolkit and driver root under {@link GKE_NVIDIA_DIR}, CDI on (since chart v26.3.0
 * `cdi.enabled` also makes CDI the default injection; `cdi.default` is gone, and v26.7.0's
 * ClusterPolicy template no longer reads it: NVIDIA/gpu-operator#2263). The node pool
 * must be created with `gpu-driver-version=disabled` and the node label
 * `gke-no-default-nvidia-gpu-device-plugin=true`, and Google's driver installer DaemonSet
 * applied; the namespace needs a ResourceQuota admitting system-node-critical pods (the
 * GpuOperator component creates it for this preset). NVIDIA lists a known toolkit problem
 * on GKE 1.33+ (containerd 2) that can break the node's containerd config: check the
 * operator's release notes before using this on such clusters.
 */
export function gkePreset(): HelmValues {
  return {
    driver: { enabled: false },
    hostPaths: { driverInstallDir: GKE_NVIDIA_DIR },
    toolkit: { installDir: GKE_NVIDIA_DIR },
    cdi: { enabled: true },
  };
}

/** Chart defaults: operator-managed driver, toolkit and device plugin on a stock containerd. */
export function genericPreset(): HelmValues {
  return {};
}

/**
 * The Helm values of a preset (a fresh object each call).
 * @param preset one of {@link GPU_OPERATOR_PRESETS}; validate before calling.
 */
export function gpuOperatorPresetValues(preset: (typeof GPU_OPERATOR_PRESETS)[number]): HelmValues {
  const presets = { microk8s: microk8sPreset, gke: gkePreset, generic: genericPreset };
  return presets[preset]();
}
