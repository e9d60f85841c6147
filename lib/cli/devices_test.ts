import assert from "node:assert/strict";
import { describeControllers, windowTitle } from "./devices.ts";

Deno.test("windowTitle names each connection state, with the wait before a reconnect", () => {
  assert.equal(windowTitle("connecting", "pc:7175"), "padlink — connecting to pc:7175");
  assert.equal(
    windowTitle("connected", "pc:7175", "alice"),
    "padlink — connected to pc:7175 as alice",
  );
  assert.equal(
    windowTitle("reconnecting", "pc:7175", null, 150),
    "padlink — reconnecting to pc:7175 in 0.1 s",
  );
  assert.equal(windowTitle("closed", "pc:7175"), "padlink — disconnected from pc:7175");
});

Deno.test("describeControllers: none found says so and hints at permissions and --mappings", () => {
  const [line, ...rest] = describeControllers([], "2.26.5");
  assert.deepEqual(rest, []);
  assert.match(line!, /^SDL 2\.26\.5 sees no controllers\. Plug one in,/);
  assert.match(line!, /--mappings gamecontrollerdb\.txt/);
  if (Deno.build.os === "linux") assert.match(line!, /\/dev\/input\/event\*.*input group/);
});

Deno.test("describeControllers: one line per controller, names escaped, unmapped ones explained", () => {
  const lines = describeControllers([
    { index: 0, name: "Pad \u001b[2J", type: "PS5", guid: "0".repeat(32), mapped: true },
    { index: 1, name: "Odd Stick", type: "unknown", guid: "1".repeat(32), mapped: false },
  ], "2.26.5");
  assert.equal(lines[0], "SDL 2.26.5 sees 2 controller(s):");
  assert.equal(
    lines[1],
    `  0  "Pad \\u001b[2J"  type: PS5  guid: ${"0".repeat(32)}  mapping: yes`,
  );
  assert.equal(lines[2], `  1  "Odd Stick"  type: unknown  guid: ${"1".repeat(32)}  mapping: no`);
  assert.match(lines[3]!, /without a mapping are ignored; add one with --mappings/);
  assert.equal(lines.length, 4);
});
