/**
 * One browser's bounded queue. Messages go out at once while the socket
 * keeps up; while its send buffer is full they wait here, axis values
 * collapse to the latest one per axis, and a queue past its bound closes the
 * socket (the page reconnects and starts again from a fresh snapshot), so a
 * slow page never holds memory or time of the server and never silently
 * misses a button or key change.
 *
 * @module
 */

import { closeQuietly } from "../../net/close_quietly.ts";

/** What a {@linkcode SocketQueue} sends to: a server-side `WebSocket`. */
export interface TextSink {
  /** Send one text message. */
  send(text: string): void;
  /** Bytes handed to `send` that the socket has not written yet. */
  readonly bufferedAmount: number;
  /** Close the socket with a status code and reason. */
  close(code: number, reason: string): void;
}

/** WebSocket close code "Try Again Later" (RFC 6455 §7.4.1, IANA registry): the page was too slow. */
export const WS_CLOSE_TRY_AGAIN_LATER = 1013;

/** Messages held back for one socket before it is closed as too slow. */
export const DEFAULT_MAX_QUEUED = 4096;

/** Bytes the socket may buffer before messages wait in the queue. */
export const DEFAULT_HIGH_WATER = 64 * 1024;

/** How often a held-back queue retries while the socket's buffer is full: one 60 Hz frame. */
export const RETRY_MS = 16;

/** Options for {@linkcode SocketQueue}. */
export interface SocketQueueOptions {
  /** Most messages held here before the socket is closed. Default {@linkcode DEFAULT_MAX_QUEUED}. */
  maxQueued?: number;
  /** Socket buffer, in bytes, above which messages wait. Default {@linkcode DEFAULT_HIGH_WATER}. */
  highWater?: number;
  /** Called once when the queue overflowed and closed the socket. */
  onOverflow?: (queued: number) => void;
}

interface Entry {
  text: string;
  /** Set for an axis value that a later value of the same axis may replace. */
  axis: string | undefined;
}

/**
 * A per-socket queue with axis coalescing.
 *
 * @example Usage
 * ```ts
 * import { SocketQueue } from "./socket_queue.ts";
 * const sent: string[] = [];
 * const queue = new SocketQueue({ send: (t) => sent.push(t), bufferedAmount: 0, close() {} });
 * queue.push('{"type":"axis","value":0.1}', "alice/0/leftx");
 * queue.push('{"type":"axis","value":0.2}', "alice/0/leftx");
 * queue.flush();
 * if (sent.length !== 1 || !sent[0]!.includes("0.2")) throw new Error(String(sent));
 * ```
 */
export class SocketQueue {
  readonly #sink: TextSink;
  readonly #maxQueued: number;
  readonly #highWater: number;
  readonly #onOverflow: (queued: number) => void;
  #entries: Entry[] = [];
  #head = 0;
  readonly #pendingAxis = new Map<string, Entry>();
  #scheduled = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** Queue messages for `sink`. */
  constructor(sink: TextSink, options: SocketQueueOptions = {}) {
    this.#sink = sink;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.#highWater = options.highWater ?? DEFAULT_HIGH_WATER;
    this.#onOverflow = options.onOverflow ?? (() => {});
  }

  /** Messages waiting here now. */
  get length(): number {
    return this.#entries.length - this.#head;
  }

  /** Whether the queue stopped (closed, or overflowed and closed its socket). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queue one message; it goes out at the next microtask. With `axis` (a key
   * naming one axis of one pad), a value still waiting for the same axis is
   * replaced in place by this one.
   */
  push(text: string, axis?: string): void {
    if (this.#closed) return;
    if (axis !== undefined) {
      const waiting = this.#pendingAxis.get(axis);
      if (waiting) {
        waiting.text = text;
        return;
      }
    }
    const entry = { text, axis };
    this.#entries.push(entry);
    if (axis !== undefined) this.#pendingAxis.set(axis, entry);
    if (this.length > this.#maxQueued) {
      const queued = this.length;
      this.close();
      closeQuietly(
        this.#sink,
        WS_CLOSE_TRY_AGAIN_LATER,
        `too slow: ${queued} messages queued; reconnect for a fresh snapshot`,
      );
      this.#onOverflow(queued);
      return;
    }
    if (!this.#scheduled && this.#retry === undefined) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Send what the socket's buffer has room for now; retry the rest a frame later. */
  flush(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    const entries = this.#entries;
    while (this.#head < entries.length && this.#sink.bufferedAmount < this.#highWater) {
      const entry = entries[this.#head++]!;
      if (entry.axis !== undefined) this.#pendingAxis.delete(entry.axis);
      try {
        this.#sink.send(entry.text);
      } catch {
        // The socket closed under us; its close handler stops this queue.
        this.close();
        return;
      }
    }
    if (this.#head === entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#retry === undefined) {
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        this.flush();
      }, RETRY_MS);
    }
  }

  /** Stop: drop what is queued and cancel any retry. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#entries = [];
    this.#head = 0;
    this.#pendingAxis.clear();
  }
}
