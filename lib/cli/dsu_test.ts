import assert from "node:assert/strict";
import { expandBareDsu, parseDsuFlags, parseDsuSlots } from "./dsu.ts";

Deno.test("expandBareDsu gives a bare --dsu the default address and leaves values alone", () => {
  assert.deepEqual(expandBareDsu(["--dsu"]), ["--dsu=127.0.0.1:26760"]);
  assert.deepEqual(expandBareDsu(["--dsu", "--json"]), ["--dsu=127.0.0.1:26760", "--json"]);
  assert.deepEqual(expandBareDsu(["--dsu", "0"]), ["--dsu", "0"]);
  assert.deepEqual(expandBareDsu(["--dsu=1:2"]), ["--dsu=1:2"]);
});

Deno.test("parseDsuSlots reads CLIENT:SLOT and CLIENT/PAD:SLOT", () => {
  assert.deepEqual(parseDsuSlots("alice:0,bob/1:2"), [
    { client: "alice", pad: 0, slot: 0 },
    { client: "bob", pad: 1, slot: 2 },
  ]);
  assert.deepEqual(parseDsuSlots("host:with:colons/3:1"), [
    { client: "host:with:colons", pad: 3, slot: 1 },
  ]);
});

Deno.test("parseDsuSlots names the bad entry", () => {
  assert.throws(() => parseDsuSlots("alice"), /entry 'alice' is not CLIENT:SLOT/);
  assert.throws(() => parseDsuSlots("alice:4"), /DSU slots are 0 to 3/);
  assert.throws(() => parseDsuSlots("alice/16:0"), /pads are numbered 0 to 15/);
  assert.throws(() => parseDsuSlots("a#b:0"), /entry 'a#b:0': the name holds/);
  assert.throws(() => parseDsuSlots("a:0,b:0"), /gives slot 0 twice/);
  assert.throws(() => parseDsuSlots("a:0,a/0:1"), /pins a pad 0 twice/);
});

Deno.test("parseDsuFlags: off without --dsu, and --dsu-slots needs --dsu", () => {
  assert.equal(parseDsuFlags(undefined, undefined), null);
  assert.throws(() => parseDsuFlags(undefined, "a:0"), /--dsu-slots needs --dsu/);
  assert.deepEqual(parseDsuFlags("0", "a:1"), {
    hostname: "127.0.0.1",
    port: 0,
    pins: [{ client: "a", pad: 0, slot: 1 }],
  });
});
