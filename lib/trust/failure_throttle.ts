/**
 * Slows wrong token proofs down without ever locking anyone out. A lock-out
 * per address is a denial of service: five wrong tokens from an address an
 * honest client shares (a NAT, a LAN party) would refuse that client too,
 * though it holds the right token. And with 80-bit tokens online guessing is
 * hopeless anyway. So a correct proof is always accepted at once, and a
 * wrong one is answered only after a delay, with a cap on how many wrong
 * proofs wait out their delay at once (each holds a socket).
 *
 * @module
 */

/** Options for {@linkcode FailureThrottle}. */
export interface FailureThrottleOptions {
  /** How long a wrong proof waits for its REFUSE, in ms. Default {@linkcode FAILURE_DELAY_MS}. */
  delayMs?: number;
  /** Most wrong proofs waiting at once, in all. Default {@linkcode MAX_FAILURES_IN_FLIGHT}. */
  maxInFlight?: number;
  /**
   * Most wrong proofs waiting at once from one address. Default
   * {@linkcode MAX_FAILURES_IN_FLIGHT_PER_ADDRESS}.
   */
  maxInFlightPerAddress?: number;
}

/** Default delay before a wrong token is refused, in ms. */
export const FAILURE_DELAY_MS = 1000;

/** Default cap on wrong proofs waiting out their delay at once. */
export const MAX_FAILURES_IN_FLIGHT = 64;

/** Default cap on wrong proofs waiting out their delay at once from one address. */
export const MAX_FAILURES_IN_FLIGHT_PER_ADDRESS = 8;

/**
 * Counts the wrong proofs waiting out their delay, per address and in all.
 *
 * @example Usage
 * ```ts
 * import { FailureThrottle } from "./failure_throttle.ts";
 * const throttle = new FailureThrottle({ maxInFlightPerAddress: 1 });
 * const release = throttle.hold("10.0.0.9");
 * if (!release || throttle.hold("10.0.0.9") !== null) throw new Error();
 * release();
 * if (throttle.hold("10.0.0.9") === null) throw new Error();
 * ```
 */
export class FailureThrottle {
  /** How long a wrong proof waits for its REFUSE, in ms. */
  readonly delayMs: number;
  readonly #maxInFlight: number;
  readonly #maxPerAddress: number;
  readonly #perAddress = new Map<string, number>();
  #inFlight = 0;

  /** Create a throttle. */
  constructor(options: FailureThrottleOptions = {}) {
    this.delayMs = options.delayMs ?? FAILURE_DELAY_MS;
    this.#maxInFlight = options.maxInFlight ?? MAX_FAILURES_IN_FLIGHT;
    this.#maxPerAddress = options.maxInFlightPerAddress ?? MAX_FAILURES_IN_FLIGHT_PER_ADDRESS;
  }

  /** Wrong proofs waiting now, in all. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Count one more wrong proof from `address` as waiting.
   *
   * @returns a function that stops counting it (call it once the REFUSE is
   * sent or the connection is gone), or null when a cap is reached: then
   * the caller drops the connection without an answer.
   */
  hold(address: string): (() => void) | null {
    const held = this.#perAddress.get(address) ?? 0;
    if (this.#inFlight >= this.#maxInFlight || held >= this.#maxPerAddress) return null;
    this.#perAddress.set(address, held + 1);
    this.#inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left === 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    };
  }
}
