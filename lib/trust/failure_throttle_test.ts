import assert from "node:assert/strict";
import { FAILURE_DELAY_MS, FailureThrottle } from "./failure_throttle.ts";

Deno.test("FailureThrottle caps wrong proofs in flight per address and in all", () => {
  const throttle = new FailureThrottle({ maxInFlight: 3, maxInFlightPerAddress: 2 });
  const a1 = throttle.hold("a");
  const a2 = throttle.hold("a");
  assert.ok(a1 && a2);
  assert.equal(throttle.hold("a"), null, "the address's share is full");
  const b1 = throttle.hold("b");
  assert.ok(b1);
  assert.equal(throttle.hold("c"), null, "the total is full");
  assert.equal(throttle.inFlight, 3);
  a1();
  a1(); // A second release changes nothing.
  assert.equal(throttle.inFlight, 2);
  assert.ok(throttle.hold("c"));
});

Deno.test("FailureThrottle delays by a second unless told otherwise", () => {
  assert.equal(new FailureThrottle().delayMs, FAILURE_DELAY_MS);
  assert.equal(FAILURE_DELAY_MS, 1000);
  assert.equal(new FailureThrottle({ delayMs: 5 }).delayMs, 5);
});
