/**
 * Token auth for the handshake and for pairing. The token never crosses the
 * network: each side proves it knows the token with an HMAC-SHA-256 over
 * both nonces, the name and the channel binding (empty on plain TCP, the
 * server certificate's fingerprint under TLS). Pairing's proof is a third
 * role: over both nonces and the certificate handed out. Proofs are checked
 * with `crypto.subtle.verify`, which compares in constant time.
 *
 * @module
 */

import { concatBytes } from "../wire/bytes.ts";
import { NONCE_SIZE } from "../wire/protocol.ts";

/** Crockford's base32 alphabet: no I, L, O or U, so tokens are easy to read aloud. */
const TOKEN_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** Characters in a generated token (5 bits each: 80 bits of entropy). */
export const TOKEN_CHARS = 16;

/** Fewest characters a user-chosen token may have after normalising. */
export const MIN_TOKEN_CHARS = 8;

/** A token that cannot be used, with the reason. */
export class TokenError extends Error {
  /** Create a token error. */
  constructor(message: string) {
    super(message);
    this.name = "TokenError";
  }
}

/**
 * Generate a random token: 16 base32 characters (80 bits) in groups of
 * four, for example `k7q2-m9xd-3fpa-wz8c`.
 *
 * @example Usage
 * ```ts
 * import { generateToken } from "./auth.ts";
 * const token = generateToken();
 * if (!/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/.test(token)) throw new Error(token);
 * ```
 */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_CHARS));
  let token = "";
  for (let i = 0; i < TOKEN_CHARS; i++) {
    if (i > 0 && i % 4 === 0) token += "-";
    token += TOKEN_ALPHABET[bytes[i]! & 31];
  }
  return token;
}

/**
 * Normalise a token as typed by a person: case, dashes and spaces do not
 * matter, and the look-alikes `i`/`l` read as `1` and `o` as `0`.
 *
 * @throws {TokenError} when the token is too short to be safe.
 */
export function normalizeToken(token: string): string {
  const normalized = token.toLowerCase().replace(/[\s-]/g, "").replace(/[il]/g, "1")
    .replace(/o/g, "0");
  if (normalized.length < MIN_TOKEN_CHARS) {
    throw new TokenError(
      `the token must have at least ${MIN_TOKEN_CHARS} characters (dashes and spaces do not count)`,
    );
  }
  return normalized;
}

/**
 * Show a normalised token in groups of four, the way people read it out.
 *
 * @example Usage
 * ```ts
 * import { formatToken } from "./auth.ts";
 * if (formatToken("abcd1234efgh") !== "abcd-1234-efgh") throw new Error();
 * ```
 */
export function formatToken(token: string): string {
  return token.match(/.{1,4}/g)?.join("-") ?? token;
}

/** Fresh random nonce for a handshake. */
export function newNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_SIZE));
}

/** What a proof binds: both nonces, the name, and the TLS channel if any. */
export interface ProofContext {
  /** The nonce the server sent in HELLO. */
  serverNonce: Uint8Array;
  /** The nonce the client sent in JOIN. */
  clientNonce: Uint8Array;
  /** The client's requested name (JOIN) or the assigned name (WELCOME). */
  name: string;
  /** SHA-256 of the server certificate under TLS; empty on plain TCP. */
  channelBinding?: Uint8Array;
  /**
   * The JOIN's session id, bound into both proofs when both sides negotiate
   * capabilities (this release and later), so that a JOIN's session id
   * cannot be changed in flight to take over another client's session and
   * name. Without it the proof is the first release's.
   */
  session?: Uint8Array;
}

/** What a pairing proof binds: both nonces and the certificate handed out. */
export interface PairProofContext {
  /** The nonce of the client's request. */
  clientNonce: Uint8Array;
  /** The nonce of the server's answer. */
  serverNonce: Uint8Array;
  /** SHA-256 of the CA certificate (DER) the server hands out. */
  certificateDigest: Uint8Array;
}

/** What each role's proof binds. */
export interface ProofContexts {
  /** The client's proof, in JOIN. */
  join: ProofContext;
  /** The server's proof, in WELCOME. */
  welcome: ProofContext;
  /** The server's proof of the certificate it hands out when pairing. */
  pair: PairProofContext;
}

/**
 * The roles of a proof: the two directions of the handshake, and pairing.
 * Each has its own label, which stops a proof made for one role from being
 * replayed as another.
 */
export type ProofRole = keyof ProofContexts;

const encoder = new TextEncoder();

/** The bytes the MAC covers: `padlink/1 <role>\0`, then the role's fields. */
function proofInput<R extends ProofRole>(
  role: R,
  context: ProofContexts[R],
): Uint8Array<ArrayBuffer> {
  const label = encoder.encode(`padlink/1 ${role}\u0000`);
  if (role === "pair") {
    const pair = context as PairProofContext;
    return concatBytes([label, pair.clientNonce, pair.serverNonce, pair.certificateDigest]);
  }
  const handshake = context as ProofContext;
  // As in the first release, then the session id with its length when one
  // is bound: a first-release peer's proofs stay byte-identical, and the
  // name (no NUL in it) and the fixed-size fields keep every layout apart.
  const parts = [
    label,
    handshake.serverNonce,
    handshake.clientNonce,
    encoder.encode(handshake.name),
    new Uint8Array([0]),
    handshake.channelBinding ?? new Uint8Array(0),
  ];
  if (handshake.session) parts.push(new Uint8Array([handshake.session.length]), handshake.session);
  return concatBytes(parts);
}

/**
 * Import a token as an HMAC-SHA-256 key, for every role.
 *
 * @throws {TokenError} (as a rejection) when the token is too short.
 */
export async function tokenKey(token: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    encoder.encode(normalizeToken(token)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** Compute the proof for `role` under `key`. */
export async function computeProof<R extends ProofRole>(
  key: CryptoKey,
  role: R,
  context: ProofContexts[R],
): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign("HMAC", key, proofInput(role, context));
  return new Uint8Array(mac);
}

/** Check a proof in constant time. */
export function verifyProof<R extends ProofRole>(
  key: CryptoKey,
  role: R,
  context: ProofContexts[R],
  proof: Uint8Array,
): Promise<boolean> {
  return crypto.subtle.verify("HMAC", key, new Uint8Array(proof), proofInput(role, context));
}
