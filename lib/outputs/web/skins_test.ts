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

Deno.test("the overlay picks its skin from every pad kind the server sends", async () => {
  const { skinFor } = await import("./static/pad_view.js");
  const { PAD_KINDS } = await import("../../input/model.ts");
  const want: Record<string, string> = {
    xbox360: "xbox",
    xboxone: "xbox",
    ps3: "playstation",
    ps4: "playstation",
    ps5: "playstation",
    switchpro: "switch",
    joycon_left: "switch",
    joycon_right: "switch",
    joycon_pair: "switch",
  };
  for (const kind of PAD_KINDS) {
    // A name that points elsewhere: the kind must win when it names a family.
    const skin = skinFor({ kind, name: "Generic Pad" }, undefined);
    assert.equal(skin, want[kind] ?? "xbox", kind);
  }
});
