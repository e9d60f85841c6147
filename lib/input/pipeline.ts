/**
 * Turns what SDL reports (controller instance ids, raw int16 axes, key names)
 * into padlink {@linkcode InputEvent}s: pad numbering, deadzone, change
 * detection, axis coalescing and neutral events on detach. Pure: it makes no
 * SDL calls, so it is tested without SDL.
 *
 * @module
 */

import {
  applyDeadzone,
  axisFromSdl,
  type BatteryEvent,
  BUTTON_NAMES,
  type InputEvent,
  InputState,
  isTrigger,
  MAX_PAD,
  type PadEvent,
  type TouchEvent,
} from "./model.ts";

/** What SDL says about a controller besides its name (see {@linkcode PadEvent}). */
export type PadInfo = Required<Pick<PadEvent, "kind" | "vendor" | "product" | "capabilities">>;
import { AxisCoalescer } from "./coalescer.ts";

/** Options for {@linkcode InputPipeline}. */
export interface InputPipelineOptions {
  /** Stick deadzone in [0, 1); 0 turns it off. */
  deadzone: number;
  /** The most updates per axis per second. */
  rateHz: number;
}

/**
 * The event stream of one input source. Feed it SDL's reports with the
 * current time, then {@linkcode InputPipeline.take} the events to forward.
 *
 * - A new pad takes the lowest free pad number (0…`MAX_PAD`) and keeps it
 *   while attached; pads beyond `MAX_PAD` are ignored.
 * - Buttons and keys go out at once, after any held-back axis values; axis
 *   values go out in the order they came, whatever the axis.
 * - A detach first releases held buttons and zeroes moved axes.
 *
 * @example Usage
 * ```ts
 * import { InputPipeline } from "./pipeline.ts";
 * const pipeline = new InputPipeline({ deadzone: 0.05, rateHz: 1000 });
 * pipeline.padAdded(7, "Pad", [], [], 0);
 * pipeline.button(7, 0, true, 0);
 * const events = pipeline.take();
 * if (events.length !== 2 || events[1]?.type !== "button") throw new Error("attach, a");
 * ```
 */
export class InputPipeline {
  #deadzone: number;
  #out: InputEvent[] = [];
  #state = new InputState();
  #pads = new Map<number, number>();
  /** The latest motion readings per pad, until {@linkcode InputPipeline.flushMotion}. */
  #motion = new Map<
    number,
    { accel: [number, number, number]; gyro: [number, number, number]; tUs: number; fresh: boolean }
  >();
  #coalescer: AxisCoalescer;

  /**
   * Make a pipeline with its own input state and axis coalescer.
   *
   * @param options the deadzone and rate
   * @throws {RangeError} for a deadzone outside [0, 1) or a rate that is not positive
   */
  constructor(options: InputPipelineOptions) {
    if (!(options.deadzone >= 0 && options.deadzone < 1)) {
      throw new RangeError(`deadzone must be in [0, 1), received ${options.deadzone}`);
    }
    this.#deadzone = options.deadzone;
    this.#coalescer = new AxisCoalescer(options.rateHz, (event) => this.#emit(event));
  }

  /** The number of pads attached. */
  get padCount(): number {
    return this.#pads.size;
  }

  /**
   * A controller was opened.
   *
   * @param instanceId SDL's joystick instance id
   * @param name the controller's name
   * @param buttons current button states, by `SDL_GameControllerButton`
   * @param axes current raw axis values, by `SDL_GameControllerAxis`
   * @param now the current time in ms
   * @param info its type, USB ids and capabilities, when SDL tells them
   * @param wanted the number it should get when free (a `--virtual` pad keeps
   *   its file's number); otherwise, the lowest free one
   * @returns the pad number given to it, or `null` if every number is taken
   *   or the instance is already attached
   */
  padAdded(
    instanceId: number,
    name: string,
    buttons: readonly boolean[],
    axes: readonly number[],
    now: number,
    info?: PadInfo,
    wanted?: number,
  ): number | null {
    if (this.#pads.has(instanceId)) return null;
    const taken = new Set(this.#pads.values());
    let pad = 0;
    if (wanted !== undefined && wanted >= 0 && wanted <= MAX_PAD && !taken.has(wanted)) {
      pad = wanted;
    } else {
      while (taken.has(pad)) pad++;
    }
    if (pad > MAX_PAD) return null;
    this.#coalescer.flushAll(now);
    this.#pads.set(instanceId, pad);
    this.#emit(
      info
        ? { type: "pad", pad, attached: true, name, ...info }
        : { type: "pad", pad, attached: true, name },
    );
    buttons.forEach((pressed, index) => {
      if (pressed) this.button(instanceId, index, true, now);
    });
    axes.forEach((raw, index) => this.axis(instanceId, index, raw, now));
    return pad;
  }

  /**
   * The SDL instance id of the controller numbered `pad`.
   *
   * @param pad the pad number
   * @returns the instance id, or `undefined` when no controller has that number
   */
  instanceOf(pad: number): number | undefined {
    for (const [instanceId, number] of this.#pads) if (number === pad) return instanceId;
    return undefined;
  }

  /**
   * The pad number of the controller with SDL instance id `instanceId`.
   *
   * @param instanceId SDL's joystick instance id
   * @returns the pad number, or `undefined` when it is not attached
   */
  padOf(instanceId: number): number | undefined {
    return this.#pads.get(instanceId);
  }

  /**
   * A controller went away.
   *
   * @param instanceId SDL's joystick instance id
   * @param now the current time in ms
   * @returns the pad number it had, or `null` if it was not attached
   */
  padRemoved(instanceId: number, now: number): number | null {
    const pad = this.#pads.get(instanceId);
    if (pad === undefined) return null;
    this.#coalescer.flushAll(now);
    for (const event of this.#state.padNeutralEvents(pad)) this.#emit(event);
    this.#emit({ type: "pad", pad, attached: false });
    this.#coalescer.forgetPad(pad);
    this.#motion.delete(pad);
    this.#pads.delete(instanceId);
    return pad;
  }

  /**
   * A controller button changed.
   *
   * @param instanceId SDL's joystick instance id
   * @param button the `SDL_GameControllerButton`
   * @param pressed whether it is down
   * @param now the current time in ms
   */
  button(instanceId: number, button: number, pressed: boolean, now: number): void {
    const pad = this.#pads.get(instanceId);
    const name = BUTTON_NAMES[button];
    if (pad === undefined || name === undefined) return;
    this.#coalescer.flushAll(now);
    this.#emit({ type: "button", pad, button: name, pressed });
  }

  /**
   * A controller axis moved.
   *
   * @param instanceId SDL's joystick instance id
   * @param axis the `SDL_GameControllerAxis`
   * @param raw SDL's value: sticks -32768…32767, triggers 0…32767
   * @param now the current time in ms
   */
  axis(instanceId: number, axis: number, raw: number, now: number): void {
    const pad = this.#pads.get(instanceId);
    if (pad === undefined || axis < 0 || axis > 5) return;
    const value = axisFromSdl(axis, raw);
    const shaped = isTrigger(axis) ? value : applyDeadzone(value, this.#deadzone);
    this.#coalescer.offer(pad, axis, shaped, now);
  }

  /**
   * A key was pressed or released (repeats are the caller's to drop).
   *
   * @param key SDL's key name
   * @param scancode SDL's scancode name
   * @param pressed whether it is down
   * @param now the current time in ms
   */
  key(key: string, scancode: string, pressed: boolean, now: number): void {
    this.#coalescer.flushAll(now);
    this.#emit({ type: "key", key, scancode, pressed });
  }

  /**
   * A motion sensor reading. Readings are held until
   * {@linkcode InputPipeline.flushMotion}, which emits one `motion` event per
   * pad with the latest accelerometer and gyro samples.
   *
   * @param instanceId SDL's joystick instance id
   * @param sensor "accel" (m/s²) or "gyro" (rad/s)
   * @param data the three readings
   * @param tUs the reading's time in µs
   */
  sensor(
    instanceId: number,
    sensor: "accel" | "gyro",
    data: readonly [number, number, number],
    tUs: number,
  ): void {
    const pad = this.#pads.get(instanceId);
    if (pad === undefined) return;
    let motion = this.#motion.get(pad);
    if (!motion) {
      motion = { accel: [0, 0, 0], gyro: [0, 0, 0], tUs: 0, fresh: false };
      this.#motion.set(pad, motion);
    }
    motion[sensor] = [data[0], data[1], data[2]];
    motion.tUs = Math.max(motion.tUs, tUs);
    motion.fresh = true;
  }

  /** Emit one `motion` event per pad that had a reading since the last call. */
  flushMotion(): void {
    for (const [pad, motion] of this.#motion) {
      if (!motion.fresh) continue;
      motion.fresh = false;
      this.#emit({
        type: "motion",
        pad,
        accel: [...motion.accel],
        gyro: [...motion.gyro],
        t_us: motion.tUs,
      });
    }
  }

  /**
   * A touchpad finger went down, moved or went up.
   *
   * @param instanceId SDL's joystick instance id
   * @param touch where, with positions and pressure in [0, 1]
   * @param now the current time in ms
   */
  touch(instanceId: number, touch: Omit<TouchEvent, "type" | "pad">, now: number): void {
    const pad = this.#pads.get(instanceId);
    if (pad === undefined) return;
    this.#coalescer.flushAll(now);
    const unit = (v: number) => Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
    this.#emit({
      type: "touch",
      pad,
      ...touch,
      x: unit(touch.x),
      y: unit(touch.y),
      pressure: unit(touch.pressure),
    });
  }

  /**
   * A battery report; one that repeats the last is dropped.
   *
   * @param instanceId SDL's joystick instance id
   * @param battery the level and state
   */
  battery(instanceId: number, battery: Omit<BatteryEvent, "type" | "pad">): void {
    const pad = this.#pads.get(instanceId);
    if (pad === undefined) return;
    this.#emit({ type: "battery", pad, ...battery });
  }

  /**
   * Emit held-back axis values whose interval has elapsed.
   *
   * @param now the current time in ms
   */
  flushDue(now: number): void {
    this.#coalescer.flushDue(now);
  }

  /**
   * When the next held-back axis value falls due.
   *
   * @returns the time in ms, or `Infinity`
   */
  nextDeadline(): number {
    return this.#coalescer.nextDeadline();
  }

  /**
   * Take the events produced so far, in order.
   *
   * @returns the events; the pipeline's buffer is emptied
   */
  take(): InputEvent[] {
    const events = this.#out;
    this.#out = [];
    return events;
  }

  #emit(event: InputEvent): void {
    // InputState drops what changes nothing: a press already reported at
    // attach time, a release of a key pressed before the window had focus.
    if (this.#state.apply(event)) this.#out.push(event);
  }
}
