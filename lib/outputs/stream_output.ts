/**
 * The text and JSON outputs: server events as lines on a byte stream
 * (stdout), written asynchronously from a {@linkcode DeliveryQueue}, many
 * lines per write, so a reader that stops reading never stalls the server.
 *
 * Past {@linkcode DEFAULT_OUTPUT_QUEUE} events behind, the output drops
 * events, then writes one gap line (`{"type":"gap","dropped":N}`, or
 * `gap: N events dropped (output too slow)` in text) before it resumes. The
 * program's own notes and records go through the same queue with
 * {@linkcode StreamOutput.note}, so they stay in order with the events.
 *
 * A stream output opts in to the server's flow control
 * ({@linkcode StreamOutput.flow}): stdout is the primary consumer, and a
 * reader that keeps up but more slowly than the network loop reads (a file,
 * a program) slows the clients down instead of losing events. Only a reader
 * that stops (no write completes) makes it drop.
 *
 * @module
 */

import type { ServerEvent } from "../server/events.ts";
import type { Output, OutputFlow } from "../server/output.ts";
import { type CloseReport, DeliveryQueue } from "./delivery_queue.ts";
import { formatGapHuman, formatGapJson, formatHuman, formatJson } from "./format.ts";
import { jsonText } from "../wire/safe_text.ts";

/**
 * Events a stream output holds for a slow reader before it drops: at about
 * 100 bytes a line, some 10 MB, or several seconds of the busiest clients.
 */
export const DEFAULT_OUTPUT_QUEUE = 100_000;

/**
 * How long closing waits for a stuck reader to take what is queued, in ms;
 * short enough that SIGINT still stops the server within 2 s.
 */
export const DEFAULT_OUTPUT_CLOSE_MS = 1000;

/**
 * Most lines per write. The drain loop gets one turn per write while a flood
 * from many clients adds tens of thousands of events per turn of the event
 * loop, so each write takes all of that; the cap bounds the formatting done
 * in one go (about 35 ms for 65,536 lines on the bench machine).
 */
const LINES_PER_WRITE = 65536;

/**
 * Lines encoded and written at a time within one batch: about 800 KB of
 * JSON, encoded into the same buffer each time.
 */
const LINES_PER_CHUNK = 8192;

/** Somewhere a {@linkcode StreamOutput} writes bytes, such as `Deno.stdout`. */
export interface ByteWriter {
  /** Write some of `bytes`; resolves with how many were written. */
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * A line the program writes itself, beside the server's events: a message
 * for people, or a record such as where the web view listens.
 */
export interface OutputNote {
  /** The line in text mode. */
  text: string;
  /**
   * The record in JSON mode, written as one JSON line with its keys in this
   * order, for example `{ type: "web", url }`, or a JSON line already made
   * (one with strings from a peer, written by `format.ts`). Without it, a
   * JSON output hands `text` to its `onMessage` (stderr) instead, keeping
   * stdout pure.
   */
  json?: { type: string; [key: string]: unknown } | string;
}

/** Options for {@linkcode StreamOutput}. */
export interface StreamOutputOptions {
  /** JSON lines (`--json`) instead of human text. */
  json: boolean;
  /** Where the lines go; default `Deno.stdout`. */
  writer?: ByteWriter;
  /** Most events held for a slow reader; default {@linkcode DEFAULT_OUTPUT_QUEUE}. */
  queueLimit?: number;
  /** How long {@linkcode StreamOutput.close} waits, in ms; default {@linkcode DEFAULT_OUTPUT_CLOSE_MS}. */
  closeTimeoutMs?: number;
  /** Called once when a write fails (the reader went away); later lines are dropped. */
  onError?: (error: unknown) => void;
  /** Where a JSON output sends notes that have no JSON form; default `console.error`. */
  onMessage?: (text: string) => void;
}

/** A line already made, queued beside events. */
class Line {
  constructor(readonly text: string) {}
}

type Item = ServerEvent | Line;

/**
 * Server events as text or JSON lines on a stream; an {@linkcode Output}
 * for `PadlinkServer.addOutput`.
 *
 * @example JSON lines into a buffer
 * ```ts
 * import { StreamOutput } from "./stream_output.ts";
 * const chunks: Uint8Array[] = [];
 * const output = new StreamOutput({
 *   json: true,
 *   writer: { write: (bytes) => Promise.resolve(chunks.push(bytes.slice()) && bytes.length) },
 * });
 * output.push({ type: "connect", client: "alice", addr: "10.0.0.2:5000" });
 * output.note({ text: "web view on http://[::1]:8080/", json: { type: "web", url: "http://[::1]:8080/" } });
 * await output.close();
 * const text = chunks.map((c) => new TextDecoder().decode(c)).join("");
 * if (!text.endsWith('{"type":"web","url":"http://[::1]:8080/"}\n')) throw new Error(text);
 * ```
 */
export class StreamOutput implements Output {
  readonly #json: boolean;
  readonly #writer: ByteWriter;
  readonly #closeTimeoutMs: number;
  readonly #onMessage: (text: string) => void;
  readonly #queue: DeliveryQueue<Item>;
  readonly #encoder = new TextEncoder();
  #buffer = new Uint8Array(0);
  #closing: Promise<CloseReport> | null = null;

  /** Create an output; it writes nothing until the first event or note. */
  constructor(options: StreamOutputOptions) {
    this.#json = options.json;
    this.#writer = options.writer ?? Deno.stdout;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_OUTPUT_CLOSE_MS;
    this.#onMessage = options.onMessage ?? ((text) => console.error(text));
    const gap = options.json ? formatGapJson : formatGapHuman;
    this.#queue = new DeliveryQueue<Item>({
      limit: options.queueLimit ?? DEFAULT_OUTPUT_QUEUE,
      maxBatch: LINES_PER_WRITE,
      deliver: (batch, progressed) => this.#write(batch, progressed),
      gap: (dropped) => new Line(gap(dropped)),
      onError: options.onError,
    });
  }

  /** Flow control for the server's read loop: this output's queue (see `OutputFlow`). */
  get flow(): OutputFlow {
    return this.#queue;
  }

  /** Queue one event; never blocks. Dropped (and counted for the gap line) when the queue is full. */
  push(event: ServerEvent): void {
    this.#queue.push(event);
  }

  /**
   * Queue a line of the program's own, in order with the events: `text` in
   * text mode; in JSON mode the `json` record, or `text` to `onMessage` when
   * there is none. A plain string is a note with only a text form.
   */
  note(note: OutputNote | string): void {
    const { text, json } = typeof note === "string" ? { text: note, json: undefined } : note;
    if (!this.#json) {
      this.#queue.push(new Line(text));
    } else if (json) {
      this.#queue.push(new Line(typeof json === "string" ? json : jsonText(json)));
    } else {
      this.#onMessage(text);
    }
  }

  /** Events and notes dropped so far because the reader was too slow. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** Resolves once everything queued so far is written (or writing failed). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * Take nothing more and write what is queued, for at most the close
   * timeout; a stuck reader loses the rest, which the report counts.
   * Calling it again returns the same report.
   */
  finish(): Promise<CloseReport> {
    this.#closing ??= this.#queue.close(this.#closeTimeoutMs);
    return this.#closing;
  }

  /** {@linkcode finish}, for the server when it closes. */
  async close(): Promise<void> {
    await this.finish();
  }

  async #write(batch: Item[], progressed: (done: number) => void): Promise<void> {
    for (let start = 0; start < batch.length; start += LINES_PER_CHUNK) {
      const end = Math.min(batch.length, start + LINES_PER_CHUNK);
      let text = "";
      for (let i = start; i < end; i++) {
        const item = batch[i]!;
        text += item instanceof Line
          ? item.text
          : this.#json
          ? formatJson(item)
          : formatHuman(item);
        text += "\n";
      }
      const bytes = this.#encode(text);
      let offset = 0;
      while (offset < bytes.length) {
        offset += await this.#writer.write(bytes.subarray(offset));
        progressed(offset === bytes.length ? end : start); // Lines written whole so far.
      }
    }
  }

  /**
   * `text` as UTF-8 in a buffer this output reuses (each chunk is written
   * before the next is encoded), so a flood does not allocate a new array of
   * megabytes for every write.
   */
  #encode(text: string): Uint8Array {
    const most = text.length * 3; // A UTF-16 code unit is at most 3 bytes of UTF-8.
    if (this.#buffer.length < most) {
      this.#buffer = new Uint8Array(Math.max(most, 2 * this.#buffer.length));
    }
    const { written } = this.#encoder.encodeInto(text, this.#buffer);
    return this.#buffer.subarray(0, written);
  }
}
