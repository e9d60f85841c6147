/**
 * Fuzz test of the receive path a server runs on every client byte:
 * FrameDecoder + SessionDecoder(CLIENT_SESSION_TYPES).
 *
 * The seed is printed; set PADLINK_FUZZ_SEED to replay a run.
 */

import assert from "node:assert/strict";
import { mulberry32 } from "./_test_random.ts";
import { concatBytes, toHex } from "./bytes.ts";
import { type Recorded, RecordingSink } from "./_test_sink.ts";
import { encodeFrame, FRAME_HEADER_SIZE, FrameDecoder, FrameError } from "./frame.ts";
import {
  AXIS_NAMES,
  BUTTON_NAMES,
  dequantizeAxis,
  type InputEvent,
  MAX_PAD,
  quantizeAxis,
} from "../input/model.ts";
import {
  CLIENT_SESSION_TYPES,
  encodeGoodbye,
  encodePing,
  InputEncoder,
  MessageType,
  ProtocolError,
  SessionDecoder,
} from "./protocol.ts";

/** Largest frame the fuzzed decoder accepts (the InputEncoder default). */
const MAX_FRAME = 1024;
/** Iterations per mode; each iteration is one fresh connection of several frames. */
const ITERATIONS = {
  valid: 5_000,
  payloadMutation: 40_000,
  streamMutation: 25_000,
  random: 25_000,
};
/** The run must feed at least this many random or mutated frames to the session decoder. */
const MIN_HOSTILE_FRAMES = 100_000;

function readSeed(): number {
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("PADLINK_FUZZ_SEED");
  } catch {
    // No env permission: use a fresh seed.
  }
  if (fromEnv !== undefined && fromEnv !== "") return Number(fromEnv) >>> 0;
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

class Fuzzer {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

const KEY_NAMES = [
  "Up",
  "Down",
  "A",
  "Q",
  "Space",
  "Return",
  "Ä",
  "ß",
  "Keypad 8",
  "🎮",
  "x".repeat(200),
];
const PAD_NAMES = ["Xbox Series X Controller", "", 'PS5 "DualSense"', "ジョイパッド", "\u0000\n"];
const ALL_TYPES = Object.values(MessageType) as number[];
const INTERESTING = [0, 1, 2, 5, 6, 15, 16, 20, 21, 0x7f, 0x80, 0xfe, 0xff, ...ALL_TYPES];

function randomEvent(f: Fuzzer): InputEvent {
  const pad = f.int(MAX_PAD + 1);
  switch (f.int(4)) {
    case 0:
      return f.chance(0.5)
        ? { type: "pad", pad, attached: true, name: f.pick(PAD_NAMES) }
        : { type: "pad", pad, attached: false };
    case 1:
      return { type: "button", pad, button: f.pick(BUTTON_NAMES), pressed: f.chance(0.5) };
    case 2: {
      const value = f.chance(0.05) ? Number.NaN : f.next() * 2.4 - 1.2;
      return { type: "axis", pad, axis: f.pick(AXIS_NAMES), value };
    }
    default:
      return {
        type: "key",
        key: f.pick(KEY_NAMES),
        scancode: f.pick(KEY_NAMES),
        pressed: f.chance(0.5),
      };
  }
}

/** What the decoder should deliver for an encoded event. */
function expected(event: InputEvent): Recorded {
  switch (event.type) {
    case "axis":
      return { ...event, value: dequantizeAxis(quantizeAxis(event.axis, event.value)) };
    case "pad":
      return event.attached
        ? { type: "pad", pad: event.pad, attached: true, name: event.name ?? "" }
        : { type: "pad", pad: event.pad, attached: false };
    default:
      return event;
  }
}

/** A valid client stream: input batches with pings, pongs, heartbeats and maybe a goodbye. */
function validStream(f: Fuzzer): { stream: Uint8Array; events: Recorded[] } {
  const encoder = new InputEncoder(MAX_FRAME);
  const parts: Uint8Array[] = [];
  const events: Recorded[] = [];
  const batches = f.range(1, 6);
  for (let b = 0; b < batches; b++) {
    const count = f.range(1, 24);
    for (let i = 0; i < count; i++) {
      const event = randomEvent(f);
      encoder.add(event);
      events.push(expected(event));
    }
    parts.push(encoder.take());
    if (f.chance(0.3)) parts.push(new Uint8Array([0, 0]));
    if (f.chance(0.2)) {
      const id = f.int(0x100000000);
      const type = f.chance(0.5) ? MessageType.PING : MessageType.PONG;
      parts.push(encodePing(type, id));
      events.push({ type: type === MessageType.PING ? "ping" : "pong", id });
    }
  }
  if (f.chance(0.2)) {
    const goodbye = { code: f.int(3), reason: f.pick(["", "quit", "ciao ✓"]) };
    parts.push(encodeGoodbye(goodbye));
    events.push({ type: "goodbye", ...goodbye });
  }
  return { stream: concat(parts), events };
}

function mutate(f: Fuzzer, input: Uint8Array): Uint8Array {
  let bytes = input;
  const ops = f.range(1, 4);
  for (let op = 0; op < ops; op++) {
    const at = f.int(bytes.length + 1);
    switch (f.int(7)) {
      case 0: // flip a bit
        if (bytes.length === 0) break;
        bytes = bytes.slice();
        bytes[Math.min(at, bytes.length - 1)]! ^= 1 << f.int(8);
        break;
      case 1: // a random byte
        if (bytes.length === 0) break;
        bytes = bytes.slice();
        bytes[Math.min(at, bytes.length - 1)] = f.int(256);
        break;
      case 2: // an interesting byte: type codes, range edges
        if (bytes.length === 0) break;
        bytes = bytes.slice();
        bytes[Math.min(at, bytes.length - 1)] = f.pick(INTERESTING);
        break;
      case 3: // insert bytes
        bytes = concat([bytes.subarray(0, at), f.bytes(f.range(1, 8)), bytes.subarray(at)]);
        break;
      case 4: // delete bytes
        bytes = concat([bytes.subarray(0, at), bytes.subarray(at + f.range(1, 8))]);
        break;
      case 5: // truncate
        bytes = bytes.subarray(0, at);
        break;
      default: { // duplicate a slice
        const length = f.range(1, 16);
        bytes = concat([bytes.subarray(0, at + length), bytes.subarray(at)]);
      }
    }
  }
  return bytes;
}

/** A payload that looks like messages: plausible types followed by random bodies. */
function randomPayload(f: Fuzzer, length: number): Uint8Array {
  const out = f.bytes(length);
  if (length > 0 && f.chance(0.8)) {
    // Sprinkle real type codes at random offsets so decoding gets past the first byte.
    for (let i = 0; i < length; i += f.range(1, 8)) {
      out[i] = f.chance(0.9) ? f.pick(CLIENT_SESSION_TYPES) : f.pick(INTERESTING);
    }
    out[0] = f.chance(0.9) ? f.pick(CLIENT_SESSION_TYPES) : f.int(256);
  }
  return out;
}

function randomStream(f: Fuzzer): Uint8Array {
  const frames: Uint8Array[] = [];
  const count = f.range(1, 20);
  for (let i = 0; i < count; i++) {
    const kind = f.next();
    if (kind < 0.03) {
      // A length prefix over the maximum, followed by some bytes.
      const length = f.range(MAX_FRAME + 1, 0xffff);
      frames.push(new Uint8Array([length >> 8, length & 0xff]), f.bytes(f.int(64)));
      continue;
    }
    const length = kind < 0.75 ? f.range(0, 16) : kind < 0.97 ? f.range(0, MAX_FRAME) : MAX_FRAME;
    frames.push(encodeFrame(randomPayload(f, length)));
  }
  return concat(frames);
}

const concat = concatBytes;

/** Split `stream` into random chunks: single bytes, small pieces, or all at once. */
function chunksOf(f: Fuzzer, stream: Uint8Array): Uint8Array[] {
  const style = f.int(4);
  if (style === 0) return [stream];
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < stream.length;) {
    const size = style === 1 ? 1 : style === 2 ? f.range(1, 8) : f.range(1, 2048);
    chunks.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** Milliseconds spent inside the decoders, for the throughput line. */
let decodeMs = 0;

interface Outcome {
  events: Recorded[];
  frames: number;
  error: FrameError | ProtocolError | null;
}

/**
 * Run one connection's bytes through the server's receive path. Any
 * exception other than FrameError/ProtocolError is rethrown with the input
 * so the failure can be reproduced.
 */
function receive(chunks: readonly Uint8Array[], context: string): Outcome {
  const frames = new FrameDecoder({ maxFrameSize: MAX_FRAME });
  const session = new SessionDecoder(CLIENT_SESSION_TYPES);
  const sink = new RecordingSink();
  let count = 0;
  const started = performance.now();
  const onFrame = (payload: Uint8Array) => {
    count++;
    session.decode(payload, sink);
  };
  try {
    for (const chunk of chunks) {
      try {
        frames.push(chunk, onFrame);
      } finally {
        if (frames.bufferedBytes > FRAME_HEADER_SIZE + MAX_FRAME) {
          assert.fail(`${context}: decoder holds ${frames.bufferedBytes} bytes`);
        }
      }
    }
    frames.finish();
  } catch (error) {
    decodeMs += performance.now() - started;
    if (error instanceof FrameError || error instanceof ProtocolError) {
      return { events: sink.events, frames: count, error };
    }
    const hex = toHex(concat(chunks));
    throw new Error(`${context}: ${error} (input ${hex})`, { cause: error });
  }
  decodeMs += performance.now() - started;
  return { events: sink.events, frames: count, error: null };
}

Deno.test("FrameDecoder + SessionDecoder survive random and mutated client frames", () => {
  const seed = readSeed();
  console.log(`protocol fuzz seed ${seed} (PADLINK_FUZZ_SEED=${seed} replays this run)`);
  const f = new Fuzzer(seed);
  const started = performance.now();
  const hostile = { frames: 0, frameErrors: 0, protocolErrors: 0 };
  let validFrames = 0;
  const tally = (outcome: Outcome) => {
    hostile.frames += outcome.frames;
    if (outcome.error instanceof FrameError) hostile.frameErrors++;
    if (outcome.error instanceof ProtocolError) hostile.protocolErrors++;
  };

  // Valid streams, split anyhow, decode to exactly the encoded events.
  for (let i = 0; i < ITERATIONS.valid; i++) {
    const { stream, events } = validStream(f);
    const outcome = receive(chunksOf(f, stream), `seed ${seed} valid #${i}`);
    assert.equal(outcome.error, null, `seed ${seed} valid #${i}: ${outcome.error}`);
    assert.deepEqual(outcome.events, events, `seed ${seed} valid #${i}`);
    validFrames += outcome.frames;
  }

  // Valid frames with mutated payloads: framing stays right, so every mutation reaches
  // the session decoder (and the key table built by earlier frames).
  for (let i = 0; i < ITERATIONS.payloadMutation; i++) {
    const { stream } = validStream(f);
    const payloads: Uint8Array[] = [];
    new FrameDecoder({ maxFrameSize: MAX_FRAME }).push(stream, (p) => payloads.push(p.slice()));
    const framed = payloads.map((payload) =>
      encodeFrame(f.chance(0.5) ? mutate(f, payload) : payload)
    );
    tally(receive(chunksOf(f, concat(framed)), `seed ${seed} payload mutation #${i}`));
  }

  // Mutated byte streams: length prefixes get hit too.
  for (let i = 0; i < ITERATIONS.streamMutation; i++) {
    const stream = mutate(f, validStream(f).stream);
    tally(receive(chunksOf(f, stream), `seed ${seed} stream mutation #${i}`));
  }

  // Random frames: random lengths (some over the maximum) and message-like payloads.
  for (let i = 0; i < ITERATIONS.random; i++) {
    tally(receive(chunksOf(f, randomStream(f)), `seed ${seed} random #${i}`));
  }

  const seconds = (performance.now() - started) / 1000;
  const total = hostile.frames + validFrames;
  console.log(
    `fuzzed ${hostile.frames} random/mutated + ${validFrames} valid frames in ` +
      `${seconds.toFixed(2)} s (${Math.round(total / seconds)} frames/s with generation, ` +
      `${Math.round(total / (decodeMs / 1000))} frames/s decoding); ` +
      `${hostile.frameErrors} FrameErrors, ${hostile.protocolErrors} ProtocolErrors`,
  );
  assert.ok(hostile.frames >= MIN_HOSTILE_FRAMES, `only ${hostile.frames} hostile frames`);
  // Both kinds of rejection were exercised, and not every hostile connection was rejected.
  assert.ok(hostile.frameErrors > 0 && hostile.protocolErrors > 0);
  const connections = ITERATIONS.payloadMutation + ITERATIONS.streamMutation + ITERATIONS.random;
  assert.ok(hostile.frameErrors + hostile.protocolErrors < connections);
});
