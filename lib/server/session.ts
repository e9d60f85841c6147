/**
 * One client connection on the server, from greeting to goodbye: the
 * handshake (HELLO, JOIN checked by `join.ts`, WELCOME or REFUSE), then the
 * client's input checked against its state, heartbeats, and the release of
 * everything it held when it goes away.
 *
 * A session knows its server only through {@linkcode SessionHost}, so the
 * server's public API stays its own.
 *
 * @module
 */

import { computeProof, newNonce, verifyProof } from "../trust/auth.ts";
import { BackpressureError, FramedConnection, isDisconnectError } from "../net/connection.ts";
import { Deadline, sleep } from "../net/deadline.ts";
import { RateBudget } from "../net/rate_budget.ts";
import type { LivenessPeer } from "../net/liveness.ts";
import type { MicrosClock } from "../net/clock_sync.ts";
import { concatBytes, toHex } from "../wire/bytes.ts";
import { FrameError } from "../wire/frame.ts";
import type { FailureThrottle } from "../trust/failure_throttle.ts";
import {
  AXIS_NAMES,
  BUTTON_NAMES,
  dequantizeAxis,
  type InputEvent,
  InputState,
} from "../input/model.ts";
import {
  BATTERY_LEVELS,
  BATTERY_STATES,
  type Capabilities,
  type ClientMessageSink,
  type ClockReply,
  decodeJoin,
  dequantizeUnit,
  encodeClockRequest,
  encodeGoodbye,
  encodeHello,
  encodePing,
  encodeRefuse,
  encodeWelcome,
  GoodbyeCode,
  HEARTBEAT_FRAME,
  HELLO_FLAG_AUTH,
  HELLO_FLAG_CAPABILITIES,
  MessageType,
  type PadInfo,
  PROTOCOL_VERSION,
  ProtocolError,
  type Refuse,
  RefuseCode,
  SERVER_CAPABILITIES,
  SessionDecoder,
  TOUCH_STATES,
  V1_CLIENT_CAPABILITIES,
} from "../wire/protocol.ts";
import type { ClientInputEvent, ServerEvent } from "./events.ts";
import type { ClientSnapshot, CommandResult, FeedbackCommand } from "./output.ts";
import { checkCapacity, checkJoin, WRONG_TOKEN } from "./join.ts";
import { encodeFeedback, feedbackMessageType } from "./feedback.ts";
import type { NameRegistry } from "./name_registry.ts";
import { ClientTelemetry, type TelemetrySource } from "./telemetry.ts";

/** The server's settings a session works by. */
export interface SessionSettings {
  /** Heartbeat interval to an idle client, in ms. */
  heartbeatMs: number;
  /** Silence after which a client is dropped, in ms. */
  timeoutMs: number;
  /** Time allowed for the handshake, in ms. */
  handshakeTimeoutMs: number;
  /** Most clients at once. */
  maxClients: number;
  /** Largest frame payload accepted, in bytes. */
  maxFrameSize: number;
  /** The token key, or null when auth is off. */
  key: Promise<CryptoKey> | null;
  /** The TLS channel binding for proofs (empty on plain TCP). */
  channelBinding: Uint8Array;
  /** The server's clock for clock requests and emit times, in µs. */
  clock: MicrosClock;
}

/** What a {@linkcode Session} needs from the server that runs it. */
export interface SessionHost {
  /** The settings, fixed for the server's life. */
  readonly settings: SessionSettings;
  /** Wrong token proofs waiting out their delay, per client address. */
  readonly failures: FailureThrottle;
  /** The names of connected clients. */
  readonly names: NameRegistry;
  /** Report an event to the server's outputs and listeners. */
  report(event: ServerEvent): void;
  /** Report a human-readable diagnostic. */
  log(message: string): void;
  /** The session's handshake is complete: it no longer counts as waiting for one. */
  handshakeDone?(session: Session): void;
  /** The session was dropped for breaking the protocol (a flood included). */
  abused?(session: Session): void;
  /**
   * Flow control: asked before each read's input is decoded; null to go on,
   * or a promise to wait for first (`ReadFlowControl.hold`).
   */
  holdReads?(): Promise<void> | null;
  /**
   * The live sessions: the count of those past their handshake, and the one
   * that joined with a session id.
   */
  readonly sessions: SessionDirectory;
}

/** The server's live sessions, as a session needs to see them during its JOIN. */
export interface SessionDirectory {
  /** How many sessions are past their handshake. */
  activeCount(): number;
  /** The active session that joined with session id `id`, other than `except`. */
  byId(id: string, except: Session): Session | null;
}

/** Where a session is in its life. */
export type SessionState = "greeting" | "joining" | "active" | "closing";

/**
 * Control messages (PING, PONG and heartbeats, the empty frames) a client
 * may send per second, on average. They carry no input but cost the server
 * work, so a peer flooding them could starve the others. A real client
 * sends a heartbeat per heartbeat interval (at most 40 a second, at the
 * shortest `--timeout`) and no pings.
 */
export const CONTROL_MESSAGES_PER_SECOND = 100;

/** Control messages a client may send at once, after a quiet spell. */
export const CONTROL_MESSAGES_BURST = 50;

/**
 * Time between clock requests to a client once its clock filter is full, in
 * ms: 62 bytes both ways every 4 s (15.5 B/s) keep the offset within the
 * drift of 4 s (0.4 ms at 100 ppm) and the window 32 s long.
 */
export const CLOCK_SYNC_INTERVAL_MS = 4000;

/** Clock exchanges made at every liveness tick after the handshake, before the interval applies. */
export const CLOCK_BURST_EXCHANGES = 4;

/** Most frames buffered from a client while its JOIN is being checked. */
const MAX_FRAMES_DURING_JOIN = 64;

/** One connection, from greeting to goodbye. */
export class Session implements ClientMessageSink, LivenessPeer, TelemetrySource {
  readonly #host: SessionHost;
  readonly #link: FramedConnection;
  readonly #decoder = SessionDecoder.fromClient();
  readonly #input = new InputState();
  readonly #serverNonce = newNonce();
  readonly #pending: Uint8Array[] = [];
  #handshakeDeadline: Deadline | undefined;
  #endReason: string | null = null;
  /** Where the session is: greeting, joining, active or closing. */
  state: SessionState = "greeting";
  /** The client's name once it joined (the server's, if it renamed it); "" before. */
  name = "";
  /** The JOIN session id in hex, or null when the client sent none. */
  sessionId: string | null = null;
  /**
   * What the client said it sends and receives in its JOIN; a
   * first-release client's are {@linkcode V1_CLIENT_CAPABILITIES}.
   */
  peerCapabilities: Capabilities = V1_CLIENT_CAPABILITIES;
  /** The message types the client receives, for the checks before sending. */
  #peerReceives: ReadonlySet<number> = new Set(V1_CLIENT_CAPABILITIES.receives);
  /** Settles when {@linkcode run} has reported everything. */
  done: Promise<void> = Promise.resolve();
  /** When the handshake completed, in ms since the Unix epoch. */
  connectedAt = 0;
  /** `performance.now()` when the handshake completed: where input `t` counts from. */
  #connectedMono = 0;
  /** `performance.now()` when the frame being decoded was handed over. */
  #frameAt = 0;
  /** The server's clock when the frame being decoded was handed over, in µs; NaN until asked. */
  #frameUs = NaN;
  /** The client's capture time for the inputs that follow in this frame, in µs; NaN for none. */
  #captureUs = NaN;
  /** Whether the client takes clock requests (negotiated in the handshake). */
  #syncsClock = false;
  /** `performance.now()` when the last clock request was sent. */
  #clockRequestAt = 0;
  /** Round trip, clock offset and latencies measured with this client. */
  readonly telemetry: ClientTelemetry = new ClientTelemetry();

  /** The client's address (host, without the port). */
  readonly address: string;

  /** A session for `conn`, run by `host`; nothing happens until {@linkcode run}. */
  constructor(host: SessionHost, conn: Deno.Conn) {
    this.#host = host;
    this.#link = new FramedConnection(conn, { maxFrameSize: host.settings.maxFrameSize });
    this.address = (conn.remoteAddr as Deno.NetAddr).hostname;
  }

  /**
   * Only input is held back, never the handshake: a client still joining
   * must not wait out its handshake deadline behind an output.
   */
  readonly #holdReads = (): Promise<void> | null =>
    this.state === "active" ? this.#host.holdReads?.() ?? null : null;

  /** Drop this connection, which has not completed its handshake, to make room for others. */
  evict(reason: string): void {
    this.#end(reason);
  }

  /** Greet the client and serve it until it goes away; never rejects. */
  async run(delayMs = 0): Promise<void> {
    const options = this.#host.settings;
    if (delayMs > 0) {
      // The address was dropped for abuse lately: greet it later.
      await this.#wait(delayMs);
      if (this.#link.closed) {
        this.#finish();
        return;
      }
    }
    this.#handshakeDeadline = new Deadline(options.handshakeTimeoutMs, () => {
      this.#host.log(
        `${this.#link.peer}: dropped, handshake not completed within ${options.handshakeTimeoutMs} ms`,
      );
      this.#end("handshake timed out");
    });
    try {
      this.#link.send(encodeHello({
        version: PROTOCOL_VERSION,
        flags: (options.key ? HELLO_FLAG_AUTH : 0) | HELLO_FLAG_CAPABILITIES,
        nonce: this.#serverNonce,
      }));
      await this.#link.readFrames((payload) => this.#onFrame(payload), this.#holdReads);
      this.#end(
        this.state === "active" ? "connection closed by client" : "closed before handshake",
      );
    } catch (error) {
      this.#end(describeFailure(error));
      if (error instanceof ProtocolError || error instanceof FrameError) {
        this.#host.abused?.(this);
      }
      if (!isDisconnectError(error) && this.#endReason !== null) {
        this.#host.log(
          `${this.name || this.#link.peer} (${this.#link.peer}): ${this.#endReason}`,
        );
      }
    } finally {
      this.#handshakeDeadline?.cancel();
      this.#finish();
    }
  }

  #onFrame(payload: Uint8Array): void {
    if (payload.length === 0) this.#control();
    if (this.state === "active") {
      if (payload.length > 0) {
        this.#frameAt = performance.now();
        this.#frameUs = NaN;
        this.#captureUs = NaN;
        this.#decoder.decode(payload, this);
      }
      return;
    }
    if (this.state === "greeting") {
      if (payload.length === 0) return;
      this.state = "joining";
      this.#join(payload.slice()).catch((error) => {
        this.#host.log(`${this.#link.peer}: handshake failed: ${describeFailure(error)}`);
        this.#end(describeFailure(error));
      });
      return;
    }
    if (this.state === "joining") {
      if (this.#pending.length >= MAX_FRAMES_DURING_JOIN) {
        throw new ProtocolError("too many frames before the handshake completed");
      }
      this.#pending.push(payload.slice());
    }
    // "closing": ignore anything after GOODBYE or a refusal.
  }

  async #join(payload: Uint8Array): Promise<void> {
    let join;
    try {
      join = decodeJoin(payload);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      // Say why rather than dropping silently: an invalid-UTF-8 name is a
      // client bug the user can fix.
      const badName = error.message.startsWith("the name");
      return this.#refuse({
        code: badName ? RefuseCode.BAD_NAME : RefuseCode.PROTOCOL,
        reason: badName ? error.message : `malformed JOIN: ${error.message}`,
      });
    }
    const host = this.#host;
    const { key: keyPromise, channelBinding } = host.settings;
    const ip = this.address;
    const verdict = checkJoin(join, {
      protocolVersion: PROTOCOL_VERSION,
      tokenRequired: keyPromise !== null,
    });
    if (!verdict.accept) return this.#refuse(verdict);
    if (keyPromise) {
      const key = await keyPromise;
      const context = {
        serverNonce: this.#serverNonce,
        clientNonce: join.nonce,
        name: join.name,
        channelBinding,
        session: join.capabilities ? join.session : undefined,
      };
      if (!(await verifyProof(key, "join", context, join.proof))) return this.#refuseSlowly(ip);
    }
    if (this.state !== "joining") return; // Timed out or closed while verifying.
    if (join.session) {
      // The same client reconnecting before its old connection was noticed
      // dead: release what the old one held, then hand its name over.
      this.sessionId = toHex(join.session);
      const previous = host.sessions.byId(this.sessionId, this);
      if (previous) {
        await previous.replace(`replaced by a new connection from ${this.#link.peer}`);
        if (this.state !== "joining") return;
      }
    }
    const full = checkCapacity(host.sessions.activeCount(), host.settings.maxClients);
    if (full) return this.#refuse(full);
    this.name = host.names.claim(verdict.name);
    let proof = new Uint8Array(0);
    if (keyPromise) {
      proof = await computeProof(await keyPromise, "welcome", {
        serverNonce: this.#serverNonce,
        clientNonce: join.nonce,
        name: this.name,
        channelBinding,
        session: join.capabilities ? join.session : undefined,
      }) as Uint8Array<ArrayBuffer>;
    }
    if (this.state !== "joining") {
      host.names.release(this.name);
      this.name = "";
      return;
    }
    this.#handshakeDeadline?.cancel();
    if (join.capabilities) {
      this.peerCapabilities = join.capabilities;
      this.#peerReceives = new Set(join.capabilities.receives);
      this.#syncsClock = this.#peerReceives.has(MessageType.CLOCK_REQUEST);
    }
    const welcome = encodeWelcome({
      name: this.name,
      heartbeatMs: host.settings.heartbeatMs,
      timeoutMs: host.settings.timeoutMs,
      proof,
      // Only a client that sent its own capabilities reads ours: a
      // first-release client refuses bytes after the proof.
      capabilities: join.capabilities ? SERVER_CAPABILITIES : undefined,
    });
    // The first clock exchange right away, so latencies are known one round
    // trip after the handshake; in the WELCOME's write, so the connection
    // never queues behind a write in flight (which costs it a 4 KiB buffer).
    this.#link.send(this.#syncsClock ? concatBytes([welcome, this.#clockRequest()]) : welcome);
    this.state = "active";
    host.handshakeDone?.(this);
    this.connectedAt = Date.now();
    this.#connectedMono = performance.now();
    host.report({ type: "connect", client: this.name, addr: this.#link.peer });
    try {
      for (const frame of this.#pending.splice(0)) this.#onFrame(frame);
    } catch (error) {
      host.log(`${this.name} (${this.#link.peer}): ${describeFailure(error)}`);
      this.#end(describeFailure(error));
    }
  }

  /**
   * A wrong token: answer only after the throttle's delay, so guessing
   * costs time, but never lock the address out. Past the cap on wrong
   * proofs waiting at once, drop the connection without an answer.
   */
  async #refuseSlowly(ip: string): Promise<void> {
    const failures = this.#host.failures;
    const release = failures.hold(ip);
    if (!release) {
      this.#host.log(
        `${this.#link.peer}: wrong token; dropped without an answer (too many wrong tokens waiting for theirs)`,
      );
      this.#end("wrong token");
      return;
    }
    try {
      await this.#wait(failures.delayMs);
    } finally {
      release();
    }
    if (this.state === "joining") this.#refuse(WRONG_TOKEN);
  }

  /** Sleep `ms`, or until the connection ends. */
  #wait(ms: number): Promise<void> {
    return sleep(ms, this.#ended.signal);
  }

  /** Aborted when the session ends: cuts a {@linkcode #wait} short. */
  readonly #ended = new AbortController();

  #refuse({ code, reason }: Refuse): void {
    this.#host.log(`${this.#link.peer}: refused: ${reason}`);
    try {
      this.#link.send(encodeRefuse({ code, reason }));
    } catch {
      // The peer is not reading; it is being dropped anyway.
    }
    this.state = "closing";
    this.#endReason = `refused: ${reason}`;
    this.#link.closeAfterFlush(500);
  }

  /** This client and what it holds now. */
  snapshot(): ClientSnapshot {
    return {
      client: this.name,
      addr: this.#link.peer,
      connectedAt: this.connectedAt,
      inputs: this.#input.snapshot(),
    };
  }

  /**
   * Send feedback (already checked by `checkFeedbackCommand`) for one of
   * this client's pads, if the client said it takes that message type.
   */
  command(command: FeedbackCommand): CommandResult {
    if (this.state !== "active") return { ok: false, error: `${this.name} is disconnecting` };
    if (!this.#input.hasPad(command.pad)) {
      return { ok: false, error: `${this.name} has no pad ${command.pad} attached` };
    }
    if (!this.#peerReceives.has(feedbackMessageType(command))) {
      const old = this.peerCapabilities === V1_CLIENT_CAPABILITIES
        ? " (its padlink-client is older than feedback: update it)"
        : "";
      return { ok: false, error: `${this.name} does not take ${command.type} commands${old}` };
    }
    if (!this.#trySend(encodeFeedback(command))) {
      return { ok: false, error: `${this.name}: ${this.#endReason ?? "connection closed"}` };
    }
    return { ok: true };
  }

  /** End this session because its client reconnected; resolves once it is reported. */
  replace(reason: string): Promise<void> {
    this.#host.log(`${this.name} (${this.#link.peer}): ${reason}`);
    this.#end(reason);
    return this.done;
  }

  /** When bytes last arrived from the client (for the liveness ticker). */
  get lastReceived(): number {
    return this.#link.lastReceived;
  }

  /**
   * When bytes were last queued for the client (for the liveness ticker),
   * or earlier when a clock request is due: the ticker then calls
   * {@linkcode onQuiet}, which sends it.
   */
  get lastSent(): number {
    const sent = this.#link.lastSent;
    if (!this.#syncsClock) return sent;
    const due = this.#clockRequestAt + this.#clockIntervalMs() - this.#host.settings.heartbeatMs;
    return Math.min(sent, due);
  }

  /**
   * Time between clock requests: every liveness tick for the first
   * {@linkcode CLOCK_BURST_EXCHANGES} (a first exchange taken while either
   * side was busy starting up is soon bettered), then
   * {@linkcode CLOCK_SYNC_INTERVAL_MS},
   * whatever else is sent (PONGs to a streaming client's PINGs).
   */
  #clockIntervalMs(): number {
    const heartbeatMs = this.#host.settings.heartbeatMs;
    return this.telemetry.exchanges < CLOCK_BURST_EXCHANGES
      ? heartbeatMs / 4
      : Math.max(CLOCK_SYNC_INTERVAL_MS, heartbeatMs);
  }

  /** The client has been silent for the timeout: drop it. */
  onSilent(): void {
    this.#end(`timed out (no traffic for ${this.#host.settings.timeoutMs} ms)`);
  }

  /** Bytes received from the client so far (for the stats). */
  get bytesReceived(): number {
    return this.#link.bytesReceived;
  }

  /** The client's name, for the stats. */
  get client(): string {
    return this.name;
  }

  /** `performance.now()` when the handshake completed. */
  get startedAt(): number {
    return this.#connectedMono;
  }

  /**
   * We have been quiet for the heartbeat interval, or a clock request is
   * due: send the clock request (which is a heartbeat too), or else a
   * heartbeat.
   */
  onQuiet(): void {
    if (this.#syncsClock && performance.now() - this.#clockRequestAt >= this.#clockIntervalMs()) {
      this.#sendClockRequest();
    } else {
      this.#trySend(HEARTBEAT_FRAME);
    }
  }

  #sendClockRequest(): void {
    this.#trySend(this.#clockRequest());
  }

  /** The next clock request, as a frame; noted as sent now. */
  #clockRequest(): Uint8Array {
    this.#clockRequestAt = performance.now();
    return encodeClockRequest(this.telemetry.request(this.#host.settings.clock()));
  }

  /**
   * Queue bytes for the client. A client that does not read (its queue is
   * full) is dropped, and every such drop is logged.
   *
   * @returns false when the client was dropped instead.
   */
  #trySend(bytes: Uint8Array): boolean {
    try {
      this.#link.send(bytes);
      return true;
    } catch (error) {
      if (this.#endReason === null) {
        this.#host.log(
          `${this.name || this.#link.peer} (${this.#link.peer}): ${describeFailure(error)}`,
        );
      }
      this.#end(describeFailure(error));
      return false;
    }
  }

  /** Record why the session ends and close the socket; #finish reports it. */
  #end(reason: string): void {
    if (this.#endReason === null) this.#endReason = reason;
    this.#link.close();
    this.#ended.abort();
  }

  /** Say GOODBYE (server shutting down), release what the client holds, and close. */
  async shutdown(reason: string): Promise<void> {
    if (this.state === "active") {
      this.#trySend(encodeGoodbye({ code: GoodbyeCode.SERVER_SHUTDOWN, reason }));
      this.#endReason ??= reason;
      this.state = "closing";
      this.#neutralise();
      await this.#link.closeAfterFlush(500);
    } else {
      this.#end(reason);
    }
  }

  #neutralise(): void {
    const client = this.name;
    const t = this.#sinceConnect(performance.now());
    for (const event of this.#input.neutralEvents()) {
      this.#input.apply(event);
      this.#host.report({ ...event, client, t });
    }
  }

  /** Milliseconds from the handshake to `now`, in 0.1 ms steps. */
  #sinceConnect(now: number): number {
    return Math.round((now - this.#connectedMono) * 10) / 10;
  }

  #finished = false;

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#ended.abort();
    this.#link.close();
    if (this.name !== "") {
      this.#neutralise();
      this.#host.report({
        type: "disconnect",
        client: this.name,
        addr: this.#link.peer,
        reason: this.#endReason ?? "connection closed",
      });
      this.#host.names.release(this.name);
    }
  }

  // ClientMessageSink: every input is checked against the state, so a consumer
  // only ever sees real changes on attached pads.

  padAttach(pad: number, name: string, info?: PadInfo): void {
    this.#emitInput(
      info
        ? { type: "pad", pad, attached: true, name, ...info }
        : { type: "pad", pad, attached: true, name },
    );
  }

  motion(
    pad: number,
    tUs: number,
    accel: [number, number, number],
    gyro: [number, number, number],
  ): void {
    this.#requirePad(pad);
    this.#emitInput({
      type: "motion",
      pad,
      accel: accel.map(round4) as [number, number, number],
      gyro: gyro.map(round4) as [number, number, number],
      t_us: tUs,
    });
  }

  touch(
    pad: number,
    touchpad: number,
    finger: number,
    state: number,
    x: number,
    y: number,
    pressure: number,
  ): void {
    this.#requirePad(pad);
    this.#emitInput({
      type: "touch",
      pad,
      touchpad,
      finger,
      state: TOUCH_STATES[state]!,
      x: dequantizeUnit(x),
      y: dequantizeUnit(y),
      pressure: dequantizeUnit(pressure),
    });
  }

  battery(pad: number, level: number, state: number): void {
    this.#requirePad(pad);
    this.#emitInput({
      type: "battery",
      pad,
      level: BATTERY_LEVELS[level]!,
      state: BATTERY_STATES[state]!,
    });
  }

  padDetach(pad: number): void {
    if (!this.#input.hasPad(pad)) return;
    for (const event of this.#input.padNeutralEvents(pad)) this.#emitInput(event);
    this.#emitInput({ type: "pad", pad, attached: false });
  }

  button(pad: number, button: number, pressed: boolean): void {
    this.#requirePad(pad);
    this.#emitOwn({
      type: "button",
      pad,
      button: BUTTON_NAMES[button]!,
      pressed,
      client: this.name,
      t: 0,
    });
  }

  axis(pad: number, axis: number, raw: number): void {
    this.#requirePad(pad);
    this.#emitOwn({
      type: "axis",
      pad,
      axis: AXIS_NAMES[axis]!,
      value: dequantizeAxis(raw),
      client: this.name,
      t: 0,
    });
  }

  key(key: string, scancode: string, pressed: boolean): void {
    this.#emitInput({ type: "key", key, scancode, pressed });
  }

  goodbye(_code: number, reason: string): void {
    this.#endReason = reason === "" ? "client quit" : `client quit: ${reason}`;
    this.state = "closing";
    this.#trySend(encodeGoodbye({ code: GoodbyeCode.ACK, reason: "" }));
    this.#link.closeAfterFlush(500);
  }

  ping(id: number): void {
    this.#control();
    this.#trySend(encodePing(MessageType.PONG, id));
  }

  pong(_id: number): void {
    this.#control();
  }

  readonly #controlBudget = new RateBudget({
    perSecond: CONTROL_MESSAGES_PER_SECOND,
    burst: CONTROL_MESSAGES_BURST,
  });

  /** Count one control message; past the budget the client is dropped (a protocol error, logged). */
  #control(): void {
    if (!this.#controlBudget.take()) {
      throw new ProtocolError(
        `more than ${CONTROL_MESSAGES_PER_SECOND} control messages a second (PING, PONG, heartbeats, clock replies)`,
      );
    }
  }

  captureTime(us: number): void {
    this.#captureUs = us;
  }

  clockReply(reply: ClockReply): void {
    this.#control();
    this.telemetry.reply(reply, this.#host.settings.clock());
  }

  #requirePad(pad: number): void {
    if (!this.#input.hasPad(pad)) {
      throw new ProtocolError(`input for pad ${pad}, which is not attached`);
    }
  }

  #emitInput(event: InputEvent): void {
    if (this.state !== "active") return;
    if (!this.#input.apply(event)) return;
    this.#reportInput(
      { ...event, client: this.name, t: this.#sinceConnect(this.#frameAt) } as ClientInputEvent,
    );
  }

  /**
   * {@linkcode #emitInput} for a button or axis event made to be reported:
   * the state keeps no reference to those, so the event is stamped in place
   * instead of copied (one object per event less at millions a second).
   */
  #emitOwn(event: ClientInputEvent): void {
    if (this.state !== "active") return;
    if (!this.#input.apply(event)) return;
    event.t = this.#sinceConnect(this.#frameAt);
    this.#reportInput(event);
  }

  #reportInput(reported: ClientInputEvent): void {
    this.telemetry.events++;
    if (this.#captureUs === this.#captureUs) { // not NaN: this frame carried a capture time
      if (this.#frameUs !== this.#frameUs) this.#frameUs = this.#host.settings.clock();
      const latency = this.telemetry.latency(this.#captureUs, this.#frameUs);
      if (latency !== null) reported.latency_us = latency;
    }
    this.#host.report(reported);
  }
}

/** A sensor reading from f32 to 4 decimals (what the wire's precision supports). */
function round4(value: number): number {
  return Math.round(value * 10000) / 10000 || 0;
}

/** One line saying why a session failed. */
function describeFailure(error: unknown): string {
  if (error instanceof ProtocolError) return `protocol error: ${error.message}`;
  if (error instanceof FrameError) return `framing error: ${error.message}`;
  if (error instanceof BackpressureError) return error.message;
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset";
  if (isDisconnectError(error)) return "connection lost";
  return error instanceof Error ? error.message : String(error);
}
