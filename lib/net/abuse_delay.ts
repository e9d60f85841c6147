/**
 * Slows down the addresses whose connections keep being dropped for abuse
 * (protocol errors, control-message floods), so that a peer which knows the
 * token cannot make the server spend its time on reconnect after reconnect.
 * A new connection from such an address is greeted only after a delay that
 * grows with its recent drops and fades within seconds. Nobody is refused:
 * an honest client behind the same address waits at most
 * {@linkcode MAX_ABUSE_DELAY_MS} once.
 *
 * @module
 */

/** Longest delay before greeting a connection from an abusive address, in ms. */
export const MAX_ABUSE_DELAY_MS = 1000;

/** Delay per recent drop, in ms. */
export const ABUSE_DELAY_PER_DROP_MS = 20;

/** Time for an address's count of recent drops to halve, in ms. */
export const ABUSE_HALF_LIFE_MS = 1000;

/** Most addresses remembered; the one remembered longest is forgotten past it. */
const MAX_ADDRESSES = 10_000;

/**
 * Per-address score of recent drops, decaying by half every
 * {@linkcode ABUSE_HALF_LIFE_MS}.
 *
 * @example Usage
 * ```ts
 * import { AbuseDelay } from "./abuse_delay.ts";
 * const abuse = new AbuseDelay();
 * for (let i = 0; i < 10; i++) abuse.record("10.0.0.9", 0);
 * if (abuse.delayFor("10.0.0.9", 0) !== 200) throw new Error();
 * if (abuse.delayFor("10.0.0.9", 1000) !== 100) throw new Error("halved after a second");
 * if (abuse.delayFor("10.0.0.8", 0) !== 0) throw new Error();
 * ```
 */
export class AbuseDelay {
  readonly #scores = new Map<string, { score: number; at: number }>();

  /** Count one connection from `address` dropped for abuse at `now`. */
  record(address: string, now: number = performance.now()): void {
    const score = this.#score(address, now) + 1;
    this.#scores.delete(address); // Re-inserted last: the map stays oldest first.
    if (this.#scores.size >= MAX_ADDRESSES) {
      const oldest = this.#scores.keys().next().value;
      if (oldest !== undefined) this.#scores.delete(oldest);
    }
    this.#scores.set(address, { score, at: now });
  }

  /** How long to wait before greeting a new connection from `address`, in ms. */
  delayFor(address: string, now: number = performance.now()): number {
    const score = this.#score(address, now);
    if (score < 0.5) {
      this.#scores.delete(address);
      return 0;
    }
    return Math.min(MAX_ABUSE_DELAY_MS, Math.round(score * ABUSE_DELAY_PER_DROP_MS));
  }

  #score(address: string, now: number): number {
    const entry = this.#scores.get(address);
    if (!entry) return 0;
    return entry.score * 2 ** (-(now - entry.at) / ABUSE_HALF_LIFE_MS);
  }
}
