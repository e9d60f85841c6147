import assert from "node:assert/strict";
import { CLOCK_FILTER_SIZE, ClockFilter, estimateExchange, wallClockMicros } from "./clock_sync.ts";

/**
 * Two made-up clocks and a path between them: the responder's clock reads
 * `offsetUs` more than the requester's, the request takes `upUs` and the
 * reply `downUs`, and the responder takes `turnaroundUs` to answer.
 */
function exchange(
  atUs: number,
  { offsetUs, upUs, downUs, turnaroundUs = 0 }: {
    offsetUs: number;
    upUs: number;
    downUs: number;
    turnaroundUs?: number;
  },
) {
  const received = atUs + upUs + offsetUs;
  return {
    sent: atUs,
    received,
    replied: received + turnaroundUs,
    answered: atUs + upUs + turnaroundUs + downUs,
  };
}

Deno.test("estimateExchange: a symmetric path gives the exact offset and the network round trip", () => {
  for (const offsetUs of [0, 10_000_000, -10_000_000, 123_456_789]) {
    const estimate = estimateExchange(
      exchange(5_000_000, { offsetUs, upUs: 20_000, downUs: 20_000, turnaroundUs: 700 }),
    );
    assert.equal(estimate.offsetUs, offsetUs);
    assert.equal(estimate.rttUs, 40_000, "the responder's turnaround is not network time");
  }
});

Deno.test("estimateExchange: an asymmetric path errs by half the difference, never more than rtt/2", () => {
  const estimate = estimateExchange(exchange(0, { offsetUs: 1000, upUs: 30_000, downUs: 10_000 }));
  assert.equal(estimate.rttUs, 40_000);
  assert.equal(estimate.offsetUs - 1000, (30_000 - 10_000) / 2);
  // All the way one way: the worst case, exactly the bound.
  const worst = estimateExchange(exchange(0, { offsetUs: 0, upUs: 40_000, downUs: 0 }));
  assert.equal(Math.abs(worst.offsetUs), worst.rttUs / 2);
});

Deno.test("ClockFilter keeps the estimate of the smallest round trip in its window", () => {
  const filter = new ClockFilter();
  assert.equal(filter.estimate, null);
  const offsetUs = -10_000_000;
  // A good exchange, then several delayed ones (a queue on the way up).
  filter.add(exchange(0, { offsetUs, upUs: 100, downUs: 100 }));
  for (let i = 1; i < CLOCK_FILTER_SIZE; i++) {
    filter.add(exchange(i * 250_000, { offsetUs, upUs: 5_000 + i * 1000, downUs: 100 }));
    assert.deepEqual(filter.estimate, { rttUs: 200, offsetUs });
    assert.notEqual(filter.latest!.offsetUs, offsetUs, "a delayed sample alone is off");
  }
  // The good one leaves the window: the best of the rest is taken.
  filter.add(exchange(CLOCK_FILTER_SIZE * 250_000, { offsetUs, upUs: 2_000, downUs: 100 }));
  assert.equal(filter.estimate!.rttUs, 2_100);
  assert.equal(filter.samples, CLOCK_FILTER_SIZE + 1);
});

Deno.test("ClockFilter follows a clock that was stepped, once the old samples leave the window", () => {
  const filter = new ClockFilter();
  for (let i = 0; i < CLOCK_FILTER_SIZE; i++) {
    filter.add(exchange(i * 1000, { offsetUs: 0, upUs: 100, downUs: 100 }));
  }
  for (let i = 0; i < CLOCK_FILTER_SIZE; i++) {
    filter.add(exchange(10_000 + i * 1000, { offsetUs: 10_000_000, upUs: 150, downUs: 150 }));
  }
  assert.deepEqual(filter.estimate, { rttUs: 300, offsetUs: 10_000_000 });
});

Deno.test("wallClockMicros is the epoch in µs and moves forward", () => {
  const a = wallClockMicros();
  assert.ok(Math.abs(a - Date.now() * 1000) < 50_000, `${a} vs ${Date.now() * 1000}`);
  const b = wallClockMicros();
  assert.ok(b >= a);
});
