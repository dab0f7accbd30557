import { createHmac } from "node:crypto";

/** MicroK8s refuses join tokens shorter than this (`TOKEN_MIN_LEN` in its cluster utils). */
export const JOIN_TOKEN_MIN_LENGTH = 32;

/**
 * Join tokens travel inside `<ip>:25000/<token>`, are stored as `<token>|<expiry>` lines and
 * split on `/`: only letters and digits are safe in every one of those places.
 */
const TOKEN = /^[A-Za-z0-9]+$/;

/** Why `token` cannot be a MicroK8s join token, or undefined if it can. */
export function joinTokenProblem(token: string): string | undefined {
  if (token.length < JOIN_TOKEN_MIN_LENGTH) {
    return `join token must have at least ${JOIN_TOKEN_MIN_LENGTH} characters (got ${token.length})`;
  }
  if (!TOKEN.test(token)) {
    return "join token may contain only letters and digits (no `/`, `|` or spaces)";
  }
  return undefined;
}

/**
 * Derives the cluster's join token from a secret the stack already holds (the SSH private
 * key) and the cluster's identity, as HMAC-SHA256(secret, identity) in hex, cut to 32
 * characters (128 bits, what `microk8s add-node` generates itself).
 *
 * Why derived and not random: a Pulumi program re-runs from scratch on every `up` and, without
 * `@pulumi/random` or a dynamic provider, has nowhere to keep a random value. A derived token
 * is the same on every run (no diffs, no token churn), unguessable without the key, and reveals
 * nothing about the key (HMAC is one-way). It only grants anything while registered with a
 * TTL; rotating the SSH key, or passing `joinToken`, rotates it.
 */
export function deriveJoinToken(secret: string, identity: string): string {
  if (secret.length === 0) {
    throw new Error("cannot derive a join token from an empty secret");
  }
  return createHmac("sha256", secret)
    .update(`llm-serving/microk8s-join-token/v1\n${identity}`)
    .digest("hex")
    .slice(0, JOIN_TOKEN_MIN_LENGTH);
}

/**
 * The join token of one worker: derived from `explicit` when given (validated), else from
 * `secret`, and from the cluster's identity and the worker's name. One token per worker means
 * a token seen on one worker (it is on `microk8s join`'s command line there while the join
 * runs) admits no other node, and removing it once its node is Ready leaves nothing usable.
 * @throws Error naming the problem when `explicit` is not a usable token.
 */
export function workerJoinToken(
  explicit: string | undefined,
  secret: string,
  identity: string,
  worker: string,
): string {
  if (explicit !== undefined && explicit !== "") {
    const problem = joinTokenProblem(explicit);
    if (problem) throw new Error(`MicroK8sCluster joinToken: ${problem}`);
    return deriveJoinToken(explicit, `${identity}/${worker}`);
  }
  return deriveJoinToken(secret, `${identity}/${worker}`);
}
