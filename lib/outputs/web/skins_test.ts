import assert from "node:assert/strict";
import { AXIS_NAMES, BUTTON_NAMES } from "../../input/model.ts";
import { STATIC_DIR } from "./static_files.ts";

const SKINS = ["xbox", "playstation", "switch"];

Deno.test("every skin draws every button, both sticks and both triggers (the touchpad on PlayStation)", async () => {
  for (const skin of SKINS) {
    const svg = await Deno.readTextFile(new URL(`skins/${skin}.svg`, STATIC_DIR));
    const buttons = [...svg.matchAll(/data-button="([a-z0-9]+)"/g)].map((m) => m[1]);
    const expected = BUTTON_NAMES.filter((b) => b !== "touchpad" || skin === "playstation");
    assert.deepEqual([...buttons].sort(), [...expected].sort(), skin);
    const triggers = [...svg.matchAll(/data-trigger="([a-z]+)"/g)].map((m) => m[1]);
    assert.deepEqual(triggers.sort(), AXIS_NAMES.filter((a) => a.endsWith("trigger")), skin);
    const dots = [...svg.matchAll(/data-stick-dot="([a-z]+)"/g)].map((m) => m[1]);
    assert.deepEqual(dots.sort(), ["left", "right"], skin);
    assert.equal([...svg.matchAll(/data-range="\d+"/g)].length, 2, `${skin}: a range per stick`);
  }
});
