import { MICROK8S_INSTALLED, READ_TRACKING, script, shq } from "./common";

/** How MicroK8s is installed on a node. */
export interface InstallOptions {
  /** The pinned channel, the same on every node. */
  channel: string;
  /** Hold snap refreshes so Kubernetes is never restarted behind your back. */
  holdRefresh: boolean;
  /** Seconds `microk8s status --wait-ready` may take. */
  readyTimeoutSeconds: number;
}

/**
 * Installs MicroK8s from the pinned channel if absent (never refreshes an existing one),
 * holds refreshes, puts the SSH user in the `microk8s` group and waits until it is ready.
 * Every change is guarded by a state check, so a second run changes nothing.
 */
export function installScript(o: InstallOptions): string {
  const body = [
    `channel=${shq(o.channel)}`,
    `if ${MICROK8S_INSTALLED}; then`,
    ...READ_TRACKING.map((l) => `  ${l}`),
    '  [ "$tracking" = "$channel" ] ||',
    '    fail "version skew: MicroK8s here follows $tracking, the cluster is pinned to $channel (not upgrading)"',
    '  echo "microk8s already installed from $channel" >&2',
    "else",
    '  sudo -n snap install microk8s --classic --channel="$channel"',
    "fi",
  ];
  if (o.holdRefresh) {
    body.push(
      "if snap list microk8s | awk 'NR == 2 {print $6}' | grep -qw held; then",
      '  echo "microk8s refreshes already held" >&2',
      "else",
      "  sudo -n snap refresh --hold microk8s",
      "fi",
    );
  }
  body.push(
    'user="$(id -un)"',
    "if id -nG \"$user\" | tr ' ' '\\n' | grep -qx microk8s; then",
    '  echo "$user already in group microk8s" >&2',
    "else",
    '  sudo -n usermod -a -G microk8s "$user"',
    "fi",
    `sudo -n microk8s status --wait-ready --timeout ${o.readyTimeoutSeconds} >/dev/null ||`,
    `  fail "MicroK8s did not become ready within ${o.readyTimeoutSeconds}s (sudo microk8s inspect)"`,
    'echo "microk8s ready" >&2',
  );
  return script(`install MicroK8s ${o.channel}`, body);
}

/**
 * Delete of the install step: `snap remove --purge microk8s` when `purge` (a host that has
 * no MicroK8s any more is fine). Without purge there is no delete at all, so destroying a
 * cluster never needs to reach a host just to leave it alone.
 */
export function uninstallScript(purge: boolean): string | undefined {
  if (!purge) return undefined;
  return script("purge MicroK8s", [
    `if ${MICROK8S_INSTALLED}; then`,
    "  sudo -n snap remove --purge microk8s",
    "else",
    '  echo "microk8s is not installed; nothing to purge" >&2',
    "fi",
  ]);
}
