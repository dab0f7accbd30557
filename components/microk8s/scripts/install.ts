import {
  APISERVER_ARGS,
  hostPath,
  MICROK8S_INSTALLED,
  READ_TRACKING,
  retryLines,
  script,
  shq,
} from "./common";

/** Attempts and per-attempt timeout of `snap install` (a slow store or mirror can hang). */
export const SNAP_INSTALL_RETRY = { attempts: 3, timeoutSeconds: 900 } as const;

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
    ...retryLines({
      cmd: 'sudo -n snap install microk8s --classic --channel="$channel"',
      ...SNAP_INSTALL_RETRY,
      // A timed-out client leaves snapd finishing the install: that counts as success.
      stopWhen: MICROK8S_INSTALLED,
    }).map((l) => `  ${l}`),
    '  [ "$rc" = 0 ] ||',
    `    fail "snap install microk8s failed ${SNAP_INSTALL_RETRY.attempts} times (last exit $rc): is the snap store reachable? (snap changes)"`,
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

/**
 * On the controller: `microk8s enable rbac` unless the API server already runs with
 * `--authorization-mode=RBAC,Node` (the addon's own guard, `addons/rbac/enable` in
 * canonical/microk8s-core-addons for 1.36). MicroK8s' default is `AlwaysAllow`
 * (`microk8s-resources/default-args/kube-apiserver`), which makes every service account
 * cluster-admin. The admin kubeconfig keeps working: its client certificate is in
 * `system:masters` (`utils.sh` in canonical/microk8s v1.36). Every component installed
 * afterwards brings its own Roles (GPU Operator and LWS charts/manifests, Calico and CoreDNS).
 */
export function rbacScript(o: { readyTimeoutSeconds: number }): string {
  return script("turn on RBAC in the API server", [
    `args=${hostPath(APISERVER_ARGS)}`,
    "if sudo -n grep -q -- '--authorization-mode=RBAC,Node' \"$args\"; then",
    '  echo "RBAC already on" >&2',
    "else",
    "  sudo -n microk8s enable rbac >&2",
    "fi",
    `sudo -n microk8s status --wait-ready --timeout ${o.readyTimeoutSeconds} >/dev/null ||`,
    `  fail "the API server did not come back within ${o.readyTimeoutSeconds}s after enabling RBAC (sudo microk8s inspect)"`,
    'echo "RBAC on" >&2',
  ]);
}
