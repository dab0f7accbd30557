import { CLUSTER_AGENT_PORT } from "../config";
import {
  CLUSTER_TOKENS,
  CLUSTERED_LOCK,
  hostPath,
  MICROK8S_INSTALLED,
  readTokenFromStdin,
  script,
  shq,
} from "./common";

/**
 * Controller side of one worker's membership: registers the join token (read from stdin)
 * with a TTL, unless it is already registered for at least half the TTL. A TTL matters: a
 * token without one is consumed even by a failed join.
 */
export function registerTokenScript(o: { worker: string; ttlSeconds: number }): string {
  const margin = Math.floor(o.ttlSeconds / 2);
  return script(`register the join token for ${o.worker} on the controller`, [
    ...readTokenFromStdin(),
    `tokens=${hostPath(CLUSTER_TOKENS)}`,
    'now="$(date +%s)"',
    "registered=0",
    "# Compared in bash, not on a command line: the token never shows up in ps.",
    "while IFS='|' read -r known expiry; do",
    `  if [ "$known" = "$token" ] && [ -n "$expiry" ] && [ "$expiry" -gt $((now + ${margin})) ]; then`,
    "    registered=1",
    "  fi",
    'done < <(sudo -n cat "$tokens" 2>/dev/null || true)',
    'if [ "$registered" = 1 ]; then',
    '  echo "join token already registered" >&2',
    "else",
    "  # add-node prints the join command, token included: keep it out of the captured output.",
    `  sudo -n microk8s add-node --token "$token" --token-ttl ${o.ttlSeconds} >/dev/null`,
    `  echo "join token registered for ${o.ttlSeconds}s" >&2`,
    "fi",
  ]);
}

/**
 * Delete of a worker's membership, on the controller: `microk8s remove-node <name> --force`,
 * which works even when the worker is unreachable. A node that is not (or no longer) in the
 * cluster, a controller without MicroK8s and a failing remove-node all end in success with a
 * message: a destroy must not stop because something is already gone.
 */
export function removeNodeScript(o: { nodeName: string }): string {
  return script(`remove node ${o.nodeName} from the cluster`, [
    `node=${shq(o.nodeName)}`,
    `if ! ${MICROK8S_INSTALLED}; then`,
    '  echo "no MicroK8s on the controller; nothing to remove" >&2',
    "  exit 0",
    "fi",
    'if sudo -n microk8s kubectl get node "$node" >/dev/null 2>&1; then',
    '  sudo -n microk8s remove-node "$node" --force ||',
    '    echo "warning: remove-node $node failed; check with: microk8s kubectl get nodes" >&2',
    "else",
    '  echo "node $node is not in the cluster; nothing to remove" >&2',
    "fi",
  ]);
}

/**
 * Worker side: `microk8s join <controller>:25000/<token> --worker`, the token read from
 * stdin, skipped when `clustered.lock` shows the node already joined.
 */
export function joinScript(o: { controllerAddress: string }): string {
  return script(`join the cluster at ${o.controllerAddress} as a worker`, [
    ...readTokenFromStdin(),
    `controller=${shq(o.controllerAddress)}`,
    `if sudo -n test -e ${hostPath(CLUSTERED_LOCK)}; then`,
    '  echo "already joined a cluster (clustered.lock present)" >&2',
    "  exit 0",
    "fi",
    `sudo -n microk8s join "$controller:${CLUSTER_AGENT_PORT}/$token" --worker ||`,
    '  fail "joining $controller failed: is port 25000 reachable from this node, and is the channel the same? (docs/homelab.md, Join failures)"',
    'echo "joined $controller" >&2',
  ]);
}

/**
 * Delete of a worker's join: `microk8s leave`, only when the node is still clustered. A host
 * without MicroK8s, a node that already left, and a failing leave all end in success.
 */
export function leaveScript(): string {
  return script("leave the cluster", [
    `if ! ${MICROK8S_INSTALLED}; then`,
    '  echo "no MicroK8s on this host; nothing to leave" >&2',
    "  exit 0",
    "fi",
    `if ! sudo -n test -e ${hostPath(CLUSTERED_LOCK)}; then`,
    '  echo "not part of a cluster any more; nothing to leave" >&2',
    "  exit 0",
    "fi",
    "sudo -n microk8s leave ||",
    '  echo "warning: microk8s leave failed; reset by hand: sudo microk8s leave; sudo microk8s reset" >&2',
  ]);
}
