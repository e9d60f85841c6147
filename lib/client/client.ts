/**
 * The client side of one padlink connection: connect, complete the
 * handshake, send input batches (one write each), answer heartbeats, and
 * say goodbye so that nothing sent is lost.
 *
 * Reconnecting and resyncing live one level up, in `forwarder.ts`.
 *
 * @module
 */

import { computeProof, newNonce, tokenKey, verifyProof } from "../trust/auth.ts";
import { FramedConnection, isDisconnectError } from "../net/connection.ts";
import { Deadline, withDeadline } from "../net/deadline.ts";
import { type LivenessPeer, LivenessTicker } from "../net/liveness.ts";
import { FrameError, OversizeFrameError } from "../wire/frame.ts";
import { type MicrosClock, wallClockMicros } from "../net/clock_sync.ts";
import type { InputEvent } from "../input/model.ts";
import { Outbox } from "./outbox.ts";
import { type ClientTlsOptions, TlsUpgradeError, upgradeClient } from "../trust/tls.ts";
import {
  type Capabilities,
  CLIENT_CAPABILITIES,
  decodeHello,
  decodeRefuse,
  decodeWelcome,
  encodeClockReply,
  encodeJoin,
  encodePing,
  type FeedbackMessage,
  GoodbyeCode,
  HEARTBEAT_FRAME,
  HELLO_FLAG_AUTH,
  HELLO_FLAG_CAPABILITIES,
  InputEncoder,
  MessageType,
  messageTypeOf,
  PROTOCOL_VERSION,
  ProtocolError,
  RefuseCode,
  RTT_UNKNOWN,
  type ServerMessageSink,
  SessionDecoder,
  V1_SERVER_CAPABILITIES,
} from "../wire/protocol.ts";

/**
 * The goodbye waits this long for the server's acknowledgement, and then
 * as long again each time the server confirmed more in the meantime.
 */
export const GOODBYE_WAIT_MS = 2000;

/**
 * Lowest pace at which a busy server is still trusted to work through what
 * it has not confirmed, in bytes/s (about 33,000 button events/s; the
 * server manages millions): the goodbye's wait grows by the unconfirmed
 * bytes at this pace.
 */
export const MIN_CONFIRM_BYTES_PER_S = 100 * 1024;

/** Why a connection attempt failed; `kind` tells the caller what to say. */
export type ConnectFailure =
  | "unreachable"
  | "not-padlink"
  | "version"
  | "token-required"
  | "token-wrong"
  | "server-auth"
  | "server-no-auth"
  | "refused"
  | "timeout"
  | "closed"
  | "tls-untrusted"
  | "not-tls"
  | "uses-tls"
  | "tls-failed"
  | "rate-limited";

/** A connection attempt that failed, with a message meant for the user. */
export class ConnectError extends Error {
  /** What went wrong. */
  readonly kind: ConnectFailure;

  /** Create the error. */
  constructor(kind: ConnectFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
    this.kind = kind;
  }

  /** Whether trying again later could succeed (false for a wrong token or version). */
  get retryable(): boolean {
    return this.kind === "unreachable" || this.kind === "timeout" || this.kind === "closed" ||
      this.kind === "refused" || this.kind === "rate-limited";
  }
}

/** Options for {@linkcode PadlinkConnection.open}. */
export interface ConnectOptions {
  /** Server host name or address. */
  host: string;
  /** Server port. */
  port: number;
  /** Name to ask for; the server may add `#2` if it is taken. */
  name: string;
  /** Shared token; omit for a server started with `--no-auth`. */
  token?: string;
  /**
   * With a token, still accept a server that asks for none. By default a
   * client that holds a token refuses such a server: anyone who takes over
   * the port (after the real server stopped) could say "no auth" and be
   * sent all input.
   */
  allowNoAuth?: boolean;
  /** Time allowed to connect and complete the handshake, in ms. Default 5000. */
  timeoutMs?: number;
  /** Heartbeat interval when idle, in ms; default: what the server asks for. */
  heartbeatMs?: number;
  /** Speak TLS, trusting only what this says (see `pairing.ts` resolveClientTls). */
  tls?: ClientTlsOptions;
  /**
   * A 16-byte id kept across reconnects, so a server that still holds this
   * client's old connection replaces it and keeps the name (see
   * `JOIN_FLAG_SESSION` in `protocol.ts`). `Forwarder` sets one.
   */
  session?: Uint8Array;
  /** Called with each feedback message (rumble, trigger rumble, LED) the server sends. */
  onFeedback?: (feedback: FeedbackMessage) => void;
  /** Called when a consumer asks, through the server, for a pad's motion sensors on or off. */
  onMotionRequest?: (pad: number, enable: boolean) => void;
  /**
   * What this client says it sends and receives, when the server
   * negotiates; default {@linkcode CLIENT_CAPABILITIES}. (A test passes
   * fewer to play an older client.)
   */
  capabilities?: Capabilities;
  /**
   * This client's clock in µs, for capture times and clock replies. Default
   * {@linkcode wallClockMicros}, the clock SDL polls are stamped with. The
   * server measures the offset to its own, so any clock that runs at the
   * right rate works.
   */
  clock?: MicrosClock;
}

/** What the server measured about this connection, as its last clock request said. */
export interface ClockView {
  /** Round-trip time, in µs. */
  rttUs: number;
  /** Server clock − this client's clock, in µs. */
  offsetUs: number;
}

/** How a connection ended. */
export interface CloseInfo {
  /** Human-readable reason. */
  reason: string;
  /** True when the server said it is shutting down. */
  serverShutdown: boolean;
}

/** One established connection to a padlink server. */
export class PadlinkConnection {
  /** The name the server assigned. */
  readonly name: string;
  /** The server's address as `host:port`. */
  readonly peer: string;
  /** Silence after which the server is presumed gone, in ms. */
  readonly timeoutMs: number;
  /** Resolves when the connection has ended, for any reason. */
  readonly closed: Promise<CloseInfo>;
  /**
   * What the server said it sends and receives in its WELCOME; a
   * first-release server's are {@linkcode V1_SERVER_CAPABILITIES}.
   */
  readonly serverCapabilities: Capabilities;

  readonly #link: FramedConnection;
  readonly #outbox: Outbox;
  readonly #heartbeatMs: number;
  readonly #clock: MicrosClock;
  /** Whether the server takes capture times (negotiated in the handshake). */
  readonly #stampsCapture: boolean;
  #clockView: ClockView | null = null;
  #liveness: LivenessTicker | undefined;
  #ackWaiter: (() => void) | null = null;
  #closeInfo: CloseInfo | null = null;

  private constructor(
    link: FramedConnection,
    name: string,
    timeoutMs: number,
    heartbeatMs: number,
    closed: Promise<CloseInfo>,
    serverCapabilities: Capabilities,
    clock: MicrosClock,
  ) {
    this.#link = link;
    this.#clock = clock;
    this.#stampsCapture = serverCapabilities.receives.includes(MessageType.CAPTURE_TIME);
    this.name = name;
    this.serverCapabilities = serverCapabilities;
    // What this server takes decides how a pad attach is sent, and whether
    // motion, touch and battery are sent at all.
    const encoder = new InputEncoder(1024, serverCapabilities.receives);
    this.#outbox = new Outbox(link, encoder, (error) => {
      this.#finish({ reason: describeConnectError(error), serverShutdown: false });
      link.close();
    });
    this.peer = link.peer;
    this.timeoutMs = timeoutMs;
    this.#heartbeatMs = heartbeatMs;
    this.closed = closed;
  }

  /**
   * Connect and complete the handshake.
   *
   * @throws {ConnectError} with a message for the user.
   */
  static async open(options: ConnectOptions): Promise<PadlinkConnection> {
    const where = `${options.host}:${options.port}`;
    const timeoutMs = options.timeoutMs ?? 5000;
    let conn: Deno.Conn;
    try {
      conn = await connectWithTimeout(
        Deno.connect({ hostname: options.host, port: options.port, transport: "tcp" }),
        timeoutMs,
        () =>
          new ConnectError(
            "unreachable",
            `cannot reach ${where}: no answer within ${timeoutMs} ms`,
          ),
      );
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      throw new ConnectError(
        "unreachable",
        `cannot reach ${where}: ${describeConnectError(error)}`,
        {
          cause: error,
        },
      );
    }
    if (options.tls) {
      try {
        conn = await upgradeClient(conn as Deno.TcpConn, options.tls, where, timeoutMs);
      } catch (error) {
        if (error instanceof TlsUpgradeError) {
          throw new ConnectError(error.kind, error.message, { cause: error });
        }
        throw error;
      }
    }
    const link = new FramedConnection(conn);
    const inbox = new Inbox();
    const reading = link.readFrames((payload) => inbox.deliver(payload));
    reading.then(() => inbox.end(null), (error) => inbox.end(error));
    const handshakeDeadline = new Deadline(timeoutMs, () => inbox.timeout());
    try {
      // Plain text: a TLS server says nothing until it hears a ClientHello,
      // just like a stalled server. After a short silence, send bytes that a
      // padlink server ignores (empty frames) and a TLS server answers with
      // an alert, so the two can be told apart.
      const probe = options.tls ? null : new Deadline(
        Math.min(TLS_PROBE_AFTER_MS, timeoutMs / 4),
        () => {
          try {
            link.send(TLS_PROBE);
          } catch {
            // The connection is already gone; the inbox reports it.
          }
        },
      );
      const first = await inbox.next(where).catch((error) => {
        throw options.tls ? error : explainNoGreeting(error, where, timeoutMs);
      }).finally(() => probe?.cancel());
      const hello = decodeHelloOrExplain(first, where);
      if (hello.version !== PROTOCOL_VERSION) {
        throw new ConnectError(
          "version",
          `the server at ${where} speaks padlink protocol v${hello.version}; this client speaks v${PROTOCOL_VERSION}. Use matching versions of padlink-server and padlink-client`,
        );
      }
      const authRequired = (hello.flags & HELLO_FLAG_AUTH) !== 0;
      const key = options.token !== undefined ? await tokenKey(options.token) : null;
      if (authRequired && !key) {
        throw new ConnectError(
          "token-required",
          `the server at ${where} requires a token: pass the token it printed with --token or the PADLINK_TOKEN environment variable`,
        );
      }
      if (key && !authRequired && !options.allowNoAuth) {
        throw new ConnectError(
          "server-no-auth",
          `the server at ${where} asks for no token, but this client has one, so it cannot prove it is the server you meant (it may be another program on that port); nothing was sent. If that server runs with --no-auth on purpose, drop the token or pass --allow-no-auth`,
        );
      }
      const clientNonce = newNonce();
      // Only a server that said it negotiates gets our capabilities: a
      // first-release server refuses bytes after the session id.
      const negotiates = (hello.flags & HELLO_FLAG_CAPABILITIES) !== 0;
      // Such a server also binds the session id into both proofs; a
      // first-release one knows nothing of it.
      const boundSession = negotiates ? options.session : undefined;
      const proof = authRequired && key
        ? await computeProof(key, "join", {
          serverNonce: hello.nonce,
          clientNonce,
          name: options.name,
          channelBinding: options.tls?.channelBinding,
          session: boundSession,
        })
        : new Uint8Array(0);
      link.send(encodeJoin({
        version: PROTOCOL_VERSION,
        flags: 0,
        name: options.name,
        nonce: clientNonce,
        proof,
        session: options.session,
        capabilities: negotiates ? options.capabilities ?? CLIENT_CAPABILITIES : undefined,
      }));
      const reply = await inbox.next(where);
      if (messageTypeOf(reply) === MessageType.REFUSE) {
        const refuse = decodeRefuse(reply);
        throw refusalError(refuse.code, refuse.reason, where);
      }
      const welcome = decodeWelcome(reply);
      if (authRequired && key) {
        const ok = await verifyProof(key, "welcome", {
          serverNonce: hello.nonce,
          clientNonce,
          name: welcome.name,
          channelBinding: options.tls?.channelBinding,
          session: boundSession,
        }, welcome.proof);
        if (!ok) {
          throw new ConnectError(
            "server-auth",
            `the server at ${where} could not prove it knows the token; it may be an impostor`,
          );
        }
      }
      handshakeDeadline.cancel();
      let resolveClosed!: (info: CloseInfo) => void;
      const closed = new Promise<CloseInfo>((resolve) => resolveClosed = resolve);
      const heartbeatMs = options.heartbeatMs ?? Math.max(20, welcome.heartbeatMs || 250);
      const connection = new PadlinkConnection(
        link,
        welcome.name,
        welcome.timeoutMs || 1000,
        heartbeatMs,
        closed,
        welcome.capabilities ?? V1_SERVER_CAPABILITIES,
        options.clock ?? wallClockMicros,
      );
      connection.#start(inbox, reading, resolveClosed, options);
      return connection;
    } catch (error) {
      handshakeDeadline.cancel();
      link.close();
      await reading.catch(() => {});
      if (error instanceof ConnectError) throw error;
      if (error instanceof ProtocolError || error instanceof FrameError) {
        throw new ConnectError(
          "not-padlink",
          `${where} does not speak the padlink protocol (${error.message}); check --host and --port`,
          { cause: error },
        );
      }
      throw new ConnectError(
        "closed",
        `connection to ${where} failed: ${describeConnectError(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  #start(
    inbox: Inbox,
    reading: Promise<void>,
    resolveClosed: (info: CloseInfo) => void,
    options: ConnectOptions,
  ): void {
    const decoder = SessionDecoder.fromServer();
    const sink: ServerMessageSink = {
      goodbye: (code, reason) => {
        if (code === GoodbyeCode.ACK) {
          this.#outbox.confirmAll();
          this.#finish({ reason: "closed gracefully", serverShutdown: false });
        } else {
          this.#finish({
            reason: reason === "" ? "the server said goodbye" : `the server said: ${reason}`,
            serverShutdown: code === GoodbyeCode.SERVER_SHUTDOWN,
          });
        }
        this.#link.close();
      },
      ping: (id) => this.#trySend(encodePing(MessageType.PONG, id)),
      pong: (id) => void this.#outbox.pong(id),
      rumble: (pad, low, high, durationMs) =>
        options.onFeedback?.({ type: "rumble", pad, low, high, durationMs }),
      triggerRumble: (pad, left, right, durationMs) =>
        options.onFeedback?.({ type: "trigger_rumble", pad, left, right, durationMs }),
      led: (pad, red, green, blue) => options.onFeedback?.({ type: "led", pad, red, green, blue }),
      motionRequest: (pad, enable) => options.onMotionRequest?.(pad, enable),
      clockRequest: (request) => {
        if (request.rttUs !== RTT_UNKNOWN) {
          this.#clockView = { rttUs: request.rttUs, offsetUs: request.offsetUs };
        }
        this.#trySend(encodeClockReply({
          id: request.id,
          sentUs: request.sentUs,
          receivedUs: frameUs,
          repliedUs: this.#clock(),
        }));
      },
    };
    let frameUs = 0;
    const onFrame = (payload: Uint8Array) => {
      if (payload.length === 0) return;
      frameUs = this.#clock();
      decoder.decode(payload, sink);
    };
    // Before the frames that came with the WELCOME: one may be a GOODBYE.
    this.#closedResolver = resolveClosed;
    // Frames that arrived with the WELCOME, then everything after it.
    inbox.redirect(onFrame);
    // Whatever ended the read loop, the socket is done: close it so that a
    // client that reconnects for days does not leak one per drop.
    reading.then(
      () => this.#finish({ reason: "the server closed the connection", serverShutdown: false }),
      (error) => this.#finish({ reason: describeConnectError(error), serverShutdown: false }),
    ).finally(() => this.#link.close());
    const link = this.#link;
    const server: LivenessPeer = {
      get lastReceived() {
        return link.lastReceived;
      },
      get lastSent() {
        return link.lastSent;
      },
      onSilent: () => {
        this.#finish({
          reason: `no traffic from the server for ${this.timeoutMs} ms`,
          serverShutdown: false,
        });
        link.close();
      },
      onQuiet: () => this.#trySend(HEARTBEAT_FRAME),
    };
    this.#liveness = new LivenessTicker(
      { heartbeatMs: this.#heartbeatMs, timeoutMs: this.timeoutMs },
      () => [server],
    );
  }

  #closedResolver: ((info: CloseInfo) => void) | null = null;

  #finish(info: CloseInfo): void {
    if (this.#closeInfo) return;
    this.#closeInfo = info;
    this.#liveness?.stop();
    this.#ackWaiter?.();
    this.#closedResolver?.(info);
  }

  /** Whether the connection is still up. */
  get isOpen(): boolean {
    return this.#closeInfo === null;
  }

  /** Bytes sent on this connection so far. */
  get bytesSent(): number {
    return this.#link.bytesSent;
  }

  /** Bytes received on this connection so far. */
  get bytesReceived(): number {
    return this.#link.bytesReceived;
  }

  /**
   * The server's round-trip and clock-offset estimates, as it sent them
   * with its last clock request; null before it had one (or from a server
   * that measures none).
   */
  get clock(): ClockView | null {
    return this.#clockView;
  }

  /**
   * Queue input events, in order, to be written at the pace the server
   * reads them; {@linkcode drained} tells when they have been written.
   *
   * @param events the events, in order
   * @param capturedUs when they were captured, on this client's clock (µs);
   *   default now. Sent only to a server that takes capture times.
   * @returns false when the connection is no longer up.
   */
  send(events: readonly InputEvent[], capturedUs?: number): boolean {
    if (!this.isOpen || events.length === 0) return this.isOpen;
    this.#outbox.add(events, this.#stampsCapture ? capturedUs ?? this.#clock() : undefined);
    return true;
  }

  /** Resolves once everything sent so far has been written (or the connection ended). */
  drained(): Promise<void> {
    return this.#outbox.idle();
  }

  /** Events sent on this connection. */
  get sentEvents(): number {
    return this.#outbox.queuedEvents;
  }

  /** Events sent that the server has not confirmed it processed (yet). */
  get unconfirmedEvents(): number {
    return this.#outbox.unconfirmedEvents;
  }

  #trySend(bytes: Uint8Array): boolean {
    try {
      this.#link.send(bytes);
      return true;
    } catch (error) {
      this.#finish({ reason: describeConnectError(error), serverShutdown: false });
      this.#link.close();
      return false;
    }
  }

  /**
   * Say goodbye after everything sent, wait until the server confirms it
   * has processed all of it, then close. The wait scales with what is
   * outstanding: {@linkcode GOODBYE_WAIT_MS} plus the unconfirmed bytes at
   * {@linkcode MIN_CONFIRM_BYTES_PER_S}, renewed while the server keeps
   * confirming more; a server that falls silent meanwhile is noticed by the
   * heartbeat timeout.
   *
   * @param reason told to the server
   * @param waitMs the base wait, default {@linkcode GOODBYE_WAIT_MS}
   * @returns true when the server confirmed.
   */
  async goodbye(reason = "", waitMs = GOODBYE_WAIT_MS): Promise<boolean> {
    if (!this.isOpen) return false;
    const encoder = new InputEncoder();
    encoder.goodbye({ code: GoodbyeCode.NORMAL, reason });
    const acked = new Promise<void>((resolve) => this.#ackWaiter = resolve);
    this.#outbox.addFrames(encoder.take());
    while (this.isOpen) {
      const confirmedBefore = this.#outbox.confirmedBytes;
      const windowMs = waitMs + 1000 * this.#outbox.unconfirmedBytes / MIN_CONFIRM_BYTES_PER_S;
      await withDeadline(acked, windowMs, () => {});
      if (this.#outbox.confirmedBytes === confirmedBefore) break; // a whole window without progress
    }
    const confirmed = this.#closeInfo?.reason === "closed gracefully";
    this.close();
    return confirmed;
  }

  /** Close at once. */
  close(): void {
    this.#finish({ reason: "closed", serverShutdown: false });
    this.#link.close();
  }
}

function decodeHelloOrExplain(payload: Uint8Array, where: string) {
  if (messageTypeOf(payload) === MessageType.REFUSE) {
    const refuse = decodeRefuse(payload);
    throw refusalError(refuse.code, refuse.reason, where);
  }
  try {
    return decodeHello(payload);
  } catch (error) {
    throw new ConnectError(
      "not-padlink",
      `${where} is not a padlink server (${(error as Error).message}); check --host and --port`,
      { cause: error },
    );
  }
}

function refusalError(code: number, reason: string, where: string): ConnectError {
  switch (code) {
    case RefuseCode.TOKEN_WRONG:
      return new ConnectError(
        "token-wrong",
        `the server at ${where} refused the token (${reason}): use the token padlink-server printed, via --token or PADLINK_TOKEN`,
      );
    case RefuseCode.TOKEN_REQUIRED:
      return new ConnectError(
        "token-required",
        `the server at ${where} requires a token: pass the token it printed with --token or PADLINK_TOKEN`,
      );
    case RefuseCode.VERSION:
      return new ConnectError(
        "version",
        `the server at ${where} refused our protocol version (${reason}); use matching versions of padlink-server and padlink-client`,
      );
    case RefuseCode.RATE_LIMITED:
      return new ConnectError(
        "rate-limited",
        `the server at ${where} refused the connection: ${reason} (after repeated wrong tokens)`,
      );
    default:
      return new ConnectError(
        "refused",
        `the server at ${where} refused the connection: ${reason}`,
      );
  }
}

/** Silence after which a plain-text client probes whether the server speaks TLS, in ms. */
const TLS_PROBE_AFTER_MS = 250;

/**
 * The probe: three empty padlink frames (heartbeats), which a padlink server
 * ignores, and which a TLS server cannot read as a record (content type 0),
 * so it answers with an alert.
 */
const TLS_PROBE = new Uint8Array(6);

/** Whether a frame length prefix is really the start of a TLS record: alert (0x15) or handshake (0x16), version 3.x. */
function isTlsRecordStart(length: number): boolean {
  return length === 0x1503 || length === 0x1603;
}

/**
 * No greeting from the server: say which of the two it was. A TLS server
 * answered the probe with a TLS record; a server that said nothing at all
 * within the time is stalled or overloaded, and is not called a TLS server.
 */
function explainNoGreeting(error: unknown, where: string, timeoutMs: number): unknown {
  if (error instanceof OversizeFrameError && isTlsRecordStart(error.length)) {
    return new ConnectError(
      "uses-tls",
      `the server at ${where} speaks TLS (it answered plain text with a TLS record): it was started with --tls, so pass --tls to the client`,
      { cause: error },
    );
  }
  if (error instanceof ConnectError && error.kind === "timeout") {
    return new ConnectError(
      "timeout",
      `${error.message}: it accepted the connection but sent no greeting within ${timeoutMs} ms, so it is stalled or overloaded (a padlink server greets at once, and a TLS server would have answered)`,
      { cause: error },
    );
  }
  return error;
}

function describeConnectError(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) {
    return "connection refused (is padlink-server running there? check --host and --port)";
  }
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset by the server";
  if (isDisconnectError(error)) return "connection lost";
  if (error instanceof ProtocolError || error instanceof FrameError) {
    return `protocol error from the server: ${error.message}`;
  }
  if (error instanceof Error) {
    if (/failed to lookup|name resolution|Name or service not known/i.test(error.message)) {
      return "unknown host name (check --host)";
    }
    return error.message;
  }
  return String(error);
}

/** Race a connect against a timer; a connection that arrives too late is closed, not leaked. */
function connectWithTimeout(
  connecting: Promise<Deno.TcpConn>,
  ms: number,
  onTimeout: () => Error,
): Promise<Deno.TcpConn> {
  let timedOut = false;
  connecting.then((conn) => {
    if (timedOut) conn.close();
  }, () => {});
  return withDeadline(connecting, ms, () => {
    timedOut = true;
    throw onTimeout();
  });
}

/** Hands frames to the handshake one at a time, then to the session. */
class Inbox {
  #frames: Uint8Array[] = [];
  #waiter: ((frame: Uint8Array | Error) => void) | null = null;
  #ended: Error | null = null;
  #redirect: ((payload: Uint8Array) => void) | null = null;

  deliver(payload: Uint8Array): void {
    if (this.#redirect) return this.#redirect(payload);
    if (payload.length === 0) return; // Heartbeats carry nothing for the handshake.
    const copy = payload.slice();
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter(copy);
    } else {
      if (this.#frames.length > 16) throw new ProtocolError("too many frames during the handshake");
      this.#frames.push(copy);
    }
  }

  end(error: unknown): void {
    this.#ended = error instanceof Error
      ? error
      : new ConnectError("closed", "the server closed the connection during the handshake");
    this.#waiter?.(this.#ended);
    this.#waiter = null;
  }

  timeout(): void {
    this.end(new ConnectError("timeout", "the server did not complete the handshake in time"));
  }

  next(where: string): Promise<Uint8Array> {
    const frame = this.#frames.shift();
    if (frame) return Promise.resolve(frame);
    if (this.#ended) return Promise.reject(this.#wrap(this.#ended, where));
    return new Promise((resolve, reject) => {
      this.#waiter = (value) =>
        value instanceof Error ? reject(this.#wrap(value, where)) : resolve(value);
    });
  }

  #wrap(error: Error, where: string): Error {
    if (error instanceof ConnectError) {
      return new ConnectError(error.kind, `${where}: ${error.message}`);
    }
    return error;
  }

  redirect(onFrame: (payload: Uint8Array) => void): void {
    this.#redirect = onFrame;
    for (const frame of this.#frames.splice(0)) onFrame(frame);
  }
}
