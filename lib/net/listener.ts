/**
 * The accept loop, for every listener padlink runs (the server's, the
 * pairing port's): take connections until closed, and report accept errors
 * without ending the loop.
 *
 * @module
 */

import { closeQuietly } from "./close_quietly.ts";

/** Options for {@linkcode AcceptLoop}. */
export interface AcceptLoopOptions {
  /** Called with each accepted connection; it owns the connection from then on. */
  onConnection: (conn: Deno.Conn) => void;
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
    while (!this.#closing) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closing || error instanceof Deno.errors.BadResource) return;
        log(`${prefix}accept failed: ${(error as Error).message}`);
        continue;
      }
      this.#options.onConnection(conn);
    }
  }

  /** Stop accepting and close the listener; resolves once the loop has stopped. */
  close(): Promise<void> {
    this.#closing = true;
    closeQuietly(this.#listener);
    return this.#done;
  }
}
