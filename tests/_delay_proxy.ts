/**
 * Test helper: a loopback TCP proxy that holds every chunk for a fixed time
 * in each direction before passing it on, in order, like a long link.
 *
 * @module
 */

import { closeQuietly } from "../lib/net/close_quietly.ts";
import { sleep } from "../lib/net/deadline.ts";

/** A running delaying proxy; dispose of it to stop it and every link through it. */
export class DelayProxy implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #pumps = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  readonly #target: number;
  readonly #delayMs: number;

  /** Listen on a free loopback port; each connection goes on to `targetPort`. */
  constructor(targetPort: number, delayMs: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#target = targetPort;
    this.#delayMs = delayMs;
    this.#accepting = this.#accept();
  }

  /** The port clients connect to. */
  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    for await (const inbound of this.#listener) {
      this.#conns.add(inbound);
      let outbound: Deno.Conn;
      try {
        outbound = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
      } catch {
        closeQuietly(inbound);
        continue;
      }
      this.#conns.add(outbound);
      for (const [from, to] of [[inbound, outbound], [outbound, inbound]] as const) {
        const pump = this.#pump(from, to);
        this.#pumps.add(pump);
        pump.finally(() => this.#pumps.delete(pump));
      }
    }
  }

  /**
   * Read chunks as they come and write each `delayMs` after it arrived, in
   * order: the reader never waits for the writer, so a burst is delayed,
   * not slowed.
   */
  async #pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    let writing = Promise.resolve();
    const buffer = new Uint8Array(65536);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        const chunk = buffer.slice(0, n);
        const due = performance.now() + this.#delayMs;
        writing = writing.then(async () => {
          const wait = due - performance.now();
          if (wait > 0) await sleep(Math.ceil(wait));
          let offset = 0;
          while (offset < chunk.length) offset += await to.write(chunk.subarray(offset));
        }).catch(() => closeQuietly(from)); // The far side went away: end the read too.
      }
      await writing;
    } catch {
      // Either side closed: the other goes too.
    } finally {
      await writing;
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /** Stop listening, close every link, and wait for the pumps to end. */
  async [Symbol.asyncDispose](): Promise<void> {
    closeQuietly(this.#listener);
    await this.#accepting.catch(() => {});
    for (const conn of this.#conns) closeQuietly(conn);
    await Promise.all(this.#pumps);
  }
}
