/**
 * Flow control between the server's read loops and the outputs that opt in
 * to it ({@linkcode OutputFlow}, stdout in practice): tells a slow output
 * that is still writing from a stuck one.
 *
 * Every session asks {@linkcode ReadFlowControl.hold} before it decodes
 * what it read. While an output is behind, the answer is a promise that
 * settles at the output's next completed write or after
 * {@linkcode FLOW_WAIT_MS}, whichever comes first, and the session asks
 * again: it reads nothing more meanwhile, so TCP slows its client down.
 * Once waits for an output have run out without a write completing for
 * {@linkcode FLOW_STALL_MS} in a row, the output is stuck: `hold` says to
 * read on, and the output's own bound and gap record take over, until the
 * output completes a write again. Stuck is counted in waits that ran out,
 * not read off the clock, so an output that was idle (nothing to write
 * until a burst came) or a process the machine did not run for a while is
 * not taken for a stuck reader. Every wait is a timer or a promise, never a
 * blocking call, so heartbeats, timeouts and signals go on throughout.
 *
 * @module
 */

import { withDeadline } from "../net/deadline.ts";
import type { OutputFlow } from "./output.ts";

/**
 * Longest single wait for an output, in ms. The session asks again after
 * it, so the output's state (caught up, stuck, closed) is looked at at
 * least this often.
 */
export const FLOW_WAIT_MS = 25;

/**
 * Waiting for an output this long in a row, in ms (in waits of
 * {@linkcode FLOW_WAIT_MS} that ran out), without a write completing, shows
 * it is stuck, not slow: reads go on and it drops past its bound. A
 * heartbeat interval (`DEFAULT_HEARTBEAT_MS`): a file or a program that
 * reads completes writes every few ms, and a stuck reader costs this once.
 */
export const FLOW_STALL_MS = 250;

/** Options for {@linkcode ReadFlowControl}; tests shorten them. */
export interface FlowControlOptions {
  /** Longest single wait, in ms; default {@linkcode FLOW_WAIT_MS}. */
  waitMs?: number;
  /** Waiting this long in a row without a write means stuck, in ms; default {@linkcode FLOW_STALL_MS}. */
  stallMs?: number;
}

/**
 * The outputs that set the pace of the server's reads.
 *
 * @example A writer that is behind holds reads back until it proves stuck
 * ```ts
 * import { ReadFlowControl } from "./flow_control.ts";
 * // Behind, and no write ever completes.
 * const flow = { behind: true, progressAt: 0, progress: () => new Promise<void>(() => {}) };
 * const control = new ReadFlowControl({ waitMs: 5, stallMs: 50 });
 * control.add(flow);
 * let waits = 0;
 * for (let wait = control.hold(); wait !== null; wait = control.hold()) {
 *   await wait;
 *   waits++;
 * }
 * if (waits !== 10) throw new Error(`stuck after ${waits} waits of 5 ms, not 50 ms of them`);
 * ```
 */
export class ReadFlowControl {
  readonly #watches: Watch[] = [];
  readonly #waitMs: number;
  /** Waits in a row that run out without progress before an output counts as stuck. */
  readonly #stallWaits: number;
  /** The wait under way, shared by every session that asks during it. */
  #pending: Promise<void> | null = null;

  /** No outputs yet: nothing holds reads until one is {@linkcode add}ed. */
  constructor(options: FlowControlOptions = {}) {
    this.#waitMs = options.waitMs ?? FLOW_WAIT_MS;
    this.#stallWaits = Math.max(1, Math.ceil((options.stallMs ?? FLOW_STALL_MS) / this.#waitMs));
  }

  /** Let `flow` set the pace of reads from now on. */
  add(flow: OutputFlow): void {
    this.#watches.push({ flow, seenProgressAt: flow.progressAt, fruitless: 0 });
  }

  /**
   * Whether to read on.
   *
   * @returns null to read on; otherwise a promise to wait for before asking
   *   again, which settles within the longest wait and never rejects.
   */
  hold(): Promise<void> | null {
    if (this.#pending) return this.#pending;
    for (const watch of this.#watches) {
      const { flow } = watch;
      if (flow.progressAt !== watch.seenProgressAt) {
        watch.seenProgressAt = flow.progressAt; // It wrote: not stuck (any more).
        watch.fruitless = 0;
      }
      if (!flow.behind || watch.fruitless >= this.#stallWaits) continue;
      const pending: Promise<void> = withDeadline(
        flow.progress(),
        this.#waitMs,
        () => "late" as const,
      )
        .then((outcome) => {
          if (outcome === "late" && flow.progressAt === watch.seenProgressAt) watch.fruitless++;
        }, () => {})
        .finally(() => {
          if (this.#pending === pending) this.#pending = null;
        });
      this.#pending = pending;
      return pending;
    }
    return null;
  }
}

/** One output's flow, and how long reads have waited for it in vain. */
interface Watch {
  readonly flow: OutputFlow;
  /** Its `progressAt` when last looked at. */
  seenProgressAt: number;
  /** Waits in a row that ran out with no write completed. */
  fruitless: number;
}
