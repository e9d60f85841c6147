/**
 * Runs `_load.ts` as a child process and talks to it over its stdio.
 *
 * @module
 */

import type { LoadConfig } from "./_load.ts";
import { withDeadline } from "../lib/net/deadline.ts";
import { readFirstLine, ROOT } from "./_server.ts";
import { killQuietly } from "../tools/_spawn.ts";

/** What a stream or paced run reports. */
export interface LoadDone {
  events: number;
  clients: number;
  acked: number;
  /** From "go" to the last ACK. */
  seconds: number;
  firstAckSeconds: number;
}

/** A running load generator process. */
export class Generator implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly #stdout: ReadableStreamDefaultReader<Uint8Array>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #rest: Uint8Array = new Uint8Array(0);

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#stdout = child.stdout.getReader();
    this.#stdin = child.stdin.getWriter();
  }

  /** Start a generator and wait until its clients are connected. */
  static async start(config: LoadConfig, timeoutMs = 120_000): Promise<Generator> {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-A", `${ROOT}bench/_load.ts`, JSON.stringify(config)],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const generator = new Generator(child);
    try {
      const ready = JSON.parse(await generator.#line(timeoutMs));
      if (ready.type !== "ready") throw new Error(`generator said ${JSON.stringify(ready)}`);
      return generator;
    } catch (error) {
      await generator.close();
      throw error;
    }
  }

  get pid(): number {
    return this.child.pid;
  }

  async #line(timeoutMs: number): Promise<string> {
    const newline = this.#rest.indexOf(10);
    if (newline >= 0) {
      const line = new TextDecoder().decode(this.#rest.subarray(0, newline));
      this.#rest = this.#rest.slice(newline + 1);
      return line;
    }
    const { line, rest } = await readFirstLine(
      new PrefixedReader(this.#rest, this.#stdout),
      timeoutMs,
    );
    this.#rest = rest;
    return line;
  }

  /** Tell it to go and wait for its report. */
  async go(timeoutMs = 300_000): Promise<LoadDone> {
    await this.#stdin.write(new TextEncoder().encode("go\n"));
    const done = JSON.parse(await this.#line(timeoutMs));
    if (done.type !== "done") throw new Error(`generator said ${JSON.stringify(done)}`);
    return done as LoadDone;
  }

  /** Stop it (idle mode ends on stdin's end) and wait for it to exit. */
  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    await withDeadline(this.child.status, 10_000, () => killQuietly(this.child, "SIGKILL"));
    await this.child.status;
    await this.#stdout.cancel().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A reader that first returns `prefix`, then reads from `reader`. */
class PrefixedReader {
  #prefix: Uint8Array | null;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(prefix: Uint8Array, reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#prefix = prefix.length > 0 ? prefix : null;
    this.#reader = reader;
  }

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (this.#prefix) {
      const value = this.#prefix;
      this.#prefix = null;
      return Promise.resolve({ done: false, value });
    }
    return this.#reader.read();
  }
}
