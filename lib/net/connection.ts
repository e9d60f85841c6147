/**
 * A framed connection over a `Deno.Conn`: a read loop that feeds a
 * {@linkcode FrameDecoder}, and a write queue that keeps frames in order,
 * writes each batch in one call, and is bounded so that a peer that never
 * reads cannot make us hold unbounded memory.
 *
 * @module
 */

import { DEFAULT_MAX_FRAME_SIZE, FrameDecoder } from "../wire/frame.ts";
import { closeQuietly } from "./close_quietly.ts";
import { formatHostPort, unmapIpv4 } from "./host_port.ts";
import { withDeadline } from "./deadline.ts";

/**
 * Largest buffer a connection reads into. It grows to this from
 * {@linkcode INITIAL_READ_BUFFER_SIZE}, four times over each time a read
 * fills it: a client streaming at full speed is then read 64 KiB at a time
 * between the yields below, while idle and lightly used connections
 * (heartbeats, a few events per read) keep 1 KiB.
 */
export const READ_BUFFER_SIZE = 64 * 1024;

/** Size of the buffer a connection starts reading into. */
export const INITIAL_READ_BUFFER_SIZE = 1024;

/** Default cap on bytes queued for a peer that does not read. */
export const DEFAULT_MAX_QUEUED_BYTES = 256 * 1024;

/**
 * Bytes one connection may read before its read loop lets the event loop
 * turn. Deno completes a read at once when the socket already holds data, so
 * without this a peer that floods us would keep the loop to itself: no
 * timer, and no other connection, would run until it stopped. A read that
 * fills the whole buffer (more is waiting) yields too.
 */
export const YIELD_AFTER_BYTES = 64 * 1024;

/**
 * Room kept free in the queue by {@linkcode FramedConnection.write}, so
 * that small control frames (heartbeats, PONGs) sent with `send` while a
 * large stream waits for the peer always fit.
 */
export const CONTROL_HEADROOM_BYTES = 4 * 1024;

/** The peer stopped reading and our queue for it is full. */
export class BackpressureError extends Error {
  /** Create the error for `queued` bytes over `max`. */
  constructor(queued: number, max: number) {
    super(`peer is not reading: ${queued} bytes queued, limit ${max}`);
    this.name = "BackpressureError";
  }
}

/** Options for {@linkcode FramedConnection}. */
export interface FramedConnectionOptions {
  /** Largest frame payload accepted from the peer. */
  maxFrameSize?: number;
  /** Most bytes queued for writing before the connection is failed. */
  maxQueuedBytes?: number;
}

/**
 * Format a `Deno.Addr` as `host:port` (IPv6 hosts in brackets, an IPv4 peer
 * of a dual-stack socket as plain IPv4).
 */
export function formatAddr(addr: Deno.Addr): string {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return formatHostPort(unmapIpv4(addr.hostname), addr.port);
  }
  return "path" in addr ? String(addr.path) : addr.transport;
}

/** Whether an error is the ordinary end of a TCP connection rather than a bug. */
export function isDisconnectError(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.UnexpectedEof;
}

/**
 * Frames in, frames out, over one `Deno.Conn`.
 */
export class FramedConnection {
  /** The underlying connection (TCP or TLS). */
  readonly conn: Deno.Conn;
  /** The peer's address as `host:port`. */
  readonly peer: string;
  #lastReceived = performance.now();
  /** A full read left more bytes waiting, and the read loop has not read them yet. */
  #backlogged = false;
  /** The read loop is holding back (see {@linkcode FramedConnection.readFrames}'s `hold`). */
  #holding = false;
  /** `performance.now()` when bytes were last queued for sending. */
  lastSent: number = performance.now();
  /** Bytes received in total. */
  bytesReceived = 0;
  /** Bytes sent in total. */
  bytesSent = 0;

  readonly #decoder: FrameDecoder;
  readonly #maxQueuedBytes: number;
  /**
   * Bytes queued while a write is in flight, copied into one buffer: a peer
   * that makes us queue many tiny frames costs their bytes, not an object
   * per frame.
   */
  #buffer = new Uint8Array(0);
  #buffered = 0;
  /** Bytes not yet handed to the OS: in flight plus buffered. */
  #queuedBytes = 0;
  #writing = false;
  #closed = false;
  #writeError: unknown = null;
  #drained: (() => void)[] = [];

  /** Wrap `conn`, turning Nagle off so each frame leaves at once. */
  constructor(conn: Deno.Conn, options: FramedConnectionOptions = {}) {
    this.conn = conn;
    this.peer = formatAddr(conn.remoteAddr);
    this.#decoder = new FrameDecoder({
      maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
    });
    this.#maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") {
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // A connection already reset cannot take options; the read loop reports it.
      }
    }
  }

  /** Whether {@linkcode close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * `performance.now()` when bytes last arrived; "now" while more bytes are
   * known to be waiting unread (the last read filled the buffer and the
   * loop is yielding) and while the read loop holds back, so a peer that we
   * are slow to read, because this process is busy with others or waits for
   * its output, is never taken for a silent one. Bytes held back count as
   * arrived when the hold ends.
   */
  get lastReceived(): number {
    return this.#backlogged || this.#holding ? performance.now() : this.#lastReceived;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Read until EOF, calling `onFrame` for every frame in order.
   * Resolves at a clean EOF (or after {@linkcode close}); rejects with a
   * framing error, a truncated frame at EOF, or a socket error.
   *
   * @param onFrame called with each frame's payload, in order
   * @param hold asked after each read, before its frames are handed over:
   *   null to go on, or a promise to wait for before asking again. Nothing
   *   more is read meanwhile, so the peer's sends wait in TCP (flow
   *   control); a hold must settle soon (the server's waits at most
   *   `FLOW_WAIT_MS`) so that a {@linkcode close} is noticed.
   */
  async readFrames(
    onFrame: (payload: Uint8Array) => void,
    hold?: () => Promise<void> | null,
  ): Promise<void> {
    let buffer = new Uint8Array(INITIAL_READ_BUFFER_SIZE);
    let sinceYield = 0;
    let backlog = false;
    while (!this.#closed) {
      if (backlog || sinceYield >= YIELD_AFTER_BYTES) {
        sinceYield = 0;
        // A timer, not setImmediate: with setImmediate, peers flooding PINGs
        // kept another client's socket unread for over a second (the hostile
        // test), presumably because the loop never went idle to poll it.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (this.#closed) return;
      }
      let n: number | null;
      try {
        n = await this.conn.read(buffer);
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
      if (n === null) {
        this.#decoder.finish();
        return;
      }
      this.#lastReceived = performance.now();
      this.#backlogged = false;
      this.bytesReceived += n;
      sinceYield += n;
      let wait = hold?.() ?? null;
      if (wait !== null) {
        this.#holding = true;
        try {
          while (wait !== null && !this.#closed) {
            await wait;
            wait = hold!();
          }
        } finally {
          this.#holding = false;
          this.#lastReceived = performance.now();
        }
        if (this.#closed) return;
        sinceYield = 0; // The loop has just given the event loop its turns.
      }
      this.#decoder.push(buffer.subarray(0, n), onFrame);
      // A full buffer means more is waiting: grow it, or once grown, yield.
      backlog = n === buffer.length && buffer.length === READ_BUFFER_SIZE;
      this.#backlogged = backlog;
      if (n === buffer.length && buffer.length < READ_BUFFER_SIZE) {
        buffer = new Uint8Array(Math.min(READ_BUFFER_SIZE, 4 * buffer.length));
      }
    }
  }

  /**
   * Queue bytes (one or more whole frames) for sending. Writes go out in
   * order; whatever accumulates while a write is in flight goes out as one
   * write.
   *
   * @throws {BackpressureError} when the queue would exceed its limit.
   */
  send(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (this.#writeError) throw this.#writeError;
    if (this.#queuedBytes + bytes.length > this.#maxQueuedBytes) {
      throw new BackpressureError(this.#queuedBytes + bytes.length, this.#maxQueuedBytes);
    }
    this.lastSent = performance.now();
    this.#queuedBytes += bytes.length;
    if (!this.#writing) {
      this.#flush(bytes);
      return;
    }
    if (this.#buffered + bytes.length > this.#buffer.length) {
      const grown = new Uint8Array(
        Math.min(
          this.#maxQueuedBytes,
          Math.max(4096, 2 * this.#buffer.length, this.#buffered + bytes.length),
        ),
      );
      grown.set(this.#buffer.subarray(0, this.#buffered));
      this.#buffer = grown;
    }
    this.#buffer.set(bytes, this.#buffered);
    this.#buffered += bytes.length;
  }

  /**
   * Queue bytes (whole frames) like {@linkcode send}, but first wait while
   * the queue is too full to take them: a peer that reads slower than we
   * write sets our pace (backpressure) instead of failing the connection.
   * Keeps {@linkcode CONTROL_HEADROOM_BYTES} free for `send`.
   *
   * @param bytes at most the queue limit less the headroom, so that they fit at all
   * @throws the socket's error once writing failed; nothing after a {@linkcode close}
   */
  async write(bytes: Uint8Array): Promise<void> {
    const room = this.#maxQueuedBytes - CONTROL_HEADROOM_BYTES;
    if (bytes.length > room) {
      throw new RangeError(`a write of ${bytes.length} bytes can never fit a queue of ${room}`);
    }
    while (!this.#closed && this.#writeError === null && this.#queuedBytes + bytes.length > room) {
      await this.drain();
    }
    this.send(bytes);
  }

  /** Resolves once everything queued so far has been handed to the OS. */
  drain(): Promise<void> {
    if (!this.#writing || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** The error that ended writing, if any. */
  get writeError(): unknown {
    return this.#writeError;
  }

  /** Write `first`, then whatever was buffered meanwhile, until nothing is left. */
  async #flush(first: Uint8Array): Promise<void> {
    this.#writing = true;
    let chunk: Uint8Array | null = first;
    try {
      while (chunk !== null && !this.#closed) {
        let offset = 0;
        while (offset < chunk.length) {
          offset += await this.conn.write(chunk.subarray(offset));
        }
        this.#queuedBytes -= chunk.length;
        this.bytesSent += chunk.length;
        chunk = this.#takeBuffered();
      }
    } catch (error) {
      this.#writeError = error;
      this.#buffer = new Uint8Array(0);
      this.#buffered = 0;
      this.#queuedBytes = 0;
    } finally {
      this.#writing = false;
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  }

  /** The buffered bytes as one chunk to write, or null when there are none. */
  #takeBuffered(): Uint8Array | null {
    if (this.#buffered === 0) return null;
    const chunk = this.#buffer.slice(0, this.#buffered);
    this.#buffered = 0;
    // Keep a small buffer for the next burst; let a large one go.
    if (this.#buffer.length > 64 * 1024) this.#buffer = new Uint8Array(0);
    return chunk;
  }

  /** Close the socket now. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = new Uint8Array(0);
    this.#buffered = 0;
    closeQuietly(this.conn); // May be closed already, by the peer's reset.
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Flush what is queued (bounded by `timeoutMs`), then close. */
  async closeAfterFlush(timeoutMs = 1000): Promise<void> {
    if (this.#writing) await withDeadline(this.drain(), timeoutMs, () => {});
    this.close();
  }
}
