/**
 * Command lines that reach a model from a workstation: {@link chatCurl} through the stack's
 * kubeconfig output (written 0600) and a port-forward to the model's Service,
 * {@link gatewayCurl} through the inference gateway; both send an authenticated chat
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

/** Fails at once when the key variable is unset, naming the stack output that holds it. */
function keyCheck(apiKeyOutput: string): string {
  // Shown by bash when the variable is unset; only characters that stay literal in `${…:?…}`.
  const hint =
    `set ${API_KEY_VARIABLE} from: pulumi stack output ${apiKeyOutput} --show-secrets`.replace(
      /[^A-Za-z0-9 ._:=-]/g,
      "",
    );
  return `: "\${${API_KEY_VARIABLE}:?${hint}}"`;
}

/** Writes the stack's kubeconfig output to `kubeconfig` (already quoted), mode 0600. */
function writeKubeconfig(kubeconfig: string): string {
  // umask 077 makes a new file 0600; the chmod covers a file left by an earlier run
  // before the secret is written into it.
  return `(umask 077 && : > ${kubeconfig} && chmod 600 ${kubeconfig} && pulumi stack output kubeconfig --show-secrets > ${kubeconfig})`;
}

/** The chat request body, quoted. */
function chatBody(model: string): string {
  return shellQuote(
    JSON.stringify({ model, messages: [{ role: "user", content: "Say hello in five words." }] }),
  );
}

/**
 * A POST of the chat body to `url` (a shell word, already quoted), with the key when
 * `withKey`. The header goes through stdin (`-H @-`, curl >= 7.55): printf is a shell
 * builtin, so the key never appears in a process list.
 */
function post(url: string, model: string, withKey: boolean): string {
  const curl = `curl -sS ${url} ${withKey ? "-H @- " : ""}-H 'Content-Type: application/json' -d ${chatBody(model)}`;
  return withKey
    ? `printf 'Authorization: Bearer %s\\n' "\${${API_KEY_VARIABLE}}" | ${curl}`
    : curl;
}

/** The command line; see the module comment. */
export function chatCurl(args: ChatCurlArgs): string {
  const kubeconfig = shellQuote(`${args.stack}.kubeconfig`);
  const port = String(args.port);
  const withKey = args.apiKeyOutput !== undefined;
  return [
    // The key comes from the caller's environment: fail before anything else if it is unset.
    ...(withKey ? [keyCheck(args.apiKeyOutput as string)] : []),
    writeKubeconfig(kubeconfig),
    `(KUBECONFIG=${kubeconfig} kubectl -n ${shellQuote(args.namespace)} port-forward ${shellQuote(`svc/${args.service}`)} ${port}:${port} >/dev/null &)`,
    "sleep 3",
    post(shellQuote(`http://localhost:${port}/v1/chat/completions`), args.model, withKey),
  ].join(" && ");
}

/** Arguments of {@link gatewayCurl}. */
export interface GatewayCurlArgs {
  /** Served model name, sent in the request body. */
  model: string;
  /** Stack output holding the API key, as in {@link ChatCurlArgs}; none: no key is sent. */
  apiKeyOutput?: string;
  /** The gateway's OpenAI base URL when it is known at deploy time (home lab: `http://<node>:<port>/v1`). */
  baseUrl?: string;
  /**
   * Otherwise where to read the gateway's address at run time (GKE assigns it): the stack
   * (for its kubeconfig), the Gateway's namespace and name, and the model's base path
   * (`/<model>/v1`).
   */
  lookup?: { stack: string; namespace: string; gateway: string; basePath: string };
}

/**
 * A chat completion through the inference gateway, with the key from {@link API_KEY_VARIABLE}
 * in the `Authorization` header (the gateway forwards it; vLLM checks it). Every literal is
 * quoted; a looked-up address enters the URL only as the quoted expansion `"${GW}"`.
 */
export function gatewayCurl(args: GatewayCurlArgs): string {
  const withKey = args.apiKeyOutput !== undefined;
  const steps = withKey ? [keyCheck(args.apiKeyOutput as string)] : [];
  let url = shellQuote(`${args.baseUrl ?? ""}/chat/completions`);
  if (args.lookup) {
    const { stack, namespace, gateway, basePath } = args.lookup;
    const kubeconfig = shellQuote(`${stack}.kubeconfig`);
    steps.push(
      writeKubeconfig(kubeconfig),
      `GW="$(KUBECONFIG=${kubeconfig} kubectl -n ${shellQuote(namespace)} get gateway ${shellQuote(gateway)} -o jsonpath='{.status.addresses[0].value}')"`,
      `: "\${GW:?the Gateway has no address yet: kubectl -n ${namespace.replace(/[^a-z0-9-]/g, "")} describe gateway}"`,
    );
    url = `"http://\${GW}"${shellQuote(`${basePath}/chat/completions`)}`;
  }
  steps.push(post(url, args.model, withKey));
  return steps.join(" && ");
}
