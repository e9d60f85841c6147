import assert from "node:assert/strict";
import type { RumbleCommand } from "../../server/output.ts";
import { RumbleForwarder } from "./rumble.ts";
import { sleep } from "../../net/deadline.ts";

Deno.test("RumbleForwarder sends motor 0 as low and 1 as high, each for the timeout", async () => {
  const sent: RumbleCommand[] = [];
  const forwarder = new RumbleForwarder({
    send: (c) => sent.push(c),
    timeoutMs: 10000,
    minIntervalMs: 0,
  });
  try {
    forwarder.set("alice", 1, 0, 255);
    forwarder.set("alice", 1, 1, 51);
    forwarder.set("alice", 1, 7, 255); // no such motor
    await sleep(5);
    assert.deepEqual(sent, [
      { type: "rumble", client: "alice", pad: 1, low: 1, high: 0, ms: 10000 },
      { type: "rumble", client: "alice", pad: 1, low: 1, high: 0.2, ms: 10000 },
    ]);
  } finally {
    forwarder.close();
  }
});

Deno.test("RumbleForwarder spaces updates and sends the latest values", async () => {
  const sent: RumbleCommand[] = [];
  const forwarder = new RumbleForwarder({
    send: (c) => sent.push(c),
    timeoutMs: 10000,
    minIntervalMs: 100,
  });
  try {
    forwarder.set("a", 0, 0, 10);
    forwarder.set("a", 0, 0, 20);
    forwarder.set("a", 0, 1, 30);
    assert.equal(sent.length, 1);
    await sleep(200);
    assert.equal(sent.length, 2);
    assert.equal(sent[1]!.low, Math.round(20 / 255 * 1000) / 1000);
    assert.equal(sent[1]!.high, Math.round(30 / 255 * 1000) / 1000);
  } finally {
    forwarder.close();
  }
});

Deno.test("RumbleForwarder stops a pad once the timeout passes without an update", async () => {
  const sent: RumbleCommand[] = [];
  const forwarder = new RumbleForwarder({
    send: (c) => sent.push(c),
    timeoutMs: 150,
    minIntervalMs: 0,
  });
  try {
    forwarder.set("a", 0, 0, 255);
    await sleep(100);
    forwarder.set("a", 0, 0, 255); // a renewal pushes the stop back
    await sleep(100);
    assert.equal(sent.length, 2);
    await sleep(150);
    assert.deepEqual(sent.at(-1), { type: "rumble", client: "a", pad: 0, low: 0, high: 0, ms: 0 });
    assert.equal(sent.length, 3);
  } finally {
    forwarder.close();
  }
});

Deno.test("RumbleForwarder: an explicit zero stops at once and a released pad gets nothing", async () => {
  const sent: RumbleCommand[] = [];
  const forwarder = new RumbleForwarder({
    send: (c) => sent.push(c),
    timeoutMs: 50,
    minIntervalMs: 0,
  });
  try {
    forwarder.set("a", 0, 1, 128);
    forwarder.set("a", 0, 1, 0);
    assert.deepEqual(sent.at(-1), { type: "rumble", client: "a", pad: 0, low: 0, high: 0, ms: 0 });
    forwarder.set("b", 0, 0, 255);
    forwarder.release("b", 0);
    const count = sent.length;
    await sleep(100);
    assert.equal(sent.length, count);
  } finally {
    forwarder.close();
  }
});
