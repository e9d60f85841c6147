/**
 * Listeners of server events, and {@linkcode streamEvents}, which turns them
 * into an async iterable that unsubscribes as soon as its consumer stops.
 *
 * @module
 */

/** A set of callbacks, each called synchronously for every value, in the order added. */
export class Listeners<T> {
  readonly #set = new Set<(value: T) => void>();

  /**
   * Add a listener.
   *
   * @returns a function that removes it again.
   */
  add(listener: (value: T) => void): () => void {
    // A wrapper, so the same function added twice is two listeners.
    const entry = (value: T) => listener(value);
    this.#set.add(entry);
    return () => this.#set.delete(entry);
  }

  /** Call every listener with `value`. */
  emit(value: T): void {
    for (const listener of this.#set) listener(value);
  }

  /** How many listeners are registered now. */
  get size(): number {
    return this.#set.size;
  }
}

/**
 * `first`, then every value `listeners` emit until `finished` settles, as an
 * async iterable. Values wait in an unbounded queue while the consumer is
 * busy. The listener is added when iteration starts and removed when it
 * ends, also when the consumer `break`s out of `for await` or throws.
 *
 * @example Stop after the first value
 * ```ts
 * import { Listeners, streamEvents } from "./listeners.ts";
 * const listeners = new Listeners<number>();
 * for await (const n of streamEvents(listeners, [1], new Promise(() => {}))) {
 *   if (n === 1) break;
 * }
 * if (listeners.size !== 0) throw new Error("still subscribed");
 * ```
 */
export async function* streamEvents<T>(
  listeners: Listeners<T>,
  first: readonly T[],
  finished: Promise<void>,
): AsyncGenerator<T, void, undefined> {
  const queue: T[] = [...first];
  let wake: (() => void) | null = null;
  let done = false;
  const remove = listeners.add((value) => {
    queue.push(value);
    wake?.();
  });
  finished.finally(() => {
    done = true;
    wake?.();
  }).catch(() => {});
  try {
    while (true) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => wake = resolve);
      wake = null;
    }
  } finally {
    remove();
  }
}
