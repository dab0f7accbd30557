/** Shared fixtures of the MicroK8s tests. */

/** An OpenSSH ed25519 public key blob whose 32 key bytes are all `fill`. */
function ed25519(fill: number): string {
  const type = Buffer.from("ssh-ed25519");
  const blob = Buffer.concat([
    Buffer.from([0, 0, 0, type.length]),
    type,
    Buffer.from([0, 0, 0, 32]),
    Buffer.alloc(32, fill),
  ]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
}

/** Distinct, well-formed host keys (as `ssh-keyscan … | cut -d' ' -f2-` prints them). */
export const HOST_KEYS = [1, 2, 3, 4, 5, 6].map(ed25519);
