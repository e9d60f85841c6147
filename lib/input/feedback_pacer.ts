/**
 * Paces feedback to each pad: updates to one pad are applied at least
 * {@linkcode FEEDBACK_MIN_INTERVAL_MS} apart (faster ones upset Xbox pads
 * over Bluetooth, SDL issue 6435), the newest value of each kind wins while
 * it waits, and a rumble never lasts longer than {@linkcode FEEDBACK_MAX_MS}
 * nor past the end its sender asked for, however long it waited.
 *
 * Pure: the caller passes the time in, so tests need no clock.
 *
 * @module
 */

/** Least time between two updates applied to one pad, in ms. */
export const FEEDBACK_MIN_INTERVAL_MS = 50;

/** The longest rumble applied, in ms: feedback never sticks. */
export const FEEDBACK_MAX_MS = 10_000;

/** Feedback for one pad: motor strengths 0..65535, durations in ms, colour channels 0..255. */
export type PadFeedback =
  | { type: "rumble"; low: number; high: number; ms: number }
  | { type: "trigger_rumble"; left: number; right: number; ms: number }
  | { type: "led"; red: number; green: number; blue: number };

interface Waiting {
  feedback: PadFeedback;
  /** When a rumble asked for at submit time must end, in the caller's ms. */
  until: number;
}

interface PadPace {
  lastAppliedAt: number;
  /** Waiting updates by kind, in the order their kind first came. */
  waiting: Map<PadFeedback["type"], Waiting>;
}

/**
 * Spaces feedback updates per pad and hands each to `apply` when due.
 *
 * @example Usage
 * ```ts
 * import { FeedbackPacer } from "./feedback_pacer.ts";
 * const applied: number[] = [];
 * const pacer = new FeedbackPacer((_pad, _feedback, now) => applied.push(now));
 * pacer.submit(0, { type: "rumble", low: 1, high: 1, ms: 100 }, 0);
 * pacer.submit(0, { type: "rumble", low: 0, high: 0, ms: 0 }, 10);
 * pacer.flushDue(49);
 * pacer.flushDue(50);
 * if (applied.join() !== "0,50") throw new Error("the second waits until 50 ms");
 * ```
 */
export class FeedbackPacer {
  readonly #apply: (pad: number, feedback: PadFeedback, now: number) => void;
  readonly #minIntervalMs: number;
  readonly #pads = new Map<number, PadPace>();

  /**
   * A pacer with nothing waiting.
   *
   * @param apply called with each update when it is due
   * @param minIntervalMs least time between two updates to one pad
   */
  constructor(
    apply: (pad: number, feedback: PadFeedback, now: number) => void,
    minIntervalMs = FEEDBACK_MIN_INTERVAL_MS,
  ) {
    this.#apply = apply;
    this.#minIntervalMs = minIntervalMs;
  }

  /**
   * Take an update for `pad` at time `now`: applied at once when the pad's
   * last update is far enough back, else kept (replacing a waiting update of
   * the same kind) until {@linkcode FeedbackPacer.nextDeadline}.
   */
  submit(pad: number, feedback: PadFeedback, now: number): void {
    const clamped = "ms" in feedback
      ? { ...feedback, ms: Math.min(Math.max(0, Math.round(feedback.ms)), FEEDBACK_MAX_MS) }
      : feedback;
    let pace = this.#pads.get(pad);
    if (!pace) {
      pace = { lastAppliedAt: -Infinity, waiting: new Map() };
      this.#pads.set(pad, pace);
    }
    const until = "ms" in clamped ? now + clamped.ms : now;
    pace.waiting.set(clamped.type, { feedback: clamped, until });
    this.#flushPad(pad, pace, now);
  }

  /** Apply every update that is due at `now`. */
  flushDue(now: number): void {
    for (const [pad, pace] of this.#pads) this.#flushPad(pad, pace, now);
  }

  /** When the next waiting update is due, or `Infinity` when none waits. */
  nextDeadline(): number {
    let next = Infinity;
    for (const pace of this.#pads.values()) {
      if (pace.waiting.size > 0) next = Math.min(next, pace.lastAppliedAt + this.#minIntervalMs);
    }
    return next;
  }

  /** Drop what waits for `pad` (it went away), and its spacing. */
  forget(pad: number): void {
    this.#pads.delete(pad);
  }

  /**
   * Record that an update was applied to `pad` outside the pacer (a stop on
   * disconnect or exit), and drop what waited for it.
   */
  appliedNow(pad: number, now: number): void {
    this.#pads.set(pad, { lastAppliedAt: now, waiting: new Map() });
  }

  #flushPad(pad: number, pace: PadPace, now: number): void {
    if (pace.waiting.size === 0 || now - pace.lastAppliedAt < this.#minIntervalMs) return;
    const [type, waiting] = pace.waiting.entries().next().value!;
    pace.waiting.delete(type);
    pace.lastAppliedAt = now;
    this.#apply(pad, remaining(waiting, now), now);
  }
}

/** A waiting rumble shortened by the time it waited; past its end, a stop. */
function remaining(waiting: Waiting, now: number): PadFeedback {
  const feedback = waiting.feedback;
  if (feedback.type === "led" || feedback.ms === 0) return feedback;
  const ms = Math.round(waiting.until - now);
  if (ms > 0) return { ...feedback, ms };
  return feedback.type === "rumble"
    ? { type: "rumble", low: 0, high: 0, ms: 0 }
    : { type: "trigger_rumble", left: 0, right: 0, ms: 0 };
}
