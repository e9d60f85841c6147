import assert from "node:assert/strict";
import { BUTTON_NAMES, type InputEvent } from "./model.ts";
import { InputPipeline } from "./pipeline.ts";

const NO_BUTTONS: boolean[] = [];
const REST = [0, 0, 0, 0, 0, 0];

function pipeline(deadzone = 0, rateHz = 1000): InputPipeline {
  return new InputPipeline({ deadzone, rateHz });
}

Deno.test("InputPipeline gives a new pad the lowest free number and keeps it", () => {
  const p = pipeline();
  assert.equal(p.padAdded(100, "A", NO_BUTTONS, REST, 0), 0);
  assert.equal(p.padAdded(101, "B", NO_BUTTONS, REST, 0), 1);
  assert.equal(p.padAdded(102, "C", NO_BUTTONS, REST, 0), 2);
  assert.equal(p.padRemoved(101, 1), 1);
  assert.equal(p.padAdded(103, "D", NO_BUTTONS, REST, 2), 1);
  assert.equal(p.padAdded(104, "E", NO_BUTTONS, REST, 2), 3);
  p.button(102, 0, true, 3);
  assert.deepEqual(p.take().at(-1), { type: "button", pad: 2, button: "a", pressed: true });
});

Deno.test("InputPipeline ignores pads beyond MAX_PAD and unknown instances", () => {
  const p = pipeline();
  for (let i = 0; i < 16; i++) assert.equal(p.padAdded(i, `P${i}`, NO_BUTTONS, REST, 0), i);
  assert.equal(p.padAdded(99, "extra", NO_BUTTONS, REST, 0), null);
  assert.equal(p.padAdded(3, "again", NO_BUTTONS, REST, 0), null);
  p.take();
  p.button(99, 0, true, 1);
  p.axis(99, 0, 32767, 1);
  assert.equal(p.padRemoved(99, 1), null);
  assert.deepEqual(p.take(), []);
});

Deno.test("InputPipeline reports a pad's non-neutral state when it attaches", () => {
  const p = pipeline(0.05);
  const buttons = BUTTON_NAMES.map((name) => name === "start" || name === "dpup");
  p.padAdded(7, "Held Pad", buttons, [32767, 100, 0, 0, 32767, 0], 0);
  assert.deepEqual(p.take(), [
    { type: "pad", pad: 0, attached: true, name: "Held Pad" },
    { type: "button", pad: 0, button: "start", pressed: true },
    { type: "button", pad: 0, button: "dpup", pressed: true },
    { type: "axis", pad: 0, axis: "leftx", value: 1 },
    { type: "axis", pad: 0, axis: "lefttrigger", value: 1 },
  ]);
  // SDL's own BUTTONDOWN for the held button, arriving after, is not repeated.
  p.button(7, 6, true, 1);
  assert.deepEqual(p.take(), []);
});

Deno.test("InputPipeline releases, zeroes, then detaches a removed pad", () => {
  const p = pipeline();
  p.padAdded(5, "Pad", NO_BUTTONS, REST, 0);
  p.button(5, 0, true, 1);
  p.button(5, 9, true, 1);
  p.axis(5, 1, -32768, 1);
  p.take();
  p.padRemoved(5, 2);
  assert.deepEqual(p.take(), [
    { type: "button", pad: 0, button: "a", pressed: false },
    { type: "button", pad: 0, button: "leftshoulder", pressed: false },
    { type: "axis", pad: 0, axis: "lefty", value: 0 },
    { type: "pad", pad: 0, attached: false },
  ]);
});

Deno.test("InputPipeline applies the deadzone to sticks only, rescaled to full range", () => {
  const p = pipeline(0.2);
  p.padAdded(1, "Pad", NO_BUTTONS, REST, 0);
  p.take();
  p.axis(1, 0, Math.round(0.1 * 32767), 10); // inside: stays 0
  p.axis(1, 4, Math.round(0.1 * 32767), 10); // trigger: no deadzone
  assert.deepEqual(p.take().map((e) => e.type === "axis" && e.axis), ["lefttrigger"]);
  p.axis(1, 0, Math.round(0.6 * 32767), 20);
  const [event] = p.take();
  assert.equal(event?.type, "axis");
  assert.ok(event?.type === "axis" && Math.abs(event.value - 0.5) < 1e-4, JSON.stringify(event));
  p.axis(1, 0, 32767, 30);
  assert.deepEqual(p.take(), [{ type: "axis", pad: 0, axis: "leftx", value: 1 }]);
});

Deno.test("InputPipeline with deadzone 0 passes small values through", () => {
  const p = pipeline(0);
  p.padAdded(1, "Pad", NO_BUTTONS, REST, 0);
  p.take();
  p.axis(1, 2, 100, 1);
  const events = p.take();
  assert.equal(events.length, 1);
  assert.ok(events[0]?.type === "axis" && events[0].value === 100 / 32767);
});

Deno.test("InputPipeline flushes held-back axis values before a button or key", () => {
  const p = pipeline(0, 100);
  p.padAdded(1, "Pad", NO_BUTTONS, REST, 0);
  p.axis(1, 0, 10000, 0);
  p.axis(1, 0, 20000, 1); // held back
  p.button(1, 1, true, 2);
  p.axis(1, 0, 30000, 3); // held back again (just flushed at 2)
  p.key("A", "A", true, 4);
  const kinds = p.take().map((e: InputEvent) =>
    e.type === "axis" ? `axis ${Math.round(e.value * 32767)}` : e.type
  );
  assert.deepEqual(kinds, ["pad", "axis 10000", "axis 20000", "button", "axis 30000", "key"]);
});

Deno.test("InputPipeline drops a repeated key press", () => {
  const p = pipeline();
  p.key("A", "A", true, 0);
  p.key("A", "A", true, 1);
  p.key("A", "A", false, 2);
  assert.deepEqual(p.take().map((e) => e.type === "key" && e.pressed), [true, false]);
});

Deno.test("InputPipeline rejects a deadzone outside [0, 1)", () => {
  assert.throws(() => pipeline(1), RangeError);
  assert.throws(() => pipeline(-0.1), RangeError);
});

Deno.test("InputPipeline coalesces sensor readings to one motion event per pad per flush", () => {
  const pipeline = new InputPipeline({ deadzone: 0, rateHz: 1000 });
  pipeline.padAdded(7, "DS4", [], [], 0, {
    kind: "ps4",
    vendor: 0x054c,
    product: 0x09cc,
    capabilities: ["accel", "gyro"],
  });
  pipeline.padAdded(8, "Other", [], [], 0);
  pipeline.take();
  pipeline.sensor(7, "accel", [1, 2, 3], 100);
  pipeline.sensor(7, "gyro", [4, 5, 6], 110);
  pipeline.sensor(7, "accel", [7, 8, 9], 120);
  pipeline.sensor(99, "accel", [0, 0, 0], 1); // not a pad: ignored
  pipeline.flushMotion();
  pipeline.flushMotion(); // nothing new
  assert.deepEqual(pipeline.take(), [
    { type: "motion", pad: 0, accel: [7, 8, 9], gyro: [4, 5, 6], t_us: 120 },
  ]);
  pipeline.touch(8, { touchpad: 0, finger: 0, state: "down", x: 1.5, y: -1, pressure: 0.5 }, 1);
  pipeline.battery(8, { level: "full", state: "battery" });
  pipeline.battery(8, { level: "full", state: "battery" }); // unchanged: dropped
  assert.deepEqual(pipeline.take(), [
    { type: "touch", pad: 1, touchpad: 0, finger: 0, state: "down", x: 1, y: 0, pressure: 0.5 },
    { type: "battery", pad: 1, level: "full", state: "battery" },
  ]);
});

Deno.test("InputPipeline.padAdded gives a pad the number it wants when free, else the lowest free", () => {
  const pipeline = new InputPipeline({ deadzone: 0, rateHz: 1000 });
  assert.equal(pipeline.padAdded(10, "Wants 3", [], [], 0, undefined, 3), 3);
  assert.equal(pipeline.padAdded(11, "Any", [], [], 0), 0);
  assert.equal(pipeline.padAdded(12, "Wants 3 too", [], [], 0, undefined, 3), 1);
  assert.equal(pipeline.padAdded(13, "Wants 99", [], [], 0, undefined, 99), 2);
  assert.deepEqual(
    pipeline.take().filter((e) => e.type === "pad").map((e) => e.pad),
    [3, 0, 1, 2],
  );
});
