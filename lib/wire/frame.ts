/**
 * Length-prefixed framing for padlink's TCP stream.
 *
 * A frame is a 2-byte big-endian payload length followed by that many
 * payload bytes. The length is checked against a hard maximum before any
 * byte of the payload is buffered. An empty frame (length 0) is legal: it is
 * the 2-byte heartbeat.
 *
 * {@linkcode FrameDecoder} is a streaming decoder that is correct for any
 * split of the byte stream; {@linkcode FrameEncoder} builds one or many
 * frames into a single buffer so that they go out in a single write.
 *
 * @module
 */

/** Bytes in the length prefix. */
export const FRAME_HEADER_SIZE = 2;

/** Largest payload the 16-bit length prefix can express. */
export const FRAME_PAYLOAD_LIMIT = 0xffff;

/** Default cap on a frame's payload; peers that exceed it are cut off. */
export const DEFAULT_MAX_FRAME_SIZE = 4096;

/** Base class for framing errors, so callers can catch them as one kind. */
export class FrameError extends Error {
  /** Create a framing error. */
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/** A length prefix announced a payload larger than the allowed maximum. */
export class OversizeFrameError extends FrameError {
  /** The length the peer announced. */
  readonly length: number;
  /** The maximum that was in force. */
  readonly max: number;

  /** Create the error for an announced `length` over `max`. */
  constructor(length: number, max: number) {
    super(`frame of ${length} bytes exceeds the maximum of ${max} bytes`);
    this.name = "OversizeFrameError";
    this.length = length;
    this.max = max;
  }
}

/** The stream ended in the middle of a frame. */
export class TruncatedFrameError extends FrameError {
  /** Bytes of the unfinished frame that had arrived, header included. */
  readonly received: number;

  /** Create the error for a frame cut after `received` bytes. */
  constructor(received: number) {
    super(`stream ended inside a frame after ${received} bytes`);
    this.name = "TruncatedFrameError";
    this.received = received;
  }
}

/** Options for {@linkcode FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest payload accepted, in bytes. Defaults to {@linkcode DEFAULT_MAX_FRAME_SIZE}. */
  maxFrameSize?: number;
}

/**
 * Streaming frame decoder. Feed it whatever the socket returned; it calls
 * back once per complete frame, in order.
 *
 * The payload passed to the callback is a view that is only valid during the
 * call: when a frame lies wholly inside the pushed chunk no byte is copied.
 * Memory held per decoder is bounded by the maximum frame size.
 *
 * @example Usage
 * ```ts
 * import { encodeFrame, FrameDecoder } from "./frame.ts";
 * const decoder = new FrameDecoder();
 * const frame = encodeFrame(new Uint8Array([1, 2, 3]));
 * const seen: number[] = [];
 * decoder.push(frame.subarray(0, 1), (p) => seen.push(p.length));
 * decoder.push(frame.subarray(1), (p) => seen.push(p.length));
 * if (seen[0] !== 3) throw new Error("one frame of 3 bytes");
 * ```
 */
export class FrameDecoder {
  readonly #maxFrameSize: number;
  /**
   * Holds a frame that spans chunks: header first, then payload. Allocated
   * at the first such frame, so an idle connection does not hold it.
   */
  #pending: Uint8Array | null = null;
  /** Bytes in #pending. */
  #pendingLength = 0;
  /** Payload length of the frame in #pending, or -1 while its header is incomplete. */
  #expected = -1;

  /** Create a decoder. */
  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isInteger(max) || max < 0 || max > FRAME_PAYLOAD_LIMIT) {
      throw new RangeError(
        `maxFrameSize must be an integer in 0..${FRAME_PAYLOAD_LIMIT}, got ${max}`,
      );
    }
    this.#maxFrameSize = max;
  }

  /** Bytes received that belong to a frame not yet complete. */
  get bufferedBytes(): number {
    return this.#pendingLength;
  }

  /**
   * Decode the frames in `chunk`, calling `onFrame` with each payload.
   *
   * @throws {OversizeFrameError} when a length prefix exceeds the maximum;
   * the decoder must not be used afterwards.
   */
  push(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void {
    let offset = 0;
    const end = chunk.length;
    // Finish a frame that started in an earlier chunk.
    if (this.#pendingLength > 0) {
      offset = this.#fillPending(chunk, 0);
      if (this.#expected < 0 || this.#pendingLength < FRAME_HEADER_SIZE + this.#expected) {
        return;
      }
      const payload = this.#pending!.subarray(FRAME_HEADER_SIZE, this.#pendingLength);
      this.#pendingLength = 0;
      this.#expected = -1;
      onFrame(payload);
    }
    // Whole frames straight out of the chunk, without copying.
    while (end - offset >= FRAME_HEADER_SIZE) {
      const length = (chunk[offset]! << 8) | chunk[offset + 1]!;
      if (length > this.#maxFrameSize) {
        throw new OversizeFrameError(length, this.#maxFrameSize);
      }
      const frameEnd = offset + FRAME_HEADER_SIZE + length;
      if (frameEnd > end) break;
      onFrame(chunk.subarray(offset + FRAME_HEADER_SIZE, frameEnd));
      offset = frameEnd;
    }
    // Keep the start of the next frame.
    if (offset < end) this.#fillPending(chunk, offset);
  }

  /**
   * Declare the end of the stream.
   *
   * @throws {TruncatedFrameError} when a frame was cut off by EOF.
   */
  finish(): void {
    if (this.#pendingLength > 0) {
      const received = this.#pendingLength;
      this.#pendingLength = 0;
      this.#expected = -1;
      throw new TruncatedFrameError(received);
    }
  }

  /** Copy bytes from `chunk[offset…]` into #pending; returns the new offset. */
  #fillPending(chunk: Uint8Array, offset: number): number {
    const pending = this.#pending ??= new Uint8Array(FRAME_HEADER_SIZE + this.#maxFrameSize);
    if (this.#expected < 0) {
      const headerNeed = FRAME_HEADER_SIZE - this.#pendingLength;
      const take = Math.min(headerNeed, chunk.length - offset);
      pending.set(chunk.subarray(offset, offset + take), this.#pendingLength);
      this.#pendingLength += take;
      offset += take;
      if (this.#pendingLength < FRAME_HEADER_SIZE) return offset;
      const length = (pending[0]! << 8) | pending[1]!;
      if (length > this.#maxFrameSize) {
        throw new OversizeFrameError(length, this.#maxFrameSize);
      }
      this.#expected = length;
    }
    const need = FRAME_HEADER_SIZE + this.#expected - this.#pendingLength;
    const take = Math.min(need, chunk.length - offset);
    pending.set(chunk.subarray(offset, offset + take), this.#pendingLength);
    this.#pendingLength += take;
    return offset + take;
  }
}

/**
 * Encode one payload as a frame.
 *
 * @throws {RangeError} when the payload exceeds {@linkcode FRAME_PAYLOAD_LIMIT}.
 */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > FRAME_PAYLOAD_LIMIT) {
    throw new RangeError(
      `frame payload of ${payload.length} bytes exceeds ${FRAME_PAYLOAD_LIMIT} bytes`,
    );
  }
  const frame = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  frame[0] = payload.length >> 8;
  frame[1] = payload.length & 0xff;
  frame.set(payload, FRAME_HEADER_SIZE);
  return frame;
}

/**
 * Builds frames into one growable buffer: open a frame, write its payload
 * bytes, close it (the length is back-filled), repeat, then take the whole
 * batch for a single write.
 *
 * @example Usage
 * ```ts
 * import { FrameEncoder } from "./frame.ts";
 * const encoder = new FrameEncoder();
 * encoder.begin();
 * encoder.writeU8(7);
 * encoder.end();
 * const bytes = encoder.take();
 * if (bytes.join() !== "0,1,7") throw new Error("2-byte length, then payload");
 * ```
 */
export class FrameEncoder {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;
  #frameStart = -1;
  readonly #maxFrameSize: number;

  /** Create an encoder whose frames may not exceed `maxFrameSize` payload bytes. */
  constructor(maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE, initialCapacity = 1024) {
    this.#maxFrameSize = Math.min(maxFrameSize, FRAME_PAYLOAD_LIMIT);
    this.#buffer = new Uint8Array(initialCapacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Bytes encoded and not yet taken. */
  get length(): number {
    return this.#length;
  }

  /** Whether a frame is open. */
  get inFrame(): boolean {
    return this.#frameStart >= 0;
  }

  /** Payload bytes written into the open frame so far. */
  get frameLength(): number {
    return this.#frameStart < 0 ? 0 : this.#length - this.#frameStart - FRAME_HEADER_SIZE;
  }

  /** Open a frame. */
  begin(): void {
    if (this.#frameStart >= 0) throw new Error("FrameEncoder.begin: a frame is already open");
    this.#reserve(FRAME_HEADER_SIZE);
    this.#frameStart = this.#length;
    this.#length += FRAME_HEADER_SIZE;
  }

  /** Close the open frame, back-filling its length. */
  end(): void {
    if (this.#frameStart < 0) throw new Error("FrameEncoder.end: no frame is open");
    const payload = this.#length - this.#frameStart - FRAME_HEADER_SIZE;
    if (payload > this.#maxFrameSize) {
      this.#length = this.#frameStart;
      this.#frameStart = -1;
      throw new RangeError(
        `frame payload of ${payload} bytes exceeds the maximum of ${this.#maxFrameSize} bytes`,
      );
    }
    this.#view.setUint16(this.#frameStart, payload);
    this.#frameStart = -1;
  }

  /** Append an empty frame (the heartbeat). */
  empty(): void {
    this.begin();
    this.end();
  }

  /** Append a byte to the open frame. */
  writeU8(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  /** Append a big-endian unsigned 16-bit integer. */
  writeU16(value: number): void {
    this.#reserve(2);
    this.#view.setUint16(this.#length, value);
    this.#length += 2;
  }

  /** Append a big-endian signed 16-bit integer. */
  writeI16(value: number): void {
    this.#reserve(2);
    this.#view.setInt16(this.#length, value);
    this.#length += 2;
  }

  /** Append a big-endian unsigned 32-bit integer. */
  writeU32(value: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.#length, value);
    this.#length += 4;
  }

  /** Append a big-endian IEEE 754 single-precision float. */
  writeF32(value: number): void {
    this.#reserve(4);
    this.#view.setFloat32(this.#length, value);
    this.#length += 4;
  }

  /** Append raw bytes. */
  writeBytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /**
   * Take every closed frame as one buffer and reset the encoder. The returned
   * bytes are a copy, safe to hand to an asynchronous write.
   */
  take(): Uint8Array {
    if (this.#frameStart >= 0) throw new Error("FrameEncoder.take: a frame is still open");
    const out = this.#buffer.slice(0, this.#length);
    this.#length = 0;
    return out;
  }

  #reserve(extra: number): void {
    const need = this.#length + extra;
    if (need <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < need) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }
}
