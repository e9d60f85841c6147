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

import { formatToken, generateToken, normalizeToken, tokenKey } from "../trust/auth.ts";
import { FailureThrottle, type FailureThrottleOptions } from "../trust/failure_throttle.ts";
import { AcceptLoop } from "../net/listener.ts";
import { AddressSlots } from "../net/address_slots.ts";
import { AbuseDelay } from "../net/abuse_delay.ts";
import { LogThrottle } from "../net/log_throttle.ts";
import { listenTls } from "../net/tls_listener.ts";
import { LivenessTicker } from "../net/liveness.ts";
import { type MicrosClock, wallClockMicros } from "../net/clock_sync.ts";
import type { TelemetrySource } from "./telemetry.ts";
import { PROTOCOL_VERSION } from "../wire/protocol.ts";
import { checkFeedbackCommand, FeedbackCommandError } from "./feedback.ts";
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
import { Listeners, streamEvents } from "./listeners.ts";
import { NameRegistry } from "./name_registry.ts";
import { Session, type SessionHost } from "./session.ts";
import { ReadFlowControl } from "./flow_control.ts";

export { DEFAULT_PORT, validateClientName };
export type { ClientInputEvent, ConnectEvent, DisconnectEvent, ListeningEvent, ServerEvent };

/** Default interval of heartbeats sent to an otherwise idle client, in ms. */
export const DEFAULT_HEARTBEAT_MS = 250;

/** Default silence after which a client is declared gone, in ms. */
export const DEFAULT_TIMEOUT_MS = 1000;

/** Default time a new connection has to complete its handshake, in ms. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 3000;

/** Default maximum number of clients connected at once. */
export const DEFAULT_MAX_CLIENTS = 64;

/**
 * Default most connections waiting for their handshake at once (plain and
 * TLS). Past it the oldest go first: of the address that holds the most,
 * so a flood from one address evicts its own connections, never a
 * newcomer's. When the process runs out of file descriptors first (accept
 * fails with EMFILE), the oldest waiting connection is dropped to make room
 * as well.
 */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 512;

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
  /**
   * Most connections waiting for their handshake at once; past it the
   * oldest go first. Default {@linkcode DEFAULT_MAX_PENDING_CONNECTIONS}.
   */
  maxPendingConnections?: number;
  /** Largest frame payload accepted, in bytes. */
  maxFrameSize?: number;
  /** Serve TLS with this certificate and key (PEM) instead of plain TCP. */
  tls?: ServerTlsOptions | null;
  /**
   * How wrong tokens are slowed down: each is refused after a delay
   * (default 1 s), with a cap on how many wait at once (default 64, 8 per
   * address). A correct token is never refused.
   */
  failures?: FailureThrottleOptions | null;
  /** Called synchronously for every event, in order. */
  onEvent?: (event: ServerEvent) => void;
  /** Called with human-readable diagnostics (refusals, bad frames). */
  onLog?: (message: string) => void;
  /**
   * The server's clock in µs, for clock requests and emit times. Default
   * {@linkcode wallClockMicros}.
   */
  clock?: MicrosClock;
}

/** Server options with every default filled in. */
export type ResolvedServerOptions = Required<
  Omit<ServerOptions, "token" | "onEvent" | "onLog" | "clock">
>;

/** A running padlink server. */
export class PadlinkServer implements AsyncDisposable {
  readonly #options: ResolvedServerOptions;
  readonly #token: string | null;
  readonly #sessions = new Set<Session>();
  readonly #listeners = new Listeners<ServerEvent>();
  readonly #sessionHost: SessionHost;
  readonly #outputs: Output[] = [];
  readonly #flow = new ReadFlowControl();
  readonly #host: OutputHost = {
    snapshot: () => this.snapshot(),
    command: (command) => this.command(command),
    telemetry: () => this.telemetry(),
  };
  readonly #onLog: (message: string) => void;
  readonly #liveness: LivenessTicker;
  readonly #acceptLoop: AcceptLoop;
  #closed: Promise<void> | null = null;
  #listening: ListeningEvent | null = null;

  private constructor(listener: Deno.Listener, options: ServerOptions) {
    this.#options = {
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? DEFAULT_PORT,
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      maxClients: options.maxClients ?? DEFAULT_MAX_CLIENTS,
      maxPendingConnections: options.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS,
      maxFrameSize: options.maxFrameSize ?? 4096,
      tls: options.tls ?? null,
      failures: options.failures ?? null,
    };
    this.#token = options.token === null ? null : normalizeToken(options.token ?? generateToken());
    if (options.onEvent) this.#listeners.add(options.onEvent);
    this.#onLog = options.onLog ?? (() => {});
    const sessions = this.#sessions;
    const total = this.#options.maxPendingConnections;
    // No share per address below the total: when the table is full, the
    // address holding the most loses its oldest, which is fair enough, and a
    // crowd behind one NAT address is not limited while there is room.
    this.#pending = new AddressSlots({ total, perAddress: total });
    this.#sessionHost = {
      settings: {
        heartbeatMs: this.#options.heartbeatMs,
        timeoutMs: this.#options.timeoutMs,
        handshakeTimeoutMs: this.#options.handshakeTimeoutMs,
        maxClients: this.#options.maxClients,
        maxFrameSize: this.#options.maxFrameSize,
        key: this.#token === null ? null : tokenKey(this.#token),
        channelBinding: this.#options.tls?.channelBinding ?? new Uint8Array(0),
        clock: options.clock ?? wallClockMicros,
      },
      failures: new FailureThrottle(options.failures ?? {}),
      names: new NameRegistry(),
      report: (event) => this.#emit(event),
      log: (message) => this.#onLog(message),
      handshakeDone: (session) => this.#pending.release(session.address, session),
      abused: (session) => this.#abuse.record(session.address),
      holdReads: () => this.#flow.hold(),
      sessions: {
        activeCount: () => {
          let count = 0;
          for (const session of sessions) if (session.state === "active") count++;
          return count;
        },
        byId: (id, except) => {
          for (const session of sessions) {
            if (session !== except && session.state === "active" && session.sessionId === id) {
              return session;
            }
          }
          return null;
        },
      },
    };
    this.#liveness = new LivenessTicker(this.#options, () => this.#activeSessions());
    this.#acceptLoop = new AcceptLoop(listener, {
      onConnection: (conn) => this.#serve(conn),
      // Out of file descriptors: free some held by connections that have not
      // proved anything yet, so that a real client can still get in.
      // An eighth of them at a time, so a backlog of thousands drains fast.
      onAcceptFailure: () => {
        const count = Math.max(1, Math.ceil(this.#pending.size / 8));
        let freed = 0;
        for (let oldest; freed < count && (oldest = this.#pending.evictOne()); freed++) {
          this.#evict(oldest, "the server ran out of file descriptors");
        }
        return freed > 0;
      },
      onLog: this.#onLog,
    });
  }

  /**
   * Listen and start serving. The first event reported is `listening`.
   * Never throws: every failure is a rejection.
   *
   * @returns the running server; rejects with `Deno.errors.AddrInUse` when
   * the port is taken (and the other `Deno.listen` errors).
   */
  static start(options: ServerOptions = {}): Promise<PadlinkServer> {
    // Inside the executor, so that a failure to listen rejects.
    return new Promise((resolve) => resolve(PadlinkServer.#open(options)));
  }

  static async #open(options: ServerOptions): Promise<PadlinkServer> {
    const address = {
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? DEFAULT_PORT,
      transport: "tcp" as const,
    };
    // TLS through node:tls, not Deno.listenTls: only there can a connection
    // that never starts its TLS handshake be closed (see tls_listener.ts).
    const listener: Deno.Listener = options.tls
      ? await listenTls({
        ...address,
        cert: options.tls.cert,
        key: options.tls.key,
        handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
        maxPending: options.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS,
        onLog: options.onLog,
      }) as unknown as Deno.Listener
      : Deno.listen(address);
    let server: PadlinkServer;
    try {
      server = new PadlinkServer(listener, options);
    } catch (error) {
      listener.close(); // A bad token: nothing may be left listening.
      throw error;
    }
    const addr = listener.addr as Deno.NetAddr;
    server.#listening = {
      type: "listening",
      host: addr.hostname,
      port: addr.port,
      auth: server.#token !== null,
      protocol: PROTOCOL_VERSION,
    };
    server.#emit(server.#listening);
    return server;
  }

  /** The address the server listens on. */
  get addr(): Deno.NetAddr {
    return this.#acceptLoop.addr;
  }

  /** The token clients must prove (grouped for reading), or null when auth is off. */
  get token(): string | null {
    return this.#token === null ? null : formatToken(this.#token);
  }

  /** Names of the clients connected now. */
  get clients(): string[] {
    return [...this.#sessions].filter((s) => s.state === "active").map((s) => s.name);
  }

  /**
   * Add a listener for every event from now on, called synchronously in order.
   *
   * @returns a function that removes the listener.
   */
  addListener(listener: (event: ServerEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  /**
   * Add an output: it receives every event from now on, in order, through
   * {@linkcode Output.push}, and is closed when the server closes. The
   * `listening` event is pushed to it first. An output with
   * {@linkcode Output.flow} sets the pace of reading clients' input while it
   * is behind and writing (see `flow_control.ts`).
   */
  addOutput(output: Output): void {
    this.#outputs.push(output);
    if (output.flow) this.#flow.add(output.flow);
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
   * What is measured about each connected client (round trip, clock offset,
   * latencies, counts), for a `StatsWindow` (`telemetry.ts`) to read.
   */
  telemetry(): TelemetrySource[] {
    return [...this.#activeSessions()];
  }

  /**
   * Send feedback (rumble, LED) to a client's pad.
   *
   * @returns `{ ok: false, error }` when the client or pad is unknown, or the
   * client cannot take feedback.
   */
  command(command: FeedbackCommand): Promise<CommandResult> {
    let checked: FeedbackCommand;
    try {
      checked = checkFeedbackCommand(command);
    } catch (error) {
      if (!(error instanceof FeedbackCommandError)) throw error;
      return Promise.resolve({ ok: false, error: error.message });
    }
    const session = [...this.#sessions].find((s) =>
      s.state === "active" && s.name === checked.client
    );
    if (!session) return Promise.resolve({ ok: false, error: `no client named ${checked.client}` });
    return Promise.resolve(session.command(checked));
  }

  /**
   * Rumble a client's pad: motor strengths in 0..1 for `ms` (at most
   * 10 000; 0 stops). The client spaces updates to one pad at least 50 ms
   * apart and stops the rumble when it expires, when the pad goes and when
   * the connection does.
   */
  rumble(
    client: string,
    pad: number,
    rumble: { low: number; high: number; ms: number },
  ): Promise<CommandResult> {
    return this.command({ type: "rumble", client, pad, ...rumble });
  }

  /** Rumble a pad's trigger motors (Xbox One pads): strengths in 0..1 for `ms`. */
  triggerRumble(
    client: string,
    pad: number,
    rumble: { left: number; right: number; ms: number },
  ): Promise<CommandResult> {
    return this.command({ type: "trigger_rumble", client, pad, ...rumble });
  }

  /** Set a pad's LED colour, `#rrggbb`. */
  led(client: string, pad: number, rgb: string): Promise<CommandResult> {
    return this.command({ type: "led", client, pad, rgb });
  }

  /**
   * Ask a client to turn a pad's accelerometer and gyro on (or off), so that
   * it sends `motion` events without having been started with `--motion`.
   */
  requestMotion(client: string, pad: number, enable = true): Promise<CommandResult> {
    return this.command({ type: "motion", client, pad, enable });
  }

  /**
   * The `listening` event, then every event from now until the server
   * closes, as an async iterable. Events are buffered without limit while
   * the consumer is busy; leaving the loop (`break`, `return`, a throw)
   * unsubscribes, so nothing queues for a consumer that is gone.
   */
  events(): AsyncGenerator<ServerEvent, void, undefined> {
    return streamEvents(this.#listeners, this.#listening ? [this.#listening] : [], this.finished);
  }

  /** Resolves once the server has closed. */
  get finished(): Promise<void> {
    return this.#acceptLoop.done.then(() => this.#closed ?? undefined);
  }

  /**
   * Stop: tell every client the server is going away, release their inputs,
   * report their disconnects, and close.
   */
  close(reason = "server shutting down"): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closed = (async () => {
      this.#liveness.stop();
      await this.#acceptLoop.close();
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
    this.#listeners.emit(event);
  }

  #serve(conn: Deno.Conn): void {
    const session = new Session(this.#sessionHost, conn);
    this.#sessions.add(session);
    const evicted = this.#pending.admit(session.address, session);
    if (evicted) {
      this.#evict(
        evicted,
        `more than ${this.#options.maxPendingConnections} were waiting for their handshake`,
      );
    }
    session.done = session.run(this.#abuse.delayFor(session.address)).finally(() => {
      this.#sessions.delete(session);
      this.#pending.release(session.address, session);
    });
  }

  readonly #pending: AddressSlots<Session>;
  readonly #abuse = new AbuseDelay();
  readonly #evictionLog = new LogThrottle();

  /** Drop a connection still waiting for its handshake, to make room; logged at most once a second. */
  #evict(session: Session, why: string): void {
    session.evict(`dropped before its handshake: ${why}`);
    const held = this.#evictionLog.take();
    if (held !== null) {
      this.#onLog(
        `${held + 1} connection(s) dropped before their handshake, oldest first: ${why}`,
      );
    }
  }

  *#activeSessions(): Iterable<Session> {
    for (const session of this.#sessions) if (session.state === "active") yield session;
  }
}
