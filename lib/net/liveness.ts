/**
 * Liveness: heartbeats to a quiet peer, and a timeout for a silent one. The
 * server watches every client with one ticker; the client watches its server
 * with another. Both judge silence the same way, here.
 *
 * @module
 */

/** Least interval between ticks, in ms: finer buys nothing but CPU. */
export const MIN_TICK_MS = 10;

/**
 * One watched peer. {@linkcode FramedConnection} already tracks both times;
 * the rest is what the owner does about them.
 */
export interface LivenessPeer {
  /** `performance.now()` when bytes last arrived from the peer. */
  readonly lastReceived: number;
  /** `performance.now()` when bytes were last queued for the peer. */
  readonly lastSent: number;
  /** Nothing arrived for longer than the timeout: the peer is gone. */
  onSilent(): void;
  /** Nothing was sent for the heartbeat interval: send a heartbeat. */
  onQuiet(): void;
}

/** Options for {@linkcode LivenessTicker}. */
export interface LivenessOptions {
  /** Send a heartbeat after this much quiet on our side, in ms. */
  heartbeatMs: number;
  /** Declare the peer gone after this much silence on its side, in ms. */
  timeoutMs: number;
}

/**
 * A timer that checks its peers every few ms: a peer silent for longer than
 * the timeout gets `onSilent`, one we have not sent to for the heartbeat
 * interval gets `onQuiet`.
 *
 * Silence is judged up to the previous tick, not up to now: bytes that
 * arrived while this process was busy (a flood, a GC pause) have had an
 * event-loop turn since then to be read, so a stall of ours is never taken
 * for a silent peer.
 *
 * @example Watch one peer
 * ```ts
 * import { LivenessTicker } from "./liveness.ts";
 * let quiet = 0;
 * const peer = {
 *   lastReceived: performance.now(),
 *   lastSent: performance.now() - 1000,
 *   onSilent() {},
 *   onQuiet() { quiet++; },
 * };
 * const ticker = new LivenessTicker({ heartbeatMs: 250, timeoutMs: 1000 }, () => [peer]);
 * ticker.tick();
 * ticker.stop();
 * if (quiet !== 1) throw new Error("one heartbeat due");
 * ```
 */
export class LivenessTicker {
  readonly #options: LivenessOptions;
  readonly #peers: () => Iterable<LivenessPeer>;
  readonly #interval: ReturnType<typeof setInterval>;
  #lastTick = performance.now();

  /**
   * Start ticking.
   *
   * @param options The heartbeat interval and the timeout.
   * @param peers The peers to check, asked afresh at every tick.
   */
  constructor(options: LivenessOptions, peers: () => Iterable<LivenessPeer>) {
    this.#options = options;
    this.#peers = peers;
    this.#interval = setInterval(() => this.tick(), this.tickMs);
  }

  /** Interval between ticks: fine enough to notice a timeout within 1/8 of it. */
  get tickMs(): number {
    const { heartbeatMs, timeoutMs } = this.#options;
    return Math.max(MIN_TICK_MS, Math.min(heartbeatMs, timeoutMs / 8));
  }

  /** Check every peer now (the timer calls this; tests may too). */
  tick(now: number = performance.now()): void {
    const heardBy = this.#lastTick;
    this.#lastTick = now;
    const { heartbeatMs, timeoutMs } = this.#options;
    for (const peer of this.#peers()) {
      if (heardBy - peer.lastReceived > timeoutMs) peer.onSilent();
      else if (now - peer.lastSent >= heartbeatMs) peer.onQuiet();
    }
  }

  /** Stop ticking. Safe to call more than once. */
  stop(): void {
    clearInterval(this.#interval);
  }
}
