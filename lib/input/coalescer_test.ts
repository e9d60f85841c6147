import assert from "node:assert/strict";
import type { AxisEvent } from "./model.ts";
import { AxisCoalescer } from "./coalescer.ts";

function setup(rateHz: number): [AxisCoalescer, AxisEvent[]] {
  const out: AxisEvent[] = [];
  return [new AxisCoalescer(rateHz, (event) => out.push(event)), out];
}

Deno.test("AxisCoalescer emits the first change at once and holds back the next", () => {
  const [coalescer, out] = setup(100); // 10 ms
  coalescer.offer(0, 0, 0.5, 0);
  assert.deepEqual(out, [{ type: "axis", pad: 0, axis: "leftx", value: 0.5 }]);
  coalescer.offer(0, 0, 0.6, 3);
  coalescer.offer(0, 0, 0.7, 6);
  assert.equal(out.length, 1);
  assert.equal(coalescer.hasPending, true);
  assert.equal(coalescer.nextDeadline(), 10);
  coalescer.flushDue(9.9);
  assert.equal(out.length, 1);
  coalescer.flushDue(10);
  assert.deepEqual(out[1], { type: "axis", pad: 0, axis: "leftx", value: 0.7 });
  assert.equal(coalescer.hasPending, false);
  assert.equal(coalescer.nextDeadline(), Infinity);
});

Deno.test("AxisCoalescer keeps the latest of 50 rapid changes", () => {
  const [coalescer, out] = setup(100);
  for (let i = 1; i <= 50; i++) {
    coalescer.offer(0, 1, i / 50, i * 0.5); // one change every 0.5 ms
    coalescer.flushDue(i * 0.5);
  }
  coalescer.flushDue(100);
  assert.ok(out.length <= 4, `${out.length} events`);
  assert.equal(out.at(-1)?.value, 1);
});

Deno.test("AxisCoalescer rates each axis of each pad separately", () => {
  const [coalescer, out] = setup(100);
  coalescer.offer(0, 0, 0.5, 0);
  coalescer.offer(0, 1, 0.5, 0);
  coalescer.offer(1, 0, 0.5, 0);
  assert.equal(out.length, 3);
  assert.deepEqual(out.map((e) => `${e.pad}:${e.axis}`), ["0:leftx", "0:lefty", "1:leftx"]);
});

/** The events as "axis value" strings. */
function seen(out: AxisEvent[]): string[] {
  return out.map((e) => `${e.axis} ${e.value}`);
}

Deno.test("AxisCoalescer keeps the offered order: a value that may go at once lets out the held ones first", () => {
  const [coalescer, out] = setup(1000); // 1 ms
  coalescer.offer(0, 0, -0.5, 0);
  coalescer.offer(0, 0, 0, 0.2); // held back: leftx went out 0.2 ms ago
  coalescer.offer(0, 1, -0.5, 0.4); // lefty may go at once, but not before leftx's 0
  assert.deepEqual(seen(out), ["leftx -0.5", "leftx 0", "lefty -0.5"]);
  assert.equal(coalescer.hasPending, false);
});

Deno.test("AxisCoalescer keeps the offered order: a due value lets out those held before it", () => {
  const [coalescer, out] = setup(100); // 10 ms
  coalescer.offer(0, 1, 0.1, 0);
  coalescer.offer(0, 0, 0.1, 4);
  coalescer.offer(0, 0, 0.2, 5); // held until 14
  coalescer.offer(0, 1, 0.2, 6); // held until 10
  assert.equal(coalescer.nextDeadline(), 10);
  coalescer.flushDue(10);
  assert.deepEqual(seen(out), ["lefty 0.1", "leftx 0.1", "leftx 0.2", "lefty 0.2"]);
  assert.equal(coalescer.hasPending, false);
});

Deno.test("AxisCoalescer keeps the offered order: a replaced held value moves behind later ones", () => {
  const [coalescer, out] = setup(100);
  coalescer.offer(0, 0, 0.1, 0);
  coalescer.offer(0, 1, 0.1, 0);
  coalescer.offer(0, 0, 0.2, 1);
  coalescer.offer(0, 1, 0.2, 2);
  coalescer.offer(0, 0, 0.3, 3); // replaces 0.2, now after lefty's 0.2
  coalescer.flushAll(4);
  assert.deepEqual(seen(out), ["leftx 0.1", "lefty 0.1", "lefty 0.2", "leftx 0.3"]);
});

Deno.test("AxisCoalescer drops values that quantise to what was sent", () => {
  const [coalescer, out] = setup(1000);
  coalescer.offer(0, 0, 0.5, 0);
  coalescer.offer(0, 0, 0.5 + 1e-7, 5);
  assert.equal(out.length, 1);
  coalescer.offer(0, 0, 1e-7, 10); // quantises to 0: a real change back to rest
  assert.equal(out.length, 2);
  assert.equal(out[1]?.value, 0);
  coalescer.offer(0, 0, 0, 20); // still 0: nothing
  assert.equal(out.length, 2);
});

Deno.test("AxisCoalescer cancels a held-back value that returns to the sent one", () => {
  const [coalescer, out] = setup(100);
  coalescer.offer(0, 0, 0.5, 0);
  coalescer.offer(0, 0, 0.8, 1);
  coalescer.offer(0, 0, 0.5, 2);
  assert.equal(coalescer.hasPending, false);
  coalescer.flushDue(50);
  assert.equal(out.length, 1);
});

Deno.test("AxisCoalescer.flushAll emits held-back values early", () => {
  const [coalescer, out] = setup(10);
  coalescer.offer(2, 4, 0.25, 0);
  coalescer.offer(2, 4, 0.75, 1);
  coalescer.flushAll(2);
  assert.deepEqual(out.map((e) => e.value), [0.25, 0.75]);
  coalescer.offer(2, 4, 0.5, 3); // the interval restarts from the flush
  assert.equal(out.length, 2);
  assert.equal(coalescer.nextDeadline(), 102);
});

Deno.test("AxisCoalescer.forgetPad drops a pad's held values and history", () => {
  const [coalescer, out] = setup(100);
  coalescer.offer(0, 0, 0.5, 0);
  coalescer.offer(0, 0, 0.6, 1);
  coalescer.forgetPad(0);
  assert.equal(coalescer.hasPending, false);
  coalescer.offer(0, 0, 0.5, 2); // a new pad at rest: 0.5 is a change again
  assert.equal(out.length, 2);
});

Deno.test("AxisCoalescer with an infinite rate never holds values back", () => {
  const [coalescer, out] = setup(Infinity);
  for (let i = 1; i <= 10; i++) coalescer.offer(0, 0, i / 10, 0);
  assert.equal(out.length, 10);
});

Deno.test("AxisCoalescer rejects a rate that is not positive", () => {
  assert.throws(() => new AxisCoalescer(0, () => {}), RangeError);
  assert.throws(() => new AxisCoalescer(Number.NaN, () => {}), RangeError);
});
