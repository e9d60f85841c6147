/**
 * The padlink server as a library: listen, greet each client, check its
 * token, and report every input event it forwards. When a client goes away
 * for any reason its held inputs are released first, so consumers never see
 * a stuck button.
 *
 * @example Print every event
 * ```ts ignore
 * import { PadlinkServer } from "./server.ts";
 * await using server = await PadlinkServer.start({ port: 0, token: null });
 * for await (const event of server.events()) console.log(event);
 * ```
 *
 * @module
 */

import {
  computeProof,
  formatToken,
  generateToken,
  newNonce,
  normalizeToken,
  tokenKey,
  verifyProof,
} from "../trust/auth.ts";
import { BackpressureError, FramedConnection, isDisconnectError } from "../net/connection.ts";
import { FrameError } from "../wire/frame.ts";
import { FailureLimiter, type FailureLimiterOptions } from "../trust/rate_limit.ts";
import {
  AXIS_NAMES,
  BUTTON_NAMES,
  dequantizeAxis,
  type InputEvent,
  InputState,
} from "../input/model.ts";
import {
  CLIENT_SESSION_TYPES,
  decodeJoin,
  encodeGoodbye,
  encodeHello,
  encodePing,
  encodeRefuse,
  encodeWelcome,
  GoodbyeCode,
  HEARTBEAT_FRAME,
  HELLO_FLAG_AUTH,
  type MessageSink,
  MessageType,
  PROTOCOL_VERSION,
  ProtocolError,
  RefuseCode,
  SessionDecoder,
} from "../wire/protocol.ts";
import { DEFAULT_PORT, validateClientName } from "../wire/names.ts";
import type {
  ClientInputEvent,
  ConnectEvent,
  DisconnectEvent,
  ListeningEvent,
  ServerEvent,
} from "./events.ts";
import type {
  ClientSnapshot,
  CommandResult,
  FeedbackCommand,
  Output,
  OutputHost,
  ServerSnapshot,
} from "./output.ts";

export { DEFAULT_PORT, validateClientName };
export type { ClientInputEvent, ConnectEvent, DisconnectEvent, ListeningEvent, ServerEvent };

type Timer = ReturnType<typeof setTimeout>;

/** Default interval of heartbeats sent to an otherwise idle client, in ms. */
export const DEFAULT_HEARTBEAT_MS = 250;

/** Default silence after which a client is declared gone, in ms. */
export const DEFAULT_TIMEOUT_MS = 1000;

/** Default time a new connection has to complete its handshake, in ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 3000;

/** Default maximum number of clients connected at once. */
export const DEFAULT_MAX_CLIENTS = 64;

/** TLS settings for {@linkcode PadlinkServer.start}. */
export interface ServerTlsOptions {
  /** The certificate chain (PEM). */
  cert: string;
  /** The private key (PEM). */
  key: string;
  /**
   * Bound into the handshake proofs on both sides: SHA-256 of the padlink CA
   * certificate clients trust; empty (the default) for the user's own
   * certificate.
   */
  channelBinding?: Uint8Array;
}

/** Options for {@linkcode PadlinkServer.start}. */
export interface ServerOptions {
  /** Interface to listen on. Default `0.0.0.0` (all IPv4 interfaces). */
  hostname?: string;
  /** Port to listen on; 0 picks a free one. Default {@linkcode DEFAULT_PORT}. */
  port?: number;
  /**
   * The shared token clients must prove. `undefined` generates a random one
   * (read it from {@linkcode PadlinkServer.token}); `null` turns auth off.
   */
  token?: string | null;
  /** Heartbeat interval to idle clients, in ms. */
  heartbeatMs?: number;
  /** Silence after which a client is dropped, in ms. */
  timeoutMs?: number;
  /** Time allowed for the handshake, in ms. */
  handshakeTimeoutMs?: number;
  /** Most clients at once; more are refused with a reason. */
  maxClients?: number;
  /** Largest frame payload accepted, in bytes. */
  maxFrameSize?: number;
  /** Serve TLS with this certificate and key (PEM) instead of plain TCP. */
  tls?: ServerTlsOptions | null;
  /**
   * Failed handshakes (wrong token) allowed per client address before it is
   * refused for a while; default 5 per 60 s, then 60 s refused.
   */
  rateLimit?: FailureLimiterOptions | null;
  /** Called synchronously for every event, in order. */
  onEvent?: (event: ServerEvent) => void;
  /** Called with human-readable diagnostics (refusals, bad frames). */
  onLog?: (message: string) => void;
}

/** Server options with every default filled in. */
export type ResolvedServerOptions = Required<
  Omit<ServerOptions, "token" | "onEvent" | "onLog">
>;

type SessionState = "greeting" | "joining" | "active" | "closing";

/** Most frames buffered from a client while its JOIN is being checked. */
const MAX_FRAMES_DURING_JOIN = 64;

/** A running padlink server. */
export class PadlinkServer implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #options: ResolvedServerOptions;
  readonly #token: string | null;
  readonly #key: Promise<CryptoKey> | null;
  readonly #limiter: FailureLimiter;
  readonly #sessions = new Set<Session>();
  readonly #names = new Set<string>();
  readonly #listeners: ((event: ServerEvent) => void)[] = [];
  readonly #outputs: Output[] = [];
  readonly #host: OutputHost = {
    snapshot: () => this.snapshot(),
    command: (command) => this.command(command),
  };
  readonly #onLog: (message: string) => void;
  readonly #ticker: Timer;
  readonly #acceptLoop: Promise<void>;
  #closing = false;
  #closed: Promise<void> | null = null;
  #listening: ListeningEvent | null = null;

  private constructor(listener: Deno.Listener, options: ServerOptions) {
    this.#listener = listener;
    this.#options = {
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? DEFAULT_PORT,
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      maxClients: options.maxClients ?? DEFAULT_MAX_CLIENTS,
      maxFrameSize: options.maxFrameSize ?? 4096,
      tls: options.tls ?? null,
      rateLimit: options.rateLimit ?? null,
    };
    this.#limiter = new FailureLimiter(options.rateLimit ?? {});
    this.#token = options.token === null ? null : normalizeToken(options.token ?? generateToken());
    this.#key = this.#token === null ? null : tokenKey(this.#token);
    if (options.onEvent) this.#listeners.push(options.onEvent);
    this.#onLog = options.onLog ?? (() => {});
    const tick = Math.max(10, Math.min(this.#options.heartbeatMs, this.#options.timeoutMs / 8));
    this.#ticker = setInterval(() => this.#tick(), tick);
    this.#acceptLoop = this.#accept();
  }

  /**
   * Listen and start serving. The first event reported is `listening`.
   *
   * @throws {Deno.errors.AddrInUse} when the port is taken.
   */
  static start(options: ServerOptions = {}): Promise<PadlinkServer> {
    const address = {
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? DEFAULT_PORT,
      transport: "tcp" as const,
    };
    const listener: Deno.Listener = options.tls
      ? Deno.listenTls({ ...address, cert: options.tls.cert, key: options.tls.key })
      : Deno.listen(address);
    const server = new PadlinkServer(listener, options);
    const addr = listener.addr as Deno.NetAddr;
    server.#listening = {
      type: "listening",
      host: addr.hostname,
      port: addr.port,
      auth: server.#token !== null,
      protocol: PROTOCOL_VERSION,
    };
    server.#emit(server.#listening);
    return Promise.resolve(server);
  }

  /** The address the server listens on. */
  get addr(): Deno.NetAddr {
    return this.#listener.addr as Deno.NetAddr;
  }

  /** The token clients must prove (grouped for reading), or null when auth is off. */
  get token(): string | null {
    return this.#token === null ? null : formatToken(this.#token);
  }

  /** Names of the clients connected now. */
  get clients(): string[] {
    return [...this.#sessions].filter((s) => s.state === "active").map((s) => s.name);
  }

  /** Add a listener for every event. */
  addListener(listener: (event: ServerEvent) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Add an output: it receives every event from now on, in order, through
   * {@linkcode Output.push}, and is closed when the server closes. The
   * `listening` event is pushed to it first.
   */
  addOutput(output: Output): void {
    this.#outputs.push(output);
    output.attach?.(this.#host);
    if (this.#listening) output.push(this.#listening);
  }

  /** Everything connected now: each client and the inputs it holds. */
  snapshot(): ServerSnapshot {
    const clients: ClientSnapshot[] = [];
    for (const session of this.#sessions) {
      if (session.state === "active") clients.push(session.snapshot());
    }
    return { type: "snapshot", clients };
  }

  /**
   * Send feedback (rumble, LED) to a client's pad.
   *
   * @returns `{ ok: false, error }` when the client or pad is unknown, or the
   * client cannot take feedback.
   */
  command(command: FeedbackCommand): Promise<CommandResult> {
    const session = [...this.#sessions].find((s) =>
      s.state === "active" && s.name === command.client
    );
    if (!session) return Promise.resolve({ ok: false, error: `no client named ${command.client}` });
    return Promise.resolve(session.command(command));
  }

  /**
   * The `listening` event, then every event from now until the server
   * closes, as an async iterable.
   * Events are buffered without limit while the consumer is busy.
   */
  async *events(): AsyncGenerator<ServerEvent> {
    const queue: ServerEvent[] = this.#listening ? [this.#listening] : [];
    let wake: (() => void) | null = null;
    let done = false;
    this.#listeners.push((event) => {
      queue.push(event);
      wake?.();
    });
    this.finished.then(() => {
      done = true;
      wake?.();
    });
    while (true) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => wake = resolve);
      wake = null;
    }
  }

  /** Resolves once the server has closed. */
  get finished(): Promise<void> {
    return this.#acceptLoop.then(() => this.#closed ?? undefined);
  }

  /**
   * Stop: tell every client the server is going away, release their inputs,
   * report their disconnects, and close.
   */
  close(reason = "server shutting down"): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      clearInterval(this.#ticker);
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
      await this.#acceptLoop;
      const ending = [...this.#sessions].map((session) =>
        session.shutdown(reason).then(() => session.done)
      );
      await Promise.allSettled(ending);
      await Promise.allSettled(this.#outputs.map((output) => output.close()));
    })();
    return this.#closed;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #emit(event: ServerEvent): void {
    for (const output of this.#outputs) output.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  async #accept(): Promise<void> {
    while (!this.#closing) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closing || error instanceof Deno.errors.BadResource) return;
        this.#onLog(`accept failed: ${(error as Error).message}`);
        continue;
      }
      const session = new Session(this, conn);
      this.#sessions.add(session);
      session.done = session.run().finally(() => this.#sessions.delete(session));
    }
  }

  #lastTick = performance.now();

  #tick(): void {
    const now = performance.now();
    // Silence is judged up to the previous tick, not up to now: bytes that
    // arrived while this process was busy (a flood, a GC pause) have had an
    // event-loop turn since then to be read, so a stall of ours is never
    // taken for a silent client.
    const heardBy = this.#lastTick;
    this.#lastTick = now;
    for (const session of this.#sessions) session.tick(now, heardBy);
  }

  /** @internal for Session */
  get options(): ResolvedServerOptions {
    return this.#options;
  }

  /** @internal for Session */
  get key(): Promise<CryptoKey> | null {
    return this.#key;
  }

  /** @internal for Session: failed handshakes per address. */
  get limiter(): FailureLimiter {
    return this.#limiter;
  }

  /** @internal for Session: the TLS channel binding for proofs (empty on plain TCP). */
  get channelBinding(): Uint8Array {
    return this.#options.tls?.channelBinding ?? new Uint8Array(0);
  }

  /** @internal for Session */
  emit(event: ServerEvent): void {
    this.#emit(event);
  }

  /** @internal for Session */
  log(message: string): void {
    this.#onLog(message);
  }

  /** @internal for Session: number of clients past their handshake. */
  activeCount(): number {
    let count = 0;
    for (const session of this.#sessions) if (session.state === "active") count++;
    return count;
  }

  /**
   * @internal for Session: the live session that joined with session id
   * `id`, other than `except`.
   */
  sessionById(id: string, except: Session): Session | null {
    for (const session of this.#sessions) {
      if (session !== except && session.state === "active" && session.sessionId === id) {
        return session;
      }
    }
    return null;
  }

  /** @internal for Session: take a unique name derived from `wanted`. */
  claimName(wanted: string): string {
    let name = wanted;
    for (let n = 2; this.#names.has(name); n++) name = `${wanted}#${n}`;
    this.#names.add(name);
    return name;
  }

  /** @internal for Session */
  releaseName(name: string): void {
    this.#names.delete(name);
  }
}

/** One connection, from greeting to goodbye. */
class Session implements MessageSink {
  readonly #server: PadlinkServer;
  readonly #link: FramedConnection;
  readonly #decoder = new SessionDecoder(CLIENT_SESSION_TYPES);
  readonly #input = new InputState();
  readonly #serverNonce = newNonce();
  readonly #pending: Uint8Array[] = [];
  #handshakeTimer: Timer | undefined;
  #endReason: string | null = null;
  state: SessionState = "greeting";
  name = "";
  /** The JOIN session id in hex, or null when the client sent none. */
  sessionId: string | null = null;
  /** Settles when {@linkcode run} has reported everything. */
  done: Promise<void> = Promise.resolve();
  /** When the handshake completed, in ms since the Unix epoch. */
  connectedAt = 0;

  constructor(server: PadlinkServer, conn: Deno.Conn) {
    this.#server = server;
    this.#link = new FramedConnection(conn, { maxFrameSize: server.options.maxFrameSize });
  }

  async run(): Promise<void> {
    const options = this.#server.options;
    this.#handshakeTimer = setTimeout(() => {
      this.#server.log(
        `${this.#link.peer}: dropped, handshake not completed within ${options.handshakeTimeoutMs} ms`,
      );
      this.#end("handshake timed out");
    }, options.handshakeTimeoutMs);
    try {
      this.#link.send(encodeHello({
        version: PROTOCOL_VERSION,
        flags: this.#server.key ? HELLO_FLAG_AUTH : 0,
        nonce: this.#serverNonce,
      }));
      await this.#link.readFrames((payload) => this.#onFrame(payload));
      this.#end(
        this.state === "active" ? "connection closed by client" : "closed before handshake",
      );
    } catch (error) {
      this.#end(describeFailure(error));
      if (!isDisconnectError(error) && this.#endReason !== null) {
        this.#server.log(
          `${this.name || this.#link.peer} (${this.#link.peer}): ${this.#endReason}`,
        );
      }
    } finally {
      clearTimeout(this.#handshakeTimer);
      this.#finish();
    }
  }

  #onFrame(payload: Uint8Array): void {
    if (this.state === "active") {
      if (payload.length > 0) this.#decoder.decode(payload, this);
      return;
    }
    if (this.state === "greeting") {
      if (payload.length === 0) return;
      this.state = "joining";
      this.#join(payload.slice()).catch((error) => {
        this.#server.log(`${this.#link.peer}: handshake failed: ${describeFailure(error)}`);
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
    const join = decodeJoin(payload);
    const server = this.#server;
    if (join.version !== PROTOCOL_VERSION) {
      return this.#refuse(
        RefuseCode.VERSION,
        `server speaks padlink protocol v${PROTOCOL_VERSION}, client sent v${join.version}`,
      );
    }
    const nameProblem = validateClientName(join.name);
    if (nameProblem) return this.#refuse(RefuseCode.BAD_NAME, nameProblem);
    const keyPromise = server.key;
    const ip = (this.#link.conn.remoteAddr as Deno.NetAddr).hostname;
    const blockedMs = server.limiter.blockedFor(ip);
    if (keyPromise && blockedMs > 0) {
      return this.#refuse(
        RefuseCode.RATE_LIMITED,
        `too many failed handshakes from ${ip}; try again in ${Math.ceil(blockedMs / 1000)} s`,
      );
    }
    if (keyPromise) {
      if (join.proof.length === 0) {
        return this.#refuse(RefuseCode.TOKEN_REQUIRED, "this server requires a token");
      }
      const key = await keyPromise;
      const context = {
        serverNonce: this.#serverNonce,
        clientNonce: join.nonce,
        name: join.name,
        channelBinding: server.channelBinding,
      };
      if (!(await verifyProof(key, "join", context, join.proof))) {
        if (server.limiter.fail(ip)) {
          server.log(`${ip}: too many failed handshakes; refusing this address for a while`);
        }
        return this.#refuse(RefuseCode.TOKEN_WRONG, "wrong token");
      }
    }
    if (this.state !== "joining") return; // Timed out or closed while verifying.
    if (join.session) {
      // The same client reconnecting before its old connection was noticed
      // dead: release what the old one held, then hand its name over.
      this.sessionId = toHex(join.session);
      const previous = server.sessionById(this.sessionId, this);
      if (previous) {
        await previous.replace(`replaced by a new connection from ${this.#link.peer}`);
        if (this.state !== "joining") return;
      }
    }
    if (server.activeCount() >= server.options.maxClients) {
      return this.#refuse(
        RefuseCode.SERVER_FULL,
        `server is full (${server.options.maxClients} clients)`,
      );
    }
    this.name = server.claimName(join.name.trim());
    let proof = new Uint8Array(0);
    if (keyPromise) {
      proof = await computeProof(await keyPromise, "welcome", {
        serverNonce: this.#serverNonce,
        clientNonce: join.nonce,
        name: this.name,
        channelBinding: server.channelBinding,
      }) as Uint8Array<ArrayBuffer>;
    }
    if (this.state !== "joining") {
      server.releaseName(this.name);
      this.name = "";
      return;
    }
    clearTimeout(this.#handshakeTimer);
    this.#link.send(encodeWelcome({
      name: this.name,
      heartbeatMs: server.options.heartbeatMs,
      timeoutMs: server.options.timeoutMs,
      proof,
    }));
    this.state = "active";
    this.connectedAt = Date.now();
    server.emit({ type: "connect", client: this.name, addr: this.#link.peer });
    try {
      for (const frame of this.#pending.splice(0)) this.#onFrame(frame);
    } catch (error) {
      this.#server.log(`${this.name} (${this.#link.peer}): ${describeFailure(error)}`);
      this.#end(describeFailure(error));
    }
  }

  #refuse(code: number, reason: string): void {
    this.#server.log(`${this.#link.peer}: refused: ${reason}`);
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

  /** Feedback for one of this client's pads. */
  command(command: FeedbackCommand): CommandResult {
    if (!this.#input.hasPad(command.pad)) {
      return { ok: false, error: `${this.name} has no pad ${command.pad} attached` };
    }
    return { ok: false, error: `${this.name} does not take ${command.type} commands` };
  }

  /** End this session because its client reconnected; resolves once it is reported. */
  replace(reason: string): Promise<void> {
    this.#server.log(`${this.name} (${this.#link.peer}): ${reason}`);
    this.#end(reason);
    return this.done;
  }

  /**
   * Drop the client when nothing arrived for the timeout before `heardBy`
   * (the previous tick); send a heartbeat when we have been quiet.
   */
  tick(now: number, heardBy: number): void {
    if (this.state !== "active") return;
    const options = this.#server.options;
    if (heardBy - this.#link.lastReceived > options.timeoutMs) {
      this.#end(`timed out (no traffic for ${options.timeoutMs} ms)`);
      return;
    }
    if (now - this.#link.lastSent >= options.heartbeatMs) {
      this.#trySend(HEARTBEAT_FRAME);
    }
  }

  #trySend(bytes: Uint8Array): void {
    try {
      this.#link.send(bytes);
    } catch (error) {
      this.#end(describeFailure(error));
    }
  }

  /** Record why the session ends and close the socket; #finish reports it. */
  #end(reason: string): void {
    if (this.#endReason === null) this.#endReason = reason;
    this.#link.close();
  }

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
    for (const event of this.#input.neutralEvents()) {
      this.#input.apply(event);
      this.#server.emit({ ...event, client });
    }
  }

  #finished = false;

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#link.close();
    if (this.name !== "") {
      this.#neutralise();
      this.#server.emit({
        type: "disconnect",
        client: this.name,
        addr: this.#link.peer,
        reason: this.#endReason ?? "connection closed",
      });
      this.#server.releaseName(this.name);
    }
  }

  // MessageSink: every input is checked against the state, so a consumer
  // only ever sees real changes on attached pads.

  padAttach(pad: number, name: string): void {
    this.#emitInput({ type: "pad", pad, attached: true, name });
  }

  padDetach(pad: number): void {
    if (!this.#input.hasPad(pad)) return;
    for (const event of this.#input.padNeutralEvents(pad)) this.#emitInput(event);
    this.#emitInput({ type: "pad", pad, attached: false });
  }

  button(pad: number, button: number, pressed: boolean): void {
    this.#requirePad(pad);
    this.#emitInput({ type: "button", pad, button: BUTTON_NAMES[button]!, pressed });
  }

  axis(pad: number, axis: number, raw: number): void {
    this.#requirePad(pad);
    this.#emitInput({ type: "axis", pad, axis: AXIS_NAMES[axis]!, value: dequantizeAxis(raw) });
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
    this.#trySend(encodePing(MessageType.PONG, id));
  }

  pong(_id: number): void {}

  rumble(): void {
    throw new ProtocolError("a client may not send RUMBLE");
  }

  #requirePad(pad: number): void {
    if (!this.#input.hasPad(pad)) {
      throw new ProtocolError(`input for pad ${pad}, which is not attached`);
    }
  }

  #emitInput(event: InputEvent): void {
    if (this.state !== "active") return;
    if (!this.#input.apply(event)) return;
    this.#server.emit({ ...event, client: this.name } as ClientInputEvent);
  }
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function describeFailure(error: unknown): string {
  if (error instanceof ProtocolError) return `protocol error: ${error.message}`;
  if (error instanceof FrameError) return `framing error: ${error.message}`;
  if (error instanceof BackpressureError) return error.message;
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset";
  if (isDisconnectError(error)) return "connection lost";
  return error instanceof Error ? error.message : String(error);
}
