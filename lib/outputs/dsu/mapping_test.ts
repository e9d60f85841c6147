import assert from "node:assert/strict";
import { BUTTON_NAMES } from "../../input/model.ts";
import { applyAxis, applyButton, BUTTON_TARGETS, stickByte, triggerByte } from "./mapping.ts";
import { neutralReport } from "./protocol.ts";

Deno.test("applyButton maps the face buttons by position: a→B, b→A, x→Y, y→X", () => {
  // [padlink button, bit of byte 37, analog byte offset in the packet]
  const expected: [string, number, number][] = [["a", 0x40, 49], ["b", 0x20, 50], [
    "x",
    0x80,
    48,
  ], ["y", 0x10, 51]];
  for (const [button, bit, analogOffset] of expected) {
    const report = neutralReport();
    assert.equal(applyButton(report, button as "a", true), true);
    assert.equal(report.buttons2, bit, button);
    assert.equal(report.analog[analogOffset - 44], 255, button);
    assert.equal(report.analog.reduce((a, b) => a + b), 255, `${button} sets one analog byte`);
    applyButton(report, button as "a", false);
    assert.equal(report.buttons2, 0);
    assert.equal(report.analog[analogOffset - 44], 0);
  }
});

Deno.test("applyButton sets the D-pad, menu, stick and shoulder bits", () => {
  const cases: [string, "buttons1" | "buttons2" | "home" | "touchButton", number][] = [
    ["dpleft", "buttons1", 0x80],
    ["dpdown", "buttons1", 0x40],
    ["dpright", "buttons1", 0x20],
    ["dpup", "buttons1", 0x10],
    ["start", "buttons1", 0x08],
    ["rightstick", "buttons1", 0x04],
    ["leftstick", "buttons1", 0x02],
    ["back", "buttons1", 0x01],
    ["rightshoulder", "buttons2", 0x08],
    ["leftshoulder", "buttons2", 0x04],
    ["guide", "home", 1],
    ["touchpad", "touchButton", 1],
  ];
  for (const [button, field, bit] of cases) {
    const report = neutralReport();
    applyButton(report, button as "a", true);
    assert.equal(report[field], bit, button);
  }
  const report = neutralReport();
  applyButton(report, "dpup", true);
  applyButton(report, "dpleft", true);
  assert.equal(report.buttons1, 0x90);
  assert.deepEqual([...report.analog.subarray(0, 4)], [255, 0, 0, 255]);
});

Deno.test("applyButton reports the buttons DSU cannot carry", () => {
  const unmapped = BUTTON_NAMES.filter((button) => !BUTTON_TARGETS[button]);
  assert.deepEqual(unmapped, ["misc1", "paddle1", "paddle2", "paddle3", "paddle4"]);
  assert.equal(applyButton(neutralReport(), "paddle1", true), false);
});

Deno.test("stickByte: 128 centre, full range, Y plus up", () => {
  assert.deepEqual([-1, -0.5, 0, 0.5, 1].map((v) => stickByte(v, false)), [0, 64, 128, 191, 255]);
  assert.deepEqual([-1, 0, 1].map((v) => stickByte(v, true)), [255, 128, 0]);
  assert.equal(stickByte(Number.NaN, false), 128);
  assert.equal(stickByte(3, false), 255);
});

Deno.test("applyAxis: sticks to bytes 40–43, triggers to analog R2/L2 with a digital bit from half", () => {
  const report = neutralReport();
  applyAxis(report, "leftx", 1);
  applyAxis(report, "lefty", -1);
  applyAxis(report, "rightx", -1);
  applyAxis(report, "righty", 1);
  assert.deepEqual([...report.sticks], [255, 255, 0, 0]);
  applyAxis(report, "righttrigger", 0.25);
  assert.equal(report.analog[10], 64);
  assert.equal(report.buttons2, 0);
  applyAxis(report, "righttrigger", 0.5);
  assert.equal(report.buttons2, 0x02);
  applyAxis(report, "lefttrigger", 1);
  assert.equal(report.analog[11], 255);
  assert.equal(report.buttons2, 0x03);
  applyAxis(report, "righttrigger", 0);
  assert.equal(report.buttons2, 0x01);
  assert.equal(triggerByte(-1), 0);
});
