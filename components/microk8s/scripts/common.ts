/**
 * Environment variable that moves every absolute host path the scripts touch under a prefix.
 * Unset on real hosts (paths stay `/var/snap/...`, `/etc/os-release`, `/dev/...`); the tests
 * point it at a sandbox so the very same scripts run against stub state.
 */
export const HOST_ROOT_ENV = "LLMS_HOST_ROOT";

/** MicroK8s' `$SNAP_DATA`: args, credentials and lock files of the running revision. */
export const SNAP_DATA = "/var/snap/microk8s/current";

/** Marker file MicroK8s writes on a node that joined a cluster (worker or control plane). */
export const CLUSTERED_LOCK = `${SNAP_DATA}/var/lock/clustered.lock`;

/** Where `microk8s add-node` records tokens, one `<token>|<expiry>` line each. */
export const CLUSTER_TOKENS = `${SNAP_DATA}/credentials/cluster-tokens.txt`;

/** The file MicroK8s renders containerd.toml from on every start (edit this one, never the output). */
export const CONTAINERD_TEMPLATE = `${SNAP_DATA}/args/containerd-template.toml`;

/** Quotes `value` for bash so it is passed as one literal word. */
export function shq(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A host path as the scripts spell it: under the optional sandbox root. */
export function hostPath(path: string): string {
  return `"$root"${shq(path)}`;
}

/**
 * Assembles a complete script: bash shebang, strict mode, `/snap/bin` on PATH (non-login SSH
 * sessions may lack it), a `fail` helper, and the sandbox root when the body uses it.
 * @param title one line saying what the script does (shown in `plan` and in logs).
 * @param component the component the script belongs to, named in its header.
 */
export function script(
  title: string,
  body: readonly string[],
  component = "MicroK8sCluster",
): string {
  const text = body.join("\n");
  const lines = [
    "#!/usr/bin/env bash",
    `# llm-serving ${component}: ${title}`,
    "set -euo pipefail",
    'export PATH="$PATH:/snap/bin"',
    ...(text.includes('"$root"') ? [`root="\${${HOST_ROOT_ENV}:-}"`] : []),
    'fail() { echo "llm-serving: $*" >&2; exit 1; }',
    "",
    text,
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The command line a `remote.Command` sends: the script run by bash whatever the SSH user's
 * login shell is (sshd hands the command to that shell, which may be dash or zsh).
 */
export function remoteInvocation(scriptText: string): string {
  return `bash -c ${shq(scriptText)}`;
}

/**
 * Shell lines that read the join token from stdin into `$token`. Secrets never appear in
 * script text: the component passes them as the Command's (secret) stdin, which works on any
 * sshd, unlike `environment`, which sshd drops unless `AcceptEnv` lists the name.
 */
export function readTokenFromStdin(): string[] {
  return [
    'token=""',
    "IFS= read -r token || true",
    '[ "${#token}" -ge 32 ] || fail "no join token on stdin (expected >= 32 characters)"',
  ];
}

/** Shell test: MicroK8s is installed (the guard every step and every delete starts from). */
export const MICROK8S_INSTALLED = "snap list microk8s >/dev/null 2>&1";

/** Shell lines that set `$tracking` to the channel the installed snap follows. */
export const READ_TRACKING = ["tracking=\"$(snap list microk8s | awk 'NR == 2 {print $4}')\""];
