import assert from "node:assert/strict";
import {
  applyDeadzone,
  AXIS_NAMES,
  AXIS_WIRE_MAX,
  axisFromSdl,
  axisIndex,
  BUTTON_NAMES,
  buttonIndex,
  dequantizeAxis,
  type InputEvent,
  InputState,
  isTrigger,
  MAX_HELD_TOUCHES,
  quantizeAxis,
} from "./model.ts";

const STICKS = AXIS_NAMES.filter((axis) => !isTrigger(axis));
const TRIGGERS = AXIS_NAMES.filter((axis) => isTrigger(axis));

Deno.test("buttonIndex and axisIndex follow SDL's enum order", () => {
  assert.equal(BUTTON_NAMES.length, 21);
  BUTTON_NAMES.forEach((name, i) => assert.equal(buttonIndex(name), i));
  AXIS_NAMES.forEach((name, i) => assert.equal(axisIndex(name), i));
  assert.equal(buttonIndex("touchpad"), 20);
  assert.equal(axisIndex("righttrigger"), 5);
  assert.equal(buttonIndex("A"), -1);
  assert.equal(axisIndex("toString"), -1);
  assert.deepEqual(TRIGGERS, ["lefttrigger", "righttrigger"]);
  assert.ok(isTrigger(4) && isTrigger(5) && !isTrigger(0));
});

Deno.test("quantizeAxis and dequantizeAxis round-trip within 0.001 for many values", () => {
  let worst = 0;
  for (let i = 0; i <= 200_000; i++) {
    const stick = -1 + i / 100_000;
    worst = Math.max(worst, Math.abs(dequantizeAxis(quantizeAxis("leftx", stick)) - stick));
    const trigger = i / 200_000;
    worst = Math.max(
      worst,
      Math.abs(dequantizeAxis(quantizeAxis("righttrigger", trigger)) - trigger),
    );
  }
  // Irrational-looking values too.
  for (let i = 1; i < 10_000; i++) {
    const value = Math.sin(i * 1.618);
    worst = Math.max(worst, Math.abs(dequantizeAxis(quantizeAxis("righty", value)) - value));
  }
  assert.ok(worst <= 0.001, `worst error ${worst}`);
  // One wire step plus the 4-decimal rounding: far inside the contract.
  assert.ok(worst < 1e-4, `worst error ${worst}`);
});

Deno.test("quantizeAxis and dequantizeAxis round-trip values with up to 4 decimals exactly", () => {
  for (let k = -10_000; k <= 10_000; k++) {
    const value = k / 10_000;
    for (const axis of k < 0 ? STICKS : AXIS_NAMES) {
      const back = dequantizeAxis(quantizeAxis(axis, value));
      if (back !== value) assert.fail(`${axis} ${value} came back as ${back}`);
    }
  }
  // Never -0: JSON output must read 0.
  assert.ok(Object.is(dequantizeAxis(quantizeAxis("leftx", -0)), 0));
  assert.ok(Object.is(dequantizeAxis(quantizeAxis("leftx", -0.00001)), 0));
});

Deno.test("quantizeAxis uses the full int16 scale and clamps sticks and triggers", () => {
  assert.equal(quantizeAxis("leftx", 1), AXIS_WIRE_MAX);
  assert.equal(quantizeAxis("leftx", -1), -AXIS_WIRE_MAX);
  assert.equal(quantizeAxis("lefty", 0), 0);
  assert.equal(quantizeAxis("rightx", 7), AXIS_WIRE_MAX);
  assert.equal(quantizeAxis("rightx", -7), -AXIS_WIRE_MAX);
  for (const trigger of TRIGGERS) {
    assert.equal(quantizeAxis(trigger, -0.5), 0);
    assert.equal(quantizeAxis(trigger, -1), 0);
    assert.equal(quantizeAxis(trigger, 1.5), AXIS_WIRE_MAX);
    assert.equal(quantizeAxis(trigger, 0.5), Math.round(AXIS_WIRE_MAX / 2));
  }
  // By index as well as by name.
  assert.equal(quantizeAxis(axisIndex("lefttrigger"), -1), 0);
  assert.equal(quantizeAxis(axisIndex("leftx"), -1), -AXIS_WIRE_MAX);
  // Not-a-number is at rest, not garbage.
  assert.equal(quantizeAxis("leftx", Number.NaN), 0);
  assert.equal(quantizeAxis("lefttrigger", Number.NaN), 0);
});

Deno.test("dequantizeAxis clamps SDL's -32768 to -1", () => {
  assert.equal(dequantizeAxis(-32768), -1);
  assert.equal(dequantizeAxis(AXIS_WIRE_MAX), 1);
  assert.equal(dequantizeAxis(0), 0);
});

Deno.test("axisFromSdl maps sticks to [-1, 1] and triggers to [0, 1]", () => {
  assert.equal(axisFromSdl(axisIndex("leftx"), -32768), -1);
  assert.equal(axisFromSdl(axisIndex("leftx"), 32767), 1);
  assert.equal(axisFromSdl(axisIndex("lefttrigger"), -32768), 0);
  assert.equal(axisFromSdl(axisIndex("lefttrigger"), 32767), 1);
});

Deno.test("applyDeadzone of 0 returns every value unchanged", () => {
  for (let i = -1000; i <= 1000; i++) {
    const value = i / 1000;
    assert.equal(applyDeadzone(value, 0), value);
    assert.equal(applyDeadzone(value, -0.1), value);
  }
  assert.equal(applyDeadzone(1e-9, 0), 1e-9);
});

Deno.test("applyDeadzone zeroes values inside the deadzone", () => {
  for (const deadzone of [0.01, 0.05, 0.2, 0.5, 0.9]) {
    for (let i = 0; i <= 100; i++) {
      const value = deadzone * i / 100; // up to and including the edge
      assert.ok(Object.is(applyDeadzone(value, deadzone), 0), `${value} in ${deadzone}`);
      assert.ok(Object.is(applyDeadzone(-value, deadzone), 0), `${-value} in ${deadzone}`);
    }
  }
});

Deno.test("applyDeadzone rescales so that ±1 is still reached and the shape is monotonic", () => {
  for (const deadzone of [0.01, 0.05, 0.2, 0.5, 0.9]) {
    assert.equal(applyDeadzone(1, deadzone), 1);
    assert.equal(applyDeadzone(-1, deadzone), -1);
    // Beyond full scale stays at full scale.
    assert.equal(applyDeadzone(1.5, deadzone), 1);
    assert.equal(applyDeadzone(-1.5, deadzone), -1);
    let previous = -Infinity;
    for (let i = -1000; i <= 1000; i++) {
      const shaped = applyDeadzone(i / 1000, deadzone);
      assert.ok(shaped >= previous, `not monotonic at ${i / 1000} with ${deadzone}`);
      assert.ok(shaped >= -1 && shaped <= 1);
      previous = shaped;
    }
    // Halfway between the edge and full scale maps to one half.
    const half = deadzone + (1 - deadzone) / 2;
    assert.ok(Math.abs(applyDeadzone(half, deadzone) - 0.5) < 1e-12);
    assert.ok(Math.abs(applyDeadzone(-half, deadzone) + 0.5) < 1e-12);
  }
});

Deno.test("applyDeadzone is continuous at the deadzone edge", () => {
  for (const deadzone of [0.05, 0.2, 0.5]) {
    for (const epsilon of [1e-3, 1e-6, 1e-9]) {
      const just = applyDeadzone(deadzone + epsilon, deadzone);
      assert.ok(just > 0, `${deadzone}+${epsilon} is outside`);
      // The output just past the edge is proportional to the distance past it.
      assert.ok(just <= epsilon / (1 - deadzone) * 1.0001, `jump of ${just} at ${deadzone}`);
      assert.ok(applyDeadzone(-(deadzone + epsilon), deadzone) === -just);
    }
  }
});

const PAD0: InputEvent = { type: "pad", pad: 0, attached: true, name: "Pad Zero" };
const PAD3: InputEvent = { type: "pad", pad: 3, attached: true, name: "Pad Three" };

Deno.test("InputState apply returns false for events that change nothing", () => {
  const state = new InputState();
  const noOps: InputEvent[] = [
    { type: "pad", pad: 0, attached: false }, // not attached
    { type: "button", pad: 0, button: "a", pressed: true }, // pad not attached
    { type: "axis", pad: 0, axis: "leftx", value: 0.5 }, // pad not attached
    { type: "key", key: "Up", scancode: "Up", pressed: false }, // not held
  ];
  for (const event of noOps) assert.equal(state.apply(event), false, JSON.stringify(event));
  assert.deepEqual(state.snapshot(), []);

  assert.equal(state.apply(PAD0), true);
  assert.equal(state.apply({ ...PAD0, name: "another name" }), false); // already attached
  assert.equal(state.apply({ type: "button", pad: 0, button: "a", pressed: false }), false);
  assert.equal(state.apply({ type: "button", pad: 0, button: "a", pressed: true }), true);
  assert.equal(state.apply({ type: "button", pad: 0, button: "a", pressed: true }), false);
  assert.equal(state.apply({ type: "axis", pad: 0, axis: "leftx", value: 0 }), false);
  assert.equal(state.apply({ type: "axis", pad: 0, axis: "leftx", value: 0.5 }), true);
  assert.equal(state.apply({ type: "axis", pad: 0, axis: "leftx", value: 0.5 }), false);
  assert.equal(state.apply({ type: "axis", pad: 0, axis: "leftx", value: 0.25 }), true);
  assert.equal(state.apply({ type: "key", key: "Up", scancode: "Up", pressed: true }), true);
  assert.equal(state.apply({ type: "key", key: "Up", scancode: "Up", pressed: true }), false);
  // The same key name on another physical key is another key.
  assert.equal(state.apply({ type: "key", key: "Up", scancode: "KP_8", pressed: true }), true);
  assert.equal(state.apply({ type: "key", key: "Up", scancode: "Up", pressed: false }), true);
  assert.equal(state.apply({ type: "key", key: "Up", scancode: "Up", pressed: false }), false);
  assert.equal(state.apply({ type: "pad", pad: 0, attached: false }), true);
  assert.equal(state.apply({ type: "pad", pad: 0, attached: false }), false);
  assert.equal(state.hasPad(0), false);
});

Deno.test("InputState forgets a pad's buttons and axes when it is detached", () => {
  const state = new InputState();
  state.apply(PAD0);
  state.apply({ type: "button", pad: 0, button: "x", pressed: true });
  state.apply({ type: "axis", pad: 0, axis: "lefty", value: -1 });
  state.apply({ type: "pad", pad: 0, attached: false });
  state.apply(PAD0);
  assert.deepEqual(state.snapshot(), [PAD0]);
  assert.equal(state.apply({ type: "button", pad: 0, button: "x", pressed: true }), true);
});

/** A state with two pads, held buttons, moved axes and held keys. */
function busyState(): InputState {
  const state = new InputState();
  const events: InputEvent[] = [
    PAD3,
    PAD0,
    { type: "button", pad: 3, button: "touchpad", pressed: true },
    { type: "button", pad: 3, button: "a", pressed: true },
    { type: "axis", pad: 3, axis: "righttrigger", value: 0.75 },
    { type: "axis", pad: 3, axis: "leftx", value: -0.5 },
    { type: "axis", pad: 3, axis: "lefty", value: 0.1 },
    { type: "axis", pad: 3, axis: "lefty", value: 0 }, // back to rest
    { type: "button", pad: 0, button: "dpup", pressed: true },
    { type: "button", pad: 0, button: "b", pressed: true },
    { type: "button", pad: 0, button: "b", pressed: false },
    { type: "key", key: "A", scancode: "Q", pressed: true },
    { type: "key", key: "Left Shift", scancode: "Left Shift", pressed: true },
  ];
  for (const event of events) state.apply(event);
  return state;
}

Deno.test("InputState snapshot lists pads in order with held buttons, moved axes, then keys", () => {
  const state = busyState();
  assert.deepEqual(state.pads(), [0, 3]);
  assert.deepEqual(state.snapshot(), [
    PAD0,
    { type: "button", pad: 0, button: "dpup", pressed: true },
    PAD3,
    { type: "button", pad: 3, button: "a", pressed: true },
    { type: "button", pad: 3, button: "touchpad", pressed: true },
    { type: "axis", pad: 3, axis: "leftx", value: -0.5 },
    { type: "axis", pad: 3, axis: "righttrigger", value: 0.75 },
    { type: "key", key: "A", scancode: "Q", pressed: true },
    { type: "key", key: "Left Shift", scancode: "Left Shift", pressed: true },
  ]);
});

Deno.test("InputState snapshot rebuilds an equal state", () => {
  const state = busyState();
  const rebuilt = new InputState();
  for (const event of state.snapshot()) {
    assert.equal(rebuilt.apply(event), true, `${JSON.stringify(event)} is a change`);
  }
  assert.deepEqual(rebuilt.snapshot(), state.snapshot());
  assert.deepEqual(rebuilt.pads(), state.pads());
  // The snapshot is a copy: changing it does not change the state.
  const snapshot = state.snapshot();
  (snapshot[0] as { name: string }).name = "changed";
  assert.deepEqual(state.snapshot()[0], PAD0);
});

Deno.test("InputState neutralEvents release keys and buttons, zero axes and detach pads", () => {
  const state = busyState();
  const neutral = state.neutralEvents();
  assert.deepEqual(neutral, [
    { type: "key", key: "A", scancode: "Q", pressed: false },
    { type: "key", key: "Left Shift", scancode: "Left Shift", pressed: false },
    { type: "button", pad: 0, button: "dpup", pressed: false },
    { type: "pad", pad: 0, attached: false },
    { type: "button", pad: 3, button: "a", pressed: false },
    { type: "button", pad: 3, button: "touchpad", pressed: false },
    { type: "axis", pad: 3, axis: "leftx", value: 0 },
    { type: "axis", pad: 3, axis: "righttrigger", value: 0 },
    { type: "pad", pad: 3, attached: false },
  ]);
  // neutralEvents does not apply them itself.
  assert.deepEqual(state.pads(), [0, 3]);
  for (const event of neutral) {
    assert.equal(state.apply(event), true, `${JSON.stringify(event)} is a change`);
  }
  assert.deepEqual(state.snapshot(), []);
  assert.deepEqual(state.neutralEvents(), []);
});

Deno.test("InputState padNeutralEvents rests one pad without detaching it", () => {
  const state = busyState();
  const events = state.padNeutralEvents(3);
  assert.deepEqual(events, [
    { type: "button", pad: 3, button: "a", pressed: false },
    { type: "button", pad: 3, button: "touchpad", pressed: false },
    { type: "axis", pad: 3, axis: "leftx", value: 0 },
    { type: "axis", pad: 3, axis: "righttrigger", value: 0 },
  ]);
  for (const event of events) assert.equal(state.apply(event), true);
  assert.deepEqual(state.padNeutralEvents(3), []);
  assert.ok(state.hasPad(3));
  assert.deepEqual(state.padNeutralEvents(9), []);
  // The other pad and the keys are untouched.
  assert.deepEqual(state.snapshot(), [
    PAD0,
    { type: "button", pad: 0, button: "dpup", pressed: true },
    PAD3,
    { type: "key", key: "A", scancode: "Q", pressed: true },
    { type: "key", key: "Left Shift", scancode: "Left Shift", pressed: true },
  ]);
});

Deno.test("InputState clear forgets everything", () => {
  const state = busyState();
  state.clear();
  assert.deepEqual(state.snapshot(), []);
  assert.deepEqual(state.pads(), []);
  assert.deepEqual(state.neutralEvents(), []);
});

Deno.test("InputState holds at most MAX_HELD_TOUCHES fingers per pad and lifts them in neutralEvents", () => {
  const state = new InputState();
  state.apply({ type: "pad", pad: 0, attached: true, name: "Pad" });
  const touch = (finger: number, touchState: "down" | "move" | "up") => ({
    type: "touch" as const,
    pad: 0,
    touchpad: 0,
    finger,
    state: touchState,
    x: 0.5,
    y: 0.5,
    pressure: 1,
  });
  for (let finger = 0; finger < MAX_HELD_TOUCHES; finger++) {
    assert.equal(state.apply(touch(finger, "down")), true);
  }
  assert.equal(state.apply(touch(200, "down")), false, "one finger too many");
  assert.equal(state.apply(touch(0, "move")), false, "a move to where it is changes nothing");
  assert.equal(state.apply({ ...touch(0, "move"), x: 0.6 }), true);
  const lifts = state.neutralEvents().filter((e) => e.type === "touch");
  assert.equal(lifts.length, MAX_HELD_TOUCHES);
  assert.ok(lifts.every((e) => e.type === "touch" && e.state === "up"));
});
