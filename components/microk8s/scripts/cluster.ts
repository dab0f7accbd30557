import { script, shq } from "./common";

/**
 * On the controller: waits until every named node is `Ready`, within one overall deadline.
 * Runs on the controller because `microk8s kubectl` on a worker only prints a hint.
 */
export function waitReadyScript(o: {
  nodeNames: readonly string[];
  timeoutSeconds: number;
  pollSeconds?: number;
}): string {
  const poll = o.pollSeconds ?? 5;
  return script(`wait until ${o.nodeNames.length} node(s) are Ready`, [
    `nodes=(${o.nodeNames.map(shq).join(" ")})`,
    `deadline=$((SECONDS + ${o.timeoutSeconds}))`,
    "jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'",
    'for node in "${nodes[@]}"; do',
    '  until [ "$(sudo -n microk8s kubectl get node "$node" -o jsonpath="$jsonpath" 2>/dev/null || true)" = True ]; do',
    '    [ "$SECONDS" -lt "$deadline" ] ||',
    `      fail "node $node is not Ready after ${o.timeoutSeconds}s (microk8s kubectl describe node $node)"`,
    `    sleep ${poll}`,
    "  done",
    '  echo "node $node Ready" >&2',
    "done",
  ]);
}

/**
 * On the controller: prints the admin kubeconfig with the API server rewritten to `address`
 * (`microk8s config` names whatever interface it picks). Its stdout is the kubeconfig, so the
 * component marks it secret and logs nothing.
 */
export function kubeconfigScript(o: { address: string }): string {
  return script("print the kubeconfig", [
    `address=${shq(o.address)}`,
    'config="$(sudo -n microk8s config)"',
    "printf '%s\\n' \"$config\" | grep -q 'server: https://' ||",
    '  fail "microk8s config printed no server: is this the controller?"',
    "printf '%s\\n' \"$config\" |",
    '  sed -E "s#^([[:space:]]*server:[[:space:]]*https://)[^:/]+#\\1${address}#"',
  ]);
}
