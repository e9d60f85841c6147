import assert from "node:assert/strict";
import { parseRemap, RemapError, Remapper, shapeAxis } from "./remap.ts";
import type { InputEvent } from "./model.ts";

const attach = (pad: number): InputEvent => ({ type: "pad", pad, attached: true, name: "Pad" });
const press = (pad: number, button: "a" | "b" | "x", pressed = true): InputEvent => ({
  type: "button",
  pad,
  button,
  pressed,
});
const key = (scancode: string, pressed: boolean): InputEvent => ({
  type: "key",
  key: scancode,
  scancode,
  pressed,
});

Deno.test("Remapper swaps buttons, and a button two sources map onto stays held until both let go", () => {
  const remap = new Remapper(parseRemap({ buttons: { a: "b", b: "a", x: "a" } }));
  assert.deepEqual(remap.map([attach(0), press(0, "a"), press(0, "b")]), [
    attach(0),
    press(0, "b"),
    press(0, "a"),
  ]);
  // x also sends a: a is already held through b.
  assert.deepEqual(remap.map([press(0, "x")]), []);
  assert.deepEqual(remap.map([press(0, "b", false)]), []);
  assert.deepEqual(remap.map([press(0, "x", false)]), [press(0, "a", false)]);
});

Deno.test("shapeAxis applies deadzone, curve, scale and invert in that order, and clamps", () => {
  const shape = { to: "lefty" as const, deadzone: 0.2, curve: 2, scale: 1, invert: true };
  assert.equal(shapeAxis(0.1, shape), 0);
  assert.equal(shapeAxis(0.6, shape), -0.25); // (0.6-0.2)/0.8 = 0.5, squared, negated
  assert.equal(shapeAxis(-1, shape), 1);
  assert.equal(shapeAxis(0.9, { ...shape, curve: 1, scale: 3, invert: false }), 1);
  const trigger = { to: "lefttrigger" as const, deadzone: 0, curve: 1, scale: 1, invert: true };
  assert.equal(shapeAxis(0.25, trigger), 0.75);
  const remap = new Remapper(parseRemap({ axes: { rightx: { to: "leftx", scale: 0.5 } } }));
  assert.deepEqual(remap.map([attach(1), { type: "axis", pad: 1, axis: "rightx", value: -0.5 }]), [
    attach(1),
    { type: "axis", pad: 1, axis: "leftx", value: -0.25 },
  ]);
});

Deno.test("Remapper makes WASD a left stick of the keyboard pad and keeps other keys keys", () => {
  const remap = new Remapper(parseRemap({
    keyboard: {
      pad: 0,
      name: "Keys",
      buttons: { Space: "a" },
      axes: { W: "-lefty", S: "+lefty", A: "-leftx", D: "+leftx" },
    },
  }));
  assert.deepEqual(remap.start(), [{ type: "pad", pad: 0, attached: true, name: "Keys" }]);
  assert.deepEqual(
    remap.map([key("W", true), key("D", true), key("Space", true), key("Q", true)]),
    [
      { type: "axis", pad: 0, axis: "lefty", value: -1 },
      { type: "axis", pad: 0, axis: "leftx", value: 1 },
      press(0, "a"),
      key("Q", true),
    ],
  );
  // W and S together cancel; letting go of both rests the stick.
  assert.deepEqual(remap.map([key("S", true)]), [{
    type: "axis",
    pad: 0,
    axis: "lefty",
    value: 0,
  }]);
  assert.deepEqual(remap.map([key("W", false)]), [
    { type: "axis", pad: 0, axis: "lefty", value: 1 },
  ]);
  // A controller that SDL numbers 0 is sent as 1: 0 is the keyboard's.
  assert.deepEqual(remap.map([attach(0), press(0, "x")]), [attach(1), press(1, "x")]);
});

Deno.test("parseRemap names the entry that is wrong", () => {
  const cases: [unknown, RegExp][] = [
    [[], /^the map: must be a JSON object/],
    [{ button: {} }, /^button: unknown entry/],
    [{ buttons: { a: "jump" } }, /^buttons\.a: "jump" is not a button to send; buttons are a b/],
    [{ buttons: { jump: "a" } }, /^buttons\.jump: "jump" is not a button/],
    [{ axes: { lefty: { invert: "yes" } } }, /^axes\.lefty\.invert: must be true or false/],
    [{ axes: { lefty: { deadzone: 1 } } }, /^axes\.lefty\.deadzone: must be a number from 0/],
    [{ axes: { lefty: { curve: 0 } } }, /^axes\.lefty\.curve/],
    [{ axes: { lefty: { to: "lefttrigger" } } }, /^axes\.lefty\.to: a stick axis and a trigger/],
    [{ axes: { lefty: { speed: 2 } } }, /^axes\.lefty\.speed: unknown/],
    [{ keyboard: { pad: 16 } }, /^keyboard\.pad: must be a pad number from 0 to 15/],
    [{ keyboard: { axes: { W: "up" } } }, /^keyboard\.axes\.W: must be "\+AXIS" or "-AXIS"/],
    [
      { keyboard: { axes: { W: "-lefttrigger" } } },
      /^keyboard\.axes\.W: a trigger only goes one way/,
    ],
    [
      { keyboard: { buttons: { W: "a" }, axes: { W: "-lefty" } } },
      /^keyboard\.axes\.W: key "W" is mapped twice/,
    ],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(() => parseRemap(value), (error: Error) => {
      assert.ok(error instanceof RemapError, String(error));
      assert.match(error.message, pattern);
      return true;
    });
  }
});
