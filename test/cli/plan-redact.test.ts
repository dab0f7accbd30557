import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { knownSecrets, makeRedactor, REDACTED, secretStrings } from "../../cli/plan-redact";
import { wrapSecret } from "../../cli/recorder";

describe("makeRedactor().value", () => {
  const redact = makeRedactor(["PLAIN-KEY-123"]);

  it("keeps what is not secret", () => {
    expect(redact.value({ a: "x", b: [1, { c: true }] })).toEqual({ a: "x", b: [1, { c: true }] });
  });

  it("redacts only the known secret part of a secret script", () => {
    const script = wrapSecret("set -eu\necho 'PLAIN-KEY-123' > key\n");
    expect(redact.value({ create: script })).toEqual({
      create: `set -eu\necho '${REDACTED}' > key\n`,
    });
  });

  it("shows the plain leaves of a secret object whose secret leaf it knows", () => {
    const connection = wrapSecret({ host: "h", user: "u", privateKey: "PLAIN-KEY-123" });
    expect(redact.value({ connection })).toEqual({
      connection: { host: "h", user: "u", privateKey: REDACTED },
    });
  });

  it("counts the placeholder of an undecryptable value as a found secret part", () => {
    expect(redact.value(wrapSecret({ HF_TOKEN: REDACTED, MODE: "x" }))).toEqual({
      HF_TOKEN: REDACTED,
      MODE: "x",
    });
  });

  it("redacts a secret whole when it cannot find the secret part", () => {
    expect(
      redact.value({ s: wrapSecret("echo unknown-token"), o: wrapSecret({ a: "b" }) }),
    ).toEqual({
      s: REDACTED,
      o: REDACTED,
    });
  });

  it("never lets a known secret through, wherever it sits in a secret (property)", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{4,24}$/).filter((s) => !"secret".includes(s)),
        fc.string(),
        fc.string(),
        (secret, before, after) => {
          const r = makeRedactor([secret]);
          const out = r.value(wrapSecret(`${before}${secret}${after}`));
          return typeof out === "string" && out.includes(REDACTED) && !out.includes(secret);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("makeRedactor().text and secretsIn", () => {
  it("scrubs clear stack secrets from any text, and known secrets from computed text", () => {
    const r = makeRedactor(["hf_literal_token", "PLAIN-KEY-123"], ["PLAIN-KEY-123"]);
    expect(r.text("a PLAIN-KEY-123 b hf_literal_token")).toBe(`a ${REDACTED} b hf_literal_token`);
    expect(r.secretsIn("env HF_TOKEN=hf_literal_token")).toBe(`env HF_TOKEN=${REDACTED}`);
  });

  it("scrubs clear stack secrets even where the program read them as plain values", () => {
    const r = makeRedactor([], ["PLAIN-KEY-123"]);
    expect(r.value({ args: ["--key", "PLAIN-KEY-123"] })).toEqual({ args: ["--key", REDACTED] });
  });
});

describe("secretStrings / knownSecrets", () => {
  it("collects strings that are secret as a whole, not the leaves of secret objects", () => {
    const found = secretStrings({
      a: wrapSecret("tok-1234"),
      b: [wrapSecret({ host: "h" })],
      c: "plain",
    });
    expect([...found]).toEqual(["tok-1234"]);
  });

  it("does not treat a script that embeds a known secret as a secret itself", () => {
    const known = knownSecrets(["KEY-1234"], ["echo KEY-1234", "lone-token", `x ${REDACTED}`]);
    expect(known.sort()).toEqual(["KEY-1234", "lone-token"]);
  });
});
