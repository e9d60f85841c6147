/**
 * Starting the real `padlink-server` entrypoint as a process for the
 * benchmark sections (through `tools/_spawn.ts`), and reading the first line
 * of a process's output.
 *
 * The other shared pieces have their own modules: `_report.ts` (the table's
 * rows, sections and cell formats), `_stats.ts` (percentiles), `_proc_stat.ts`
 * (a process's CPU time and RSS) and `_pacer.ts` (the 1 kHz pacer).
 *
 * @module
 */

import { sleep, withDeadline } from "../lib/net/deadline.ts";
import { entrypointCommand, killQuietly } from "../tools/_spawn.ts";

export { ROOT } from "../tools/_spawn.ts";

/** Options for {@linkcode startServer}. */
export interface StartServerOptions {
  /** Extra server flags (`--timeout`, `--max-clients`…). */
  args?: string[];
  /**
   * Where the JSON lines go: "piped" to read them in this process, or a file
   * path (the shell redirects the server's stdout there, as a user would).
   */
  stdout: "piped" | string;
  /** Extra `deno run` flags, such as `--cpu-prof`. */
  denoFlags?: string[];
}

/** A running server process. */
export class ServerProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly port: number;
  /** The server's stdout, when it is piped here. */
  readonly stdout: ReadableStreamDefaultReader<Uint8Array> | null;
  /** Bytes of stdout that arrived with the `listening` line, after it. */
  readonly leftover: Uint8Array;
  readonly #stderr: Promise<string>;

  constructor(
    child: Deno.ChildProcess,
    port: number,
    stdout: ReadableStreamDefaultReader<Uint8Array> | null,
    leftover: Uint8Array,
    stderr: Promise<string>,
  ) {
    this.child = child;
    this.port = port;
    this.stdout = stdout;
    this.leftover = leftover;
    this.#stderr = stderr;
  }

  /** The process id (the `deno` process itself, not a shell). */
  get pid(): number {
    return this.child.pid;
  }

  /** Stop with SIGTERM (SIGKILL after `timeoutMs`); resolves with its stderr. */
  async stop(timeoutMs = 5000): Promise<string> {
    killQuietly(this.child, "SIGTERM");
    await withDeadline(this.child.status, timeoutMs, () => killQuietly(this.child, "SIGKILL"));
    await this.child.status;
    if (this.stdout) await this.stdout.cancel().catch(() => {});
    return await this.#stderr;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Start `server.ts --json --no-auth --host 127.0.0.1 --port 0` with the
 * compile task's permissions and wait for its `listening` line.
 */
export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const serverArgs = [
    "--json",
    "--no-auth",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...(options.args ?? []),
  ];
  const toFile = options.stdout !== "piped";
  const child = entrypointCommand("server.ts", serverArgs, {
    denoFlags: options.denoFlags,
    // exec keeps the pid the server's own; the shell only sets up the redirection.
    wrapper: toFile ? ["sh", "-c", 'exec "$0" "$@" > "$PADLINK_BENCH_OUT"'] : undefined,
    env: toFile ? { PADLINK_BENCH_OUT: options.stdout } : {},
    stdout: toFile ? "null" : "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text().catch(() => "");
  try {
    if (toFile) {
      const line = await waitForFileLine(options.stdout, 15000);
      return new ServerProcess(child, listeningPort(line), null, new Uint8Array(0), stderr);
    }
    const reader = child.stdout.getReader();
    const { line, rest } = await readFirstLine(reader, 15000);
    return new ServerProcess(child, listeningPort(line), reader, rest, stderr);
  } catch (error) {
    killQuietly(child, "SIGKILL");
    await child.status;
    if (!toFile) await child.stdout.cancel().catch(() => {});
    const text = await stderr;
    throw new Error(`the server did not start: ${(error as Error).message}\n${text}`);
  }
}

function listeningPort(line: string): number {
  const event = JSON.parse(line) as { type?: string; port?: number };
  if (event.type !== "listening" || typeof event.port !== "number") {
    throw new Error(`expected the listening line, got ${line}`);
  }
  return event.port;
}

async function waitForFileLine(path: string, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const text = await Deno.readTextFile(path);
      const end = text.indexOf("\n");
      if (end >= 0) return text.slice(0, end);
    } catch {
      // Not created yet.
    }
    await sleep(20);
  }
  throw new Error(`no line in ${path} within ${timeoutMs} ms`);
}

/** Read up to the first newline; returns the line and the bytes after it. */
export async function readFirstLine(
  reader: { read(): Promise<ReadableStreamReadResult<Uint8Array>> },
  timeoutMs: number,
): Promise<{ line: string; rest: Uint8Array }> {
  let buffered = new Uint8Array(0);
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const result = await withDeadline(reader.read(), deadline - performance.now());
    if (result.done) throw new Error("the stream ended before a line");
    const joined = new Uint8Array(buffered.length + result.value.length);
    joined.set(buffered);
    joined.set(result.value, buffered.length);
    buffered = joined;
    const end = buffered.indexOf(10);
    if (end >= 0) {
      return {
        line: new TextDecoder().decode(buffered.subarray(0, end)),
        rest: buffered.slice(end + 1),
      };
    }
  }
  throw new Error(`no line within ${timeoutMs} ms`);
}
