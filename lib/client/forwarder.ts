/**
 * Keeps a client forwarding across connection loss: it tracks the current
 * input state, sends only changes, reconnects with capped exponential
 * backoff and jitter, and after each reconnect sends a snapshot of the
 * current state (never the history missed while disconnected).
 *
 * @module
 */

import { type CloseInfo, ConnectError, type ConnectOptions, PadlinkConnection } from "./client.ts";
import { type InputEvent, InputState } from "../input/model.ts";
import { SESSION_ID_SIZE } from "../wire/protocol.ts";
import { sleep } from "../net/deadline.ts";

/** Options for {@linkcode Forwarder}. */
export interface ForwarderOptions extends ConnectOptions {
  /** Reconnect after a lost connection. Default true. */
  reconnect?: boolean;
  /** First reconnect delay, in ms. Default 100. */
  backoffInitialMs?: number;
  /** Longest reconnect delay, in ms. Default 5000. */
  backoffMaxMs?: number;
  /** Status lines for the user (connected, lost, retrying). */
  onStatus?: (message: string) => void;
  /**
   * Connection state changes, for a window title or `--json` lines; with
   * "reconnecting", why the connection was lost. "connecting" comes before
   * each reconnect attempt.
   */
  onState?: (state: ForwarderState, reason?: string) => void;
  /** Called before each wait between reconnect attempts, with the wait in ms. */
  onRetry?: (delayMs: number) => void;
}

/** Where a {@linkcode Forwarder}'s connection stands. */
export type ForwarderState = "connecting" | "connected" | "reconnecting" | "closed";

/** Why a forwarder stopped. */
export interface ForwarderEnd {
  /** Human-readable reason. */
  reason: string;
  /** True when it stopped because of an error the user must fix. */
  failed: boolean;
  /** The error when there was one. */
  error?: ConnectError;
}

/**
 * Next reconnect delay: exponential from `initialMs`, capped at `maxMs`,
 * with "full jitter" between half and all of it so that many clients do not
 * reconnect in lockstep.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * ceiling / 2;
}

/** A client that stays connected and in sync. */
export class Forwarder {
  readonly #options: ForwarderOptions;
  readonly #state = new InputState();
  #connection: PadlinkConnection | null = null;
  #stopping = false;
  #lost = 0;
  #endResolve!: (end: ForwarderEnd) => void;
  /** Aborted by {@linkcode stop}: cuts a backoff wait short. */
  readonly #stopped = new AbortController();
  /** Resolves when the forwarder has stopped for good. */
  readonly done: Promise<ForwarderEnd>;

  /**
   * Create a forwarder; call {@linkcode start} to connect. Unless `session`
   * is given, one random session id is used for every (re)connection, so the
   * server can hand the name back to this forwarder after a drop it has not
   * noticed yet.
   */
  constructor(options: ForwarderOptions) {
    this.#options = {
      ...options,
      session: options.session ?? crypto.getRandomValues(new Uint8Array(SESSION_ID_SIZE)),
    };
    this.done = new Promise((resolve) => this.#endResolve = resolve);
  }

  /** The name the server assigned on the current connection. */
  get name(): string | null {
    return this.#connection?.name ?? null;
  }

  /** The current connection, if up. */
  get connection(): PadlinkConnection | null {
    return this.#connection?.isOpen ? this.#connection : null;
  }

  /**
   * Events the server may never have processed: those sent on a connection
   * that dropped before the server confirmed them, and those made while
   * disconnected (the next connection gets the state they led to instead).
   */
  get lostEvents(): number {
    return this.#lost;
  }

  /** Resolves once everything pushed so far has been written to the socket. */
  drained(): Promise<void> {
    return this.#connection?.drained() ?? Promise.resolve();
  }

  /** The input state as the devices report it now. */
  get state(): InputState {
    return this.#state;
  }

  /**
   * Connect for the first time. A failure here is reported to the caller
   * rather than retried, so a wrong host or token fails fast; except a
   * rate-limited refusal (a server slowing wrong tokens from an address we
   * may share), which is retried with the reconnect backoff until it passes
   * or {@linkcode stop} is called.
   *
   * @throws {ConnectError}
   */
  async start(): Promise<void> {
    for (let attempt = 0;; attempt++) {
      try {
        this.#adopt(await PadlinkConnection.open(this.#options));
        return;
      } catch (error) {
        if (!(error instanceof ConnectError) || error.kind !== "rate-limited" || this.#stopping) {
          throw error;
        }
        const delay = this.#delay(attempt);
        this.#options.onStatus?.(`${error.message}; retrying in ${seconds(delay)}`);
        await this.#wait(delay);
        if (this.#stopping) throw error;
      }
    }
  }

  /** Sleep `ms`, or less when {@linkcode stop} wakes us. */
  #wait(ms: number): Promise<void> {
    return sleep(ms, this.#stopped.signal);
  }

  #adopt(connection: PadlinkConnection): void {
    this.#connection = connection;
    this.#options.onState?.("connected");
    // Resync: whatever is held now, not what happened while away.
    connection.send(this.#state.snapshot());
    connection.closed.then((info) => this.#onClosed(connection, info));
  }

  #onClosed(connection: PadlinkConnection, info: CloseInfo): void {
    if (this.#connection !== connection || this.#stopping) return;
    this.#connection = null;
    this.#lost += connection.unconfirmedEvents;
    if (!(this.#options.reconnect ?? true)) {
      this.#options.onState?.("closed");
      this.#endResolve({ reason: info.reason, failed: !info.serverShutdown });
      return;
    }
    const delay = this.#delay(0);
    this.#options.onStatus?.(`connection lost (${info.reason}); reconnecting in ${seconds(delay)}`);
    this.#options.onState?.("reconnecting", info.reason);
    this.#reconnect(delay);
  }

  #delay(attempt: number): number {
    const initial = this.#options.backoffInitialMs ?? 100;
    const max = this.#options.backoffMaxMs ?? 5000;
    return backoffDelay(attempt, initial, max);
  }

  async #reconnect(firstDelay: number): Promise<void> {
    let delay = firstDelay;
    for (let attempt = 0; !this.#stopping; attempt++) {
      this.#options.onRetry?.(delay);
      await this.#wait(delay);
      if (this.#stopping) return;
      this.#options.onState?.("connecting");
      try {
        const connection = await PadlinkConnection.open(this.#options);
        if (this.#stopping) {
          connection.close();
          return;
        }
        this.#options.onStatus?.(
          `reconnected to ${connection.peer} as ${connection.name} after ${attempt + 1} attempt(s)`,
        );
        this.#adopt(connection);
        return;
      } catch (error) {
        const failure = error instanceof ConnectError ? error : null;
        if (failure && !failure.retryable) {
          this.#stopping = true;
          this.#options.onState?.("closed");
          this.#endResolve({ reason: failure.message, failed: true, error: failure });
          return;
        }
        delay = this.#delay(attempt + 1);
        this.#options.onStatus?.(
          `reconnect attempt ${attempt + 1} failed (${briefly(error)}); next in ${seconds(delay)}`,
        );
      }
    }
  }

  /**
   * Record new input and send what changed, in one write. Events that
   * change nothing are dropped. While disconnected the state is still
   * tracked, so the next connection starts from the truth.
   *
   * @param events the new input, in order
   * @param capturedUs when it was captured, on the connection's clock (µs;
   *   `ConnectOptions.clock`); default now
   * @returns the events that changed the state (what was sent).
   */
  push(events: readonly InputEvent[], capturedUs?: number): InputEvent[] {
    const changed: InputEvent[] = [];
    for (const event of events) if (this.#state.apply(event)) changed.push(event);
    if (changed.length > 0 && !this.#connection?.send(changed, capturedUs)) {
      this.#lost += changed.length;
    }
    return changed;
  }

  /**
   * Stop gracefully: release everything held, say goodbye, and wait until
   * the server confirms it has processed everything.
   *
   * @returns true when the server confirmed.
   */
  async stop(reason = ""): Promise<boolean> {
    if (this.#stopping) return false;
    this.#stopping = true;
    this.#stopped.abort();
    const connection = this.#connection;
    this.#connection = null;
    let confirmed = false;
    if (connection?.isOpen) {
      const releases = this.#state.neutralEvents().filter((e) => e.type !== "pad");
      connection.send(releases);
      confirmed = await connection.goodbye(reason);
    }
    this.#options.onState?.("closed");
    this.#endResolve({ reason: "stopped", failed: false });
    return confirmed;
  }
}

/** A delay for a status line: `0.4 s`, `5 s`. */
function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/**
 * Why a reconnect attempt failed, in a few words: the attempt line repeats
 * every few seconds for as long as the server is away.
 */
function briefly(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (cause instanceof Deno.errors.ConnectionReset) return "connection reset";
  if (error instanceof ConnectError) {
    switch (error.kind) {
      case "unreachable":
        if (/no answer within/.test(error.message)) return "no answer";
        return cause instanceof Error
          ? cause.message.replace(/\s*\(os error \d+\)$/, "").toLowerCase()
          : "unreachable";
      case "timeout":
        return "handshake timed out";
      case "closed":
        return "closed during the handshake";
      case "refused":
        return error.message.replace(/^.*refused the connection: /, "refused: ");
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.split(/[;(]/)[0]!.trim();
}
