/**
 * The padlink input model: the events a client forwards, the standard
 * GameController button and axis names, axis quantisation, and the state
 * tracker that produces snapshots (for resync) and neutral events (for loss).
 *
 * Reading real devices through SDL2 lives in `lib/sdl2/` (our own typed
 * bindings); `lib/mod.ts` exports both. This module stays free of FFI so the
 * server, which never loads SDL, can import it.
 *
 * @module
 */

/**
 * Standard button names, indexed by `SDL_GameControllerButton`
 * (SDL_gamecontroller.h: SDL_CONTROLLER_BUTTON_A = 0 … TOUCHPAD = 20).
 */
export const BUTTON_NAMES = [
  "a",
  "b",
  "x",
  "y",
  "back",
  "guide",
  "start",
  "leftstick",
  "rightstick",
  "leftshoulder",
  "rightshoulder",
  "dpup",
  "dpdown",
  "dpleft",
  "dpright",
  "misc1",
  "paddle1",
  "paddle2",
  "paddle3",
  "paddle4",
  "touchpad",
] as const;

/** A standard GameController button name, as SDL spells it. */
export type ButtonName = typeof BUTTON_NAMES[number];

/**
 * Standard axis names, indexed by `SDL_GameControllerAxis`
 * (SDL_gamecontroller.h: SDL_CONTROLLER_AXIS_LEFTX = 0 … TRIGGERRIGHT = 5).
 */
export const AXIS_NAMES = [
  "leftx",
  "lefty",
  "rightx",
  "righty",
  "lefttrigger",
  "righttrigger",
] as const;

/** A standard GameController axis name, as SDL spells it. */
export type AxisName = typeof AXIS_NAMES[number];

/** Most touchpad fingers held down at once on one pad; more downs change nothing. */
export const MAX_HELD_TOUCHES = 10;

/** Highest pad number a client may use; pads are numbered 0…MAX_PAD. */
export const MAX_PAD = 15;

/** A pad was attached (with its name) or detached. */
export interface PadEvent {
  /** Always `"pad"`. */
  type: "pad";
  /** The pad number, 0…{@linkcode MAX_PAD}. */
  pad: number;
  /** `true` when the pad was attached, `false` when it was detached. */
  attached: boolean;
  /** The pad's name as SDL reports it; present when `attached` is true. */
  name?: string;
  /** The pad's USB vendor id (0x054c Sony, 0x045e Microsoft, 0x057e Nintendo), when known. */
  vendor?: number;
  /** The pad's USB product id, when known. */
  product?: number;
  /** The controller type, as `SDL_GameControllerGetType` tells it, when known. */
  kind?: PadKind;
  /** What the pad has besides buttons and axes, when known. */
  capabilities?: PadCapability[];
}

/**
 * Controller types, in `SDL_GameControllerType` order (SDL_gamecontroller.h,
 * SDL 2.26): `SDL_CONTROLLER_TYPE_UNKNOWN` is 0, `…_XBOX360` 1, and so on.
 */
export const PAD_KINDS = [
  "unknown",
  "xbox360",
  "xboxone",
  "ps3",
  "ps4",
  "switchpro",
  "virtual",
  "ps5",
  "luna",
  "stadia",
  "shield",
  "joycon_left",
  "joycon_right",
  "joycon_pair",
] as const;

/** A controller type (see {@linkcode PAD_KINDS}). */
export type PadKind = typeof PAD_KINDS[number];

/** What a pad may have besides buttons and axes, in wire bit order (bit 0 first). */
export const PAD_CAPABILITIES = [
  "rumble",
  "trigger_rumble",
  "led",
  "touchpad",
  "accel",
  "gyro",
  "battery",
] as const;

/** One of {@linkcode PAD_CAPABILITIES}. */
export type PadCapability = typeof PAD_CAPABILITIES[number];

/**
 * The latest motion sample of a pad. Accelerometer in m/s² (SDL's
 * `SDL_SENSOR_ACCEL`, gravity included: a pad at rest reads about 9.81 on
 * the axis pointing up), gyro in rad/s (`SDL_SENSOR_GYRO`); axes as SDL
 * gives them (x right, y up, z towards the player).
 */
export interface MotionEvent {
  /** Always `"motion"`. */
  type: "motion";
  /** The pad number, 0…{@linkcode MAX_PAD}. */
  pad: number;
  /** Acceleration x, y, z in m/s². */
  accel: [number, number, number];
  /** Angular speed x, y, z in rad/s. */
  gyro: [number, number, number];
  /** The sensor's timestamp in µs (SDL's `timestamp_us`, or the capture's clock). */
  t_us: number;
}

/** What a touchpad finger did. */
export type TouchState = "down" | "move" | "up";

/** A finger on a pad's touchpad. */
export interface TouchEvent {
  /** Always `"touch"`. */
  type: "touch";
  /** The pad number, 0…{@linkcode MAX_PAD}. */
  pad: number;
  /** Which touchpad of the pad (0 for a DualShock 4 or DualSense). */
  touchpad: number;
  /** Which finger (0, 1, …). */
  finger: number;
  /** Down, move or up. */
  state: TouchState;
  /** Position left to right in [0, 1]. */
  x: number;
  /** Position top to bottom in [0, 1]. */
  y: number;
  /** Pressure in [0, 1]. */
  pressure: number;
}

/** A battery level, from SDL's `SDL_JoystickPowerLevel`. */
export type BatteryLevel = "unknown" | "empty" | "low" | "medium" | "full";

/** Whether a pad runs on its battery or on a cable. */
export type BatteryState = "unknown" | "battery" | "wired";

/** A pad's battery changed. */
export interface BatteryEvent {
  /** Always `"battery"`. */
  type: "battery";
  /** The pad number, 0…{@linkcode MAX_PAD}. */
  pad: number;
  /** The charge: unknown on a wired pad. */
  level: BatteryLevel;
  /** On battery, on a cable, or unknown. */
  state: BatteryState;
}

/** A button was pressed or released. */
export interface ButtonEvent {
  /** Always `"button"`. */
  type: "button";
  /** The pad number, 0…{@linkcode MAX_PAD}. */
  pad: number;
  /** The button, as SDL's GameController names it. */
  button: ButtonName;
  /** `true` on press, `false` on release. */
  pressed: boolean;
}

/** An axis moved. Sticks are in [-1, 1], triggers in [0, 1]. */
export interface AxisEvent {
  /** Always `"axis"`. */
  type: "axis";
  /** The pad number, 0…{@linkcode MAX_PAD}. */
  pad: number;
  /** The axis, as SDL's GameController names it. */
  axis: AxisName;
  /** The position: sticks in [-1, 1], triggers in [0, 1]. */
  value: number;
}

/** A key was pressed or released. */
export interface KeyEvent {
  /** Always `"key"`. */
  type: "key";
  /** SDL's key name (layout-aware), for example `"A"` or `"Up"`. */
  key: string;
  /** SDL's scancode name (the physical key), for example `"A"` or `"Up"`. */
  scancode: string;
  /** `true` on press, `false` on release. */
  pressed: boolean;
}

/** Any input event a client forwards. */
export type InputEvent =
  | PadEvent
  | ButtonEvent
  | AxisEvent
  | KeyEvent
  | MotionEvent
  | TouchEvent
  | BatteryEvent;

const BUTTON_INDEX: ReadonlyMap<string, number> = new Map(
  BUTTON_NAMES.map((name, index) => [name, index]),
);
const AXIS_INDEX: ReadonlyMap<string, number> = new Map(
  AXIS_NAMES.map((name, index) => [name, index]),
);

/**
 * The `SDL_GameControllerButton` index of a button name, or -1.
 *
 * @example Usage
 * ```ts
 * import { buttonIndex } from "./model.ts";
 * if (buttonIndex("a") !== 0) throw new Error("a is button 0");
 * ```
 */
export function buttonIndex(name: string): number {
  return BUTTON_INDEX.get(name) ?? -1;
}

/** The `SDL_GameControllerAxis` index of an axis name, or -1. */
export function axisIndex(name: string): number {
  return AXIS_INDEX.get(name) ?? -1;
}

/** True for `lefttrigger` and `righttrigger`, whose range is [0, 1]. */
export function isTrigger(axis: AxisName | number): boolean {
  const index = typeof axis === "number" ? axis : axisIndex(axis);
  return index === 4 || index === 5;
}

/** Largest magnitude of an axis on the wire: SDL's `SDL_JOYSTICK_AXIS_MAX`. */
export const AXIS_WIRE_MAX = 32767;

/**
 * Quantise an axis value to the int16 that goes on the wire. Sticks are
 * clamped to [-1, 1] and triggers to [0, 1].
 *
 * @example Usage
 * ```ts
 * import { quantizeAxis } from "./model.ts";
 * if (quantizeAxis("leftx", 1) !== 32767) throw new Error("full scale");
 * ```
 */
export function quantizeAxis(axis: AxisName | number, value: number): number {
  const low = isTrigger(axis) ? 0 : -1;
  const clamped = Math.min(1, Math.max(low, Number.isFinite(value) ? value : 0));
  return Math.round(clamped * AXIS_WIRE_MAX);
}

/**
 * Turn a wire int16 back into an axis value, rounded to 4 decimals so that
 * values written with up to 4 decimals round-trip exactly.
 */
export function dequantizeAxis(raw: number): number {
  const value = Math.max(-1, raw / AXIS_WIRE_MAX);
  return Math.round(value * 10000) / 10000 || 0;
}

/**
 * Turn an SDL axis reading (int16, -32768…32767) into padlink's range.
 * Sticks map to [-1, 1]; triggers, which SDL's GameController API reports
 * as 0…32767, map to [0, 1].
 */
export function axisFromSdl(axis: number, raw: number): number {
  const value = Math.max(-1, raw / AXIS_WIRE_MAX);
  return isTrigger(axis) ? Math.max(0, value) : value;
}

/**
 * Apply a radial-free, per-axis deadzone the way ROS joy does: inside the
 * deadzone the value is 0, outside it is rescaled so the full range is still
 * reached. A deadzone of 0 returns the value unchanged.
 *
 * @param value the axis value in [-1, 1]
 * @param deadzone the deadzone in [0, 1)
 * @returns the shaped value
 *
 * @example Usage
 * ```ts
 * import { applyDeadzone } from "./model.ts";
 * if (applyDeadzone(0.04, 0.05) !== 0) throw new Error("inside");
 * if (applyDeadzone(1, 0.05) !== 1) throw new Error("full range");
 * ```
 */
export function applyDeadzone(value: number, deadzone: number): number {
  if (deadzone <= 0) return value;
  const magnitude = Math.abs(value);
  if (magnitude <= deadzone) return 0;
  const scaled = (Math.min(1, magnitude) - deadzone) / (1 - deadzone);
  return Math.sign(value) * scaled;
}

/** The held state of one pad. */
interface PadState {
  /** Its attach event (name, kind, ids, capabilities). */
  attach: PadEvent;
  buttons: Set<ButtonName>;
  axes: Map<AxisName, number>;
  /** Fingers down, by `touchpad:finger`, with their last event. */
  touches: Map<string, TouchEvent>;
  /** The last battery reported, if any. */
  battery?: BatteryEvent;
}

/**
 * Tracks what a client currently holds: attached pads, pressed buttons and
 * keys, and non-zero axes. The server uses it to neutralise a client that
 * goes away; the client uses it to send a snapshot after a reconnect.
 */
export class InputState {
  #pads = new Map<number, PadState>();
  #keys = new Map<string, KeyEvent>();

  /**
   * Apply an event.
   *
   * @returns false when the event changes nothing (a repeat press, an axis
   * at the same value, a button on a pad that is not attached).
   */
  apply(event: InputEvent): boolean {
    switch (event.type) {
      case "pad": {
        if (event.attached) {
          if (this.#pads.has(event.pad)) return false;
          this.#pads.set(event.pad, {
            attach: { ...event, name: event.name ?? "" },
            buttons: new Set(),
            axes: new Map(),
            touches: new Map(),
          });
          return true;
        }
        return this.#pads.delete(event.pad);
      }
      case "button": {
        const pad = this.#pads.get(event.pad);
        if (!pad) return false;
        if (pad.buttons.has(event.button) === event.pressed) return false;
        if (event.pressed) pad.buttons.add(event.button);
        else pad.buttons.delete(event.button);
        return true;
      }
      case "axis": {
        const pad = this.#pads.get(event.pad);
        if (!pad) return false;
        if ((pad.axes.get(event.axis) ?? 0) === event.value) return false;
        if (event.value === 0) pad.axes.delete(event.axis);
        else pad.axes.set(event.axis, event.value);
        return true;
      }
      case "key": {
        const id = keyId(event);
        if (this.#keys.has(id) === event.pressed) return false;
        if (event.pressed) this.#keys.set(id, event);
        else this.#keys.delete(id);
        return true;
      }
      case "motion":
        // Every sample is news; nothing is held.
        return this.#pads.has(event.pad);
      case "touch": {
        const pad = this.#pads.get(event.pad);
        if (!pad) return false;
        const id = `${event.touchpad}:${event.finger}`;
        const down = pad.touches.has(id);
        if (event.state === "up") {
          if (!down) return false;
          pad.touches.delete(id);
          return true;
        }
        if (event.state === "down" && down) return false;
        // A peer cannot make the server hold more than this many fingers per pad.
        if (event.state === "down" && pad.touches.size >= MAX_HELD_TOUCHES) return false;
        if (event.state === "move" && !down) return false;
        const last = pad.touches.get(id);
        if (last && last.x === event.x && last.y === event.y && last.pressure === event.pressure) {
          return false;
        }
        pad.touches.set(id, event);
        return true;
      }
      case "battery": {
        const pad = this.#pads.get(event.pad);
        if (!pad) return false;
        if (pad.battery?.level === event.level && pad.battery.state === event.state) return false;
        pad.battery = event;
        return true;
      }
    }
  }

  /** Whether pad `pad` is attached. */
  hasPad(pad: number): boolean {
    return this.#pads.has(pad);
  }

  /**
   * What pad `pad` holds now, for display: its pressed buttons and its
   * non-zero axes. The collections are live; do not change them.
   *
   * @returns undefined when the pad is not attached
   */
  padState(
    pad: number,
  ):
    | { readonly buttons: ReadonlySet<ButtonName>; readonly axes: ReadonlyMap<AxisName, number> }
    | undefined {
    return this.#pads.get(pad);
  }

  /** The attached pad numbers, in ascending order. */
  pads(): number[] {
    return [...this.#pads.keys()].sort((a, b) => a - b);
  }

  /**
   * Events that rebuild this state from nothing: each pad's attach, then its
   * held buttons and non-zero axes, then held keys.
   */
  snapshot(): InputEvent[] {
    const events: InputEvent[] = [];
    for (const pad of this.pads()) {
      const state = this.#pads.get(pad)!;
      events.push({ ...state.attach });
      if (state.battery) events.push({ ...state.battery });
      for (const touch of state.touches.values()) events.push({ ...touch, state: "down" });
      for (const button of sortByIndex(state.buttons, buttonIndex)) {
        events.push({ type: "button", pad, button, pressed: true });
      }
      for (const axis of sortByIndex(state.axes.keys(), axisIndex)) {
        events.push({ type: "axis", pad, axis, value: state.axes.get(axis)! });
      }
    }
    for (const key of this.#keys.values()) events.push({ ...key });
    return events;
  }

  /**
   * Events that bring one pad to rest: releases for held buttons, zeros for
   * moved axes. Applying them is left to the caller.
   */
  padNeutralEvents(pad: number): InputEvent[] {
    const state = this.#pads.get(pad);
    if (!state) return [];
    const events: InputEvent[] = [];
    for (const touch of state.touches.values()) events.push({ ...touch, state: "up" });
    for (const button of sortByIndex(state.buttons, buttonIndex)) {
      events.push({ type: "button", pad, button, pressed: false });
    }
    for (const axis of sortByIndex(state.axes.keys(), axisIndex)) {
      events.push({ type: "axis", pad, axis, value: 0 });
    }
    return events;
  }

  /**
   * Events that bring everything to rest and detach every pad: releases for
   * held keys and buttons, zeros for axes, then `attached:false` per pad.
   */
  neutralEvents(): InputEvent[] {
    const events: InputEvent[] = [];
    for (const key of this.#keys.values()) {
      events.push({ ...key, pressed: false });
    }
    for (const pad of this.pads()) {
      events.push(...this.padNeutralEvents(pad));
      events.push({ type: "pad", pad, attached: false });
    }
    return events;
  }

  /** Forget everything. */
  clear(): void {
    this.#pads.clear();
    this.#keys.clear();
  }
}

function keyId(event: KeyEvent): string {
  return `${event.scancode}\u0000${event.key}`;
}

function sortByIndex<T extends string>(
  names: Iterable<T>,
  index: (name: string) => number,
): T[] {
  return [...names].sort((a, b) => index(a) - index(b));
}
