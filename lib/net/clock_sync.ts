/**
 * Clock sync, NTP-style: from the four timestamps of one request and its
 * reply, the round-trip time and the offset between two clocks; over the
 * last few exchanges, the estimate of the exchange with the smallest round
 * trip (the minimum-RTT filter). See `docs/protocol.md` for the method and
 * its error bound.
 *
 * Pure: every time is passed in, so it is tested with made-up clocks.
 *
 * @module
 */

/**
 * A clock in microseconds. Both ends of a connection read one (the server
 * to stamp its clock requests and emit times, the client to stamp captures
 * and replies); a test may give a client one that is off by any amount.
 */
export type MicrosClock = () => number;

/**
 * This machine's wall clock in µs since the Unix epoch, at the resolution of
 * `performance.now()`: `(performance.timeOrigin + performance.now()) × 1000`.
 * It is the same clock SDL polls are stamped with (`polledAt`, in ms).
 */
export function wallClockMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** The four timestamps of one exchange, in µs. */
export interface ClockExchange {
  /** Requester's clock when it sent the request. */
  sent: number;
  /** Responder's clock when the request arrived. */
  received: number;
  /** Responder's clock when it sent the reply. */
  replied: number;
  /** Requester's clock when the reply arrived. */
  answered: number;
}

/** What one exchange, or the filter over several, says about the two clocks. */
export interface ClockEstimate {
  /** Round-trip time on the network, without the responder's time between receiving and replying, in µs. */
  rttUs: number;
  /**
   * Responder's clock minus requester's clock, in µs: a requester time plus
   * this is the same instant on the responder's clock.
   */
  offsetUs: number;
}

/**
 * The estimate from one exchange (RFC 5905 §8): the round trip is the
 * requester's elapsed time less the responder's, and the offset assumes the
 * request and the reply took equally long, so it is wrong by at most half
 * the round trip whatever the asymmetry.
 *
 * @example Usage
 * ```ts
 * import { estimateExchange } from "./clock_sync.ts";
 * // 20 ms each way; the responder's clock runs 10 s ahead.
 * const e = estimateExchange({ sent: 0, received: 10_020_000, replied: 10_020_100, answered: 40_100 });
 * if (e.rttUs !== 40_000 || e.offsetUs !== 10_000_000) throw new Error();
 * ```
 */
export function estimateExchange(exchange: ClockExchange): ClockEstimate {
  const { sent, received, replied, answered } = exchange;
  const turnaround = Math.max(0, replied - received);
  return {
    rttUs: Math.max(0, answered - sent - turnaround),
    offsetUs: Math.round(((received - sent) + (replied - answered)) / 2),
  };
}

/** Exchanges the minimum-RTT filter looks back over. */
export const CLOCK_FILTER_SIZE = 8;

/**
 * Keeps the last {@linkcode CLOCK_FILTER_SIZE} exchanges of one peer and
 * answers with the estimate of the one whose round trip was smallest: a
 * sample delayed on the way (a busy event loop, a queue on the path) has a
 * larger round trip and a larger possible error, so it is passed over while
 * a better one is in the window. Old samples leave the window, so the
 * estimate follows drift and changes of route.
 *
 * @example Usage
 * ```ts
 * import { ClockFilter } from "./clock_sync.ts";
 * const filter = new ClockFilter();
 * filter.add({ sent: 0, received: 600, replied: 600, answered: 1000 }); // rtt 1000
 * filter.add({ sent: 2000, received: 2300, replied: 2300, answered: 2400 }); // rtt 400
 * if (filter.estimate?.rttUs !== 400 || filter.estimate.offsetUs !== 100) throw new Error();
 * ```
 */
export class ClockFilter {
  readonly #rtt = new Float64Array(CLOCK_FILTER_SIZE);
  readonly #offset = new Float64Array(CLOCK_FILTER_SIZE);
  #count = 0;
  #next = 0;
  #best: ClockEstimate | null = null;
  #latest: ClockEstimate | null = null;

  /** Exchanges recorded so far (also those that left the window). */
  get samples(): number {
    return this.#count;
  }

  /** The filtered estimate: that of the smallest round trip in the window; null before any exchange. */
  get estimate(): ClockEstimate | null {
    return this.#best;
  }

  /** The estimate of the latest exchange alone; null before any exchange. */
  get latest(): ClockEstimate | null {
    return this.#latest;
  }

  /** Record one exchange and refresh the estimate. */
  add(exchange: ClockExchange): ClockEstimate {
    const sample = estimateExchange(exchange);
    this.#latest = sample;
    this.#rtt[this.#next] = sample.rttUs;
    this.#offset[this.#next] = sample.offsetUs;
    this.#next = (this.#next + 1) % CLOCK_FILTER_SIZE;
    this.#count++;
    const filled = Math.min(this.#count, CLOCK_FILTER_SIZE);
    let best = 0;
    for (let i = 1; i < filled; i++) if (this.#rtt[i]! < this.#rtt[best]!) best = i;
    this.#best = { rttUs: this.#rtt[best]!, offsetUs: this.#offset[best]! };
    return this.#best;
  }
}
