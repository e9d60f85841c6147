import assert from "node:assert/strict";
import { AddressSlots } from "./address_slots.ts";

Deno.test("AddressSlots holds up to its total without evicting", () => {
  const slots = new AddressSlots<number>({ total: 4, perAddress: 4 });
  for (let i = 0; i < 4; i++) assert.equal(slots.admit(`10.0.0.${i}`, i), null);
  assert.equal(slots.size, 4);
});

Deno.test("AddressSlots evicts an address's own oldest past its share", () => {
  const slots = new AddressSlots<number>({ total: 100, perAddress: 3 });
  const evicted: (number | null)[] = [];
  for (let i = 0; i < 10; i++) evicted.push(slots.admit("10.0.0.9", i));
  assert.deepEqual(evicted, [null, null, null, 0, 1, 2, 3, 4, 5, 6]);
  assert.equal(slots.heldBy("10.0.0.9"), 3);
});

Deno.test("AddressSlots lets a newcomer in past a flood from other addresses", () => {
  const slots = new AddressSlots<string>({ total: 8, perAddress: 4 });
  // Two flooding addresses fill the table.
  for (let i = 0; i < 100; i++) slots.admit(`10.0.0.${i % 2}`, `flood${i}`);
  assert.equal(slots.size, 8);
  const evicted = slots.admit("192.168.1.5", "honest");
  assert.match(String(evicted), /^flood/);
  assert.equal(slots.heldBy("192.168.1.5"), 1);
  // More flooding evicts the flooders' own connections, never the honest one.
  for (let i = 0; i < 100; i++) {
    assert.notEqual(slots.admit(`10.0.0.${i % 2}`, `more${i}`), "honest");
  }
  assert.equal(slots.heldBy("192.168.1.5"), 1);
  assert.equal(slots.size, 8);
});

Deno.test("AddressSlots release frees a slot and forgets an empty address", () => {
  const slots = new AddressSlots<string>({ total: 2, perAddress: 2 });
  slots.admit("a", "a1");
  slots.admit("a", "a2");
  slots.release("a", "a1");
  slots.release("a", "unknown");
  assert.equal(slots.size, 1);
  assert.equal(slots.admit("b", "b1"), null);
  slots.release("a", "a2");
  assert.equal(slots.heldBy("a"), 0);
  assert.equal(slots.size, 1);
});

Deno.test("AddressSlots refuses a table without room", () => {
  assert.throws(() => new AddressSlots({ total: 0, perAddress: 1 }), RangeError);
});

Deno.test("AddressSlots.evictOne takes the oldest of the heaviest address", () => {
  const slots = new AddressSlots<string>({ total: 10, perAddress: 10 });
  slots.admit("a", "a1");
  slots.admit("b", "b1");
  slots.admit("b", "b2");
  assert.equal(slots.evictOne(), "b1");
  assert.equal(slots.evictOne(), "a1");
  assert.equal(slots.evictOne(), "b2");
  assert.equal(slots.evictOne(), null);
  assert.equal(slots.size, 0);
});
