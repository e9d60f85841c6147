import assert from "node:assert/strict";
import { scancodeForKey } from "./scancodes.ts";

Deno.test("scancodeForKey derives the scancode of keys named like their physical key", () => {
  assert.equal(scancodeForKey("Up"), "Up");
  assert.equal(scancodeForKey("A"), "A");
  assert.equal(scancodeForKey("a"), "A");
  assert.equal(scancodeForKey("Left Shift"), "Left Shift");
  assert.equal(scancodeForKey("Space"), "Space");
  assert.equal(scancodeForKey("Keypad Enter"), "Keypad Enter");
  assert.equal(scancodeForKey(";"), ";");
  assert.equal(scancodeForKey("Ä"), null);
  assert.equal(scancodeForKey(""), null);
});
