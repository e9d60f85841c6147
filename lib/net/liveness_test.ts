import assert from "node:assert/strict";
import { type LivenessPeer, LivenessTicker, MIN_TICK_MS } from "./liveness.ts";

/** A peer whose times the test sets, counting what the ticker asked of it. */
class FakePeer implements LivenessPeer {
  lastReceived: number;
  lastSent: number;
  silent = 0;
  quiet = 0;

  constructor(now: number) {
    this.lastReceived = now;
    this.lastSent = now;
  }

  onSilent(): void {
    this.silent++;
  }

  onQuiet(): void {
    this.quiet++;
  }
}

const OPTIONS = { heartbeatMs: 250, timeoutMs: 1000 };

Deno.test("LivenessTicker asks for a heartbeat once nothing was sent for heartbeatMs", () => {
  // Whole milliseconds: (start + 250) - start must be exactly 250.
  const start = Math.round(performance.now());
  const peer = new FakePeer(start);
  const ticker = new LivenessTicker(OPTIONS, () => [peer]);
  try {
    ticker.tick(start + 249);
    assert.equal(peer.quiet, 0);
    ticker.tick(start + 250);
    assert.equal(peer.quiet, 1);
    peer.lastSent = start + 250;
    ticker.tick(start + 300);
    assert.equal(peer.quiet, 1);
    assert.equal(peer.silent, 0);
  } finally {
    ticker.stop();
  }
});

Deno.test("LivenessTicker judges silence up to the previous tick, so its own stall is not the peer's", () => {
  // Whole milliseconds: (start + 250) - start must be exactly 250.
  const start = Math.round(performance.now());
  const peer = new FakePeer(start);
  const ticker = new LivenessTicker(OPTIONS, () => [peer]);
  try {
    ticker.tick(start + 10);
    // This process stalled for 5 s: the peer's bytes may be waiting unread.
    ticker.tick(start + 5000);
    assert.equal(peer.silent, 0, "not dropped on the tick after our own stall");
    // A turn later, still nothing arrived: now the peer is silent.
    ticker.tick(start + 5010);
    assert.equal(peer.silent, 1);
    assert.equal(peer.quiet, 1, "a silent peer gets no heartbeat on the same tick");
  } finally {
    ticker.stop();
  }
});

Deno.test("LivenessTicker asks the peers afresh at every tick", () => {
  // Whole milliseconds: (start + 250) - start must be exactly 250.
  const start = Math.round(performance.now());
  const peers: FakePeer[] = [];
  const ticker = new LivenessTicker(OPTIONS, () => peers);
  try {
    ticker.tick(start + 300);
    const late = new FakePeer(start);
    peers.push(late);
    ticker.tick(start + 600);
    assert.equal(late.quiet, 1);
  } finally {
    ticker.stop();
  }
});

Deno.test("LivenessTicker ticks at 1/8 of the timeout or the heartbeat, whichever is finer", () => {
  const cases: [number, number, number][] = [
    [250, 1000, 125],
    [100, 1000, 100],
    [1, 1, MIN_TICK_MS],
  ];
  for (const [heartbeatMs, timeoutMs, expected] of cases) {
    const ticker = new LivenessTicker({ heartbeatMs, timeoutMs }, () => []);
    ticker.stop();
    assert.equal(ticker.tickMs, expected, `${heartbeatMs}/${timeoutMs}`);
  }
});

Deno.test("LivenessTicker's timer drives the checks until stopped", async () => {
  const peer = new FakePeer(performance.now() - 60_000);
  const ticker = new LivenessTicker({ heartbeatMs: 10, timeoutMs: 80 }, () => [peer]);
  try {
    for (let i = 0; i < 200 && peer.silent === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(peer.silent > 0, "the timer ticked");
  } finally {
    ticker.stop();
  }
  const after = peer.silent;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(peer.silent, after, "no tick after stop");
});
