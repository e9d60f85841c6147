import assert from "node:assert/strict";
import { UsageError } from "./common.ts";
import { expandBareDsu, parseDsuAddress, parseDsuFlags, parseDsuSlots } from "./dsu.ts";

Deno.test("expandBareDsu gives a bare --dsu the default address and leaves values alone", () => {
  assert.deepEqual(expandBareDsu(["--dsu"]), ["--dsu=127.0.0.1:26760"]);
  assert.deepEqual(expandBareDsu(["--dsu", "--json"]), ["--dsu=127.0.0.1:26760", "--json"]);
  assert.deepEqual(expandBareDsu(["--dsu", "0"]), ["--dsu", "0"]);
  assert.deepEqual(expandBareDsu(["--dsu=1:2"]), ["--dsu=1:2"]);
});

Deno.test("parseDsuAddress takes PORT, ADDR:PORT and [IPV6]:PORT", () => {
  assert.deepEqual(parseDsuAddress("26761"), { hostname: "127.0.0.1", port: 26761 });
  assert.deepEqual(parseDsuAddress("0"), { hostname: "127.0.0.1", port: 0 });
  assert.deepEqual(parseDsuAddress("0.0.0.0:26760"), { hostname: "0.0.0.0", port: 26760 });
  assert.deepEqual(parseDsuAddress("[::1]:5"), { hostname: "::1", port: 5 });
  assert.throws(() => parseDsuAddress("::1:5"), /IPv6 address in brackets/);
  assert.throws(() => parseDsuAddress(":5"), /no address before ':'/);
  assert.throws(() => parseDsuAddress("host:x"), /--dsu must be a port number/);
  assert.throws(() => parseDsuAddress("65536"), UsageError);
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
