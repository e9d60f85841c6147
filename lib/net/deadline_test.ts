import assert from "node:assert/strict";
import { Deadline, DeadlineError, sleep, withDeadline } from "./deadline.ts";

Deno.test("withDeadline settles with the work when it finishes first, and clears its timer", async () => {
  // The op sanitizer fails this test if the 60 s timer were left running.
  assert.equal(await withDeadline(Promise.resolve(7), 60_000, () => -1), 7);
  await assert.rejects(
    () => withDeadline(Promise.reject(new RangeError("work failed")), 60_000),
    RangeError,
  );
});

Deno.test("withDeadline settles with onTimeout's value or error when time runs out", async () => {
  const never = new Promise<string>(() => {});
  assert.equal(await withDeadline(never, 1, () => "late"), "late");
  await assert.rejects(
    () =>
      withDeadline(never, 1, () => {
        throw new TypeError("gave up");
      }),
    TypeError,
  );
});

Deno.test("withDeadline rejects with a DeadlineError naming the time without onTimeout", async () => {
  const error = await withDeadline(new Promise(() => {}), 5).catch((e) => e);
  assert.ok(error instanceof DeadlineError);
  assert.equal(error.ms, 5);
  assert.match(error.message, /5 ms/);
});

Deno.test("withDeadline handles a rejection of the work that comes after the deadline", async () => {
  let fail!: (error: Error) => void;
  const work = new Promise<never>((_, reject) => fail = reject);
  assert.equal(await withDeadline(work, 1, () => "late"), "late");
  // Would be reported as an unhandled rejection, failing the test, if not handled.
  fail(new Error("too late to matter"));
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("Deadline fires once after its time, and not at all once cancelled", async () => {
  let fired = 0;
  const deadline = new Deadline(1, () => fired++);
  assert.equal(deadline.expired, false);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(fired, 1);
  assert.equal(deadline.expired, true);
  deadline.cancel(); // After firing: harmless.

  let cancelledFired = false;
  {
    using _cancelled = new Deadline(1, () => cancelledFired = true);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(cancelledFired, false);
});

Deno.test("sleep resolves early when its signal aborts, and at once when it already has", async () => {
  const stop = new AbortController();
  const started = performance.now();
  const waiting = sleep(60_000, stop.signal);
  stop.abort();
  await waiting; // The op sanitizer fails the test if the 60 s timer were left running.
  await sleep(60_000, stop.signal);
  assert.ok(performance.now() - started < 30_000);
});
