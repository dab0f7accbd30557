/**
 * A ready-to-paste line that reaches a model from a workstation: the stack's kubeconfig
 * output, a port-forward to the model's Service, and a chat completion.
 */
export function chatCurl(args: {
  stack: string;
  namespace: string;
  service: string;
  port: number;
  model: string;
}): string {
  const body = JSON.stringify({
    model: args.model,
    messages: [{ role: "user", content: "Say hello in five words." }],
  });
  const kubeconfig = `${args.stack}.kubeconfig`;
  return [
    `pulumi stack output kubeconfig --show-secrets > ${kubeconfig}`,
    `(KUBECONFIG=${kubeconfig} kubectl -n ${args.namespace} port-forward svc/${args.service} ${args.port}:${args.port} >/dev/null &)`,
    "sleep 3",
    `curl -s http://localhost:${args.port}/v1/chat/completions -H 'Content-Type: application/json' -d '${body}'`,
  ].join(" && ");
}
