import assert from "node:assert/strict";
import { padMac, SlotTable } from "./slots.ts";

Deno.test("SlotTable gives slots 0–3 in attach order and a detach frees one", () => {
  const table = new SlotTable();
  assert.equal(table.attach("alice", 0), 0);
  assert.equal(table.attach("bob", 0), 1);
  assert.equal(table.attach("alice", 1), 2);
  assert.equal(table.attach("alice", 1), 2, "attaching again keeps the slot");
  assert.deepEqual(table.detach("bob", 0), { freed: 1, promoted: null });
  assert.equal(table.attach("carol", 3), 1);
  assert.deepEqual(table.occupant(1), { client: "carol", pad: 3 });
  assert.equal(table.slotOf("alice", 1), 2);
  assert.equal(table.slotOf("bob", 0), undefined);
});

Deno.test("SlotTable: a fifth pad waits and takes the first slot freed", () => {
  const table = new SlotTable();
  for (let pad = 0; pad < 4; pad++) table.attach("a", pad);
  assert.equal(table.attach("b", 0), null);
  assert.equal(table.attach("c", 0), null);
  assert.deepEqual(table.detach("a", 2), {
    freed: 2,
    promoted: { client: "b", pad: 0, slot: 2 },
  });
  assert.deepEqual(table.detach("c", 0), { freed: null, promoted: null });
  assert.deepEqual(table.detach("a", 0), { freed: 0, promoted: null });
});

Deno.test("SlotTable keeps a pinned slot for its pad only", () => {
  const table = new SlotTable([{ client: "alice", pad: 0, slot: 0 }, {
    client: "bob",
    pad: 1,
    slot: 2,
  }]);
  assert.equal(table.attach("carol", 0), 1);
  assert.equal(table.attach("dave", 0), 3);
  assert.equal(table.attach("erin", 0), null, "slots 0 and 2 are kept for alice and bob");
  assert.equal(table.attach("bob", 1), 2);
  assert.equal(table.attach("alice", 0), 0);
  assert.deepEqual(table.detach("alice", 0), { freed: 0, promoted: null });
  assert.equal(table.occupant(0), null);
});

Deno.test("SlotTable refuses bad pins", () => {
  assert.throws(() => new SlotTable([{ client: "a", pad: 0, slot: 4 }]), RangeError);
  assert.throws(
    () => new SlotTable([{ client: "a", pad: 0, slot: 1 }, { client: "b", pad: 0, slot: 1 }]),
    /slot 1 is pinned twice/,
  );
  assert.throws(
    () => new SlotTable([{ client: "a", pad: 0, slot: 1 }, { client: "a", pad: 0, slot: 2 }]),
    /a pad 0 is pinned to two DSU slots/,
  );
});

Deno.test("padMac is stable, local unicast, and differs by client and pad", () => {
  assert.deepEqual(padMac("alice", 0), padMac("alice", 0));
  assert.notDeepEqual(padMac("alice", 0), padMac("alice", 1));
  assert.notDeepEqual(padMac("alice", 0), padMac("bob", 0));
  for (const mac of [padMac("alice", 0), padMac("x", 15)]) {
    assert.equal(mac.length, 6);
    assert.equal(mac[0]! & 0x03, 0x02);
  }
});
