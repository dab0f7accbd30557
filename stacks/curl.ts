/**
 * A command line that reaches a model from a workstation: the stack's kubeconfig output
 * (written 0600), a port-forward to the model's Service, and an authenticated chat
 * completion. Every value is quoted by {@link shellQuote}, so the line is inert data whatever
 * the names hold; run it with `bash` (`pulumi stack output curl | bash`), never `eval`.
 */
import { shellQuote } from "../components/vllm/command";

/** The environment variable the line reads the API key from (never inline). */
export const API_KEY_VARIABLE = "VLLM_API_KEY";

/** Arguments of {@link chatCurl}. */
export interface ChatCurlArgs {
  /** Stack name: the kubeconfig is written to `<stack>.kubeconfig`. */
  stack: string;
  /** Namespace of the Service. */
  namespace: string;
  /** Service name. */
  service: string;
  /** Service port (also the local port). */
  port: number;
  /** Served model name, sent in the request body. */
  model: string;
  /**
   * Stack output holding the API key, named in the hint when the variable is unset.
   * Defaults to none: the server takes no key (a NIM), so the line sends none.
   */
  apiKeyOutput?: string;
}

/** The command line; see the module comment. */
export function chatCurl(args: ChatCurlArgs): string {
  const body = JSON.stringify({
    model: args.model,
    messages: [{ role: "user", content: "Say hello in five words." }],
  });
  const kubeconfig = shellQuote(`${args.stack}.kubeconfig`);
  const port = String(args.port);
  // Shown by bash when the variable is unset; only characters that stay literal in `${…:?…}`.
  const hint =
    `set ${API_KEY_VARIABLE} from: pulumi stack output ${args.apiKeyOutput} --show-secrets`.replace(
      /[^A-Za-z0-9 ._:=-]/g,
      "",
    );
  const withKey = args.apiKeyOutput !== undefined;
  const curl = `curl -sS ${shellQuote(`http://localhost:${port}/v1/chat/completions`)} ${withKey ? "-H @- " : ""}-H 'Content-Type: application/json' -d ${shellQuote(body)}`;
  return [
    // The key comes from the caller's environment: fail before anything else if it is unset.
    ...(withKey ? [`: "\${${API_KEY_VARIABLE}:?${hint}}"`] : []),
    // umask 077 makes a new file 0600; the chmod covers a file left by an earlier run
    // before the secret is written into it.
    `(umask 077 && : > ${kubeconfig} && chmod 600 ${kubeconfig} && pulumi stack output kubeconfig --show-secrets > ${kubeconfig})`,
    `(KUBECONFIG=${kubeconfig} kubectl -n ${shellQuote(args.namespace)} port-forward ${shellQuote(`svc/${args.service}`)} ${port}:${port} >/dev/null &)`,
    "sleep 3",
    // The header goes through stdin (`-H @-`, curl >= 7.55): printf is a shell builtin, so
    // the key never appears in a process list.
    withKey ? `printf 'Authorization: Bearer %s\\n' "\${${API_KEY_VARIABLE}}" | ${curl}` : curl,
  ].join(" && ");
}
