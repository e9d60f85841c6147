/**
 * Remapping input before it is sent (`padlink-client --map FILE`): swap or
 * rename buttons; rename, invert and scale axes with a deadzone and a
 * response curve per axis; and make keys of the keyboard the buttons and
 * axes of a pad of its own, so WASD can be a left stick.
 *
 * The map file is JSON:
 *
 * ```json
 * {
 *   "buttons": { "a": "b", "b": "a" },
 *   "axes": { "lefty": { "invert": true, "deadzone": 0.1, "curve": 2, "scale": 1 } },
 *   "keyboard": {
 *     "pad": 8,
 *     "name": "Keyboard",
 *     "buttons": { "Space": "a", "Return": "start" },
 *     "axes": { "W": "-lefty", "S": "+lefty", "A": "-leftx", "D": "+leftx" }
 *   }
 * }
 * ```
 *
 * Keys are matched by SDL scancode name (the physical key, whatever the
 * layout), and a mapped key is sent only as pad input. Pure: no SDL, no I/O.
 *
 * @module
 */

import {
  AXIS_NAMES,
  type AxisName,
  BUTTON_NAMES,
  type ButtonName,
  type InputEvent,
  isTrigger,
  MAX_PAD,
} from "./model.ts";

/** How one axis is shaped, in this order: deadzone, curve, scale, invert. */
export interface AxisShape {
  /** The axis it is sent as (default: itself). */
  to: AxisName;
  /** Inside it the value is 0; outside, rescaled to keep the full range. [0, 1). */
  deadzone: number;
  /** Response curve exponent: 1 linear, 2 finer near the centre. > 0. */
  curve: number;
  /** Multiplier, clamped to the axis range afterwards. > 0. */
  scale: number;
  /** Negate a stick; turn a trigger's 0…1 into 1…0. */
  invert: boolean;
}

/** A key's part in the keyboard pad: a button, or an axis pushed one way. */
export type KeyTarget =
  | { button: ButtonName }
  | { axis: AxisName; direction: 1 | -1 };

/** A checked map file. */
export interface RemapConfig {
  /** Source button → the button it is sent as. */
  buttons: Map<ButtonName, ButtonName>;
  /** Source axis → how it is shaped. */
  axes: Map<AxisName, AxisShape>;
  /** The keyboard as a pad, when the file has a `keyboard` entry. */
  keyboard: { pad: number; name: string; keys: Map<string, KeyTarget> } | null;
}

/** A map file entry that is wrong; the message names the entry. */
export class RemapError extends Error {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "RemapError";
  }
}

const BUTTONS: ReadonlySet<string> = new Set(BUTTON_NAMES);
const AXES: ReadonlySet<string> = new Set(AXIS_NAMES);

/**
 * Check a parsed map file.
 *
 * @throws {RemapError} naming the first entry that is wrong.
 *
 * @example Usage
 * ```ts
 * import { parseRemap } from "./remap.ts";
 * const config = parseRemap({ buttons: { a: "b", b: "a" } });
 * if (config.buttons.get("a") !== "b") throw new Error();
 * ```
 */
export function parseRemap(value: unknown): RemapConfig {
  const root = object(value, "the map");
  for (const key of Object.keys(root)) {
    if (!["buttons", "axes", "keyboard"].includes(key)) {
      throw new RemapError(`${key}: unknown entry; a map has buttons, axes and keyboard`);
    }
  }
  const buttons = new Map<ButtonName, ButtonName>();
  for (const [from, to] of Object.entries(object(root.buttons ?? {}, "buttons"))) {
    buttons.set(button(from, `buttons.${from}`), button(to, `buttons.${from}`, true));
  }
  const axes = new Map<AxisName, AxisShape>();
  for (const [from, spec] of Object.entries(object(root.axes ?? {}, "axes"))) {
    axes.set(axis(from, `axes.${from}`), axisShape(from as AxisName, spec, `axes.${from}`));
  }
  return { buttons, axes, keyboard: root.keyboard === undefined ? null : keyboard(root.keyboard) };
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RemapError(`${where}: must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function button(name: unknown, where: string, target = false): ButtonName {
  if (typeof name !== "string" || !BUTTONS.has(name)) {
    throw new RemapError(
      `${where}: ${JSON.stringify(name)} is not a button${target ? " to send" : ""}; buttons are ${
        BUTTON_NAMES.join(" ")
      }`,
    );
  }
  return name as ButtonName;
}

function axis(name: unknown, where: string): AxisName {
  if (typeof name !== "string" || !AXES.has(name)) {
    throw new RemapError(
      `${where}: ${JSON.stringify(name)} is not an axis; axes are ${AXIS_NAMES.join(" ")}`,
    );
  }
  return name as AxisName;
}

function axisShape(from: AxisName, spec: unknown, where: string): AxisShape {
  const fields = object(spec, where);
  for (const key of Object.keys(fields)) {
    if (!["to", "deadzone", "curve", "scale", "invert"].includes(key)) {
      throw new RemapError(
        `${where}.${key}: unknown; an axis has to, deadzone, curve, scale, invert`,
      );
    }
  }
  const to = fields.to === undefined ? from : axis(fields.to, `${where}.to`);
  if (isTrigger(to) !== isTrigger(from)) {
    throw new RemapError(`${where}.to: a stick axis and a trigger cannot stand for each other`);
  }
  const number = (key: string, fallback: number, ok: (n: number) => boolean, rule: string) => {
    const value = fields[key] ?? fallback;
    if (typeof value !== "number" || !ok(value)) {
      throw new RemapError(`${where}.${key}: must be ${rule}, got ${JSON.stringify(fields[key])}`);
    }
    return value;
  };
  const invert = fields.invert ?? false;
  if (typeof invert !== "boolean") throw new RemapError(`${where}.invert: must be true or false`);
  return {
    to,
    deadzone: number("deadzone", 0, (n) => n >= 0 && n < 1, "a number from 0 to below 1"),
    curve: number("curve", 1, (n) => n > 0 && n <= 10, "a number above 0 and at most 10"),
    scale: number("scale", 1, (n) => n > 0 && n <= 100, "a number above 0 and at most 100"),
    invert,
  };
}

function keyboard(value: unknown): NonNullable<RemapConfig["keyboard"]> {
  const fields = object(value, "keyboard");
  for (const key of Object.keys(fields)) {
    if (!["pad", "name", "buttons", "axes"].includes(key)) {
      throw new RemapError(`keyboard.${key}: unknown; keyboard has pad, name, buttons, axes`);
    }
  }
  const pad = fields.pad ?? 8;
  if (!Number.isInteger(pad) || (pad as number) < 0 || (pad as number) > MAX_PAD) {
    throw new RemapError(`keyboard.pad: must be a pad number from 0 to ${MAX_PAD}`);
  }
  const name = fields.name ?? "Keyboard";
  if (typeof name !== "string") throw new RemapError("keyboard.name: must be a string");
  const keys = new Map<string, KeyTarget>();
  const claim = (key: string, target: KeyTarget, where: string) => {
    if (key.trim() === "") throw new RemapError(`${where}: the key's scancode name is empty`);
    if (keys.has(key)) throw new RemapError(`${where}: key ${JSON.stringify(key)} is mapped twice`);
    keys.set(key, target);
  };
  for (const [key, to] of Object.entries(object(fields.buttons ?? {}, "keyboard.buttons"))) {
    claim(key, { button: button(to, `keyboard.buttons.${key}`, true) }, `keyboard.buttons.${key}`);
  }
  for (const [key, to] of Object.entries(object(fields.axes ?? {}, "keyboard.axes"))) {
    const where = `keyboard.axes.${key}`;
    const match = typeof to === "string" ? /^([+-])(\w+)$/.exec(to) : null;
    if (!match) {
      throw new RemapError(`${where}: must be "+AXIS" or "-AXIS", for example "-lefty" for up`);
    }
    const target = axis(match[2], where);
    const direction = match[1] === "-" ? -1 : 1;
    if (isTrigger(target) && direction < 0) {
      throw new RemapError(`${where}: a trigger only goes one way: "+${target}"`);
    }
    claim(key, { axis: target, direction }, where);
  }
  return { pad: pad as number, name, keys };
}

/** Shape one axis value by `shape` (deadzone, curve, scale, invert, clamp). */
export function shapeAxis(value: number, shape: AxisShape): number {
  const trigger = isTrigger(shape.to);
  let magnitude = Math.min(1, Math.abs(value));
  magnitude = magnitude <= shape.deadzone ? 0 : (magnitude - shape.deadzone) / (1 - shape.deadzone);
  magnitude = Math.min(1, magnitude ** shape.curve * shape.scale);
  let shaped = trigger ? magnitude : Math.sign(value) * magnitude;
  if (shape.invert) shaped = trigger ? 1 - shaped : -shaped;
  return Math.round(shaped * 10000) / 10000 || 0;
}

/**
 * Applies a {@linkcode RemapConfig} to a stream of input events. Buttons
 * that several sources map onto stay pressed while any source holds them.
 *
 * @example Usage
 * ```ts
 * import { parseRemap, Remapper } from "./remap.ts";
 * const remap = new Remapper(parseRemap({ keyboard: { pad: 4, axes: { W: "-lefty" } } }));
 * const start = remap.start();
 * const [up] = remap.map([{ type: "key", key: "W", scancode: "W", pressed: true }]);
 * if (start[0]?.type !== "pad" || up?.type !== "axis" || up.value !== -1) throw new Error();
 * ```
 */
export class Remapper {
  readonly #config: RemapConfig;
  /** Device pad number → the number it is sent as. */
  readonly #pads = new Map<number, number>();
  /** Per sent pad, how many sources hold each sent button. */
  readonly #holds = new Map<number, Map<ButtonName, number>>();
  /** Keyboard keys held down that map to an axis, by scancode. */
  readonly #heldAxisKeys = new Set<string>();
  /** The keyboard pad's axis values as last sent. */
  readonly #keyboardAxes = new Map<AxisName, number>();

  /** A remapper for `config`. */
  constructor(config: RemapConfig) {
    this.#config = config;
  }

  /** The events to send first: the keyboard pad's attach, when there is one. */
  start(): InputEvent[] {
    const keyboard = this.#config.keyboard;
    if (!keyboard) return [];
    return [{ type: "pad", pad: keyboard.pad, attached: true, name: keyboard.name }];
  }

  /** The events to send for `events`, in order. */
  map(events: readonly InputEvent[]): InputEvent[] {
    const out: InputEvent[] = [];
    for (const event of events) this.#mapOne(event, out);
    return out;
  }

  #mapOne(event: InputEvent, out: InputEvent[]): void {
    if (event.type === "key") {
      const target = this.#config.keyboard?.keys.get(event.scancode);
      if (target) this.#mapKey(event.scancode, event.pressed, target, out);
      else out.push(event);
      return;
    }
    if (event.type === "pad") {
      if (event.attached) {
        const pad = this.#freePad(event.pad);
        if (pad === null) return; // every number taken: the pad is not sent
        this.#pads.set(event.pad, pad);
        out.push({ ...event, pad });
      } else {
        const pad = this.#pads.get(event.pad);
        if (pad === undefined) return;
        this.#pads.delete(event.pad);
        this.#holds.delete(pad);
        out.push({ ...event, pad });
      }
      return;
    }
    const pad = this.#pads.get(event.pad);
    if (pad === undefined) return;
    switch (event.type) {
      case "button": {
        const button = this.#config.buttons.get(event.button) ?? event.button;
        this.#hold(pad, button, event.pressed, out);
        return;
      }
      case "axis": {
        const shape = this.#config.axes.get(event.axis);
        if (!shape) out.push({ ...event, pad });
        else out.push({ type: "axis", pad, axis: shape.to, value: shapeAxis(event.value, shape) });
        return;
      }
      default:
        out.push({ ...event, pad });
    }
  }

  #mapKey(scancode: string, pressed: boolean, target: KeyTarget, out: InputEvent[]): void {
    const keyboard = this.#config.keyboard!;
    if ("button" in target) {
      this.#hold(keyboard.pad, target.button, pressed, out);
      return;
    }
    if (pressed) this.#heldAxisKeys.add(scancode);
    else this.#heldAxisKeys.delete(scancode);
    let sum = 0;
    for (const key of this.#heldAxisKeys) {
      const other = keyboard.keys.get(key);
      if (other && "axis" in other && other.axis === target.axis) sum += other.direction;
    }
    const value = Math.max(-1, Math.min(1, sum));
    if ((this.#keyboardAxes.get(target.axis) ?? 0) === value) return;
    this.#keyboardAxes.set(target.axis, value);
    out.push({ type: "axis", pad: keyboard.pad, axis: target.axis, value });
  }

  #hold(pad: number, button: ButtonName, pressed: boolean, out: InputEvent[]): void {
    let holds = this.#holds.get(pad);
    if (!holds) this.#holds.set(pad, holds = new Map());
    const count = holds.get(button) ?? 0;
    if (pressed) {
      holds.set(button, count + 1);
      if (count === 0) out.push({ type: "button", pad, button, pressed: true });
    } else if (count > 0) {
      holds.set(button, count - 1);
      if (count === 1) out.push({ type: "button", pad, button, pressed: false });
    }
  }

  /** The number a device pad is sent as: its own, unless the keyboard pad or another has it. */
  #freePad(wanted: number): number | null {
    const taken = new Set(this.#pads.values());
    if (this.#config.keyboard) taken.add(this.#config.keyboard.pad);
    if (!taken.has(wanted)) return wanted;
    for (let pad = 0; pad <= MAX_PAD; pad++) if (!taken.has(pad)) return pad;
    return null;
  }
}
