import { script, shq } from "./common";

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
