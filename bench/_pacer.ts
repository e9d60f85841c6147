/**
 * A 1 kHz pacer: ticks from a worker (`_pacer_worker.ts`) that sleeps in
 * `Atomics.wait` between absolute deadlines.
 *
 * @module
 */

import { Deadline } from "../lib/net/deadline.ts";

/**
 * Calls `onTick` about `rateHz` times a second from a worker that sleeps in
 * `Atomics.wait` between absolute deadlines (Deno's timers cannot tick at
 * 1 kHz: `setTimeout` takes about 2 ms here). The tick reaches this thread
 * as a message, so the phase of the ticks is independent of anything else
 * on this thread.
 */
export class Pacer {
  readonly #worker: Worker;
  readonly #control = new Int32Array(new SharedArrayBuffer(8));

  constructor() {
    this.#worker = new Worker(new URL("./_pacer_worker.ts", import.meta.url).href, {
      type: "module",
    });
  }

  /**
   * Tick `count` times at `rateHz`, giving up after `maxMs`.
   *
   * @returns the number of ticks delivered
   */
  run(rateHz: number, count: number, maxMs: number, onTick: (tick: number) => void) {
    return new Promise<number>((resolve) => {
      let ticks = 0;
      const deadline = new Deadline(maxMs, () => finish());
      const finish = () => {
        deadline.cancel();
        Atomics.store(this.#control, 1, 1);
        Atomics.notify(this.#control, 0);
        resolve(ticks);
      };
      this.#worker.onmessage = (event: MessageEvent<number>) => {
        if (event.data < 0) return finish();
        ticks++;
        onTick(event.data);
      };
      Atomics.store(this.#control, 1, 0);
      this.#worker.postMessage({ control: this.#control.buffer, rateHz, count });
    });
  }

  /** Stop the worker. */
  close(): void {
    Atomics.store(this.#control, 1, 1);
    Atomics.notify(this.#control, 0);
    this.#worker.terminate();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
