import assert from "node:assert/strict";
import { concatBytes } from "./bytes.ts";
import {
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  FRAME_HEADER_SIZE,
  FRAME_PAYLOAD_LIMIT,
  FrameDecoder,
  FrameEncoder,
  FrameError,
  OversizeFrameError,
  TruncatedFrameError,
} from "./frame.ts";

/** A payload of `length` bytes whose content depends on `seed`, so frames differ. */
function payloadOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 17 + 7) & 0xff;
  return out;
}

/** The error `fn` throws (failing the test when it does not throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return assert.fail("expected an exception");
}

const concat = concatBytes;

/** Frames of these lengths, including empty frames and a frame of exactly `max` bytes. */
function streamOf(lengths: readonly number[]) {
  const payloads = lengths.map((length, i) => payloadOf(length, i));
  const frames = payloads.map(encodeFrame);
  /** Offset in the stream where each frame ends. */
  const ends: number[] = [];
  let offset = 0;
  for (const frame of frames) ends.push(offset += frame.length);
  return { payloads, stream: concat(frames), ends };
}

/** Push every chunk through one decoder; return copies of the payloads, in order. */
function decodeChunks(chunks: readonly Uint8Array[], options = {}): Uint8Array[] {
  const decoder = new FrameDecoder(options);
  const out: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (payload) => out.push(payload.slice()));
  decoder.finish();
  assert.equal(decoder.bufferedBytes, 0);
  return out;
}

const MIXED = [0, 1, 3, 0, 0, DEFAULT_MAX_FRAME_SIZE, 0, 17, 2, 255, 256, 0];

Deno.test("FrameDecoder decodes a stream coalesced into one chunk", () => {
  const { payloads, stream } = streamOf(MIXED);
  assert.deepEqual(decodeChunks([stream]), payloads);
});

Deno.test("FrameDecoder decodes a stream split at every byte boundary", () => {
  const { payloads, stream } = streamOf(MIXED);
  for (let split = 0; split <= stream.length; split++) {
    const got = decodeChunks([stream.subarray(0, split), stream.subarray(split)]);
    assert.deepEqual(got, payloads, `split at byte ${split}`);
  }
});

Deno.test("FrameDecoder decodes a stream fed one byte at a time", () => {
  const { payloads, stream } = streamOf(MIXED);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1));
  assert.deepEqual(decodeChunks(chunks), payloads);
});

Deno.test("FrameDecoder decodes a stream split at every pair of byte boundaries", () => {
  // A small maximum keeps the quadratic number of splits cheap.
  const max = 24;
  const { payloads, stream } = streamOf([0, 5, max, 0, 1, 0, 9]);
  let runs = 0;
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b++) {
      const chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)];
      assert.deepEqual(decodeChunks(chunks, { maxFrameSize: max }), payloads, `split ${a},${b}`);
      runs++;
    }
  }
  assert.equal(runs, (stream.length + 1) * (stream.length + 2) / 2);
});

Deno.test("FrameDecoder accepts empty chunks anywhere", () => {
  const { payloads, stream } = streamOf([0, 3, 0]);
  const empty = new Uint8Array(0);
  const chunks = [empty, stream.subarray(0, 1), empty, stream.subarray(1, 4), empty];
  chunks.push(stream.subarray(4), empty);
  assert.deepEqual(decodeChunks(chunks), payloads);
});

Deno.test("FrameDecoder delivers a heartbeat as an empty payload", () => {
  const lengths: number[] = [];
  const decoder = new FrameDecoder();
  decoder.push(new Uint8Array([0, 0, 0, 0]), (p) => lengths.push(p.length));
  assert.deepEqual(lengths, [0, 0]);
});

Deno.test("FrameDecoder accepts a frame of exactly maxFrameSize at the 16-bit limit", () => {
  const { payloads, stream } = streamOf([FRAME_PAYLOAD_LIMIT, 0]);
  const options = { maxFrameSize: FRAME_PAYLOAD_LIMIT };
  assert.deepEqual(decodeChunks([stream], options), payloads);
  const mid = FRAME_HEADER_SIZE + 1000;
  assert.deepEqual(
    decodeChunks([stream.subarray(0, mid), stream.subarray(mid)], options),
    payloads,
  );
});

Deno.test("FrameDecoder rejects an oversize length prefix before buffering its payload", () => {
  const max = 100;
  const decoder = new FrameDecoder({ maxFrameSize: max });
  // The prefix announces max + 1 bytes and the whole "payload" follows in the same chunk.
  const frame = new Uint8Array(FRAME_HEADER_SIZE + max + 1);
  frame[1] = max + 1;
  const error = thrown(() => decoder.push(frame, () => assert.fail("no frame may be delivered")));
  assert.ok(error instanceof OversizeFrameError);
  assert.ok(error instanceof FrameError);
  assert.equal(error.length, max + 1);
  assert.equal(error.max, max);
  assert.match(error.message, /101 bytes exceeds the maximum of 100/);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder rejects an oversize prefix split across chunks with only the header buffered", () => {
  const decoder = new FrameDecoder(); // max 4096
  decoder.push(new Uint8Array([0xff]), () => assert.fail("no frame"));
  assert.equal(decoder.bufferedBytes, 1);
  const error = thrown(() =>
    decoder.push(new Uint8Array([0xff, 1, 2, 3, 4, 5]), () => assert.fail("no frame"))
  );
  assert.ok(error instanceof OversizeFrameError);
  assert.equal(error.length, 0xffff);
  assert.equal(error.max, DEFAULT_MAX_FRAME_SIZE);
  assert.ok(decoder.bufferedBytes <= FRAME_HEADER_SIZE, `buffered ${decoder.bufferedBytes}`);
});

Deno.test("FrameDecoder delivers the frames before an oversize prefix, then throws", () => {
  const decoder = new FrameDecoder({ maxFrameSize: 8 });
  const good = concat([encodeFrame(payloadOf(3, 1)), encodeFrame(new Uint8Array(0))]);
  const seen: number[] = [];
  const bad = new Uint8Array([0, 9, ...new Uint8Array(9)]);
  assert.throws(() => decoder.push(concat([good, bad]), (p) => seen.push(p.length)), {
    name: "OversizeFrameError",
    length: 9,
    max: 8,
  });
  assert.deepEqual(seen, [3, 0]);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder rejects a length one over the maximum and accepts the maximum", () => {
  for (const max of [0, 1, 255, 256, DEFAULT_MAX_FRAME_SIZE]) {
    const ok = new FrameDecoder({ maxFrameSize: max });
    let got = -1;
    ok.push(encodeFrame(new Uint8Array(max)), (p) => got = p.length);
    assert.equal(got, max);
    const over = new FrameDecoder({ maxFrameSize: max });
    assert.throws(() => over.push(encodeFrame(new Uint8Array(max + 1)), () => {}), {
      name: "OversizeFrameError",
      length: max + 1,
      max,
    });
  }
});

Deno.test("FrameDecoder finish throws TruncatedFrameError for a stream cut inside the header", () => {
  const decoder = new FrameDecoder();
  decoder.push(encodeFrame(payloadOf(4, 0)).subarray(0, 1), () => assert.fail("no frame"));
  const error = thrown(() => decoder.finish());
  assert.ok(error instanceof TruncatedFrameError && error instanceof FrameError);
  assert.equal(error.received, 1);
  // The decoder is reset: a second finish has nothing pending.
  decoder.finish();
});

Deno.test("FrameDecoder finish throws TruncatedFrameError for a stream cut inside the payload", () => {
  const decoder = new FrameDecoder();
  decoder.push(encodeFrame(payloadOf(10, 0)).subarray(0, 7), () => assert.fail("no frame"));
  assert.equal(decoder.bufferedBytes, 7);
  assert.throws(() => decoder.finish(), { name: "TruncatedFrameError", received: 7 });
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("FrameDecoder finish reports every cut of a stream except at frame boundaries", () => {
  const { payloads, stream, ends } = streamOf([0, 3, 0, 40, 1]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = new FrameDecoder();
    const got: Uint8Array[] = [];
    decoder.push(stream.subarray(0, cut), (p) => got.push(p.slice()));
    const complete = ends.filter((end) => end <= cut).length;
    assert.deepEqual(got, payloads.slice(0, complete), `cut at ${cut}`);
    const lastEnd = complete === 0 ? 0 : ends[complete - 1]!;
    if (cut === lastEnd) {
      decoder.finish();
    } else {
      assert.throws(() => decoder.finish(), {
        name: "TruncatedFrameError",
        received: cut - lastEnd,
      }, `cut at ${cut}`);
    }
  }
});

Deno.test("FrameDecoder constructor rejects a maximum outside 0..65535", () => {
  for (const max of [-1, 1.5, FRAME_PAYLOAD_LIMIT + 1, Number.NaN]) {
    assert.throws(() => new FrameDecoder({ maxFrameSize: max }), RangeError, String(max));
  }
});

Deno.test("encodeFrame writes a big-endian length prefix then the payload", () => {
  assert.deepEqual(encodeFrame(new Uint8Array(0)), new Uint8Array([0, 0]));
  assert.deepEqual(encodeFrame(new Uint8Array([9, 8, 7])), new Uint8Array([0, 3, 9, 8, 7]));
  const big = encodeFrame(payloadOf(0x1234, 3));
  assert.equal(big.length, FRAME_HEADER_SIZE + 0x1234);
  assert.deepEqual([big[0], big[1]], [0x12, 0x34]);
  assert.deepEqual(big.subarray(2), payloadOf(0x1234, 3));
  const limit = encodeFrame(new Uint8Array(FRAME_PAYLOAD_LIMIT));
  assert.deepEqual([limit[0], limit[1]], [0xff, 0xff]);
});

Deno.test("encodeFrame rejects a payload over 65535 bytes", () => {
  assert.throws(() => encodeFrame(new Uint8Array(FRAME_PAYLOAD_LIMIT + 1)), RangeError);
});

Deno.test("FrameEncoder batches several frames into one buffer", () => {
  const encoder = new FrameEncoder(DEFAULT_MAX_FRAME_SIZE, 4); // tiny capacity forces growth
  encoder.begin();
  encoder.writeU8(0xab);
  encoder.writeU16(0x1234);
  encoder.writeI16(-2);
  encoder.writeU32(0xdeadbeef);
  assert.ok(encoder.inFrame);
  assert.equal(encoder.frameLength, 9);
  encoder.end();
  encoder.empty();
  encoder.begin();
  encoder.writeBytes(payloadOf(3000, 5));
  encoder.end();
  assert.ok(!encoder.inFrame);
  assert.equal(encoder.frameLength, 0);
  assert.equal(encoder.length, 11 + 2 + 3002);

  const bytes = encoder.take();
  assert.equal(bytes.length, 11 + 2 + 3002);
  assert.deepEqual(
    bytes.subarray(0, 11),
    new Uint8Array([0, 9, 0xab, 0x12, 0x34, 0xff, 0xfe, 0xde, 0xad, 0xbe, 0xef]),
  );
  assert.deepEqual(decodeChunks([bytes]), [
    bytes.slice(2, 11),
    new Uint8Array(0),
    payloadOf(3000, 5),
  ]);
  // take() resets the encoder and hands out a copy that later frames do not touch.
  assert.equal(encoder.length, 0);
  encoder.empty();
  assert.deepEqual(encoder.take(), new Uint8Array([0, 0]));
  assert.deepEqual(bytes.subarray(0, 2), new Uint8Array([0, 9]));
});

Deno.test("FrameEncoder rejects a frame over its maximum and keeps the frames before it", () => {
  const encoder = new FrameEncoder(8);
  encoder.begin();
  encoder.writeBytes(payloadOf(8, 1));
  encoder.end(); // exactly the maximum is fine
  encoder.begin();
  encoder.writeBytes(payloadOf(9, 2));
  assert.throws(() => encoder.end(), RangeError);
  assert.ok(!encoder.inFrame);
  assert.equal(encoder.length, 10);
  encoder.begin();
  encoder.writeU8(1);
  encoder.end();
  assert.deepEqual(decodeChunks([encoder.take()]), [payloadOf(8, 1), new Uint8Array([1])]);
});

Deno.test("FrameEncoder caps its maximum at the 16-bit limit", () => {
  const encoder = new FrameEncoder(100_000);
  encoder.begin();
  encoder.writeBytes(new Uint8Array(FRAME_PAYLOAD_LIMIT + 1));
  assert.throws(() => encoder.end(), RangeError);
});

Deno.test("FrameEncoder refuses begin, end and take out of order", () => {
  const encoder = new FrameEncoder();
  assert.throws(() => encoder.end(), /no frame is open/);
  encoder.begin();
  assert.throws(() => encoder.begin(), /already open/);
  assert.throws(() => encoder.take(), /still open/);
  encoder.end();
  assert.deepEqual(encoder.take(), new Uint8Array([0, 0]));
});
