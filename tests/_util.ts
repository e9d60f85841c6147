/**
 * The end-to-end test harness: start the real entrypoints as processes (with
 * exactly the permission flags `deno task compile` bakes into the binaries,
 * optionally inside a network namespace), collect their output as lines with
 * arrival times, and wait for a line or a JSON event.
 *
 * @module
 */

import assert from "node:assert/strict";
import { withDeadline } from "../lib/net/deadline.ts";
import { type Entrypoint, entrypointCommand, killQuietly } from "../tools/_spawn.ts";

export { compileFlags, ROOT } from "../tools/_spawn.ts";

/** A line of output and when (`performance.now()`) the test read it. */
export interface Line {
  /** The line, without its newline. */
  text: string;
  /** When it arrived. */
  at: number;
}

/** Options for {@linkcode Lines.waitFor}. */
export interface WaitOptions {
  /** Give up after this long, in ms. Default 10000. */
  timeoutMs?: number;
  /** Look only at lines from this index on. Default 0. */
  from?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

/** Collects a stream's lines with their arrival times; a test can wait for one. */
export class Lines {
  /** Every line so far, in order. */
  readonly all: Line[] = [];
  /** Resolves once the stream has ended. */
  readonly done: Promise<void>;
  #ended = false;
  #wake: (() => void)[] = [];

  /** Start reading `stream` to its end. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#read(stream);
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    try {
      for await (const chunk of stream) {
        const at = performance.now();
        partial += decoder.decode(chunk, { stream: true });
        const parts = partial.split("\n");
        partial = parts.pop()!;
        for (const text of parts) this.all.push({ text, at });
        this.#notify();
      }
    } finally {
      if (partial !== "") this.all.push({ text: partial, at: performance.now() });
      this.#ended = true;
      this.#notify();
    }
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  /** Every line's text. */
  get lines(): string[] {
    return this.all.map((line) => line.text);
  }

  /** All the text so far. */
  get text(): string {
    return this.lines.join("\n");
  }

  /**
   * Wait until `test` holds for a line at index `from` or later (already
   * read, or still to come); returns it.
   *
   * @throws when `timeoutMs` passes or the stream ends first.
   */
  async waitFor(
    test: (text: string) => boolean,
    options: WaitOptions = {},
  ): Promise<Line & { index: number }> {
    const { timeoutMs = 10000, from = 0, what = "the expected line" } = options;
    const deadline = performance.now() + timeoutMs;
    let next = from;
    while (true) {
      for (; next < this.all.length; next++) {
        if (test(this.all[next]!.text)) return { ...this.all[next]!, index: next };
      }
      if (this.#ended) throw new Error(`output ended without ${what}; got:\n${this.text}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; got:\n${this.text}`);
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => this.#wake.push(wake = resolve));
      await withDeadline(woken, left, () => {});
      const index = this.#wake.indexOf(wake);
      if (index >= 0) this.#wake.splice(index, 1);
    }
  }
}

/** A running entrypoint with its stdout and stderr collected. */
export class Proc implements AsyncDisposable {
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /** Its stdout, as lines. */
  readonly stdout: Lines;
  /** Its stderr, as lines. */
  readonly stderr: Lines;
  #status: Deno.CommandStatus | null = null;

  /** Wrap a spawned child whose stdout and stderr are piped. */
  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.stdout = new Lines(child.stdout);
    this.stderr = new Lines(child.stderr);
    child.status.then((status) => this.#status = status);
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid;
  }

  /** The exit status once the process has exited. */
  get status(): Deno.CommandStatus | null {
    return this.#status;
  }

  /** Write `line` and a newline to its stdin (spawned with `stdin: "piped"`). */
  async writeLine(line: string): Promise<void> {
    const writer = this.child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(line + "\n"));
    } finally {
      writer.releaseLock();
    }
  }

  /** Send a signal; a process that already exited is ignored. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#status) return;
    killQuietly(this.child, signal);
  }

  /**
   * Wait for the exit and the end of its output.
   *
   * @throws (after killing it) when it is still running after `timeoutMs`.
   */
  async exit(timeoutMs = 15000): Promise<Deno.CommandStatus> {
    const status = await withDeadline(this.child.status, timeoutMs, () => {
      this.kill("SIGKILL");
      throw new Error(
        `pid ${this.pid} still running after ${timeoutMs} ms\nstdout:\n${this.stdout.text}\nstderr:\n${this.stderr.text}`,
      );
    });
    await Promise.all([this.stdout.done, this.stderr.done]);
    return status;
  }

  /** Kill (SIGKILL), reap, and drain the output. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGCONT"); // A stopped process must run to die of SIGKILL promptly.
    this.kill("SIGKILL");
    await this.child.status;
    await closeStdin(this.child);
    await Promise.all([this.stdout.done, this.stderr.done]);
  }
}

/** Close a child's stdin if it was piped (the getter throws when it was not). */
async function closeStdin(child: Deno.ChildProcess): Promise<void> {
  let stdin: WritableStream<Uint8Array>;
  try {
    stdin = child.stdin;
  } catch {
    return;
  }
  await stdin.close().catch(() => {});
}

/** Options for {@linkcode spawnEntrypoint}. */
export interface SpawnOptions {
  /** Extra environment. */
  env?: Record<string, string>;
  /** Run inside this network namespace (`ip netns exec`, which execs: the pid is deno's). */
  netns?: string;
  /** Run under this command, which must exec it (the pid stays deno's): `["prlimit", "--nofile=256"]`. */
  wrapper?: string[];
  /** Pipe stdin (write to it with {@linkcode Proc.writeLine}); default: no stdin. */
  stdin?: "piped";
}

/** Start `server.ts` or `client.ts` with the permissions of its compile task. */
export function spawnEntrypoint(
  entry: Entrypoint,
  args: string[],
  options: SpawnOptions = {},
): Proc {
  return new Proc(spawnChild(entry, args, options));
}

/**
 * A config directory of this test run's own (`XDG_CONFIG_HOME`), so spawned
 * entrypoints never read or write the developer's real token, certificate or
 * known hosts. Made on first use and removed when the test process ends.
 */
let testConfigHome: string | null = null;

function isolatedConfigHome(): string {
  if (testConfigHome === null) {
    const dir = Deno.makeTempDirSync({ prefix: "padlink-test-config-" });
    testConfigHome = dir;
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  }
  return testConfigHome;
}

function spawnChild(entry: Entrypoint, args: string[], options: SpawnOptions): Deno.ChildProcess {
  return entrypointCommand(entry, args, {
    env: { XDG_CONFIG_HOME: isolatedConfigHome(), ...options.env },
    wrapper: options.netns ? ["ip", "netns", "exec", options.netns] : options.wrapper,
    stdin: options.stdin,
  }).spawn();
}

/** A server process started with `--json`, listening. */
export class ServerProc extends Proc {
  /** The port it listens on. */
  port = 0;
  /** The token it requires, or null with `--no-auth`. */
  token: string | null = null;

  /** The JSON events printed so far (stdout lines that parse), without `t` ({@linkcode withoutTime}). */
  events(from = 0): Record<string, unknown>[] {
    return this.stdout.all.slice(from).filter((l) => l.text.startsWith("{")).map((l) =>
      withoutTime(JSON.parse(l.text))
    );
  }

  /** Wait for a JSON event matching every key of `match`. */
  waitEvent(
    match: Record<string, unknown>,
    options: { timeoutMs?: number; from?: number } = {},
  ): Promise<Line & { index: number; event: Record<string, unknown> }> {
    const test = (text: string) => {
      if (!text.startsWith("{")) return false;
      const event = JSON.parse(text) as Record<string, unknown>;
      return Object.entries(match).every(([key, value]) => event[key] === value);
    };
    return this.stdout.waitFor(test, { ...options, what: JSON.stringify(match) }).then((line) => ({
      ...line,
      event: withoutTime(JSON.parse(line.text)),
    }));
  }
}

/**
 * Start `server.ts --json --host HOST --port PORT …` (loopback and port 0 by
 * default) and wait until it listens, and printed its token unless `--no-auth`.
 */
export async function startServer(
  args: string[] = [],
  options: SpawnOptions & { host?: string; port?: number } = {},
): Promise<ServerProc> {
  const { host = "127.0.0.1", port = 0, ...spawnOptions } = options;
  const server = new ServerProc(spawnChild("server.ts", [
    "--json",
    "--host",
    host,
    "--port",
    String(port),
    ...args,
  ], spawnOptions));
  try {
    const listening = await server.waitEvent({ type: "listening" }, { timeoutMs: 20000 });
    server.port = listening.event.port as number;
    if (listening.event.auth) {
      const line = await server.stderr.waitFor((l) => l.startsWith("token: "), {
        what: "the token line",
      });
      server.token = line.text.split(/\s+/)[1]!;
    }
    return server;
  } catch (error) {
    await server[Symbol.asyncDispose]();
    throw error;
  }
}

/**
 * A server JSON event without its `t` (when it arrived) and `latency_us`
 * (how old it was), both different each run, so that tests compare what
 * arrived; tests of `t` and `latency_us` read the lines themselves.
 */
export function withoutTime(event: Record<string, unknown>): Record<string, unknown> {
  if (!("t" in event) && !("latency_us" in event)) return event;
  const { t: _t, latency_us: _latency, ...rest } = event;
  return rest;
}

/** Write a temporary replay file from event objects; returns its path. */
export async function writeReplay(events: readonly Record<string, unknown>[]): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "padlink-replay-", suffix: ".jsonl" });
  await Deno.writeTextFile(path, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return path;
}

/** Whether a server stderr line is part of its start-up hint (addresses, token, client line). */
export function isStartupHint(line: string): boolean {
  return /^(reachable on the network at |this machine has no network address |cannot list this machine's network addresses|token: |on the client: )/
    .test(line);
}

/** A server's stderr lines without its start-up hint and blank lines: what it logged. */
export function serverLog(lines: readonly string[]): string[] {
  return lines.filter((line) => line !== "" && !isStartupHint(line));
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
