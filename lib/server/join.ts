/**
 * Whether a server admits a client's JOIN, as pure functions of the decoded
 * message and the server's policy: no sockets, no clock, no crypto. The
 * session runs them in this order, with the token proof checked between
 * {@linkcode checkJoin} and {@linkcode checkCapacity}:
 *
 * 1. {@linkcode checkJoin}: protocol version, name, token present;
 * 2. the HMAC proof of the token (async; {@linkcode WRONG_TOKEN}, after a
 *    delay, when it fails; a correct proof is never refused, whatever failed
 *    before it from the same address);
 * 3. a reconnecting client's old session is ended (it frees a place);
 * 4. {@linkcode checkCapacity}: the most clients at once.
 *
 * @module
 */

import { type Join, type Refuse, RefuseCode } from "../wire/protocol.ts";
import { normalizeClientName, validateClientName } from "../wire/names.ts";

/** What a server allows, as {@linkcode checkJoin} needs it for one JOIN. */
export interface JoinPolicy {
  /** The protocol version the server speaks. */
  protocolVersion: number;
  /** Whether clients must prove the token. */
  tokenRequired: boolean;
}

/** The outcome of {@linkcode checkJoin}: admit under a name, or refuse with a code and reason. */
export type JoinVerdict =
  | {
    /** The JOIN passes the policy. */
    accept: true;
    /** The name asked for, in NFC and trimmed; the server makes it unique. */
    name: string;
  }
  | ({
    /** The JOIN is refused; send REFUSE with this code and reason. */
    accept: false;
  } & Refuse);

/** The refusal for a token proof that does not verify. */
export const WRONG_TOKEN: Readonly<Refuse> = {
  code: RefuseCode.TOKEN_WRONG,
  reason: "wrong token",
};

/**
 * Judge a JOIN against the server's policy. When the token is required and
 * the verdict is to accept, the proof must still verify.
 *
 * @example A client of another protocol version
 * ```ts
 * import { checkJoin } from "./join.ts";
 * const verdict = checkJoin(
 *   { version: 9, flags: 0, name: "alice", nonce: new Uint8Array(16), proof: new Uint8Array(0) },
 *   { protocolVersion: 1, tokenRequired: false },
 * );
 * if (verdict.accept || verdict.code !== 2) throw new Error("expected a VERSION refusal");
 * ```
 */
export function checkJoin(join: Join, policy: JoinPolicy): JoinVerdict {
  if (join.version !== policy.protocolVersion) {
    return refuse(
      RefuseCode.VERSION,
      `server speaks padlink protocol v${policy.protocolVersion}, client sent v${join.version}`,
    );
  }
  const nameProblem = validateClientName(join.name);
  if (nameProblem) return refuse(RefuseCode.BAD_NAME, nameProblem);
  if (policy.tokenRequired && join.proof.length === 0) {
    return refuse(RefuseCode.TOKEN_REQUIRED, "this server requires a token");
  }
  return { accept: true, name: normalizeClientName(join.name) };
}

/**
 * Refuse a client when `active` clients are connected already and the most
 * allowed is `maxClients`.
 *
 * @returns the refusal, or null when there is room.
 */
export function checkCapacity(active: number, maxClients: number): Refuse | null {
  if (active < maxClients) return null;
  return {
    code: RefuseCode.SERVER_FULL,
    reason: `server is full (${maxClients} client${maxClients === 1 ? "" : "s"})`,
  };
}

function refuse(code: number, reason: string): JoinVerdict {
  return { accept: false, code, reason };
}
