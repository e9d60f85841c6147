import assert from "node:assert/strict";
import { RateBudget } from "./rate_budget.ts";

Deno.test("RateBudget allows a burst, then the steady rate", () => {
  const budget = new RateBudget({ perSecond: 100, burst: 5 }, 0);
  let allowed = 0;
  for (let i = 0; i < 50; i++) if (budget.take(0)) allowed++;
  assert.equal(allowed, 5);
  // One second later: 100 more, capped at the burst.
  allowed = 0;
  for (let i = 0; i < 50; i++) if (budget.take(1000)) allowed++;
  assert.equal(allowed, 5);
});

Deno.test("RateBudget keeps up with events at its rate forever", () => {
  const budget = new RateBudget({ perSecond: 200, burst: 10 }, 0);
  for (let i = 0; i < 10_000; i++) assert.ok(budget.take(i * 5), `event ${i}`);
});
