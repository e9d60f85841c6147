/**
 * DSU rumble requests (the unofficial 0x110002 message: one motor, one
 * intensity per datagram) turned into padlink rumble commands for the
 * client's pad.
 *
 * Emulators re-send rumble while it lasts and may stop sending without a
 * final zero, so every command asks for {@linkcode RUMBLE_TIMEOUT_MS} and
 * the forwarder itself sends a stop once that long has passed without an
 * update: a pad never sticks rumbling. Updates to one pad are spaced at
 * least {@linkcode RUMBLE_MIN_INTERVAL_MS} apart (faster ones upset Xbox
 * pads over Bluetooth, SDL issue 6435) by the client's own pacer
 * ({@linkcode FeedbackPacer}); the latest values win.
 *
 * @module
 */

import {
  FEEDBACK_MIN_INTERVAL_MS,
  FeedbackPacer,
  type PadFeedback,
} from "../../input/feedback_pacer.ts";
import type { RumbleCommand } from "../../server/output.ts";

/** A rumble stops this long after its last update. */
export const RUMBLE_TIMEOUT_MS = 5000;

/** Least time between two commands to the same pad: the pacer's spacing. */
export const RUMBLE_MIN_INTERVAL_MS: number = FEEDBACK_MIN_INTERVAL_MS;

/** DSU motor numbers: 0 is the heavy low-frequency motor, 1 the light high-frequency one. */
export const DsuMotor = { LOW: 0, HIGH: 1 } as const;

/** Motors reported for a pad in a motor-info reply. */
export const DSU_MOTOR_COUNT = 2;

/** A DSU intensity step as a {@linkcode PadFeedback} strength: 255 steps of 257 make 65535. */
const STRENGTH_PER_STEP = 257;
const FULL_STRENGTH = 255 * STRENGTH_PER_STEP;

/** Options for {@linkcode RumbleForwarder}. */
export interface RumbleForwarderOptions {
  /** Where commands go. */
  send: (command: RumbleCommand) => void;
  /** Default {@linkcode RUMBLE_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Default {@linkcode RUMBLE_MIN_INTERVAL_MS}. */
  minIntervalMs?: number;
}

interface PadRumble {
  /** The pacer's number for this client's pad. */
  id: number;
  client: string;
  pad: number;
  /** Motor strengths 0..65535. */
  low: number;
  high: number;
  stop: ReturnType<typeof setTimeout> | undefined;
}

/** Keeps each pad's motor values and sends them on, spaced out and expiring. */
export class RumbleForwarder {
  readonly #send: (command: RumbleCommand) => void;
  readonly #timeoutMs: number;
  readonly #pacer: FeedbackPacer;
  readonly #pads = new Map<string, PadRumble>();
  readonly #byId = new Map<number, PadRumble>();
  #nextId = 0;
  #wake: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** A forwarder sending through `options.send`. */
  constructor(options: RumbleForwarderOptions) {
    this.#send = options.send;
    this.#timeoutMs = options.timeoutMs ?? RUMBLE_TIMEOUT_MS;
    this.#pacer = new FeedbackPacer(
      (id, feedback) => this.#sendNow(id, feedback),
      options.minIntervalMs ?? RUMBLE_MIN_INTERVAL_MS,
    );
  }

  /**
   * A DSU rumble request: set `motor` of a client's pad to `intensity`
   * (0–255). Motors other than {@linkcode DsuMotor} are ignored.
   */
  set(client: string, pad: number, motor: number, intensity: number): void {
    if (this.#closed || (motor !== DsuMotor.LOW && motor !== DsuMotor.HIGH)) return;
    const key = `${pad}\u0000${client}`;
    let state = this.#pads.get(key);
    if (!state) {
      state = { id: this.#nextId++, client, pad, low: 0, high: 0, stop: undefined };
      this.#pads.set(key, state);
      this.#byId.set(state.id, state);
    }
    const strength = Math.round(Math.min(255, Math.max(0, intensity))) * STRENGTH_PER_STEP;
    if (motor === DsuMotor.LOW) state.low = strength;
    else state.high = strength;
    clearTimeout(state.stop);
    state.stop = undefined;
    if (state.low > 0 || state.high > 0) {
      const s = state;
      s.stop = setTimeout(() => {
        s.stop = undefined;
        s.low = 0;
        s.high = 0;
        this.#submit(s);
      }, this.#timeoutMs);
    }
    this.#submit(state);
  }

  /** A pad went away: forget it without sending (its client stops its own rumble). */
  release(client: string, pad: number): void {
    const key = `${pad}\u0000${client}`;
    const state = this.#pads.get(key);
    if (!state) return;
    clearTimeout(state.stop);
    this.#pacer.forget(state.id);
    this.#pads.delete(key);
    this.#byId.delete(state.id);
  }

  /** Stop every timer; nothing more is sent. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#wake);
    for (const state of this.#pads.values()) clearTimeout(state.stop);
    this.#pads.clear();
    this.#byId.clear();
  }

  /** Hand the pad's current values to the pacer, which sends them now or when due. */
  #submit(state: PadRumble): void {
    const on = state.low > 0 || state.high > 0;
    this.#pacer.submit(
      state.id,
      { type: "rumble", low: state.low, high: state.high, ms: on ? this.#timeoutMs : 0 },
      performance.now(),
    );
    this.#armWake();
  }

  /** One timer for the pacer's next due update. */
  #armWake(): void {
    clearTimeout(this.#wake);
    this.#wake = undefined;
    const next = this.#pacer.nextDeadline();
    if (this.#closed || next === Infinity) return;
    this.#wake = setTimeout(() => {
      this.#wake = undefined;
      this.#pacer.flushDue(performance.now());
      this.#armWake();
    }, Math.max(0, next - performance.now()));
  }

  #sendNow(id: number, feedback: PadFeedback): void {
    const state = this.#byId.get(id);
    if (this.#closed || !state || feedback.type !== "rumble") return;
    this.#send({
      type: "rumble",
      client: state.client,
      pad: state.pad,
      low: round3(feedback.low / FULL_STRENGTH),
      high: round3(feedback.high / FULL_STRENGTH),
      // Each command asks for the whole timeout, as the forwarder's own stop follows it.
      ms: feedback.low > 0 || feedback.high > 0 ? this.#timeoutMs : 0,
    });
  }
}

/** Motor strengths to 3 decimals, enough for 255 steps. */
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
