/**
 * Counts failures per key (a client's IP address) and blocks a key that
 * failed too often, so a token cannot be guessed online.
 *
 * @module
 */

/** Options for {@linkcode FailureLimiter}. */
export interface FailureLimiterOptions {
  /** Failures allowed within `windowMs` before the key is blocked. Default 5. */
  maxFailures?: number;
  /** The window failures are counted in, in ms. Default 60000. */
  windowMs?: number;
  /** How long a blocked key stays blocked, in ms. Default 60000. */
  blockMs?: number;
  /** Most keys remembered; the oldest are forgotten beyond it. Default 10000. */
  maxKeys?: number;
}

interface Entry {
  failures: number[];
  blockedUntil: number;
}

/**
 * Per-key failure counter with a sliding window.
 *
 * @example Usage
 * ```ts
 * import { FailureLimiter } from "./rate_limit.ts";
 * const limiter = new FailureLimiter({ maxFailures: 2, windowMs: 1000, blockMs: 5000 });
 * limiter.fail("10.0.0.9", 0);
 * limiter.fail("10.0.0.9", 10);
 * if (limiter.blockedFor("10.0.0.9", 20) !== 4990) throw new Error();
 * if (limiter.blockedFor("10.0.0.8", 20) !== 0) throw new Error();
 * ```
 */
export class FailureLimiter {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #blockMs: number;
  readonly #maxKeys: number;
  readonly #entries = new Map<string, Entry>();

  /** Create a limiter. */
  constructor(options: FailureLimiterOptions = {}) {
    this.#maxFailures = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#blockMs = options.blockMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /**
   * Record a failure for `key`.
   *
   * @returns true when this failure blocked the key.
   */
  fail(key: string, now: number = performance.now()): boolean {
    let entry = this.#entries.get(key);
    if (!entry) {
      if (this.#entries.size >= this.#maxKeys) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      entry = { failures: [], blockedUntil: 0 };
      this.#entries.set(key, entry);
    }
    entry.failures = entry.failures.filter((t) => now - t < this.#windowMs);
    entry.failures.push(now);
    if (entry.failures.length >= this.#maxFailures && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.#blockMs;
      entry.failures = [];
      return true;
    }
    return false;
  }

  /** Milliseconds `key` stays blocked; 0 when it is not blocked. */
  blockedFor(key: string, now: number = performance.now()): number {
    const entry = this.#entries.get(key);
    if (!entry) return 0;
    const left = entry.blockedUntil - now;
    if (left > 0) return left;
    if (entry.failures.every((t) => now - t >= this.#windowMs)) this.#entries.delete(key);
    return 0;
  }
}
