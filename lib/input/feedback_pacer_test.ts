import assert from "node:assert/strict";
import {
  FEEDBACK_MAX_MS,
  FEEDBACK_MIN_INTERVAL_MS,
  FeedbackPacer,
  type PadFeedback,
} from "./feedback_pacer.ts";

function recorder() {
  const applied: { pad: number; feedback: PadFeedback; at: number }[] = [];
  const pacer = new FeedbackPacer((pad, feedback, at) => applied.push({ pad, feedback, at }));
  return { applied, pacer };
}

Deno.test("FeedbackPacer applies the first update at once and spaces the next 50 ms", () => {
  const { applied, pacer } = recorder();
  pacer.submit(0, { type: "rumble", low: 100, high: 200, ms: 1000 }, 1000);
  assert.equal(applied.length, 1);
  pacer.submit(0, { type: "rumble", low: 300, high: 400, ms: 1000 }, 1010);
  assert.equal(applied.length, 1);
  assert.equal(pacer.nextDeadline(), 1000 + FEEDBACK_MIN_INTERVAL_MS);
  pacer.flushDue(1049);
  assert.equal(applied.length, 1);
  pacer.flushDue(1050);
  // It waited 40 ms, so it ends when it was asked to: 1010 + 1000.
  assert.deepEqual(applied[1], {
    pad: 0,
    feedback: { type: "rumble", low: 300, high: 400, ms: 960 },
    at: 1050,
  });
  assert.equal(pacer.nextDeadline(), Infinity);
});

Deno.test("FeedbackPacer keeps only the newest waiting update of each kind", () => {
  const { applied, pacer } = recorder();
  pacer.submit(1, { type: "rumble", low: 1, high: 1, ms: 500 }, 0);
  for (let i = 2; i <= 20; i++) pacer.submit(1, { type: "rumble", low: i, high: i, ms: 500 }, i);
  pacer.submit(1, { type: "led", red: 1, green: 2, blue: 3 }, 25);
  for (let t = 0; t <= 200; t++) pacer.flushDue(t);
  assert.deepEqual(applied.map((a) => [a.at, a.feedback.type]), [
    [0, "rumble"],
    [50, "rumble"],
    [100, "led"],
  ]);
  assert.deepEqual(applied[1]!.feedback, { type: "rumble", low: 20, high: 20, ms: 470 });
  // Applied updates to one pad are never closer than the interval.
  for (let i = 1; i < applied.length; i++) {
    assert.ok(applied[i]!.at - applied[i - 1]!.at >= FEEDBACK_MIN_INTERVAL_MS);
  }
});

Deno.test("FeedbackPacer spaces each pad on its own", () => {
  const { applied, pacer } = recorder();
  pacer.submit(0, { type: "rumble", low: 1, high: 1, ms: 100 }, 0);
  pacer.submit(1, { type: "rumble", low: 1, high: 1, ms: 100 }, 1);
  assert.deepEqual(applied.map((a) => a.pad), [0, 1]);
});

Deno.test("FeedbackPacer caps a rumble at 10 s and turns one that waited past its end into a stop", () => {
  const { applied, pacer } = recorder();
  pacer.submit(0, { type: "trigger_rumble", left: 9, right: 9, ms: 60_000 }, 0);
  assert.deepEqual(applied[0]!.feedback, {
    type: "trigger_rumble",
    left: 9,
    right: 9,
    ms: FEEDBACK_MAX_MS,
  });
  pacer.submit(0, { type: "trigger_rumble", left: 5, right: 5, ms: 20 }, 10);
  pacer.flushDue(50);
  assert.deepEqual(applied[1]!.feedback, { type: "trigger_rumble", left: 0, right: 0, ms: 0 });
});

Deno.test("FeedbackPacer.forget and appliedNow drop what waits", () => {
  const { applied, pacer } = recorder();
  pacer.submit(0, { type: "rumble", low: 1, high: 1, ms: 100 }, 0);
  pacer.submit(0, { type: "rumble", low: 2, high: 2, ms: 100 }, 10);
  pacer.forget(0);
  assert.equal(pacer.nextDeadline(), Infinity);
  pacer.submit(0, { type: "rumble", low: 3, high: 3, ms: 100 }, 20);
  assert.equal(applied.length, 2, "a forgotten pad starts afresh");
  pacer.submit(0, { type: "rumble", low: 4, high: 4, ms: 100 }, 30);
  pacer.appliedNow(0, 40);
  pacer.flushDue(200);
  assert.equal(applied.length, 2);
  pacer.submit(0, { type: "rumble", low: 5, high: 5, ms: 100 }, 60);
  assert.equal(applied.length, 2, "spaced from the stop applied at 40");
  pacer.flushDue(90);
  assert.equal(applied.length, 3);
});
