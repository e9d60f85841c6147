/**
 * How padlink's motion, touch and battery events become DSU fields.
 *
 * - Motion: SDL's accelerometer (m/s², gravity included) divided by
 *   {@linkcode STANDARD_GRAVITY} gives DSU's g; SDL's gyro (rad/s) times
 *   180/π gives DSU's deg/s. The axes are passed through in SDL's order (x
 *   right, y up, z towards the player): DSU's pitch is rotation about x,
 *   yaw about y, roll about z.
 * - Touch: fingers 0 and 1 of touchpad 0 fill DSU's two touch records, in
 *   the DualShock 4's resolution ({@linkcode DSU_TOUCH_WIDTH} ×
 *   {@linkcode DSU_TOUCH_HEIGHT}); each new touch gets the next id.
 * - Battery: SDL's levels map to DSU's codes; a wired pad reads as charging,
 *   or charged when full.
 *
 * @module
 */

import type { BatteryEvent, MotionEvent, TouchEvent } from "../../input/model.ts";
import { BatteryStatus, type PadReport } from "./protocol.ts";

/** SDL_sensor.h `SDL_STANDARD_GRAVITY`, m/s². */
export const STANDARD_GRAVITY = 9.80665;

/** DualShock 4 touchpad width in DSU units (x is 0…1919). */
export const DSU_TOUCH_WIDTH = 1920;

/** DualShock 4 touchpad height in DSU units (y is 0…942). */
export const DSU_TOUCH_HEIGHT = 943;

/**
 * Write a motion sample into `report`.
 *
 * @example Usage
 * ```ts
 * import { applyMotion } from "./sensors.ts";
 * import { neutralReport } from "./protocol.ts";
 * const report = neutralReport();
 * applyMotion(report, { type: "motion", pad: 0, accel: [0, 9.80665, 0], gyro: [Math.PI, 0, 0], t_us: 1 });
 * if (report.accelG[1] !== 1 || report.gyroDegS[0] !== 180) throw new Error();
 * ```
 */
export function applyMotion(report: PadReport, event: MotionEvent): void {
  report.accelG = event.accel.map((a) => a / STANDARD_GRAVITY) as [number, number, number];
  report.gyroDegS = event.gyro.map((g) => g * 180 / Math.PI) as [number, number, number];
}

/**
 * Write a touch into `report`; `nextId` gives the id of a new touch.
 *
 * @returns whether the report changed (touchpads after the first, and
 *   fingers after the second, have no DSU field).
 */
export function applyTouch(report: PadReport, event: TouchEvent, nextId: () => number): boolean {
  if (event.touchpad !== 0 || event.finger > 1) return false;
  const touch = report.touches[event.finger]!;
  if (event.state === "up") {
    if (!touch.active) return false;
    touch.active = false;
    return true;
  }
  if (event.state === "down" || !touch.active) touch.id = nextId() & 0xff;
  touch.active = true;
  touch.x = Math.min(DSU_TOUCH_WIDTH - 1, Math.round(event.x * (DSU_TOUCH_WIDTH - 1)));
  touch.y = Math.min(DSU_TOUCH_HEIGHT - 1, Math.round(event.y * (DSU_TOUCH_HEIGHT - 1)));
  return true;
}

/**
 * The DSU battery code for a battery event.
 *
 * @example Usage
 * ```ts
 * import { batteryCode } from "./sensors.ts";
 * if (batteryCode({ type: "battery", pad: 0, level: "low", state: "battery" }) !== 0x02) throw new Error();
 * ```
 */
export function batteryCode(event: BatteryEvent): number {
  if (event.state === "wired") {
    return event.level === "full" ? BatteryStatus.CHARGED : BatteryStatus.CHARGING;
  }
  switch (event.level) {
    case "empty":
      return BatteryStatus.DYING;
    case "low":
      return BatteryStatus.LOW;
    case "medium":
      return BatteryStatus.MEDIUM;
    case "full":
      return BatteryStatus.FULL;
    case "unknown":
      return BatteryStatus.NONE;
  }
}
