import assert from "node:assert/strict";
import { LogThrottle } from "./log_throttle.ts";

Deno.test("LogThrottle lets one line a second through by default and counts the rest", () => {
  const throttle = new LogThrottle(undefined, 0);
  assert.equal(throttle.take(0), 0);
  for (let t = 1; t < 1000; t += 100) assert.equal(throttle.take(t), null, `at ${t} ms`);
  // (1 ms past the second: the budget refills in steps that may round just under 1.)
  assert.equal(throttle.take(1001), 10, "the ten held back");
  assert.equal(throttle.take(2500), 0, "nothing held back since");
});

Deno.test("LogThrottle with a burst lets the burst through at once, then its rate", () => {
  const throttle = new LogThrottle({ perSecond: 10, burst: 3 }, 0);
  assert.deepEqual([0, 0, 0, 0, 0].map(() => throttle.take(0)), [0, 0, 0, null, null]);
  assert.equal(throttle.take(100), 2);
  assert.equal(throttle.take(100), null);
});
