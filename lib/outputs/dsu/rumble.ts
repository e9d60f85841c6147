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
 * pads over Bluetooth, SDL issue 6435); the latest values win.
 *
 * @module
 */

import type { RumbleCommand } from "../../server/output.ts";

/** A rumble stops this long after its last update. */
export const RUMBLE_TIMEOUT_MS = 5000;

/** Least time between two commands to the same pad. */
export const RUMBLE_MIN_INTERVAL_MS = 50;

/** DSU motor numbers: 0 is the heavy low-frequency motor, 1 the light high-frequency one. */
export const DsuMotor = { LOW: 0, HIGH: 1 } as const;

/** Motors reported for a pad in a motor-info reply. */
export const DSU_MOTOR_COUNT = 2;

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
  client: string;
  pad: number;
  low: number;
  high: number;
  lastSentAt: number;
  pending: ReturnType<typeof setTimeout> | undefined;
  stop: ReturnType<typeof setTimeout> | undefined;
}

/** Keeps each pad's motor values and sends them on, spaced out and expiring. */
export class RumbleForwarder {
  readonly #send: (command: RumbleCommand) => void;
  readonly #timeoutMs: number;
  readonly #minIntervalMs: number;
  readonly #pads = new Map<string, PadRumble>();
  #closed = false;

  /** A forwarder sending through `options.send`. */
  constructor(options: RumbleForwarderOptions) {
    this.#send = options.send;
    this.#timeoutMs = options.timeoutMs ?? RUMBLE_TIMEOUT_MS;
    this.#minIntervalMs = options.minIntervalMs ?? RUMBLE_MIN_INTERVAL_MS;
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
      state = {
        client,
        pad,
        low: 0,
        high: 0,
        lastSentAt: -Infinity,
        pending: undefined,
        stop: undefined,
      };
      this.#pads.set(key, state);
    }
    const value = Math.min(255, Math.max(0, intensity)) / 255;
    if (motor === DsuMotor.LOW) state.low = value;
    else state.high = value;
    clearTimeout(state.stop);
    state.stop = undefined;
    if (state.low > 0 || state.high > 0) {
      const s = state;
      s.stop = setTimeout(() => {
        s.stop = undefined;
        s.low = 0;
        s.high = 0;
        this.#schedule(s);
      }, this.#timeoutMs);
    }
    this.#schedule(state);
  }

  /** A pad went away: forget it without sending (its client stops its own rumble). */
  release(client: string, pad: number): void {
    const key = `${pad}\u0000${client}`;
    const state = this.#pads.get(key);
    if (!state) return;
    clearTimeout(state.pending);
    clearTimeout(state.stop);
    this.#pads.delete(key);
  }

  /** Stop every timer; nothing more is sent. */
  close(): void {
    this.#closed = true;
    for (const state of this.#pads.values()) {
      clearTimeout(state.pending);
      clearTimeout(state.stop);
    }
    this.#pads.clear();
  }

  #schedule(state: PadRumble): void {
    if (state.pending !== undefined) return; // The pending send takes the latest values.
    const wait = state.lastSentAt + this.#minIntervalMs - performance.now();
    if (wait <= 0) {
      this.#sendNow(state);
      return;
    }
    state.pending = setTimeout(() => {
      state.pending = undefined;
      this.#sendNow(state);
    }, wait);
  }

  #sendNow(state: PadRumble): void {
    if (this.#closed) return;
    state.lastSentAt = performance.now();
    const on = state.low > 0 || state.high > 0;
    this.#send({
      type: "rumble",
      client: state.client,
      pad: state.pad,
      low: round3(state.low),
      high: round3(state.high),
      ms: on ? this.#timeoutMs : 0,
    });
  }
}

/** Motor strengths to 3 decimals, enough for 255 steps. */
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
