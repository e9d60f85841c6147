/**
 * Log lines a peer can cause, at a bounded rate: what is held back is
 * counted, and the next line let through says how many. One implementation
 * for every such log (accept failures, connections dropped before their
 * handshake, pairing, refused web sockets).
 *
 * @module
 */

import { RateBudget, type RateBudgetOptions } from "./rate_budget.ts";

/** The default rate: one line a second, no burst. */
export const DEFAULT_LOG_RATE: RateBudgetOptions = { perSecond: 1, burst: 1 };

/**
 * Lets lines through at a {@linkcode RateBudget}'s rate and counts the rest.
 *
 * @example Usage
 * ```ts
 * import { LogThrottle } from "./log_throttle.ts";
 * const throttle = new LogThrottle(undefined, 0);
 * if (throttle.take(0) !== 0) throw new Error("the first line goes out");
 * if (throttle.take(10) !== null || throttle.take(20) !== null) throw new Error("held back");
 * if (throttle.take(1001) !== 2) throw new Error("the next one counts the two held back");
 * ```
 */
export class LogThrottle {
  readonly #budget: RateBudget;
  #held = 0;

  /**
   * A throttle with its whole burst available at `now`.
   *
   * @param rate lines a second and the burst; default {@linkcode DEFAULT_LOG_RATE}
   * @param now the time in ms, `performance.now()` by default
   */
  constructor(rate: RateBudgetOptions = DEFAULT_LOG_RATE, now: number = performance.now()) {
    this.#budget = new RateBudget(rate, now);
  }

  /**
   * Ask to write one line at `now`.
   *
   * @returns null when the line must be dropped (it is counted); else how
   * many lines were dropped since the last one let through, for the line to
   * mention.
   */
  take(now: number = performance.now()): number | null {
    if (!this.#budget.take(now)) {
      this.#held++;
      return null;
    }
    const held = this.#held;
    this.#held = 0;
    return held;
  }
}
