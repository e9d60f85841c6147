/**
 * TLS for padlink connections: PEM helpers, certificate fingerprints, and the
 * client-side upgrade of a TCP connection that trusts only what it is told
 * to trust (a pinned certificate or a `--ca` file). Nothing here accepts an
 * arbitrary certificate.
 *
 * Certificates themselves are made and parsed in `certificate.ts`.
 *
 * @module
 */

import { fromBase64, toBase64, toHex } from "../wire/bytes.ts";
import { closeQuietly } from "../net/close_quietly.ts";
import { Deadline } from "../net/deadline.ts";

/**
 * The DNS name in every certificate padlink generates. Clients that trust a
 * padlink-generated CA verify the server against this name, so the
 * certificate does not depend on the server's address.
 */
export const PADLINK_TLS_NAME = "padlink-server";

/**
 * Every `-----BEGIN CERTIFICATE-----` block of a PEM text, as DER bytes.
 *
 * @example Usage
 * ```ts
 * import { derToPem, pemToDers } from "./tls.ts";
 * const der = new Uint8Array([48, 3, 2, 1, 5]);
 * const [back] = pemToDers(derToPem(der));
 * if (back?.join() !== der.join()) throw new Error();
 * ```
 */
export function pemToDers(pem: string, label = "CERTIFICATE"): Uint8Array<ArrayBuffer>[] {
  const blocks: Uint8Array<ArrayBuffer>[] = [];
  const pattern = new RegExp(`-----BEGIN ${label}-----([^-]*)-----END ${label}-----`, "g");
  for (const match of pem.matchAll(pattern)) {
    blocks.push(fromBase64(match[1]!.replace(/\s+/g, "")));
  }
  return blocks;
}

/** Encode DER bytes as one PEM block (64 characters a line). */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** SHA-256 of `bytes`. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
}

/**
 * Show a SHA-256 digest the way browsers do: upper-case hex pairs joined by
 * colons.
 *
 * @example Usage
 * ```ts
 * import { formatFingerprint } from "./tls.ts";
 * if (formatFingerprint(new Uint8Array([0xab, 1])) !== "AB:01") throw new Error();
 * ```
 */
export function formatFingerprint(digest: Uint8Array): string {
  return toHex(digest, ":").toUpperCase();
}

/** The SHA-256 fingerprint of a DER certificate, formatted. */
export async function fingerprintOf(der: Uint8Array): Promise<string> {
  return formatFingerprint(await sha256(der));
}

/** How a client verifies the server under TLS. */
export interface ClientTlsOptions {
  /** The name the server's certificate must carry. */
  hostname: string;
  /** The only certificates trusted as roots (PEM). */
  caCerts: string[];
  /**
   * Bound into the handshake proofs: SHA-256 of the trusted padlink CA
   * certificate, or empty when trusting a CA given with `--ca` that padlink
   * did not make.
   */
  channelBinding: Uint8Array;
  /** Where the trust came from, for error messages. */
  source:
    | { kind: "pin"; file: string; fingerprint: string }
    | { kind: "ca"; file: string };
}

/** Why upgrading to TLS failed. */
export type TlsFailure = "tls-untrusted" | "not-tls" | "tls-failed" | "timeout";

/** A TLS upgrade that failed, with a message for the user. */
export class TlsUpgradeError extends Error {
  /** What went wrong. */
  readonly kind: TlsFailure;

  /** Create the error. */
  constructor(kind: TlsFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsUpgradeError";
    this.kind = kind;
  }
}

/**
 * Start TLS on a connected TCP socket and complete the handshake, trusting
 * only `tls.caCerts`. The socket is closed on failure.
 *
 * @param conn The TCP connection (consumed).
 * @param tls What to trust.
 * @param where `host:port`, for messages.
 * @param timeoutMs Time allowed for the handshake.
 * @throws {TlsUpgradeError} with a message that says what to do.
 */
export async function upgradeClient(
  conn: Deno.TcpConn,
  tls: ClientTlsOptions,
  where: string,
  timeoutMs: number,
): Promise<Deno.TlsConn> {
  let tlsConn: Deno.TlsConn;
  try {
    tlsConn = await Deno.startTls(conn, { hostname: tls.hostname, caCerts: tls.caCerts });
  } catch (error) {
    closeQuietly(conn);
    throw new TlsUpgradeError("tls-failed", `TLS with ${where} failed: ${message(error)}`, {
      cause: error,
    });
  }
  // On time-out, closing the socket ends the handshake's wait.
  using deadline = new Deadline(timeoutMs, () => closeQuietly(tlsConn));
  try {
    await tlsConn.handshake();
    return tlsConn;
  } catch (error) {
    closeQuietly(tlsConn);
    if (deadline.expired) {
      throw new TlsUpgradeError(
        "timeout",
        `${where} did not complete the TLS handshake within ${timeoutMs} ms; is it a padlink server started with --tls?`,
        { cause: error },
      );
    }
    throw describeTlsFailure(error, tls, where);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turn a failed client handshake into a message that says what to do. */
export function describeTlsFailure(
  error: unknown,
  tls: ClientTlsOptions,
  where: string,
): TlsUpgradeError {
  const text = message(error);
  if (/InvalidContentType|corrupt message|InvalidMessage|not a TLS/i.test(text)) {
    return new TlsUpgradeError(
      "not-tls",
      `the server at ${where} does not use TLS (it answered in plain text): drop --tls on the client, or start the server with --tls`,
      { cause: error },
    );
  }
  if (/invalid peer certificate|certificate/i.test(text)) {
    const source = tls.source;
    if (source.kind === "pin") {
      return new TlsUpgradeError(
        "tls-untrusted",
        `WARNING: the TLS certificate of ${where} does not match the one pinned in ${source.file} (SHA-256 ${source.fingerprint}); someone may be intercepting the connection (a man in the middle), or the server's certificate was regenerated. Nothing was sent. If you know the server's certificate changed, re-pair with --repair and the server's token, or delete the line for ${where} from ${source.file} (${text})`,
        { cause: error },
      );
    }
    return new TlsUpgradeError(
      "tls-untrusted",
      `the TLS certificate of ${where} is not trusted by ${source.file} (${text}); check --ca, and --tls-name if the certificate is for another name. Nothing was sent`,
      { cause: error },
    );
  }
  if (/eof|closed|reset|aborted/i.test(text)) {
    return new TlsUpgradeError(
      "tls-failed",
      `the server at ${where} closed the connection during the TLS handshake (${text}); it may not use TLS, or it rejected the connection`,
      { cause: error },
    );
  }
  return new TlsUpgradeError("tls-failed", `TLS with ${where} failed: ${text}`, { cause: error });
}
