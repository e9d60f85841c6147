/**
 * The client's outgoing input stream: events are encoded into chunks of
 * whole frames and written one chunk at a time, each write waiting while
 * the socket's queue is full (backpressure), so a replay of any size goes
 * out at the pace the server reads it. Every so often a PING follows the
 * input; the server answers a PING only after it has processed everything
 * before it, so each PONG confirms a count of events.
 *
 * @module
 */

import type { InputEvent } from "../input/model.ts";
import { concatBytes } from "../wire/bytes.ts";
import { encodePing, type InputEncoder, MessageType } from "../wire/protocol.ts";

/**
 * Bytes of input per write. Large enough that a burst of a million events
 * is a few dozen writes; small enough to stay well inside the connection's
 * queue limit (`DEFAULT_MAX_QUEUED_BYTES`, 256 KiB).
 */
export const WRITE_CHUNK_BYTES = 64 * 1024;

/** Ask the server to confirm once this many bytes of input are unconfirmed. */
export const CONFIRM_EVERY_BYTES = 16 * 1024;

/** …or once input has waited this long for a confirmation, in ms. */
export const CONFIRM_EVERY_MS = 250;

/**
 * Least time between two confirmation PINGs, in ms: at most 40 a second,
 * well inside the server's budget of control messages
 * (`CONTROL_MESSAGES_PER_SECOND`, 100, in lib/server/session.ts), however
 * fast input streams.
 */
export const CONFIRM_MIN_INTERVAL_MS = 25;

/** Where an {@linkcode Outbox} writes: `FramedConnection` in practice. */
export interface OutboxLink {
  /** Queue whole frames, waiting while the queue is full. */
  write(bytes: Uint8Array): Promise<void>;
}

interface Checkpoint {
  /** Events queued before this PING. */
  events: number;
  /** Bytes queued before this PING. */
  bytes: number;
}

/** Encodes, queues, writes and counts one connection's input. */
export class Outbox {
  readonly #link: OutboxLink;
  readonly #onError: (error: unknown) => void;
  readonly #encoder: InputEncoder;
  readonly #chunks: Uint8Array[] = [];
  readonly #checkpoints = new Map<number, Checkpoint>();
  readonly #idle: (() => void)[] = [];
  #pumping = false;
  #failed = false;
  #nextPingId = 1;
  #queuedEvents = 0;
  #queuedBytes = 0;
  #confirmedEvents = 0;
  #confirmedBytes = 0;
  #pingedBytes = 0;
  #lastPingAt = performance.now();

  /**
   * An outbox with nothing queued.
   *
   * @param link where the chunks go
   * @param encoder encodes the events (for what this server takes)
   * @param onError called once when a write fails; what is queued is dropped
   */
  constructor(link: OutboxLink, encoder: InputEncoder, onError: (error: unknown) => void) {
    this.#link = link;
    this.#encoder = encoder;
    this.#onError = onError;
  }

  /** Events queued so far. */
  get queuedEvents(): number {
    return this.#queuedEvents;
  }

  /** Events the server confirmed it processed. */
  get confirmedEvents(): number {
    return this.#confirmedEvents;
  }

  /** Events queued that the server has not confirmed (yet). */
  get unconfirmedEvents(): number {
    return this.#queuedEvents - this.#confirmedEvents;
  }

  /** Bytes queued that the server has not confirmed (yet). */
  get unconfirmedBytes(): number {
    return this.#queuedBytes - this.#confirmedBytes;
  }

  /** Bytes the server confirmed so far: grows while it works through a backlog. */
  get confirmedBytes(): number {
    return this.#confirmedBytes;
  }

  /**
   * Encode and queue events, in order, and ask for a confirmation when one is due.
   *
   * @param events the events
   * @param capturedUs their capture time on the client's clock (µs), stamped
   *   into each frame they fill; omit for a server that takes none
   */
  add(events: readonly InputEvent[], capturedUs?: number): void {
    if (this.#failed || events.length === 0) return;
    if (capturedUs !== undefined) this.#encoder.captureTime(capturedUs);
    for (const event of events) {
      this.#encoder.add(event);
      if (this.#encoder.length >= WRITE_CHUNK_BYTES) this.#takeChunk();
    }
    this.#queuedEvents += events.length;
    this.#takeChunk();
    const unpinged = this.#queuedBytes - this.#pingedBytes;
    const since = performance.now() - this.#lastPingAt;
    if (
      (unpinged >= CONFIRM_EVERY_BYTES && since >= CONFIRM_MIN_INTERVAL_MS) ||
      (unpinged > 0 && since >= CONFIRM_EVERY_MS)
    ) {
      this.#ping();
    }
    this.#pump();
  }

  /**
   * Queue frames after everything queued so far (a GOODBYE), with a PING
   * first when input is unconfirmed, so progress stays visible until the end.
   */
  addFrames(bytes: Uint8Array): void {
    if (this.#failed) return;
    if (this.#queuedBytes > this.#pingedBytes) this.#ping();
    this.#chunks.push(bytes);
    this.#pump();
  }

  /**
   * A PONG arrived.
   *
   * @returns whether it answered one of our PINGs
   */
  pong(id: number): boolean {
    const checkpoint = this.#checkpoints.get(id);
    if (!checkpoint) return false;
    // Answers come in order: this one also confirms every earlier PING.
    for (const earlier of this.#checkpoints.keys()) {
      this.#checkpoints.delete(earlier);
      if (earlier === id) break;
    }
    this.#confirmedEvents = Math.max(this.#confirmedEvents, checkpoint.events);
    this.#confirmedBytes = Math.max(this.#confirmedBytes, checkpoint.bytes);
    return true;
  }

  /** The server acknowledged a GOODBYE: everything before it was processed. */
  confirmAll(): void {
    this.#checkpoints.clear();
    this.#confirmedEvents = this.#queuedEvents;
    this.#confirmedBytes = this.#queuedBytes;
  }

  /** Resolves once every queued chunk has been handed to the link (or writing failed). */
  idle(): Promise<void> {
    if (!this.#pumping) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #takeChunk(): void {
    if (this.#encoder.length === 0) return;
    const chunk = this.#encoder.take();
    this.#queuedBytes += chunk.length;
    this.#chunks.push(chunk);
  }

  #ping(): void {
    const id = this.#nextPingId;
    this.#nextPingId = (this.#nextPingId % 0xffffffff) + 1;
    this.#checkpoints.set(id, { events: this.#queuedEvents, bytes: this.#queuedBytes });
    this.#pingedBytes = this.#queuedBytes;
    this.#lastPingAt = performance.now();
    this.#chunks.push(encodePing(MessageType.PING, id));
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#chunks.length > 0) {
        // Whatever is queued goes out as one write when it fits in one.
        const parts = [this.#chunks.shift()!];
        let length = parts[0]!.length;
        while (
          this.#chunks.length > 0 && length + this.#chunks[0]!.length <= WRITE_CHUNK_BYTES
        ) {
          length += this.#chunks[0]!.length;
          parts.push(this.#chunks.shift()!);
        }
        await this.#link.write(parts.length === 1 ? parts[0]! : concatBytes(parts));
      }
    } catch (error) {
      this.#failed = true;
      this.#chunks.length = 0;
      this.#onError(error);
    } finally {
      this.#pumping = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }
}
