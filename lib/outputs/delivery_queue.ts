/**
 * The one bounded queue every output uses between the server's network loop
 * and a consumer that may be slow or stuck (a pipe nobody reads, a browser
 * tab in the background, a NATS server far away).
 *
 * {@linkcode DeliveryQueue.push} is synchronous and O(1): it never waits for
 * the consumer. A drain loop hands the queued items to an async `deliver`
 * function in batches, one batch at a time, in order. When the consumer
 * falls `limit` items behind, new items are dropped and counted; once half
 * the queue has been delivered the queue takes items again, and first queues
 * one gap item made by `gap(dropped)`, so the consumer learns exactly how
 * many items it missed and where. Nothing is lost silently.
 *
 * A queue is also an {@linkcode OutputFlow}: it says when more than its
 * high-water mark of items wait, and when its consumer last made progress,
 * for an output that opts in to the server's flow control.
 *
 * @module
 */

import { withDeadline } from "../net/deadline.ts";
import type { OutputFlow } from "../server/output.ts";

/** Items delivered at most per `deliver` call unless told otherwise. */
export const DEFAULT_MAX_BATCH = 4096;

/** How a {@linkcode DeliveryQueue} delivers, and how far behind it may fall. */
export interface DeliveryQueueOptions<T> {
  /**
   * Most items held (waiting or being delivered) before new ones are
   * dropped; at least 1. A gap item may come on top.
   */
  limit: number;
  /**
   * Deliver a batch of items, in order; the next batch waits until the
   * returned promise settles. A rejection stops the queue: `onError` is
   * called once and everything after is discarded. A delivery in several
   * writes calls `progressed(done)` after each, with how many of the
   * batch's items are through so far, so that flow control sees a slow
   * consumer progress within a batch; a settled batch counts as progress too.
   */
  deliver: (batch: T[], progressed: (done: number) => void) => Promise<void>;
  /** Make the item that tells the consumer `dropped` items were lost at this point. */
  gap: (dropped: number) => T;
  /** Most items per `deliver` call; default {@linkcode DEFAULT_MAX_BATCH}. */
  maxBatch?: number;
  /** Called once when `deliver` rejects, with its error. */
  onError?: (error: unknown) => void;
  /**
   * Items not delivered yet (waiting, and those of the batch in delivery
   * that `progressed` has not counted) above which the queue is
   * {@linkcode DeliveryQueue.behind}; default a quarter of `limit`. A batch
   * is at most what waits, so while flow control keeps the items near this
   * mark the queue holds about twice it, well inside `limit`.
   */
  highWater?: number;
}

/** What {@linkcode DeliveryQueue.close} managed to do before its deadline. */
export interface CloseReport {
  /** Whether every item (and any gap item) was delivered. */
  complete: boolean;
  /**
   * Items given up: still queued at the deadline, or left after a failed
   * delivery. Dropped items that a gap item reported are not counted.
   */
  abandoned: number;
}

/**
 * A bounded queue in front of an async consumer; see the module doc.
 *
 * @typeParam T the items queued.
 *
 * @example A consumer that takes its time
 * ```ts
 * import { DeliveryQueue } from "./delivery_queue.ts";
 * const seen: string[] = [];
 * const queue = new DeliveryQueue<string>({
 *   limit: 2,
 *   deliver: async (batch) => {
 *     await new Promise((resolve) => setTimeout(resolve, 10));
 *     seen.push(...batch);
 *   },
 *   gap: (dropped) => `gap ${dropped}`,
 * });
 * for (const item of ["a", "b", "c", "d"]) queue.push(item); // c and d do not fit
 * queue.push("e"); // still dropping until the queue has drained
 * const report = await queue.close(1000);
 * if (seen.join() !== "a,b,gap 3" || !report.complete) throw new Error(seen.join());
 * ```
 */
export class DeliveryQueue<T> implements OutputFlow {
  readonly #limit: number;
  readonly #highWater: number;
  readonly #resumeAt: number;
  readonly #maxBatch: number;
  readonly #deliver: (batch: T[], progressed: (done: number) => void) => Promise<void>;
  readonly #gap: (dropped: number) => T;
  readonly #onError: (error: unknown) => void;
  /** Items waiting; `#head` is the index of the oldest. */
  #items: T[] = [];
  #head = 0;
  /** Items handed to `deliver` and not settled yet. */
  #inFlight = 0;
  /** Of those, the items `deliver` said are through. */
  #inFlightDone = 0;
  /** Dropped since the queue last took an item. */
  #pendingDrops = 0;
  #droppedTotal = 0;
  #dropping = false;
  /** The drain loop, while it runs; cleared by the loop itself when it finds nothing to do. */
  #draining: Promise<void> | null = null;
  #closed = false;
  /** Delivery stopped: it failed, or close gave up at its deadline. */
  #stopped = false;
  #failed = false;
  #abandoned = 0;
  #progressAt = performance.now();
  #progressWaiters: (() => void)[] = [];
  readonly #progressed = (done = 0) => {
    this.#inFlightDone = Math.min(this.#inFlight, Math.max(this.#inFlightDone, done));
    this.#progressAt = performance.now();
    for (const resolve of this.#progressWaiters.splice(0)) resolve();
  };

  /** Create a queue; nothing is delivered until the first push. */
  constructor(options: DeliveryQueueOptions<T>) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new RangeError(
        `the queue limit must be an integer of at least 1, got ${options.limit}`,
      );
    }
    this.#limit = options.limit;
    this.#resumeAt = Math.floor(options.limit / 2);
    this.#highWater = options.highWater ?? Math.floor(options.limit / 4);
    this.#maxBatch = Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);
    this.#deliver = options.deliver;
    this.#gap = options.gap;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Queue one item; never blocks, never throws.
   *
   * @returns false when the item was dropped (the queue is full, has not
   * drained since it was, or is closed or failed).
   */
  push(item: T): boolean {
    if (this.#closed || this.#stopped) return false;
    if (this.#dropping || this.length >= this.#limit) {
      this.#dropping = true;
      this.#pendingDrops++;
      this.#droppedTotal++;
      return false;
    }
    this.#items.push(item);
    this.#start();
    return true;
  }

  /** Items held now: waiting, plus the batch being delivered. */
  get length(): number {
    return this.#items.length - this.#head + this.#inFlight;
  }

  /** Items waiting for `deliver`: those queued, less the batch being delivered. */
  get waiting(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Whether more than the high-water mark of items are not delivered yet;
   * false once the queue is closed or stopped, since nothing would come of
   * waiting for it.
   */
  get behind(): boolean {
    if (this.#closed || this.#stopped) return false;
    return this.#items.length - this.#head + this.#inFlight - this.#inFlightDone > this.#highWater;
  }

  /** `performance.now()` when a delivery (or a write within one) last completed, or the queue was made. */
  get progressAt(): number {
    return this.#progressAt;
  }

  /** Resolves at the next progress of a delivery, or at once when the queue is closed or stopped. */
  progress(): Promise<void> {
    if (this.#closed || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => this.#progressWaiters.push(resolve));
  }

  /** Items dropped since the queue was made (each reported by a gap item). */
  get dropped(): number {
    return this.#droppedTotal;
  }

  /** Whether a delivery failed, which stopped the queue. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Resolves once everything queued so far has been delivered (or the queue failed). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /**
   * Take no more items and deliver what is queued, including a gap item for
   * a drop not reported yet, for at most `timeoutMs`. Past the deadline the
   * rest is given up (a delivery that hangs cannot be taken back, so it is
   * left to settle on its own).
   *
   * @returns what was delivered; calling it again returns the same report.
   */
  close(timeoutMs: number): Promise<CloseReport> {
    if (this.#stopped) {
      return Promise.resolve({ complete: this.#abandoned === 0, abandoned: this.#abandoned });
    }
    if (!this.#closed) {
      this.#closed = true;
      this.#progressed(); // Nobody waits for a closed queue.
      this.#flushGap();
      this.#start();
    }
    return withDeadline(this.idle(), timeoutMs, () => "late" as const).then((outcome) => {
      if (outcome === "late") {
        this.#abandoned += this.#items.length - this.#head + this.#inFlight;
        this.#items = [];
        this.#head = 0;
        this.#inFlight = 0;
        this.#inFlightDone = 0;
        this.#stopped = true; // Whatever settles later delivers nothing more.
        this.#progressed();
      }
      return { complete: this.#abandoned === 0, abandoned: this.#abandoned };
    });
  }

  #start(): void {
    // The loop starts on a microtask, so a burst of pushes from one network
    // read goes out in one batch.
    if (this.#draining) return;
    this.#draining = this.#drain();
  }

  async #drain(): Promise<void> {
    await Promise.resolve();
    try {
      while (!this.#stopped) {
        if (this.#dropping && this.length <= this.#resumeAt) this.#flushGap();
        const batch = this.#takeBatch();
        if (batch.length === 0) return;
        this.#inFlight = batch.length;
        this.#inFlightDone = 0;
        try {
          await this.#deliver(batch, this.#progressed);
          this.#progressed();
        } catch (error) {
          this.#progressed();
          if (this.#stopped) return; // Given up at close already.
          this.#stopped = true;
          this.#failed = true;
          this.#inFlight = 0;
          this.#inFlightDone = 0;
          this.#abandoned += batch.length + this.#items.length - this.#head;
          this.#items = [];
          this.#head = 0;
          this.#onError(error);
          return;
        }
        this.#inFlight = 0;
        this.#inFlightDone = 0;
      }
    } finally {
      // Runs in the same turn as the loop's last look at the queue (this is
      // one async function), so an item pushed after it starts a new loop.
      this.#draining = null;
    }
  }

  /** Take up to `maxBatch` waiting items, oldest first. */
  #takeBatch(): T[] {
    const waiting = this.#items.length - this.#head;
    if (waiting === 0) return [];
    const end = this.#head + Math.min(waiting, this.#maxBatch);
    const batch = this.#items.slice(this.#head, end);
    this.#head = end;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 65536 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  /** Queue the gap item for drops not reported yet, and take items again. */
  #flushGap(): void {
    this.#dropping = false;
    if (this.#pendingDrops === 0) return;
    this.#items.push(this.#gap(this.#pendingDrops));
    this.#pendingDrops = 0;
  }
}
