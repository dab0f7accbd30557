import { createHash } from "node:crypto";

/**
 * Key types an OpenSSH server offers as host keys. pulumi-command (v1.2.1,
 * `provider/pkg/provider/remote/connection.go`) parses `connection.hostKey` with Go's
 * `ssh.ParseAuthorizedKey`, pins it with `ssh.FixedHostKey` and offers only its type, so a
 * connection to a host presenting any other key fails before a command runs.
 */
const HOST_KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
] as const;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key blob of `<type> <base64> [comment]`, or a reason it is not one. */
function parse(value: string): { type: string; blob: Buffer } | string {
  const fields = value.trim().split(/\s+/);
  if (fields.length >= 3 && !HOST_KEY_TYPES.includes(fields[0] as never)) {
    const rest = fields.slice(1).join(" ");
    if (HOST_KEY_TYPES.some((t) => rest.startsWith(`${t} `))) {
      return "starts with a host name: drop the first field of the ssh-keyscan line (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-)";
    }
  }
  const [type, data] = fields;
  if (!type || !HOST_KEY_TYPES.includes(type as never)) {
    return `must be an SSH public host key "<type> <base64>" with type ${HOST_KEY_TYPES.join(", ")} (ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-)`;
  }
  if (!data || !BASE64.test(data)) return "the key data after the type must be base64";
  const blob = Buffer.from(data, "base64");
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const inner = length > 0 && blob.length >= 4 + length ? blob.subarray(4, 4 + length) : undefined;
  if (inner?.toString("latin1") !== type) {
    return `the key data does not encode a ${type} key (copied incompletely?)`;
  }
  return { type, blob };
}

/** Why `value` cannot be a pinned SSH host key, or undefined if it can. */
export function hostKeyProblem(value: string): string | undefined {
  const parsed = parse(value);
  return typeof parsed === "string" ? parsed : undefined;
}

/**
 * The key's fingerprint as `ssh-keygen -l` prints it (`SHA256:<base64, no padding>`), to
 * compare with the one read on the host's console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`).
 * @throws Error when `value` is not a host key.
 */
export function hostKeyFingerprint(value: string): string {
  const parsed = parse(value);
  if (typeof parsed === "string") throw new Error(parsed);
  return `SHA256:${createHash("sha256").update(parsed.blob).digest("base64").replace(/=+$/, "")}`;
}
