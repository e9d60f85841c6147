/**
 * A token bucket: a steady rate of allowed events with room for a burst.
 * The server gives each connection one for control messages (PING, PONG,
 * heartbeats), which cost the server work but carry no input, so that a
 * peer flooding them is dropped instead of starving everyone else.
 *
 * @module
 */

/** Options for {@linkcode RateBudget}. */
export interface RateBudgetOptions {
  /** Events allowed per second, on average. */
  perSecond: number;
  /** Events allowed at once after a quiet spell. */
  burst: number;
}

/**
 * Allows `perSecond` events a second, and bursts of up to `burst`.
 *
 * @example Usage
 * ```ts
 * import { RateBudget } from "./rate_budget.ts";
 * const budget = new RateBudget({ perSecond: 10, burst: 2 }, 0);
 * if (!budget.take(0) || !budget.take(0) || budget.take(0)) throw new Error("burst of 2");
 * if (!budget.take(100)) throw new Error("one more after 100 ms at 10 a second");
 * ```
 */
export class RateBudget {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /** A full bucket at time `now` (ms, `performance.now()` by default). */
  constructor(options: RateBudgetOptions, now: number = performance.now()) {
    this.#perMs = options.perSecond / 1000;
    this.#burst = options.burst;
    this.#tokens = options.burst;
    this.#at = now;
  }

  /**
   * Spend one event at time `now`.
   *
   * @returns false when the budget is spent (the caller refuses the event).
   */
  take(now: number = performance.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
