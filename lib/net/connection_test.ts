import assert from "node:assert/strict";
import {
  BackpressureError,
  DEFAULT_MAX_QUEUED_BYTES,
  FramedConnection,
  READ_BUFFER_SIZE,
  YIELD_AFTER_BYTES,
} from "./connection.ts";
import { encodeFrame, FrameDecoder } from "../wire/frame.ts";
import { closeQuietly } from "./close_quietly.ts";

/** A connected pair of loopback TCP sockets. */
async function socketPair(): Promise<[Deno.TcpConn, Deno.TcpConn, () => void]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [a, b] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }),
    listener.accept(),
  ]);
  listener.close();
  const close = () => {
    for (const conn of [a, b]) closeQuietly(conn);
  };
  return [a, b, close];
}

Deno.test("FramedConnection.send keeps frames whole and in order while a write is in flight", async () => {
  const [a, b, close] = await socketPair();
  try {
    const link = new FramedConnection(a);
    const count = 20000;
    for (let i = 0; i < count; i++) {
      link.send(encodeFrame(new Uint8Array([i >> 8, i & 0xff, 0xab])));
    }
    const decoder = new FrameDecoder();
    const seen: number[] = [];
    const buffer = new Uint8Array(4096);
    while (seen.length < count) {
      const n = await b.read(buffer);
      if (n === null) break;
      decoder.push(buffer.subarray(0, n), (payload) => {
        assert.equal(payload.length, 3);
        seen.push((payload[0]! << 8) | payload[1]!);
      });
    }
    assert.equal(seen.length, count);
    assert.ok(seen.every((value, i) => value === (i & 0xffff)));
    await link.drain();
    assert.equal(link.queuedBytes, 0);
    assert.equal(link.bytesSent, count * 5);
    link.close();
  } finally {
    close();
  }
});

Deno.test("FramedConnection.send throws BackpressureError for a peer that never reads, holding at most the limit", async () => {
  const [a, _b, close] = await socketPair();
  try {
    const link = new FramedConnection(a);
    const frame = encodeFrame(new Uint8Array(1000));
    let error: unknown = null;
    let most = 0;
    // Bounded: 200 MB is far past any socket buffer plus the queue.
    for (let i = 0; i < 200_000 && error === null; i++) {
      try {
        link.send(frame);
      } catch (e) {
        error = e;
      }
      most = Math.max(most, link.queuedBytes);
      if (i % 64 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.ok(error instanceof BackpressureError, String(error));
    assert.match((error as Error).message, /peer is not reading: \d+ bytes queued, limit 262144/);
    assert.ok(most <= DEFAULT_MAX_QUEUED_BYTES, `${most} bytes queued`);
    link.close();
  } finally {
    close();
  }
});

Deno.test("FramedConnection.write waits for a slow reader instead of failing, and loses nothing", async () => {
  const [a, b, close] = await socketPair();
  try {
    const link = new FramedConnection(a);
    // 16 MB: far more than the queue limit plus the socket buffers.
    const frames = 4096;
    const payload = 4000;
    const writing = (async () => {
      for (let i = 0; i < frames; i++) {
        const body = new Uint8Array(payload).fill(i & 0xff);
        await link.write(encodeFrame(body));
        // A control frame may be sent meanwhile; the headroom takes it.
        if (i % 512 === 0) link.send(encodeFrame(new Uint8Array(0)));
        assert.ok(link.queuedBytes <= DEFAULT_MAX_QUEUED_BYTES, `${link.queuedBytes} queued`);
      }
    })();
    // Read slowly at first: the writer must wait, not fail.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const decoder = new FrameDecoder({ maxFrameSize: 8192 });
    let seen = 0;
    let bad = 0;
    const buffer = new Uint8Array(65536);
    while (seen < frames) {
      const n = await b.read(buffer);
      if (n === null) break;
      decoder.push(buffer.subarray(0, n), (frame) => {
        if (frame.length === 0) return;
        if (frame.length !== payload || frame[0] !== (seen & 0xff)) bad++;
        seen++;
      });
    }
    await writing;
    assert.equal(seen, frames);
    assert.equal(bad, 0);
    await assert.rejects(() => link.write(new Uint8Array(DEFAULT_MAX_QUEUED_BYTES)), RangeError);
    link.close();
  } finally {
    close();
  }
});

Deno.test("FramedConnection.lastReceived stays current while bytes wait unread behind a busy process", async () => {
  const [a, b, close] = await socketPair();
  try {
    const link = new FramedConnection(a);
    // 1 MB in 4 KB frames, all written before the reader starts: every read fills its buffer.
    const frame = encodeFrame(new Uint8Array(4000));
    const all = new Uint8Array(frame.length * 256);
    for (let i = 0; i < 256; i++) all.set(frame, i * frame.length);
    const writing = (async () => {
      let offset = 0;
      while (offset < all.length) offset += await b.write(all.subarray(offset));
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    let age = -1;
    let busy = false;
    const reading = link.readFrames(() => {
      // Once reads are full-size, stall this process for 300 ms, then look from a timer
      // that runs while the read loop yields with bytes still waiting.
      if (busy || link.bytesReceived < 1024 + 4096 + 16384 + 65536) return;
      busy = true;
      const until = performance.now() + 300;
      while (performance.now() < until) { /* busy, as a loaded server is */ }
      setTimeout(() => age = performance.now() - link.lastReceived, 0);
    });
    await writing;
    for (let i = 0; i < 400 && age < 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(busy, `the reads never reached full size (${link.bytesReceived} bytes)`);
    assert.ok(age < 100, `lastReceived was ${age.toFixed(0)} ms old with bytes waiting`);
    link.close();
    await reading;
  } finally {
    close();
  }
});

Deno.test("FramedConnection.readFrames lets timers run while a peer floods it", async () => {
  const [a, b, close] = await socketPair();
  try {
    // 4 MiB of heartbeats (empty frames), written ahead so the socket is full.
    const flood = new Uint8Array(4 * 1024 * 1024);
    const writing = (async () => {
      for (let offset = 0; offset < flood.length;) {
        offset += await b.write(flood.subarray(offset));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const link = new FramedConnection(a);
    let frames = 0;
    let framesWhenTimerRan = -1;
    const timer = setTimeout(() => framesWhenTimerRan = frames, 0);
    const reading = link.readFrames(() => {
      frames++;
      if (frames === flood.length / 2) link.close();
    });
    await writing;
    await reading;
    clearTimeout(timer);
    assert.equal(frames, flood.length / 2);
    // Without yielding the timer would run only after the whole backlog.
    assert.ok(framesWhenTimerRan >= 0, "the timer never ran");
    assert.ok(
      framesWhenTimerRan * 2 <= YIELD_AFTER_BYTES + READ_BUFFER_SIZE,
      `the timer ran only after ${framesWhenTimerRan * 2} bytes`,
    );
  } finally {
    close();
  }
});

Deno.test("FramedConnection.readFrames holds frames back while told to, the peer never looking silent", async () => {
  const [a, b, close] = await socketPair();
  try {
    const link = new FramedConnection(a);
    let release: () => void = () => {};
    let holding = true;
    let asked = 0;
    const frames: number[] = [];
    const reading = link.readFrames(
      (payload) => frames.push(payload[0]!),
      () => {
        asked++;
        if (!holding) return null;
        return new Promise<void>((resolve) => release = resolve);
      },
    );
    await b.write(encodeFrame(new Uint8Array([1])));
    for (let i = 0; i < 200 && asked === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(asked, 1, "asked once the read completed");
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(frames, [], "nothing handed over while held");
    assert.ok(performance.now() - link.lastReceived < 50, "held back is not silent");
    release(); // Still holding: the loop asks again and waits again.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(asked, 2);
    assert.deepEqual(frames, []);
    holding = false;
    const releasedAt = performance.now();
    release();
    for (let i = 0; i < 200 && frames.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(frames, [1]);
    assert.ok(link.lastReceived >= releasedAt, "the held bytes count as arrived when released");
    holding = true;
    await b.write(encodeFrame(new Uint8Array([2])));
    for (let i = 0; i < 200 && asked < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    link.close(); // While held: the loop ends without handing the frame over.
    release();
    await reading;
    assert.deepEqual(frames, [1]);
  } finally {
    close();
  }
});
