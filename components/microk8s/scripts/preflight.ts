import { hostPath, MICROK8S_INSTALLED, READ_TRACKING, script, shq } from "./common";

/** What preflight checks on one node. */
export interface PreflightOptions {
  /** `controller` or `worker` (only shown in messages). */
  role: string;
  /** Check the NVIDIA driver, device nodes and kernel module. */
  gpu: boolean;
  /** The pinned channel; an installed MicroK8s on another one is version skew. */
  channel: string;
  /** Minimum free GiB under /var. */
  minFreeDiskGiB: number;
  /** Node name the user asserted; preflight fails if the host's name differs. */
  nodeName?: string;
  /** IPv4 the user gave for this node; preflight fails if no interface has it. */
  address?: string;
  /** RDMA devices that must be present with an ACTIVE port (e.g. both halves of a QSFP port). */
  rdmaDevices?: readonly string[];
}

/**
 * Preflight for one node: changes nothing, fails with a message that says what to fix.
 * Its only stdout line is the node's Kubernetes name (lowercased hostname), which the
 * component reads when no `nodeName` was given; diagnostics go to stderr.
 */
export function preflightScript(o: PreflightOptions): string {
  const body = [
    `channel=${shq(o.channel)}`,
    'host="$(hostname)"',
    "# The SSH session itself proves non-interactive SSH works; sudo must not prompt.",
    "sudo -n true 2>/dev/null ||",
    `  fail "passwordless sudo is required for $(id -un) on $host (sudoers: '$(id -un) ALL=(ALL) NOPASSWD: ALL')"`,
    `os_release=${hostPath("/etc/os-release")}`,
    '[ -r "$os_release" ] || fail "cannot read /etc/os-release on $host"',
    'os_id="$(sed -n \'s/^ID=//p\' "$os_release" | tr -d \'"\')"',
    '[ "$os_id" = ubuntu ] || fail "$host runs \'$os_id\'; MicroK8s is installed as a snap on Ubuntu only"',
    'arch="$(uname -m)"',
    'case "$arch" in',
    "  x86_64 | aarch64) ;;",
    '  *) fail "$host is $arch; MicroK8s nodes must be x86_64 or aarch64" ;;',
    "esac",
    'command -v snap >/dev/null || fail "snapd is not installed on $host (sudo apt-get install -y snapd)"',
    `need_kib=$((${o.minFreeDiskGiB} * 1024 * 1024))`,
    `avail_kib="$(df -Pk ${hostPath("/var")} | awk 'NR == 2 {print $4}')"`,
    '[ "$avail_kib" -ge "$need_kib" ] ||',
    `  fail "$host has $((avail_kib / 1048576)) GiB free under /var; need ${o.minFreeDiskGiB} GiB (images and caches live there)"`,
  ];
  body.push(
    "# MicroK8s links /var/lib/kubelet to its own kubelet directory only if the path is free",
    "# (snap/hooks/install); a leftover directory hides it from device plugins (the GPU's).",
    `kubelet_dir=${hostPath("/var/lib/kubelet")}`,
    'if [ -e "$kubelet_dir" ] && [ ! -L "$kubelet_dir" ]; then',
    '  fail "/var/lib/kubelet on $host is a directory left by another Kubernetes: MicroK8s needs that path for its symlink; move it away (sudo mv /var/lib/kubelet /var/lib/kubelet.old)"',
    "fi",
  );
  if (o.role === "controller") {
    body.push(
      "# The join token registration fingerprints the agent's certificate with openssl.",
      'command -v openssl >/dev/null || fail "openssl is not installed on $host (sudo apt-get install -y openssl)"',
    );
  }
  if (o.gpu) {
    body.push(
      "command -v nvidia-smi >/dev/null ||",
      '  fail "nvidia-smi not found on GPU node $host: install the NVIDIA driver on the host first"',
      "nvidia-smi -L >&2 ||",
      '  fail "nvidia-smi fails on GPU node $host: the driver is not working (reboot after install?)"',
      `compgen -G ${hostPath("/dev/")}"nvidia[0-9]*" >/dev/null ||`,
      '  fail "no /dev/nvidia[0-9]* device nodes on GPU node $host"',
      "lsmod | awk '$1 == \"nvidia\" {found = 1} END {exit !found}' ||",
      '  fail "the nvidia kernel module is not loaded on GPU node $host (sudo modprobe nvidia)"',
    );
  }
  body.push(
    `if ${MICROK8S_INSTALLED}; then`,
    ...READ_TRACKING.map((l) => `  ${l}`),
    '  [ "$tracking" = "$channel" ] ||',
    '    fail "version skew on $host: MicroK8s already installed from $tracking, the cluster is pinned to $channel; refresh it by hand (docs/homelab.md, Version skew) or set channel to $tracking"',
    "fi",
  );
  if (o.address !== undefined) {
    body.push(
      `address=${shq(o.address)}`,
      'ip -o -4 addr show | awk \'{split($4, a, "/"); print a[1]}\' | grep -qxF "$address" ||',
      '  fail "address $address is not assigned to any interface on $host"',
    );
  }
  for (const dev of o.rdmaDevices ?? []) {
    body.push(
      `dev=${shq(dev)}`,
      `states="$(cat ${hostPath("/sys/class/infiniband/")}"$dev"/ports/*/state 2>/dev/null || true)"`,
      'case "$states" in',
      '  "") fail "RDMA device $dev not found on $host (ls /sys/class/infiniband; ibdev2netdev)" ;;',
      '  *ACTIVE*) echo "RDMA device $dev active" >&2 ;;',
      '  *) fail "RDMA device $dev on $host is not ACTIVE ($states): is the link cable in and the port up?" ;;',
      "esac",
    );
  }
  body.push("name=\"$(printf '%s' \"$host\" | tr '[:upper:]' '[:lower:]')\"");
  if (o.nodeName !== undefined) {
    body.push(
      `expected=${shq(o.nodeName)}`,
      '[ "$name" = "$expected" ] ||',
      '  fail "nodeName is $expected but $host will register as $name (Kubernetes uses the hostname)"',
    );
  }
  body.push(
    `echo "preflight ok: ${o.role} $name ($os_id, $arch, $((avail_kib / 1048576)) GiB free${o.gpu ? ", GPU ok" : ""})" >&2`,
    'echo "$name"',
  );
  return script(`preflight of ${o.role} (changes nothing)`, body);
}
