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

/** The cluster agent's serving certificate (`--certfile` in its default args). */
export const SERVER_CERT = `${SNAP_DATA}/certs/server.crt`;

/** Lock serializing this project's edits of {@link CLUSTER_TOKENS} (/run/lock is 1777). */
export const TOKENS_LOCK = "/run/lock/llm-serving-cluster-tokens.lock";

/** The API server's arguments (its `--authorization-mode` among them). */
export const APISERVER_ARGS = `${SNAP_DATA}/args/kube-apiserver`;

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
 * Environment variable with the seconds to sleep between retries (default 15). Unset on real
 * hosts; the tests set it to 0 so failure paths run fast.
 */
export const RETRY_SLEEP_ENV = "LLMS_RETRY_SLEEP";

/**
 * Shell lines that read the join token from stdin into `$token` (and, with
 * `withFingerprint`, the controller's certificate fingerprint from the next line into
 * `$fingerprint`). Secrets never appear in script text: the component passes them as the
 * Command's (secret) stdin, which works on any sshd, unlike `environment`, which sshd drops
 * unless `AcceptEnv` lists the name.
 */
export function readTokenFromStdin(withFingerprint = false): string[] {
  return [
    'token=""',
    "IFS= read -r token || true",
    '[ "${#token}" -ge 32 ] || fail "no join token on stdin (expected >= 32 characters)"',
    ...(withFingerprint
      ? [
          'fingerprint=""',
          "IFS= read -r fingerprint || true",
          '[[ "$fingerprint" =~ ^[0-9a-f]{64}$ ]] ||',
          '  fail "no controller certificate fingerprint on stdin (expected 64 hex digits)"',
        ]
      : []),
  ];
}

/**
 * Shell lines that run `$@`-style command `cmd` (a shell word list) up to `attempts` times,
 * each bounded by `timeoutSeconds`, sleeping between attempts; `$rc` holds the last exit
 * status. `stopWhen` is a shell test that ends the loop early with success (e.g. the state
 * the command was to reach already exists after a timed-out attempt).
 */
export function retryLines(o: {
  cmd: string;
  attempts: number;
  timeoutSeconds: number;
  stopWhen?: string;
  /** Exit statuses that retrying cannot fix: the loop stops at once. */
  fatal?: readonly number[];
}): string[] {
  return [
    "rc=1",
    `for attempt in $(seq 1 ${o.attempts}); do`,
    `  rc=0; timeout ${o.timeoutSeconds} ${o.cmd} || rc=$?`,
    '  if [ "$rc" = 0 ]; then break; fi',
    ...(o.stopWhen ? [`  if ${o.stopWhen}; then rc=0; break; fi`] : []),
    ...(o.fatal?.length ? [`  case "$rc" in ${o.fatal.join(" | ")}) break ;; esac`] : []),
    `  echo "attempt $attempt of ${o.attempts} failed (exit $rc)" >&2`,
    `  if [ "$attempt" -lt ${o.attempts} ]; then sleep $((attempt * \${${RETRY_SLEEP_ENV}:-15})); fi`,
    "done",
  ];
}

/** Shell test: MicroK8s is installed (the guard every step and every delete starts from). */
export const MICROK8S_INSTALLED = "snap list microk8s >/dev/null 2>&1";

/** Shell lines that set `$tracking` to the channel the installed snap follows. */
export const READ_TRACKING = ["tracking=\"$(snap list microk8s | awk 'NR == 2 {print $4}')\""];
