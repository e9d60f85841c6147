/**
 * The worker behind {@linkcode Pacer} in `_pacer.ts`: it posts tick numbers
 * at absolute deadlines `start + k / rateHz`, sleeping in `Atomics.wait`
 * between them, and posts -1 when done. Cell 1 of the shared control array
 * set to 1 stops it early.
 *
 * @module
 */

interface Start {
  control: SharedArrayBuffer;
  rateHz: number;
  count: number;
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<Start>) => void) | null;
  postMessage(message: number): void;
};

scope.onmessage = (event) => {
  const { rateHz, count } = event.data;
  const control = new Int32Array(event.data.control);
  const period = 1000 / rateHz;
  const start = performance.now();
  for (let tick = 0; tick < count; tick++) {
    const deadline = start + tick * period;
    let now = performance.now();
    while (now < deadline && Atomics.load(control, 1) === 0) {
      Atomics.wait(control, 0, 0, deadline - now);
      now = performance.now();
    }
    if (Atomics.load(control, 1) !== 0) break;
    scope.postMessage(tick);
  }
  scope.postMessage(-1);
};
