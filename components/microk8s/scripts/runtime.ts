import { CONTAINERD_TEMPLATE, hostPath, script } from "./common";

/** The containerd runtime name the GPU Operator's RuntimeClass `nvidia` points at. */
export const NVIDIA_RUNTIME_NAME = "nvidia";

/**
 * Where the GPU Operator's container toolkit installs the runtime binary on the host
 * (`toolkit.installDir` defaults to `/usr/local/nvidia`).
 */
export const NVIDIA_RUNTIME_BINARY = "/usr/local/nvidia/toolkit/nvidia-container-runtime";

/** TOML table header of the runtime entry; its presence is the idempotency guard. */
export const NVIDIA_RUNTIME_TABLE = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${NVIDIA_RUNTIME_NAME}]`;

/**
 * The entry appended to `containerd-template.toml`. MicroK8s' template only has a runtime
 * called `nvidia-container-runtime`; pods with `runtimeClassName: nvidia` (every GPU Operator
 * operand) stay in Init with "no runtime for nvidia is configured" until one named `nvidia`
 * exists. TOML allows the table after the others, so appending is enough.
 */
export function nvidiaRuntimeEntry(): string {
  return [
    "",
    "# Added by llm-serving MicroK8sCluster: the runtime the GPU Operator's RuntimeClass names.",
    NVIDIA_RUNTIME_TABLE,
    '  runtime_type = "io.containerd.runc.v2"',
    `  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${NVIDIA_RUNTIME_NAME}.options]`,
    `    BinaryName = "${NVIDIA_RUNTIME_BINARY}"`,
  ].join("\n");
}

/**
 * On a GPU node: appends the `nvidia` runtime to containerd-template.toml (never to the
 * rendered containerd.toml, which MicroK8s overwrites) only if absent, and restarts
 * containerd only when the file changed.
 */
export function nvidiaRuntimeScript(): string {
  return script("add the nvidia containerd runtime for the GPU Operator", [
    `template=${hostPath(CONTAINERD_TEMPLATE)}`,
    'sudo -n test -f "$template" || fail "$template not found: is MicroK8s installed?"',
    "sudo -n grep -qE '^version *= *2' \"$template\" ||",
    '  fail "$template is not a containerd config version 2; add the nvidia runtime by hand"',
    `if sudo -n grep -qF '${NVIDIA_RUNTIME_TABLE}' "$template"; then`,
    '  echo "nvidia runtime already in $template" >&2',
    "  exit 0",
    "fi",
    "sudo -n tee -a \"$template\" >/dev/null <<'TOML'",
    nvidiaRuntimeEntry(),
    "TOML",
    "sudo -n snap restart microk8s.daemon-containerd",
    'echo "nvidia runtime added; containerd restarted" >&2',
  ]);
}
