import { hostPath, script, shq } from "../microk8s/scripts/common";

/** The exports file this project owns (exportfs reads /etc/exports.d/*.exports). */
export const EXPORTS_FILE = "/etc/exports.d/llm-serving.exports";

/** Shell test: a Debian package is installed. */
function installed(pkg: string): string {
  return `dpkg-query -W -f='\${Status}' ${pkg} 2>/dev/null | grep -q 'install ok installed'`;
}

/**
 * Seconds apt waits for the dpkg lock instead of failing at once: unattended-upgrades holds
 * it for minutes after boot on Ubuntu (apt's `DPkg::Lock::Timeout` option).
 */
export const APT_LOCK_TIMEOUT_SECONDS = 600;

/** Installs a Debian package only if absent (refreshing the package lists first, once). */
function ensurePackage(pkg: string): string[] {
  const apt = `sudo -n env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT_SECONDS}`;
  return [
    `if ${installed(pkg)}; then`,
    `  echo "${pkg} already installed" >&2`,
    "else",
    `  ${apt} update -qq`,
    `  ${apt} install -y -qq ${pkg}`,
    "fi",
  ];
}

/**
 * Export options (exports(5)): every client user, root included, is squashed to the cache's
 * owner, so root in a pod (vLLM images run as root) writes as that uid and never as root on
 * the server; `no_root_squash` is never used.
 */
export function exportOptions(owner: { uid: number; gid: number }): string {
  return `rw,sync,no_subtree_check,root_squash,all_squash,anonuid=${owner.uid},anongid=${owner.gid}`;
}

/** The line of the exports file: the path, then each allowed client with the options. */
export function exportsLine(path: string, clients: readonly string[], options: string): string {
  return [path, ...clients.map((c) => `${c}(${options})`)].join(" ");
}

/**
 * Server side: the NFS server installed and running, the directory present and owned by the
 * uid:gid clients are squashed to, and the project's exports file holding exactly `line`.
 * Each change is guarded by a state check and the export table is reloaded only when the
 * file changed, so a second run changes nothing.
 */
export function nfsServerScript(
  path: string,
  line: string,
  owner: { uid: number; gid: number },
): string {
  return script(
    `export ${path} over NFS`,
    [
      ...ensurePackage("nfs-kernel-server"),
      `dir=${hostPath(path)}`,
      `owner=${owner.uid}:${owner.gid}`,
      'if [ -d "$dir" ]; then',
      '  echo "$dir exists" >&2',
      "else",
      '  sudo -n mkdir -p "$dir"',
      "fi",
      'if [ "$(sudo -n stat -c %u:%g "$dir")" = "$owner" ]; then',
      '  echo "$dir owned by $owner" >&2',
      "else",
      '  sudo -n chown "$owner" "$dir"',
      '  sudo -n chmod 0755 "$dir"',
      "fi",
      `exports=${hostPath(EXPORTS_FILE)}`,
      `want=${shq(line)}`,
      'if [ -f "$exports" ] && [ "$(cat "$exports")" = "$want" ]; then',
      '  echo "export unchanged" >&2',
      "else",
      '  sudo -n mkdir -p "$(dirname "$exports")"',
      '  printf \'%s\\n\' "$want" | sudo -n tee "$exports" >/dev/null',
      "  sudo -n exportfs -ra",
      "fi",
      "if systemctl is-active --quiet nfs-server; then",
      '  echo "nfs-server running" >&2',
      "else",
      "  sudo -n systemctl enable --now nfs-server",
      "fi",
    ],
    "NfsExport",
  );
}

/**
 * Delete on the server: withdraw the export and reload the table. The directory and its data
 * stay (a model cache is expensive to refill); a host without the file or without NFS is fine.
 */
export function nfsUnexportScript(): string {
  return script(
    "withdraw the NFS export (the data stays)",
    [
      `exports=${hostPath(EXPORTS_FILE)}`,
      'if [ -f "$exports" ]; then',
      '  sudo -n rm -f "$exports"',
      "  if command -v exportfs >/dev/null 2>&1; then sudo -n exportfs -ra; fi",
      "else",
      '  echo "no export to withdraw" >&2',
      "fi",
    ],
    "NfsExport",
  );
}

/** Client side: `mount.nfs`, which the kubelet uses to mount NFS volumes into pods. */
export function nfsClientScript(): string {
  return script("install the NFS client", ensurePackage("nfs-common"), "NfsExport");
}
