/**
 * How padlink's inputs become DSU fields: which bit and analog byte each
 * button sets, and how stick and trigger values become bytes.
 *
 * padlink names buttons as SDL does, by Xbox position (A south, B east,
 * X west, Y north). DSU names its face buttons Nintendo-style, also by
 * position (B south, A east, Y west, X north), so padlink `a` sets DSU B,
 * `b` sets A, `x` sets Y and `y` sets X: the button under the same thumb
 * position, whatever its label.
 *
 * @module
 */

import type { AxisName, ButtonName } from "../../input/model.ts";
import { AnalogButton, Buttons1, Buttons2, type PadReport } from "./protocol.ts";

/** Where one padlink button lands in a pad-data packet. */
export interface ButtonTarget {
  /** The byte it sets: a bit of button byte 1 or 2, or the HOME or touch byte. */
  field: "buttons1" | "buttons2" | "home" | "touchButton";
  /** The bit in a button byte; 1 for HOME and touch. */
  bit: number;
  /** Its analog byte ({@linkcode AnalogButton} index), set to 255 while held, if it has one. */
  analog?: number;
}

/**
 * Every padlink button that DSU can carry. `misc1` and the paddles have no
 * DSU field and are left out.
 */
export const BUTTON_TARGETS: Readonly<Partial<Record<ButtonName, ButtonTarget>>> = {
  dpleft: { field: "buttons1", bit: Buttons1.DPAD_LEFT, analog: AnalogButton.DPAD_LEFT },
  dpdown: { field: "buttons1", bit: Buttons1.DPAD_DOWN, analog: AnalogButton.DPAD_DOWN },
  dpright: { field: "buttons1", bit: Buttons1.DPAD_RIGHT, analog: AnalogButton.DPAD_RIGHT },
  dpup: { field: "buttons1", bit: Buttons1.DPAD_UP, analog: AnalogButton.DPAD_UP },
  start: { field: "buttons1", bit: Buttons1.OPTIONS },
  rightstick: { field: "buttons1", bit: Buttons1.R3 },
  leftstick: { field: "buttons1", bit: Buttons1.L3 },
  back: { field: "buttons1", bit: Buttons1.SHARE },
  x: { field: "buttons2", bit: Buttons2.Y, analog: AnalogButton.Y },
  a: { field: "buttons2", bit: Buttons2.B, analog: AnalogButton.B },
  b: { field: "buttons2", bit: Buttons2.A, analog: AnalogButton.A },
  y: { field: "buttons2", bit: Buttons2.X, analog: AnalogButton.X },
  rightshoulder: { field: "buttons2", bit: Buttons2.R1, analog: AnalogButton.R1 },
  leftshoulder: { field: "buttons2", bit: Buttons2.L1, analog: AnalogButton.L1 },
  guide: { field: "home", bit: 1 },
  touchpad: { field: "touchButton", bit: 1 },
};

/** From this trigger value (0..1) on, the digital R2/L2 bit is set too. */
export const TRIGGER_DIGITAL_THRESHOLD = 0.5;

/**
 * A stick value in [-1, 1] as a DSU byte: 0 … 128 (centre) … 255.
 *
 * @param value the axis value, plus right or plus down as SDL reports it
 * @param up true for a Y axis: DSU counts plus up, SDL plus down
 *
 * @example Usage
 * ```ts
 * import { stickByte } from "./mapping.ts";
 * if (stickByte(0, false) !== 128 || stickByte(-1, true) !== 255) throw new Error("stick");
 * ```
 */
export function stickByte(value: number, up: boolean): number {
  const v = Math.min(1, Math.max(-1, Number.isFinite(value) ? value : 0));
  return Math.round(((up ? -v : v) + 1) * 127.5);
}

/** A trigger value in [0, 1] as a DSU analog byte, 0 … 255. */
export function triggerByte(value: number): number {
  const v = Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
  return Math.round(v * 255);
}

/**
 * Apply a button change to a report.
 *
 * @returns false when DSU has no field for the button
 */
export function applyButton(report: PadReport, button: ButtonName, pressed: boolean): boolean {
  const target = BUTTON_TARGETS[button];
  if (!target) return false;
  const value = report[target.field];
  report[target.field] = pressed ? value | target.bit : value & ~target.bit;
  if (target.analog !== undefined) report.analog[target.analog] = pressed ? 255 : 0;
  return true;
}

/** Apply an axis change to a report: sticks to bytes 40–43, triggers to R2/L2. */
export function applyAxis(report: PadReport, axis: AxisName, value: number): void {
  switch (axis) {
    case "leftx":
      report.sticks[0] = stickByte(value, false);
      return;
    case "lefty":
      report.sticks[1] = stickByte(value, true);
      return;
    case "rightx":
      report.sticks[2] = stickByte(value, false);
      return;
    case "righty":
      report.sticks[3] = stickByte(value, true);
      return;
    case "righttrigger":
      setTrigger(report, AnalogButton.R2, Buttons2.R2, value);
      return;
    case "lefttrigger":
      setTrigger(report, AnalogButton.L2, Buttons2.L2, value);
      return;
  }
}

function setTrigger(report: PadReport, analog: number, bit: number, value: number): void {
  report.analog[analog] = triggerByte(value);
  report.buttons2 = value >= TRIGGER_DIGITAL_THRESHOLD
    ? report.buttons2 | bit
    : report.buttons2 & ~bit;
}
