/**
 * Helpers for end-to-end tests: start the real entrypoints as processes,
 * with exactly the permission flags that `deno task compile` bakes into the
 * binaries, and read their output line by line.
 *
 * @module
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };

/** The repository root. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/**
 * The `--allow-*` flags of a compile task in deno.json, so tests run the
 * entrypoints with what the binaries get and a missing permission fails.
 */
export function compileFlags(task: "compile:server" | "compile:client"): string[] {
  const command = (denoJson.tasks as Record<string, string>)[task];
  if (!command) throw new Error(`deno.json has no task ${task}`);
  const flags = command.split(/\s+/).filter((word) => word.startsWith("--allow-"));
  if (flags.some((flag) => flag === "--allow-all" || flag === "-A")) {
    throw new Error(`${task} must not grant every permission`);
  }
  return flags;
}

/** Collects a stream's lines and lets a test wait for one. */
export class LineCollector {
  readonly lines: string[] = [];
  readonly #waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  readonly done: Promise<void>;
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#read(stream);
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      partial += decoder.decode(chunk, { stream: true });
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const line of parts) this.#add(line);
    }
    if (partial !== "") this.#add(partial);
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve("");
  }

  #add(line: string): void {
    this.lines.push(line);
    for (let i = 0; i < this.#waiters.length; i++) {
      const waiter = this.#waiters[i]!;
      if (waiter.test(line)) {
        this.#waiters.splice(i--, 1);
        waiter.resolve(line);
      }
    }
  }

  /** The text so far. */
  get text(): string {
    return this.lines.join("\n");
  }

  /**
   * Wait for a line (already seen or future) that passes `test`.
   *
   * @throws when `timeoutMs` passes or the stream ends first.
   */
  async waitFor(
    test: (line: string) => boolean,
    timeoutMs = 10000,
    what = "line",
  ): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return seen;
    if (this.#ended) throw new Error(`stream ended without ${what}; got:\n${this.text}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waiter!: { test: (line: string) => boolean; resolve: (line: string) => void };
    try {
      const line = await Promise.race([
        new Promise<string>((resolve) => {
          waiter = { test, resolve };
          this.#waiters.push(waiter);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no ${what} within ${timeoutMs} ms; got:\n${this.text}`)),
            timeoutMs,
          );
        }),
      ]);
      if (line === "" && this.#ended && !test("")) {
        throw new Error(`stream ended without ${what}; got:\n${this.text}`);
      }
      return line;
    } finally {
      clearTimeout(timer);
      const index = this.#waiters.indexOf(waiter);
      if (index >= 0) this.#waiters.splice(index, 1);
    }
  }
}

/** A running entrypoint process with its output collected. */
export class Proc implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: LineCollector;
  readonly stderr: LineCollector;

  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.stdout = new LineCollector(child.stdout);
    this.stderr = new LineCollector(child.stderr);
  }

  /** Wait for exit and for the output streams to end. */
  async exit(timeoutMs = 15000): Promise<Deno.CommandStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const status = await Promise.race([
        this.child.status,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.kill("SIGKILL");
            reject(
              new Error(
                `process did not exit within ${timeoutMs} ms\nstdout:\n${this.stdout.text}\nstderr:\n${this.stderr.text}`,
              ),
            );
          }, timeoutMs);
        }),
      ]);
      await Promise.all([this.stdout.done, this.stderr.done]);
      return status;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send a signal, ignoring a process that already exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.child.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
  }
}

/** Start an entrypoint (`server.ts` or `client.ts`) with its compile-task permissions. */
export function spawnEntrypoint(
  entry: "server.ts" | "client.ts",
  args: string[],
  env: Record<string, string> = {},
): Proc {
  const flags = compileFlags(entry === "server.ts" ? "compile:server" : "compile:client");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, `${ROOT}${entry}`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new Proc(child);
}

/** A server process started with `--json --port 0`, ready to accept clients. */
export interface ServerProc extends Proc {
  port: number;
  /** The token the server printed, or null with `--no-auth`. */
  token: string | null;
  /** Parsed JSON lines from stdout, without `t` (see {@linkcode withoutTime}). */
  events(): Record<string, unknown>[];
}

/**
 * A server JSON event without its `t` (when it arrived, different each run),
 * so that tests compare what arrived; tests of `t` read the lines themselves.
 */
export function withoutTime(event: Record<string, unknown>): Record<string, unknown> {
  if (!("t" in event)) return event;
  const { t: _t, ...rest } = event;
  return rest;
}

/** Start `server.ts --json --host 127.0.0.1 --port 0 …` and wait until it listens. */
export async function startServer(args: string[] = [], env: Record<string, string> = {}) {
  const proc = spawnEntrypoint(
    "server.ts",
    ["--json", "--host", "127.0.0.1", "--port", "0", ...args],
    env,
  );
  try {
    const line = await proc.stdout.waitFor((l) => l.includes('"listening"'), 15000, "listening");
    const listening = JSON.parse(line) as { port: number; auth: boolean };
    let token: string | null = null;
    if (listening.auth) {
      const tokenLine = await proc.stderr.waitFor((l) => l.startsWith("token: "), 5000, "token");
      token = tokenLine.split(/\s+/)[1]!;
    }
    return Object.assign(proc, {
      port: listening.port,
      token,
      events: () =>
        proc.stdout.lines.filter((l) => l.startsWith("{")).map((l) => withoutTime(JSON.parse(l))),
    }) as ServerProc;
  } catch (error) {
    await proc[Symbol.asyncDispose]();
    throw error;
  }
}

/** Write a temporary replay file from event objects; returns its path. */
export async function writeReplay(events: Record<string, unknown>[]): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "padlink-replay-", suffix: ".jsonl" });
  await Deno.writeTextFile(path, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return path;
}

/**
 * Assert that `stderr` is one line matching `pattern` (a client's "connected"
 * status line aside) and holds no stack trace.
 */
export function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n").filter((l) => !/^padlink-client: connected/.test(l));
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at |Uncaught|error: /);
}
