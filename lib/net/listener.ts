/**
 * The accept loop, for every listener padlink runs (the server's, the
 * pairing port's): take connections until closed, and report accept errors
 * without ending the loop, backing off while they repeat (out of file
 * descriptors) and logging them at most once a second.
 *
 * @module
 */

import { closeQuietly } from "./close_quietly.ts";
import { LogThrottle } from "./log_throttle.ts";
import { sleep } from "./deadline.ts";

/** Shortest pause after a failed accept, in ms. */
export const ACCEPT_BACKOFF_MIN_MS = 5;

/** Longest pause after failed accepts in a row, in ms. */
export const ACCEPT_BACKOFF_MAX_MS = 1000;

/** Accept failures are logged at most once per this many ms. */
export const ACCEPT_LOG_INTERVAL_MS = 1000;

/**
 * The pause after the `failures`-th failed accept in a row: from
 * {@linkcode ACCEPT_BACKOFF_MIN_MS}, doubling, up to {@linkcode ACCEPT_BACKOFF_MAX_MS}.
 *
 * @example Usage
 * ```ts
 * import { acceptBackoffMs } from "./listener.ts";
 * if (acceptBackoffMs(1) !== 5 || acceptBackoffMs(2) !== 10 || acceptBackoffMs(30) !== 1000) {
 *   throw new Error();
 * }
 * ```
 */
export function acceptBackoffMs(failures: number): number {
  return Math.min(ACCEPT_BACKOFF_MAX_MS, ACCEPT_BACKOFF_MIN_MS * 2 ** Math.min(failures - 1, 20));
}

/** Options for {@linkcode AcceptLoop}. */
export interface AcceptLoopOptions {
  /** Called with each accepted connection; it owns the connection from then on. */
  onConnection: (conn: Deno.Conn) => void;
  /**
   * Called on every failed accept, before the pause. Return true when it
   * freed something (closed a connection), so the next accept is tried
   * after the shortest pause instead of a longer one.
   */
  onAcceptFailure?: (error: unknown) => boolean;
  /** Diagnostics: accept errors other than the listener closing. */
  onLog?: (message: string) => void;
  /** Put before each log line, for example `"pairing: "`. Default empty. */
  logPrefix?: string;
}

/**
 * Accepts connections from a listener until {@linkcode close}: the one
 * accept loop, so that how accept errors are handled lives in one place.
 *
 * @example Accept one connection
 * ```ts
 * import { AcceptLoop } from "./listener.ts";
 * const accepted: Deno.Conn[] = [];
 * const loop = new AcceptLoop(Deno.listen({ hostname: "127.0.0.1", port: 0 }), {
 *   onConnection: (conn) => accepted.push(conn),
 * });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: loop.addr.port });
 * while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
 * client.close();
 * accepted[0]!.close();
 * await loop.close();
 * ```
 */
export class AcceptLoop {
  readonly #listener: Deno.Listener;
  readonly #options: AcceptLoopOptions;
  readonly #done: Promise<void>;
  #closing = false;

  /**
   * Start accepting from `listener`, which the loop owns from now on.
   *
   * @param listener The listener.
   * @param options What to do with each connection, and where errors go.
   */
  constructor(listener: Deno.Listener, options: AcceptLoopOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#done = this.#run();
  }

  /** The address listened on. */
  get addr(): Deno.NetAddr {
    return this.#listener.addr as Deno.NetAddr;
  }

  /** Resolves once the loop has stopped. */
  get done(): Promise<void> {
    return this.#done;
  }

  async #run(): Promise<void> {
    const log = this.#options.onLog ?? (() => {});
    const prefix = this.#options.logPrefix ?? "";
    let failures = 0;
    const failureLog = new LogThrottle({ perSecond: 1000 / ACCEPT_LOG_INTERVAL_MS, burst: 1 });
    while (!this.#closing) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closing || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors (EMFILE) and the like: the error repeats at
        // once until something closes, so retrying without a pause would
        // spin a core and flood the log. Back off, and log at most once per
        // ACCEPT_LOG_INTERVAL_MS, counting the failures in between.
        const freed = this.#options.onAcceptFailure?.(error) ?? false;
        failures = freed ? 1 : failures + 1;
        const delayMs = acceptBackoffMs(failures);
        const held = failureLog.take();
        if (held !== null) {
          const more = held > 0 ? ` (${held} more since the last report)` : "";
          log(
            `${prefix}accept failed: ${(error as Error).message}${more}; retrying in ${delayMs} ms`,
          );
        }
        await this.#pause(delayMs);
        continue;
      }
      failures = 0;
      this.#options.onConnection(conn);
    }
  }

  /** Sleep `ms`, or until {@linkcode close}. */
  #pause(ms: number): Promise<void> {
    return sleep(ms, this.#closed.signal);
  }

  /** Aborted by {@linkcode close}: cuts a {@linkcode #pause} short. */
  readonly #closed = new AbortController();

  /** Stop accepting and close the listener; resolves once the loop has stopped. */
  close(): Promise<void> {
    this.#closing = true;
    closeQuietly(this.#listener);
    this.#closed.abort();
    return this.#done;
  }
}
