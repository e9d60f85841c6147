import assert from "node:assert/strict";
import { FailureLimiter } from "./rate_limit.ts";

Deno.test("FailureLimiter blocks a key after maxFailures within the window, then lets it go", () => {
  const limiter = new FailureLimiter({ maxFailures: 5, windowMs: 60_000, blockMs: 30_000 });
  for (let i = 0; i < 4; i++) assert.equal(limiter.fail("10.0.0.1", i * 1000), false);
  assert.equal(limiter.blockedFor("10.0.0.1", 4000), 0);
  assert.equal(limiter.fail("10.0.0.1", 5000), true);
  assert.equal(limiter.blockedFor("10.0.0.1", 5000), 30_000);
  assert.equal(limiter.blockedFor("10.0.0.2", 5000), 0, "other addresses are not affected");
  assert.equal(limiter.blockedFor("10.0.0.1", 34_999), 1);
  assert.equal(limiter.blockedFor("10.0.0.1", 35_000), 0);
});

Deno.test("FailureLimiter forgets failures older than the window", () => {
  const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 1000, blockMs: 5000 });
  limiter.fail("a", 0);
  limiter.fail("a", 100);
  assert.equal(limiter.fail("a", 1050), false, "the first fell out of the window");
  assert.equal(limiter.blockedFor("a", 1050), 0);
  assert.equal(limiter.fail("a", 1090), true, "three within one second");
});

Deno.test("FailureLimiter remembers at most maxKeys addresses", () => {
  const limiter = new FailureLimiter({ maxFailures: 2, maxKeys: 2 });
  limiter.fail("a", 0);
  limiter.fail("b", 0);
  limiter.fail("c", 0); // Evicts "a".
  assert.equal(limiter.fail("a", 1), false, "a starts over");
  assert.equal(limiter.fail("c", 1), true);
});
