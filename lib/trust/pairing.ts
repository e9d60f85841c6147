/**
 * Pairing: how a client that has the server's token, but no certificate to
 * trust yet, gets the server's CA certificate without the token ever
 * crossing the network.
 *
 * The exchange runs in plain TCP on the pairing port (the TLS port + 1),
 * because a TLS listener cannot speak before its handshake, and the client
 * has nothing to verify a handshake with yet:
 *
 * 1. client → server: `padlink-pair/1`, a fresh 32-byte client nonce.
 * 2. server → client: `padlink-pair/1`, status 0, a fresh 32-byte server
 *    nonce, the CA certificate (DER), and
 *    `HMAC-SHA-256(token, "padlink/1 pair\0" ‖ client nonce ‖ server nonce ‖ SHA-256(certificate))`,
 *    the `pair` role of the token proof in `auth.ts`.
 *
 * Each message is one frame of `frame.ts` (a 2-byte length, then the bytes).
 *
 * The client checks the HMAC in constant time (`crypto.subtle.verify`). Only
 * a server that knows the token can produce it for this client nonce, so a
 * man in the middle cannot substitute its own certificate, and a recorded
 * answer does not verify against a new nonce. The client then pins the
 * certificate (see `known_hosts.ts`) and connects with TLS trusting only it.
 *
 * @module
 */

import { concatBytes } from "../wire/bytes.ts";
import { encodeFrame, FrameDecoder, OversizeFrameError } from "../wire/frame.ts";
import { closeQuietly } from "../net/close_quietly.ts";
import { formatAddr } from "../net/connection.ts";
import { Deadline } from "../net/deadline.ts";
import { AcceptLoop } from "../net/listener.ts";
import { computeProof, tokenKey, verifyProof } from "./auth.ts";
import { configPath } from "./config_dir.ts";
import { KNOWN_HOSTS_FILE, lookupKnownHost, pinKnownHost } from "./known_hosts.ts";
import { AddressSlots } from "../net/address_slots.ts";
import { LogThrottle } from "../net/log_throttle.ts";
import {
  type ClientTlsOptions,
  derToPem,
  fingerprintOf,
  PADLINK_TLS_NAME,
  pemToDers,
  sha256,
} from "./tls.ts";

/** Bytes that start every pairing message. */
const MAGIC = new TextEncoder().encode("padlink-pair/1");
/** Size of each nonce. */
const PAIR_NONCE_SIZE = 32;
/** Largest pairing message accepted. */
const MAX_PAIR_MESSAGE = 8192;
/** Status byte: the answer carries the certificate. */
const STATUS_OK = 0;
/** Status byte: refused; a UTF-8 reason follows. */
const STATUS_REFUSED = 1;
/**
 * Most pairing exchanges in progress at once. Past it the oldest exchange
 * of the address holding the most is dropped, so a flood from some
 * addresses never keeps another address from pairing.
 */
export const MAX_PAIRING_CONNECTIONS = 32;

/** Most pairing exchanges in progress at once from one address; past it its oldest is dropped. */
export const MAX_PAIRING_CONNECTIONS_PER_ADDRESS = 8;

/**
 * Default time a pairing client has to send its request, in ms: one round
 * trip is all an honest client needs, so a short deadline frees the slots
 * that idle connections take.
 */
export const PAIRING_DEADLINE_MS = 1000;

/** Pairing log lines allowed per second (bursts of twice that); the rest are counted. */
const PAIRING_LOG_LINES_PER_SECOND = 10;

/** The pairing port for a TLS port. */
export function pairingPort(tlsPort: number): number {
  return tlsPort + 1;
}

/** Pairing could not be done; the message says why and what to do. */
export class PairingError extends Error {
  /** Create the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PairingError";
  }
}

/** Read one framed message, within `timeoutMs`; the connection is closed on timeout. */
async function readMessage(conn: Deno.Conn, timeoutMs: number): Promise<Uint8Array> {
  const decoder = new FrameDecoder({ maxFrameSize: MAX_PAIR_MESSAGE });
  const messages: Uint8Array[] = [];
  // On time-out, closing the socket ends the read's wait.
  using deadline = new Deadline(timeoutMs, () => closeQuietly(conn));
  const chunk = new Uint8Array(4096);
  // Bounded: every pass reads at least one byte, and the decoder refuses a
  // frame over the cap before buffering it.
  while (messages.length === 0) {
    let n: number | null;
    try {
      n = await conn.read(chunk);
    } catch (error) {
      if (deadline.expired) throw new PairingError(`no answer within ${timeoutMs} ms`);
      throw error;
    }
    if (n === null) {
      if (deadline.expired) throw new PairingError(`no answer within ${timeoutMs} ms`);
      throw new PairingError("the connection closed in the middle of the exchange");
    }
    try {
      decoder.push(chunk.subarray(0, n), (payload) => messages.push(payload.slice()));
    } catch (error) {
      if (error instanceof OversizeFrameError) {
        throw new PairingError(`message of ${error.length} bytes`);
      }
      throw error;
    }
  }
  return messages[0]!;
}

function startsWithMagic(payload: Uint8Array): boolean {
  return payload.length >= MAGIC.length && MAGIC.every((b, i) => payload[i] === b);
}

/** Options for {@linkcode PairingServer.start}. */
export interface PairingServerOptions {
  /** Interface to listen on. */
  hostname: string;
  /** Port; normally {@linkcode pairingPort} of the TLS port, 0 for any. */
  port: number;
  /** The shared token. */
  token: string;
  /** The CA certificate handed out (DER). */
  caDer: Uint8Array;
  /** Time a client has to send its request, in ms. Default {@linkcode PAIRING_DEADLINE_MS}. */
  timeoutMs?: number;
  /** Diagnostics. */
  onLog?: (message: string) => void;
}

/**
 * The server side of pairing: answers each request with the CA certificate
 * and its HMAC. It answers anyone who asks: one answer is all an offline
 * guesser needs, so counting answers per address protected nothing, and
 * refusing an address after a few requests let anyone behind it (or anyone
 * spoofing nothing more than a request) block honest pairings there. What
 * is bounded is the exchanges in progress: {@linkcode MAX_PAIRING_CONNECTIONS}
 * in all, {@linkcode MAX_PAIRING_CONNECTIONS_PER_ADDRESS} per address, each
 * within the deadline.
 */
export class PairingServer implements AsyncDisposable {
  readonly #key: Promise<CryptoKey>;
  readonly #caDer: Uint8Array;
  readonly #timeoutMs: number;
  readonly #log: (message: string) => void;
  readonly #logThrottle = new LogThrottle({
    perSecond: PAIRING_LOG_LINES_PER_SECOND,
    burst: 2 * PAIRING_LOG_LINES_PER_SECOND,
  });
  readonly #slots = new AddressSlots<Deno.Conn>({
    total: MAX_PAIRING_CONNECTIONS,
    perAddress: MAX_PAIRING_CONNECTIONS_PER_ADDRESS,
  });
  readonly #conns = new Set<Deno.Conn>();
  readonly #handlers = new Set<Promise<void>>();
  readonly #acceptLoop: AcceptLoop;
  #closing = false;

  private constructor(listener: Deno.Listener, options: PairingServerOptions) {
    this.#key = tokenKey(options.token);
    this.#caDer = options.caDer;
    this.#timeoutMs = options.timeoutMs ?? PAIRING_DEADLINE_MS;
    this.#log = options.onLog ?? (() => {});
    this.#acceptLoop = new AcceptLoop(listener, {
      onConnection: (conn) => this.#admit(conn),
      // Out of file descriptors: drop the oldest exchange to make room.
      onAcceptFailure: () => {
        const oldest = this.#slots.evictOne();
        if (oldest) closeQuietly(oldest);
        return oldest !== null;
      },
      onLog: this.#log,
      logPrefix: "pairing: ",
    });
  }

  /**
   * Listen for pairing requests.
   *
   * @throws {Deno.errors.AddrInUse} when the port is taken.
   */
  static start(options: PairingServerOptions): PairingServer {
    const listener = Deno.listen({ hostname: options.hostname, port: options.port });
    return new PairingServer(listener, options);
  }

  /** The address it listens on. */
  get addr(): Deno.NetAddr {
    return this.#acceptLoop.addr;
  }

  /** Log a line, at most {@linkcode PAIRING_LOG_LINES_PER_SECOND} a second; the rest are counted. */
  #onLog(message: string): void {
    const held = this.#logThrottle.take();
    if (held === null) return;
    const more = held > 0 ? ` (${held} more pairing lines not shown)` : "";
    this.#log(`${message}${more}`);
  }

  #admit(conn: Deno.Conn): void {
    const ip = (conn.remoteAddr as Deno.NetAddr).hostname;
    const evicted = this.#slots.admit(ip, conn);
    if (evicted) {
      this.#onLog(
        `pairing: more than ${MAX_PAIRING_CONNECTIONS} exchanges in progress (or ${MAX_PAIRING_CONNECTIONS_PER_ADDRESS} from one address); dropped the oldest`,
      );
      closeQuietly(evicted);
    }
    this.#conns.add(conn);
    const handler = this.#handle(conn).finally(() => {
      this.#conns.delete(conn);
      this.#slots.release(ip, conn);
      this.#handlers.delete(handler);
    });
    this.#handlers.add(handler);
  }

  async #handle(conn: Deno.Conn): Promise<void> {
    const peer = formatAddr(conn.remoteAddr);
    try {
      const request = await readMessage(conn, this.#timeoutMs);
      if (!startsWithMagic(request) || request.length !== MAGIC.length + PAIR_NONCE_SIZE) {
        this.#onLog(`${peer}: pairing refused: not a pairing request`);
        return;
      }
      const clientNonce = request.subarray(MAGIC.length);
      const serverNonce = crypto.getRandomValues(new Uint8Array(PAIR_NONCE_SIZE));
      const der = this.#caDer;
      const mac = await computeProof(await this.#key, "pair", {
        clientNonce,
        serverNonce,
        certificateDigest: await sha256(der),
      });
      await conn.write(encodeFrame(concatBytes([
        MAGIC,
        new Uint8Array([STATUS_OK]),
        serverNonce,
        new Uint8Array([der.length >> 8, der.length & 0xff]),
        der,
        mac,
      ])));
      this.#onLog(`${peer}: sent the certificate for pairing`);
    } catch (error) {
      if (!this.#closing) {
        this.#onLog(`${peer}: pairing failed: ${(error as Error).message}`);
      }
    } finally {
      closeQuietly(conn);
    }
  }

  /** Stop listening and drop exchanges in progress. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const stopped = this.#acceptLoop.close();
    for (const conn of this.#conns) closeQuietly(conn);
    await stopped;
    await Promise.allSettled([...this.#handlers]);
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Options for {@linkcode pair}. */
export interface PairOptions {
  /** Server host. */
  host: string;
  /** The pairing port (normally the TLS port + 1). */
  port: number;
  /** The shared token. */
  token: string;
  /** Time allowed for the whole exchange, in ms. Default 5000. */
  timeoutMs?: number;
}

/**
 * Ask the server for its CA certificate and check, with the token, that it
 * really comes from the server.
 *
 * @returns the certificate (DER).
 * @throws {PairingError} with a message for the user.
 */
export async function pair(options: PairOptions): Promise<Uint8Array<ArrayBuffer>> {
  const where = `${options.host}:${options.port}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const key = await tokenKey(options.token);
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: options.host, port: options.port });
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) {
      throw new PairingError(
        `cannot pair with ${where}: nothing listens on that pairing port (the server's TLS port + 1). Start the server with --tls (pairing needs its generated certificate and a token), or give the client the server's CA with --ca`,
        { cause: error },
      );
    }
    throw new PairingError(`cannot pair with ${where}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const clientNonce = crypto.getRandomValues(new Uint8Array(PAIR_NONCE_SIZE));
    await conn.write(encodeFrame(concatBytes([MAGIC, clientNonce])));
    let answer: Uint8Array;
    try {
      answer = await readMessage(conn, timeoutMs);
    } catch (error) {
      throw new PairingError(
        `pairing with ${where} failed: ${
          (error as Error).message
        }; is it a padlink server's pairing port?`,
        { cause: error },
      );
    }
    if (!startsWithMagic(answer) || answer.length < MAGIC.length + 1) {
      throw new PairingError(`${where} did not answer as a padlink pairing port`);
    }
    const status = answer[MAGIC.length]!;
    const body = answer.subarray(MAGIC.length + 1);
    if (status === STATUS_REFUSED) {
      throw new PairingError(
        `the server at ${where} refused to pair: ${new TextDecoder().decode(body)}`,
      );
    }
    const certStart = PAIR_NONCE_SIZE + 2;
    const certLength = ((body[PAIR_NONCE_SIZE] ?? 0) << 8) | (body[PAIR_NONCE_SIZE + 1] ?? 0);
    if (status !== STATUS_OK || body.length !== certStart + certLength + 32) {
      throw new PairingError(`${where} sent a malformed pairing answer`);
    }
    const serverNonce = body.subarray(0, PAIR_NONCE_SIZE);
    const der = body.slice(certStart, certStart + certLength);
    const mac = body.slice(certStart + certLength);
    const ok = await verifyProof(key, "pair", {
      clientNonce,
      serverNonce,
      certificateDigest: await sha256(der),
    }, mac);
    if (!ok) {
      throw new PairingError(
        `pairing with ${where} failed: the answer is not signed with the token. Either the token is wrong (use the one padlink-server printed), or someone else answered (a man in the middle, or a replayed exchange). Nothing was pinned`,
      );
    }
    return der;
  } finally {
    closeQuietly(conn);
  }
}

/** Options for {@linkcode resolveClientTls}. */
export interface ClientTrustOptions {
  /** Server host. */
  host: string;
  /** Server (TLS) port. */
  port: number;
  /** A CA or certificate file to trust instead of pairing. */
  caFile?: string;
  /** Name to verify the certificate against (with `caFile`); default `host`. */
  tlsName?: string;
  /** The client's config directory (for the known-hosts file). */
  configDir: string;
  /** The token, needed to pair. */
  token?: string;
  /** Pair again even when a pin exists (the server's certificate changed on purpose). */
  repair?: boolean;
  /** The pairing port; default {@linkcode pairingPort} of `port`. */
  pairPort?: number;
  /** Time allowed for pairing, in ms. */
  timeoutMs?: number;
  /** Progress messages. */
  onStatus?: (message: string) => void;
}

/**
 * Decide what the client trusts: the `--ca` file, else the pinned
 * certificate for `host:port`, else pair with the token and pin the result.
 * With none of them it refuses: nothing accepts an arbitrary certificate.
 *
 * @throws {PairingError} with a message for the user.
 */
export async function resolveClientTls(options: ClientTrustOptions): Promise<ClientTlsOptions> {
  const where = `${
    options.host.includes(":") ? `[${options.host}]` : options.host
  }:${options.port}`;
  if (options.caFile !== undefined) {
    let pem: string;
    try {
      pem = await Deno.readTextFile(options.caFile);
    } catch (error) {
      throw new PairingError(
        error instanceof Deno.errors.NotFound
          ? `--ca ${options.caFile}: no such file`
          : `--ca ${options.caFile}: cannot read it (${(error as Error).message})`,
      );
    }
    const ders = pemToDers(pem);
    if (ders.length === 0) {
      throw new PairingError(`--ca ${options.caFile}: no PEM certificate in it`);
    }
    // The server's own generated CA (copied from its config directory):
    // verify against the fixed name and bind the handshake to it.
    // Loaded only here: the certificate library is large, and most runs never need it.
    const { isPadlinkCa } = await import("./certificate.ts");
    const padlinkCa = ders.length === 1 && isPadlinkCa(ders[0]!);
    return {
      hostname: options.tlsName ?? (padlinkCa ? PADLINK_TLS_NAME : options.host),
      caCerts: ders.map((der) => derToPem(der)),
      channelBinding: padlinkCa ? await sha256(ders[0]!) : new Uint8Array(0),
      source: { kind: "ca", file: options.caFile },
    };
  }
  const file = configPath(options.configDir, KNOWN_HOSTS_FILE);
  let pinned;
  try {
    pinned = options.repair ? null : await lookupKnownHost(file, where);
  } catch (error) {
    throw new PairingError((error as Error).message, { cause: error });
  }
  if (pinned) {
    return {
      hostname: PADLINK_TLS_NAME,
      caCerts: [derToPem(pinned.der)],
      channelBinding: await sha256(pinned.der),
      source: { kind: "pin", file, fingerprint: pinned.fingerprint },
    };
  }
  if (options.token === undefined && options.repair) {
    throw new PairingError(
      `--repair pairs again with the server's token: pass it with --token or PADLINK_TOKEN`,
    );
  }
  if (options.token === undefined) {
    throw new PairingError(
      `no way to trust the server at ${where}: it is not paired (nothing for it in ${file}). Pass the server's token (--token or PADLINK_TOKEN) to pair, or its CA certificate with --ca FILE`,
    );
  }
  const pairPort = options.pairPort ?? pairingPort(options.port);
  const der = await pair({
    host: options.host,
    port: pairPort,
    token: options.token,
    timeoutMs: options.timeoutMs,
  });
  let fingerprint: string;
  try {
    fingerprint = await pinKnownHost(file, where, der);
  } catch (error) {
    throw new PairingError((error as Error).message, { cause: error });
  }
  options.onStatus?.(
    `paired with ${where}: certificate SHA-256 ${fingerprint} pinned in ${file}; compare it with the fingerprint padlink-server printed`,
  );
  return {
    hostname: PADLINK_TLS_NAME,
    caCerts: [derToPem(der)],
    channelBinding: await sha256(der),
    source: { kind: "pin", file, fingerprint: await fingerprintOf(der) },
  };
}
