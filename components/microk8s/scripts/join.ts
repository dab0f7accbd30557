import { CLUSTER_AGENT_PORT } from "../config";
import {
  CLUSTER_TOKENS,
  CLUSTERED_LOCK,
  hostPath,
  MICROK8S_INSTALLED,
  readTokenFromStdin,
  retryLines,
  SERVER_CERT,
  script,
  shq,
  TOKENS_LOCK,
} from "./common";

/** Attempts and per-attempt timeout of `microk8s join`. */
export const JOIN_RETRY = { attempts: 3, timeoutSeconds: 300 } as const;

/**
 * Shell lines that rewrite cluster-tokens.txt without any line for `$token`, appending
 * `append` (a shell word) when given. Everything happens in this bash: the token is compared
 * and written by builtins (`read`, `[`, `printf`), so it is never on a command line, and
 * the file is changed under a lock so two workers registered at once cannot lose a line.
 *
 * Why rewrite and not append (what `add-node` does, `scripts/wrappers/add_token.py` in
 * canonical/microk8s v1.36): the cluster agent decides on the FIRST line that names a token
 * (`IsValidToken`, `pkg/util/token.go` in canonical/microk8s-cluster-agent), so an expired
 * line left by an earlier run would shadow every newer one and the join would fail.
 */
function rewriteTokens(append?: string): string[] {
  return [
    `tokens=${hostPath(CLUSTER_TOKENS)}`,
    `lock=${hostPath(TOKENS_LOCK)}`,
    'exec 9>>"$lock"',
    'flock -w 120 9 || fail "another run holds $lock for more than 120s"',
    "kept=()",
    'while IFS= read -r line || [ -n "$line" ]; do',
    "  # The agent trims the line and splits it at the first |: compare exactly that field.",
    "  trimmed=\"$(printf '%s' \"$line\" | tr -d '[:space:]')\"",
    '  [ -n "$trimmed" ] || continue',
    '  [ "${trimmed%%|*}" = "$token" ] || kept+=("$line")',
    'done < <(sudo -n cat "$tokens" 2>/dev/null || true)',
    append === undefined
      ? 'printf \'%s\\n\' "${kept[@]}" | sudo -n tee "$tokens" >/dev/null'
      : `printf '%s\\n' "\${kept[@]}" ${append} | sudo -n tee "$tokens" >/dev/null`,
    'sudo -n chmod 600 "$tokens"',
    "exec 9>&-",
  ];
}

/**
 * Controller side of one worker's membership: registers the worker's own join token (read
 * from stdin) with a fresh TTL, dropping every earlier line for it, then prints the SHA-256
 * of the cluster agent's certificate (`$SNAP_DATA/certs/server.crt`, what the agent serves
 * on port 25000), which the worker's join checks. The token never reaches `add-node`'s
 * command line: the line is written as add-node would write it, `<token>|<expiry>`.
 */
export function registerTokenScript(o: { worker: string; ttlSeconds: number }): string {
  return script(`register the join token of ${o.worker} on the controller`, [
    ...readTokenFromStdin(),
    `sudo -n test -d ${hostPath(`${CLUSTER_TOKENS.replace(/\/[^/]+$/, "")}`)} ||`,
    '  fail "no MicroK8s credentials directory: is MicroK8s installed on the controller?"',
    `expiry=$(($(date +%s) + ${o.ttlSeconds}))`,
    ...rewriteTokens('"$token|$expiry"'),
    `echo "join token of ${o.worker} registered for ${o.ttlSeconds}s" >&2`,
    `cert=${hostPath(SERVER_CERT)}`,
    'fingerprint="$(sudo -n openssl x509 -in "$cert" -outform der | sha256sum | cut -d\' \' -f1)"',
    '[[ "$fingerprint" =~ ^[0-9a-f]{64}$ ]] || fail "cannot fingerprint $cert"',
    "# Stdout is the certificate fingerprint (public): the worker's join pins it.",
    'echo "$fingerprint"',
  ]);
}

/**
 * Controller side, once the worker joined: waits until the node is `Ready`, then removes
 * its join token, so a token seen on the worker admits nothing afterwards.
 */
export function admitScript(o: { nodeName: string; timeoutSeconds: number }): string {
  return script(`wait for node ${o.nodeName} to be Ready, then forget its join token`, [
    ...readTokenFromStdin(),
    `node=${shq(o.nodeName)}`,
    `deadline=$((SECONDS + ${o.timeoutSeconds}))`,
    "jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'",
    'until [ "$(sudo -n microk8s kubectl get node "$node" -o jsonpath="$jsonpath" 2>/dev/null || true)" = True ]; do',
    '  [ "$SECONDS" -lt "$deadline" ] ||',
    `    fail "node $node is not Ready after ${o.timeoutSeconds}s (microk8s kubectl describe node $node)"`,
    "  sleep 5",
    "done",
    ...rewriteTokens(),
    'echo "node $node Ready; its join token is removed" >&2',
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
 * Worker side: `microk8s join <controller>:25000/<token>/<fingerprint> --worker`, token and
 * fingerprint read from stdin, skipped when `clustered.lock` shows the node already joined.
 * With a fingerprint in the connection string, join verifies that the agent's certificate
 * hash starts with it (`join_request` in `scripts/wrappers/join.py`, canonical/microk8s
 * v1.36) and exits 4 otherwise; the full 64-digit hash is the strictest form. join takes
 * the connection only as an argument, so the token is on this worker's command line while
 * join runs: it is this worker's own token, and removed once the node is Ready.
 * Exit 4 (identity) and 6 (refused: bad or expired token) are final; others are retried.
 */
export function joinScript(o: { controllerAddress: string }): string {
  const joined = `sudo -n test -e ${hostPath(CLUSTERED_LOCK)}`;
  return script(`join the cluster at ${o.controllerAddress} as a worker`, [
    ...readTokenFromStdin(true),
    `controller=${shq(o.controllerAddress)}`,
    `if ${joined}; then`,
    '  echo "already joined a cluster (clustered.lock present)" >&2',
    "  exit 0",
    "fi",
    ...retryLines({
      cmd: `sudo -n microk8s join "$controller:${CLUSTER_AGENT_PORT}/$token/$fingerprint" --worker`,
      attempts: JOIN_RETRY.attempts,
      timeoutSeconds: JOIN_RETRY.timeoutSeconds,
      stopWhen: joined,
      fatal: [4, 6],
    }),
    'case "$rc" in',
    "  0) ;;",
    '  4) fail "the agent at $controller:25000 is not the controller this run registered the token with (certificate fingerprint mismatch)" ;;',
    '  6) fail "the controller refused the join token (expired or unknown): register it anew with pulumi up --replace <URN of the member command of this node> (docs/homelab.md, Join failures)" ;;',
    '  *) fail "joining $controller failed: is port 25000 reachable from this node, and is the channel the same? (docs/homelab.md, Join failures)" ;;',
    "esac",
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
