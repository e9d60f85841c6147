/**
 * Helpers shared by the benchmark sections: starting the real
 * `padlink-server` entrypoint as a process, reading a process's CPU time and
 * RSS from `/proc`, a 1 kHz pacer that runs in a worker, percentiles, and
 * the result rows the table is printed from.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** The repository root, with a trailing slash. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/** A row of the results table. */
export interface Row {
  /** What was measured. */
  measure: string;
  /** padlink's figure. */
  value: string;
  /** The floor or comparison figure, measured in the same run where possible. */
  reference: string;
  /** The goal from issue 6, or "" when there is none. */
  goal: string;
  /** Whether the goal is met; null when there is no goal or no figure. */
  met: boolean | null;
}

/** One section of the table, with notes on what its figures include. */
export interface Section {
  title: string;
  rows: Row[];
  notes: string[];
}

/** Run settings shared by every section. */
export interface BenchConfig {
  /** Short smoke run: fewer samples, shorter load. */
  quick: boolean;
  /** Profile the server in the throughput section. */
  profile: boolean;
  /** Write progress lines to stderr. */
  log: (message: string) => void;
}

/** The `--allow-*` flags `deno task compile:server` gives the server binary. */
export function serverFlags(): string[] {
  const command = (denoJson.tasks as Record<string, string>)["compile:server"] ?? "";
  return command.split(/\s+/).filter((word) => word.startsWith("--allow-"));
}

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
    try {
      this.child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.child.status,
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          try {
            this.child.kill("SIGKILL");
          } catch {
            // Already gone.
          }
          resolve();
        }, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
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
    "run",
    "--quiet",
    ...(options.denoFlags ?? []),
    ...serverFlags(),
    `${ROOT}server.ts`,
    "--json",
    "--no-auth",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...(options.args ?? []),
  ];
  const toFile = options.stdout !== "piped";
  const child = toFile
    // exec keeps the pid the server's own; the shell only sets up the redirection.
    ? new Deno.Command("sh", {
      args: ["-c", 'exec "$0" "$@" > "$PADLINK_BENCH_OUT"', Deno.execPath(), ...serverArgs],
      env: { PADLINK_BENCH_OUT: options.stdout, NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn()
    : new Deno.Command(Deno.execPath(), {
      args: serverArgs,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
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
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
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
    const result = await withTimeout(reader.read(), deadline - performance.now());
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

/** Race `promise` against a timeout that rejects. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(ms)} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Clock ticks per second in `/proc/<pid>/stat` (USER_HZ; 100 on Linux). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size of a process, in KiB (`VmRSS` of `/proc/<pid>/status`). */
export function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

/**
 * Share of one core a process uses over `ms`, from its CPU time in
 * `/proc/<pid>/stat` (10 ms resolution).
 */
export async function cpuShare(pid: number, ms: number): Promise<number> {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(ms);
  const cpu1 = cpuSeconds(pid);
  return (cpu1 - cpu0) / ((performance.now() - t0) / 1000);
}

/** The value at quantile `q` (0…1) of ascending `sorted`, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/** p50, p99 and max of a sample, in the sample's unit. */
export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Summarise samples. */
export function summarise(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** Format milliseconds as microseconds. */
export function us(ms: number): string {
  return Number.isFinite(ms) ? `${Math.round(ms * 1000)} µs` : "n/a";
}

/** Format a number with thousands separators. */
export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Format a share of a core as a percentage. */
export function pct(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 2 : 1)} %`;
}

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
      const timer = setTimeout(() => finish(), maxMs);
      const finish = () => {
        clearTimeout(timer);
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

/** Render the sections as a Markdown table with notes. */
export function renderTable(sections: readonly Section[]): string {
  const lines: string[] = [];
  lines.push("| measure | padlink | floor / comparison | goal | met |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const section of sections) {
    lines.push(`| **${section.title}** | | | | |`);
    for (const row of section.rows) {
      const met = row.met === null ? "" : row.met ? "yes" : "**no**";
      lines.push(
        `| ${row.measure} | ${row.value} | ${row.reference} | ${row.goal} | ${met} |`,
      );
    }
  }
  const notes = sections.flatMap((section) =>
    section.notes.map((note) => `- ${section.title.split(".")[0]}. ${note}`)
  );
  if (notes.length > 0) lines.push("", "Notes:", "", ...notes);
  return lines.join("\n");
}

/** Describe the machine: CPU model, cores, Deno version, date. */
export function machine(): string {
  let cpu = "unknown CPU";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux.
  }
  const cores = navigator.hardwareConcurrency;
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  return `${cpu}, ${cores} cores, ${Deno.build.os} ${Deno.build.arch}, Deno ${Deno.version.deno} ` +
    `(V8 ${Deno.version.v8}), ${date}`;
}
