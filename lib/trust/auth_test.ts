import assert from "node:assert/strict";
import {
  computeProof,
  formatToken,
  generateToken,
  MIN_TOKEN_CHARS,
  newNonce,
  normalizeToken,
  type ProofContext,
  TOKEN_CHARS,
  TokenError,
  tokenKey,
  verifyProof,
} from "./auth.ts";
import { NONCE_SIZE, PROOF_SIZE } from "../wire/protocol.ts";
import { concatBytes } from "../wire/bytes.ts";

/** Crockford base32 in groups of four: no i, l, o or u. */
const TOKEN_FORMAT = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

Deno.test("generateToken makes 16 Crockford base32 characters in groups of four", () => {
  for (let i = 0; i < 500; i++) {
    const token = generateToken();
    assert.match(token, TOKEN_FORMAT);
    // A generated token is already normal, and reads back the same way.
    const normal = normalizeToken(token);
    assert.equal(normal.length, TOKEN_CHARS);
    assert.equal(formatToken(normal), token);
  }
});

Deno.test("generateToken makes distinct tokens using the whole alphabet", () => {
  const tokens = new Set<string>();
  const chars = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const token = generateToken();
    tokens.add(token);
    for (const c of token.replaceAll("-", "")) chars.add(c);
  }
  assert.equal(tokens.size, 2000);
  assert.equal(chars.size, 32);
});

Deno.test("normalizeToken ignores case, dashes and spaces", () => {
  assert.equal(normalizeToken("K7Q2-M9XD-3FPA-WZ8C"), "k7q2m9xd3fpawz8c");
  assert.equal(normalizeToken(" k7q2 m9xd\t3fpa-wz8c \n"), "k7q2m9xd3fpawz8c");
  assert.equal(normalizeToken("k7q2--m9xd"), "k7q2m9xd");
});

Deno.test("normalizeToken reads the look-alikes i, l and o as 1, 1 and 0", () => {
  assert.equal(normalizeToken("IiLl-Oo01"), "11110001");
  assert.equal(normalizeToken("h0la-h1la"), normalizeToken("HOLA-HILA"));
});

Deno.test("normalizeToken throws TokenError for a token that is too short", () => {
  for (const short of ["", "abc", "abcd-efg", "  a b c d e f g  ", "----------"]) {
    assert.throws(() => normalizeToken(short), (error: unknown) => {
      assert.ok(error instanceof TokenError);
      assert.equal(error.name, "TokenError");
      assert.match(error.message, /token must have at least 8 characters/);
      return true;
    }, JSON.stringify(short));
  }
  assert.equal(normalizeToken("a".repeat(MIN_TOKEN_CHARS)), "aaaaaaaa");
});

Deno.test("formatToken groups characters in fours", () => {
  assert.equal(formatToken("abcd1234efgh"), "abcd-1234-efgh");
  assert.equal(formatToken("abcd12"), "abcd-12");
  assert.equal(formatToken(""), "");
});

Deno.test("newNonce makes fresh 16-byte nonces", () => {
  const a = newNonce();
  const b = newNonce();
  assert.equal(a.length, NONCE_SIZE);
  assert.notDeepEqual(a, b);
});

function context(overrides: Partial<ProofContext> = {}): ProofContext {
  return {
    serverNonce: new Uint8Array(NONCE_SIZE).fill(1),
    clientNonce: new Uint8Array(NONCE_SIZE).fill(2),
    name: "alice",
    ...overrides,
  };
}

Deno.test("computeProof makes a 32-byte proof that verifyProof accepts", async () => {
  const key = await tokenKey("k7q2-m9xd-3fpa-wz8c");
  for (const role of ["join", "welcome"] as const) {
    const proof = await computeProof(key, role, context());
    assert.equal(proof.length, PROOF_SIZE);
    assert.equal(await verifyProof(key, role, context(), proof), true);
    // Deterministic for the same inputs.
    assert.deepEqual(await computeProof(key, role, context()), proof);
  }
});

Deno.test("verifyProof accepts the token however the user typed it", async () => {
  const proof = await computeProof(await tokenKey("k7q2-m9xd-3fpa-wz8c"), "join", context());
  for (const typed of ["K7Q2M9XD3FPAWZ8C", " k7q2 m9xd 3fpa wz8c ", "k7q2-m9xd-3fpa-wz8c"]) {
    assert.equal(await verifyProof(await tokenKey(typed), "join", context(), proof), true, typed);
  }
});

Deno.test("verifyProof rejects a wrong token", async () => {
  const proof = await computeProof(await tokenKey("k7q2-m9xd-3fpa-wz8c"), "join", context());
  for (const wrong of ["k7q2-m9xd-3fpa-wz8d", "x7q2-m9xd-3fpa-wz8c", "k7q2-m9xd-3fpa-wz8"]) {
    assert.equal(await verifyProof(await tokenKey(wrong), "join", context(), proof), false, wrong);
  }
});

Deno.test("verifyProof rejects a proof made for other nonces, name or channel", async () => {
  const key = await tokenKey("k7q2-m9xd-3fpa-wz8c");
  const proof = await computeProof(key, "join", context());
  const flipped = (nonce: Uint8Array) => nonce.map((b, i) => i === 15 ? b ^ 1 : b);
  const others: [string, ProofContext][] = [
    ["another server nonce", context({ serverNonce: flipped(context().serverNonce) })],
    ["another client nonce", context({ clientNonce: flipped(context().clientNonce) })],
    [
      "swapped nonces",
      context({ serverNonce: context().clientNonce, clientNonce: context().serverNonce }),
    ],
    ["another name", context({ name: "alice#2" })],
    ["another name's case", context({ name: "Alice" })],
    ["a channel binding", context({ channelBinding: new Uint8Array(32).fill(7) })],
  ];
  for (const [what, other] of others) {
    assert.equal(await verifyProof(key, "join", other, proof), false, what);
  }
  // Two different channel bindings (TLS certificate fingerprints) do not match either.
  const bound = context({ channelBinding: new Uint8Array(32).fill(7) });
  const boundProof = await computeProof(key, "join", bound);
  assert.equal(await verifyProof(key, "join", bound, boundProof), true);
  const otherCert = context({ channelBinding: new Uint8Array(32).fill(8) });
  assert.equal(await verifyProof(key, "join", otherCert, boundProof), false);
  assert.equal(await verifyProof(key, "join", context(), boundProof), false);
});

Deno.test("verifyProof rejects a proof made for the other role", async () => {
  const key = await tokenKey("k7q2-m9xd-3fpa-wz8c");
  const join = await computeProof(key, "join", context());
  const welcome = await computeProof(key, "welcome", context());
  assert.notDeepEqual(join, welcome);
  // A server cannot reflect the client's proof back as its WELCOME, nor the reverse.
  assert.equal(await verifyProof(key, "welcome", context(), join), false);
  assert.equal(await verifyProof(key, "join", context(), welcome), false);
});

Deno.test("verifyProof rejects a truncated, extended, altered or empty proof", async () => {
  const key = await tokenKey("k7q2-m9xd-3fpa-wz8c");
  const proof = await computeProof(key, "join", context());
  const altered = proof.slice();
  altered[0]! ^= 0x80;
  for (
    const bad of [
      proof.subarray(0, 31),
      new Uint8Array([...proof, 0]),
      altered,
      new Uint8Array(0),
      new Uint8Array(32),
    ]
  ) {
    assert.equal(await verifyProof(key, "join", context(), bad), false, `${bad.length} bytes`);
  }
});

Deno.test("tokenKey rejects a token that is too short", async () => {
  await assert.rejects(() => tokenKey("short"), TokenError);
});

Deno.test("computeProof's pair role is HMAC over the label, client nonce, server nonce and certificate digest", async () => {
  // The pairing wire format (docs/security.md): moving pairing's MAC into
  // auth.ts must not change a byte of it.
  const token = "k7q2-m9xd-3fpa-wz8c";
  const pair = {
    clientNonce: newNonce(),
    serverNonce: newNonce(),
    certificateDigest: crypto.getRandomValues(new Uint8Array(32)),
  };
  const raw = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(normalizeToken(token)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const expected = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      raw,
      concatBytes([
        new TextEncoder().encode("padlink/1 pair\u0000"),
        pair.clientNonce,
        pair.serverNonce,
        pair.certificateDigest,
      ]),
    ),
  );
  const key = await tokenKey(token);
  const proof = await computeProof(key, "pair", pair);
  assert.deepEqual(proof, expected);
  assert.equal(await verifyProof(key, "pair", pair, proof), true);
  const otherCert = { ...pair, certificateDigest: new Uint8Array(32) };
  assert.equal(await verifyProof(key, "pair", otherCert, proof), false);
});

Deno.test("verifyProof refuses a proof made for another role", async () => {
  const key = await tokenKey("k7q2-m9xd-3fpa-wz8c");
  const nonces = { clientNonce: newNonce(), serverNonce: newNonce() };
  const pairProof = await computeProof(key, "pair", {
    ...nonces,
    certificateDigest: new Uint8Array(0),
  });
  const handshake = { ...nonces, name: "", channelBinding: new Uint8Array(0) };
  assert.equal(await verifyProof(key, "join", handshake, pairProof), false);
  assert.equal(await verifyProof(key, "welcome", handshake, pairProof), false);
});

Deno.test("verifyProof binds the session id when there is one, and only then", async () => {
  const key = await tokenKey("k7q2-m9xd-3fpa-wz8c");
  const session = new Uint8Array(16).fill(5);
  const bound = await computeProof(key, "join", context({ session }));
  assert.equal(await verifyProof(key, "join", context({ session }), bound), true);
  const other = new Uint8Array(16).fill(6);
  assert.equal(await verifyProof(key, "join", context({ session: other }), bound), false);
  assert.equal(await verifyProof(key, "join", context(), bound), false);
  // Without a session id the proof is the first release's, over the same bytes as before.
  const unbound = await computeProof(key, "join", context());
  assert.equal(await verifyProof(key, "join", context({ session }), unbound), false);
  const firstRelease = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode("k7q2m9xd3fpawz8c"),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      ),
      new Uint8Array([
        ...new TextEncoder().encode("padlink/1 join\u0000"),
        ...new Uint8Array(NONCE_SIZE).fill(1),
        ...new Uint8Array(NONCE_SIZE).fill(2),
        ...new TextEncoder().encode("alice"),
        0,
      ]),
    ),
  );
  assert.deepEqual(unbound, firstRelease);
});
