/**
 * Records input events in the replay format (JSON lines with `t`, ms since
 * the recording started), so a session on real hardware can be replayed
 * later with `--replay` or `--virtual`.
 *
 * @module
 */

import { dequantizeAxis, type InputEvent, quantizeAxis } from "../input/model.ts";

/** How often buffered lines are written out, in ms. */
const FLUSH_INTERVAL_MS = 200;

/**
 * Turn an event into its replay line.
 *
 * @example Usage
 * ```ts
 * import { replayLine } from "./recorder.ts";
 * const line = replayLine(12.5, { type: "button", pad: 0, button: "a", pressed: true });
 * if (line !== '{"t":12.5,"type":"button","pad":0,"button":"a","pressed":true}') throw new Error(line);
 * ```
 */
export function replayLine(t: number, event: InputEvent): string {
  if (event.type === "axis") {
    // Record what the wire carries: the value after quantisation.
    const value = dequantizeAxis(quantizeAxis(event.axis, event.value));
    return JSON.stringify({ t, ...event, value });
  }
  return JSON.stringify({ t, ...event });
}

/** Appends events to a replay file. */
export class Recorder implements AsyncDisposable {
  readonly #file: Deno.FsFile;
  readonly #start = performance.now();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #encoder = new TextEncoder();
  #buffer = "";

  private constructor(file: Deno.FsFile) {
    this.#file = file;
    this.#timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  /** Create (or truncate) `path` and start recording. */
  static async create(path: string): Promise<Recorder> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    return new Recorder(file);
  }

  /** Record events that were just sent. */
  add(events: readonly InputEvent[]): void {
    if (events.length === 0) return;
    const t = Math.round((performance.now() - this.#start) * 10) / 10;
    for (const event of events) this.#buffer += replayLine(t, event) + "\n";
  }

  /** Write out what is buffered. */
  flush(): void {
    if (this.#buffer === "") return;
    const bytes = this.#encoder.encode(this.#buffer);
    this.#buffer = "";
    let offset = 0;
    while (offset < bytes.length) offset += this.#file.writeSync(bytes.subarray(offset));
  }

  /** Flush and close the file. */
  close(): Promise<void> {
    clearInterval(this.#timer);
    this.flush();
    this.#file.close();
    return Promise.resolve();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
