import assert from "node:assert/strict";
import { AbuseDelay, MAX_ABUSE_DELAY_MS } from "./abuse_delay.ts";

Deno.test("AbuseDelay grows with drops, caps, and fades", () => {
  const abuse = new AbuseDelay();
  assert.equal(abuse.delayFor("a", 0), 0);
  abuse.record("a", 0);
  assert.equal(abuse.delayFor("a", 0), 20);
  for (let i = 0; i < 1000; i++) abuse.record("a", 0);
  assert.equal(abuse.delayFor("a", 0), MAX_ABUSE_DELAY_MS);
  assert.equal(abuse.delayFor("a", 20_000), 0, "forgotten after 20 half-lives");
  assert.equal(abuse.delayFor("b", 0), 0, "other addresses are not slowed");
});
