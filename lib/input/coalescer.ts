/**
 * Rate limiting for axis motion: at most one update per axis per interval,
 * without ever losing the latest value.
 *
 * @module
 */

import { AXIS_NAMES, type AxisEvent, quantizeAxis } from "./model.ts";

/** One axis of one pad. */
interface Slot {
  pad: number;
  axis: number;
  /** The quantised value last emitted (0 at rest). */
  sentRaw: number;
  /** When it was emitted, in ms. */
  sentAt: number;
  /** A value waiting for its interval to elapse, if any. */
  pending?: number;
}

/**
 * Merges axis updates so each axis emits at most `rateHz` times a second.
 * A value that arrives too soon is held back and emitted by
 * {@linkcode AxisCoalescer.flushDue} once its interval has elapsed (or by
 * {@linkcode AxisCoalescer.flushAll} before a button or key event, which
 * keeps the order of events). Values that quantise to what was last emitted
 * are dropped.
 *
 * Values go out in the order they were offered: one that may go at once
 * first lets out every value held back before it, and a due held-back value
 * lets out those held back before it, so no axis overtakes another.
 *
 * @example Usage
 * ```ts
 * import { AxisCoalescer } from "./coalescer.ts";
 * const out: number[] = [];
 * const coalescer = new AxisCoalescer(100, (event) => out.push(event.value));
 * coalescer.offer(0, 0, 0.1, 0); // emitted at once
 * coalescer.offer(0, 0, 0.2, 1); // held back: 10 ms have not passed
 * coalescer.offer(0, 0, 0.3, 2); // replaces 0.2
 * coalescer.flushDue(10);
 * if (out.join() !== "0.1,0.3") throw new Error(out.join());
 * ```
 */
export class AxisCoalescer {
  #interval: number;
  #emit: (event: AxisEvent) => void;
  #slots = new Map<number, Slot>();
  /** The slots holding a value back, in the order those values were offered. */
  #held: Slot[] = [];

  /**
   * Make a coalescer that emits each axis at most `rateHz` times a second.
   *
   * @param rateHz the most updates per axis per second; `Infinity` disables merging
   * @param emit called with each axis event that goes out
   * @throws {RangeError} if `rateHz` is not positive
   */
  constructor(rateHz: number, emit: (event: AxisEvent) => void) {
    if (!(rateHz > 0)) {
      throw new RangeError(`rateHz must be a positive number, received ${rateHz}`);
    }
    this.#interval = 1000 / rateHz;
    this.#emit = emit;
  }

  /** The minimum time between two updates of one axis, in ms. */
  get interval(): number {
    return this.#interval;
  }

  /** Whether any value is held back. */
  get hasPending(): boolean {
    return this.#held.length > 0;
  }

  /**
   * Offer a new value for an axis.
   *
   * @param pad the pad number
   * @param axis the `SDL_GameControllerAxis` index
   * @param value the shaped value (after deadzone)
   * @param now the current time in ms
   */
  offer(pad: number, axis: number, value: number, now: number): void {
    const key = pad * 8 + axis;
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = { pad, axis, sentRaw: 0, sentAt: -Infinity };
      this.#slots.set(key, slot);
    }
    const raw = quantizeAxis(axis, value);
    if (slot.pending !== undefined) {
      // The newer value replaces the held one, and takes its place in order.
      this.#held.splice(this.#held.indexOf(slot), 1);
      if (raw === slot.sentRaw) {
        // Back where the receiver already is: nothing left to send.
        slot.pending = undefined;
      } else {
        slot.pending = value;
        this.#held.push(slot);
      }
      return;
    }
    if (raw === slot.sentRaw) return;
    if (now - slot.sentAt >= this.#interval) {
      this.flushAll(now);
      this.#send(slot, value, raw, now);
    } else {
      slot.pending = value;
      this.#held.push(slot);
    }
  }

  /**
   * Emit every held-back value whose interval has elapsed.
   *
   * @param now the current time in ms
   */
  flushDue(now: number): void {
    let last = -1;
    this.#held.forEach((slot, index) => {
      if (now - slot.sentAt >= this.#interval) last = index;
    });
    this.#flushFirst(last + 1, now);
  }

  /**
   * Emit every held-back value now, for example before a button event.
   *
   * @param now the current time in ms
   */
  flushAll(now: number): void {
    this.#flushFirst(this.#held.length, now);
  }

  /**
   * When the next held-back value falls due, in ms.
   *
   * @returns the time, or `Infinity` when nothing is held back
   */
  nextDeadline(): number {
    let deadline = Infinity;
    for (const slot of this.#held) deadline = Math.min(deadline, slot.sentAt + this.#interval);
    return deadline;
  }

  /**
   * Forget a pad's axes (held-back values included), for example after it was
   * detached, so a pad that later takes its number starts from rest.
   *
   * @param pad the pad number
   */
  forgetPad(pad: number): void {
    this.#held = this.#held.filter((slot) => slot.pad !== pad);
    for (let axis = 0; axis < AXIS_NAMES.length; axis++) this.#slots.delete(pad * 8 + axis);
  }

  /** Emit the first `count` held-back values, in the order they were offered. */
  #flushFirst(count: number, now: number): void {
    if (count === 0) return;
    for (const slot of this.#held.splice(0, count)) {
      const value = slot.pending!;
      slot.pending = undefined;
      this.#send(slot, value, quantizeAxis(slot.axis, value), now);
    }
  }

  #send(slot: Slot, value: number, raw: number, now: number): void {
    slot.sentRaw = raw;
    slot.sentAt = now;
    const axis = AXIS_NAMES[slot.axis];
    if (axis === undefined) return;
    this.#emit({ type: "axis", pad: slot.pad, axis, value: raw === 0 ? 0 : value });
  }
}
