import assert from "node:assert/strict";
import {
  MAX_MACS_PER_SUBSCRIBER,
  SubscriberTable,
  SUBSCRIPTION_TIMEOUT_MS,
} from "./subscriptions.ts";

const ALL = { all: true, slot: null, mac: null };
const slot = (n: number) => ({ all: false, slot: n, mac: null });
const mac = (hex: string) => ({ all: false, slot: null, mac: hex });

Deno.test("Subscriber wants what it asked for, until 5 s after each request", () => {
  const table = new SubscriberTable();
  const s = table.subscribe("127.0.0.1", 5000, slot(1), 0);
  assert.equal(SUBSCRIPTION_TIMEOUT_MS, 5000);
  assert.equal(s.wants(1, "aa", 10), true);
  assert.equal(s.wants(0, "aa", 10), false);
  table.subscribe("127.0.0.1", 5000, mac("bb"), 3000);
  assert.equal(s.wants(3, "bb", 4000), true);
  assert.equal(s.wants(1, "aa", 4999), true);
  assert.equal(s.wants(1, "aa", 5000), false);
  assert.equal(s.wants(3, "bb", 7999), true);
  table.expire(7999);
  assert.equal(table.size, 1);
  table.expire(8000);
  assert.equal(table.size, 0);
});

Deno.test("Subscriber: an all-pads request covers every slot and renewal extends it", () => {
  const table = new SubscriberTable();
  const s = table.subscribe("::1", 1, ALL, 0);
  table.subscribe("::1", 1, ALL, 4000);
  assert.equal(s.wants(3, "cc", 8999), true);
  assert.equal(s.wants(3, "cc", 9000), false);
});

Deno.test("Subscriber numbers its packets 0, 1, 2 …", () => {
  const s = new SubscriberTable().subscribe("127.0.0.1", 1, ALL, 0);
  assert.deepEqual([s.nextPacketNumber(), s.nextPacketNumber(), s.nextPacketNumber()], [0, 1, 2]);
});

Deno.test("SubscriberTable drops the least recently renewed past its bound", () => {
  const table = new SubscriberTable({ maxSubscribers: 2 });
  table.subscribe("10.0.0.1", 1, ALL, 0);
  table.subscribe("10.0.0.2", 1, ALL, 1);
  table.subscribe("10.0.0.1", 1, ALL, 2);
  table.subscribe("10.0.0.3", 1, ALL, 3);
  assert.deepEqual([...table.values()].map((s) => s.address), ["10.0.0.1", "10.0.0.3"]);
  assert.equal(table.evicted, 1);
  assert.equal(table.size, 2);
});

Deno.test("Subscriber follows a bounded number of MACs, dropping the first asked for", () => {
  const table = new SubscriberTable();
  const s = table.subscribe("127.0.0.1", 1, mac("m0"), 0);
  for (let i = 1; i <= MAX_MACS_PER_SUBSCRIBER; i++) {
    table.subscribe("127.0.0.1", 1, mac(`m${i}`), i);
  }
  assert.equal(s.wants(0, "m0", 100), false);
  assert.equal(s.wants(0, "m1", 100), true);
  table.subscribe("127.0.0.1", 1, mac("m1"), 200); // renewed: now the newest
  table.subscribe("127.0.0.1", 1, mac("new"), 201);
  assert.equal(s.wants(0, "m1", 300), true);
  assert.equal(s.wants(0, "m2", 300), false);
});
