/**
 * Deadlines: the one place padlink races work against a timer. Every timer
 * made here is cleared when the work settles first, so nothing keeps the
 * process (or a test's op sanitizer) waiting after the race is decided.
 *
 * @module
 */

/** Work that did not finish within its deadline. */
export class DeadlineError extends Error {
  /** The deadline that passed, in ms. */
  readonly ms: number;

  /** Create the error for a deadline of `ms`. */
  constructor(ms: number, message = `timed out after ${Math.round(ms)} ms`) {
    super(message);
    this.name = "DeadlineError";
    this.ms = ms;
  }
}

/**
 * Settle with `promise`, unless `ms` pass first: then settle with what
 * `onTimeout` returns (or throws). Without `onTimeout`, the result rejects
 * with a {@linkcode DeadlineError}. The timer is cleared either way; a
 * rejection of `promise` after the deadline is handled, not reported.
 *
 * @param promise The work.
 * @param ms Time allowed, in ms.
 * @param onTimeout Called once when time runs out; its value (or error) is the result.
 * @returns the work's value, or `onTimeout`'s.
 *
 * @example Give up on a slow promise
 * ```ts
 * import { withDeadline } from "./deadline.ts";
 * const never = new Promise<string>(() => {});
 * const result = await withDeadline(never, 1, () => "late");
 * if (result !== "late") throw new Error(result);
 * ```
 */
export function withDeadline<T, U = never>(
  promise: PromiseLike<T>,
  ms: number,
  onTimeout?: () => U | PromiseLike<U>,
): Promise<T | U> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<U>((resolve, reject) => {
    timer = setTimeout(() => {
      if (!onTimeout) return reject(new DeadlineError(ms));
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * A watchdog: calls `onExpire` once `ms` have passed, unless it was
 * cancelled first. For work that is ended from outside (closing a socket
 * that a read waits on) rather than raced. Disposing it cancels it, so
 * `using` clears the timer on every path.
 *
 * @example Cancel on the way out
 * ```ts
 * import { Deadline } from "./deadline.ts";
 * let fired = false;
 * {
 *   using _deadline = new Deadline(1000, () => fired = true);
 * }
 * if (fired) throw new Error("cancelled before it fired");
 * ```
 */
export class Deadline implements Disposable {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #expired = false;

  /**
   * Start the watchdog.
   *
   * @param ms Time until it fires, in ms.
   * @param onExpire Called once when it fires.
   */
  constructor(ms: number, onExpire: () => void) {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#expired = true;
      onExpire();
    }, ms);
  }

  /** Whether it fired. */
  get expired(): boolean {
    return this.#expired;
  }

  /** Stop it from firing. Safe to call more than once, and after it fired. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Same as {@linkcode cancel}. */
  [Symbol.dispose](): void {
    this.cancel();
  }
}

/**
 * Resolve after `ms`, or as soon as `signal` aborts (resolving, not
 * rejecting: the caller checks the signal). The timer and the listener are
 * removed either way.
 *
 * @param ms Time to wait, in ms.
 * @param signal Cuts the wait short.
 *
 * @example Usage
 * ```ts
 * import { sleep } from "./deadline.ts";
 * await sleep(1);
 * const stop = new AbortController();
 * stop.abort();
 * await sleep(60_000, stop.signal); // At once: already aborted.
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
