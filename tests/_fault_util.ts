/**
 * Helpers for the fault-tolerance tests: start the real entrypoints as
 * processes (optionally inside a network namespace) with exactly the
 * permission flags of the `compile:*` tasks in deno.json, collect their
 * output as lines with arrival times, and speak just enough raw protocol to
 * play a hostile peer.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { withoutTime } from "./_util.ts";
import { computeProof, newNonce, tokenKey } from "../lib/trust/auth.ts";
import { FrameDecoder } from "../lib/wire/frame.ts";
import {
  decodeHello,
  decodeRefuse,
  decodeWelcome,
  encodeJoin,
  HELLO_FLAG_AUTH,
  MessageType,
  messageTypeOf,
  PROTOCOL_VERSION,
} from "../lib/wire/protocol.ts";

type Timer = ReturnType<typeof setTimeout>;

/** The repository root, with a trailing slash. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/**
 * The `--allow-*` flags of a compile task in deno.json: the permissions the
 * shipped binary gets, so a test fails when the code needs more.
 */
export function permissionFlags(task: "compile:server" | "compile:client"): string[] {
  const command = (denoJson.tasks as Record<string, string>)[task];
  if (!command) throw new Error(`deno.json has no task ${task}`);
  const flags = command.split(/\s+/).filter((word) => word.startsWith("--allow-"));
  if (flags.length === 0) throw new Error(`${task} has no --allow-* flags`);
  return flags;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A line of output and when (performance.now()) the test read it. */
export interface Line {
  text: string;
  at: number;
}

/** Collects a stream's lines with their arrival times; a test can wait for one. */
export class Lines {
  readonly all: Line[] = [];
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
   * Wait until `test` holds for a line at index `from` or later; returns it.
   *
   * @throws when `timeoutMs` passes or the stream ends first.
   */
  async waitFor(
    test: (text: string) => boolean,
    options: { timeoutMs?: number; from?: number; what?: string } = {},
  ): Promise<Line & { index: number }> {
    const { timeoutMs = 10000, from = 0, what = "the expected line" } = options;
    const deadline = performance.now() + timeoutMs;
    let timer: Timer | undefined;
    try {
      while (true) {
        for (let i = from; i < this.all.length; i++) {
          if (test(this.all[i]!.text)) return { ...this.all[i]!, index: i };
        }
        if (this.#ended) throw new Error(`output ended without ${what}; got:\n${this.text}`);
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; got:\n${this.text}`);
        await new Promise<void>((resolve) => {
          this.#wake.push(resolve);
          clearTimeout(timer);
          timer = setTimeout(resolve, left);
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A running entrypoint with its stdout and stderr collected. */
export class Proc implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: Lines;
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

  /** Send a signal; a process that already exited is ignored. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#status) return;
    try {
      this.child.kill(signal);
    } catch {
      // It exited meanwhile.
    }
  }

  /**
   * Wait for the exit and the end of its output.
   *
   * @throws (after killing it) when it is still running after `timeoutMs`.
   */
  async exit(timeoutMs = 10000): Promise<Deno.CommandStatus> {
    let timer: Timer | undefined;
    try {
      const status = await Promise.race([
        this.child.status,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.kill("SIGKILL");
            reject(
              new Error(
                `pid ${this.pid} still running after ${timeoutMs} ms\nstdout:\n${this.stdout.text}\nstderr:\n${this.stderr.text}`,
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

  /** Kill (SIGKILL), reap, and drain the output. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGCONT"); // A stopped process must run to die of SIGKILL promptly.
    this.kill("SIGKILL");
    await this.child.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
  }
}

/** Options for {@linkcode spawn}. */
export interface SpawnOptions {
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** Extra environment. */
  env?: Record<string, string>;
}

/**
 * Start `server.ts` or `client.ts` with the permissions of its compile task.
 */
export function spawn(
  entry: "server.ts" | "client.ts",
  args: string[],
  options: SpawnOptions = {},
): Proc {
  return new Proc(spawnChild(entry, args, options));
}

function spawnChild(
  entry: "server.ts" | "client.ts",
  args: string[],
  options: SpawnOptions,
): Deno.ChildProcess {
  const flags = permissionFlags(entry === "server.ts" ? "compile:server" : "compile:client");
  const deno = ["run", "--quiet", ...flags, `${ROOT}${entry}`, ...args];
  // `ip netns exec` execs the command, so the child's pid is deno's own.
  const [command, commandArgs] = options.netns
    ? ["ip", ["netns", "exec", options.netns, Deno.execPath(), ...deno]]
    : [Deno.execPath(), deno];
  return new Deno.Command(command, {
    args: commandArgs,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** A server process started with `--json`, listening. */
export class ServerProc extends Proc {
  /** The port it listens on. */
  port = 0;
  /** The token it requires, or null with `--no-auth`. */
  token: string | null = null;

  /** The JSON events printed so far (stdout lines that parse), without `t`. */
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
 * Start `server.ts --json --host HOST --port PORT …` and wait until it
 * listens (and printed its token, unless `--no-auth`).
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

/** Write a temporary replay file (JSON lines); returns its path. */
export async function writeReplay(events: readonly Record<string, unknown>[]): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "padlink-fault-", suffix: ".jsonl" });
  await Deno.writeTextFile(path, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return path;
}

/**
 * A replay that attaches pad 0, holds A, pushes the left stick to 0.5 and
 * holds the Left Shift key, then waits `holdMs` before letting go (so the
 * client holds them until it is killed or stopped).
 */
export function holdingReplay(holdMs = 60000): Record<string, unknown>[] {
  return [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Test Pad" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 0, type: "axis", pad: 0, axis: "leftx", value: 0.5 },
    { t: 0, type: "key", key: "Left Shift", scancode: "Left Shift", pressed: true },
    { t: holdMs, type: "button", pad: 0, button: "a", pressed: false },
  ];
}

/** The client's flags to reach `server` as `name`. */
export function clientArgs(server: ServerProc, name: string, host = "127.0.0.1"): string[] {
  const args = ["--host", host, "--port", String(server.port), "--name", name];
  if (server.token !== null) args.push("--token", server.token);
  return args;
}

/** Read frames from a raw connection until `count` arrived, EOF, or `timeoutMs`. */
export async function readFrames(
  conn: Deno.Conn,
  count: number,
  timeoutMs = 5000,
): Promise<Uint8Array[]> {
  const decoder = new FrameDecoder({ maxFrameSize: 0xffff });
  const frames: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  let timer: Timer | undefined;
  const timeout = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), timeoutMs)
  );
  try {
    while (frames.length < count) {
      const n = await Promise.race([conn.read(buffer), timeout]);
      if (n === null) break;
      decoder.push(buffer.subarray(0, n), (payload) => {
        if (payload.length > 0) frames.push(payload.slice());
      });
    }
  } finally {
    clearTimeout(timer);
  }
  return frames;
}

/**
 * Wait until the peer closes `conn` (EOF or reset), reading and discarding.
 *
 * @returns how it ended: "eof", "reset", or "timeout".
 */
export async function waitClosed(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<"eof" | "reset" | "timeout"> {
  const buffer = new Uint8Array(4096);
  let timer: Timer | undefined;
  const timeout = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), timeoutMs)
  );
  try {
    while (true) {
      const result = await Promise.race([
        conn.read(buffer).then((n) => n === null ? "eof" as const : n, () => "reset" as const),
        timeout,
      ]);
      if (typeof result === "string") return result;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connect and complete a real handshake as `name` (proving `token` when the
 * server asks for one). Returns the open connection and the assigned name.
 */
export async function rawJoin(
  port: number,
  name: string,
  token: string | null,
  options: { session?: Uint8Array; hostname?: string } = {},
): Promise<{ conn: Deno.TcpConn; name: string }> {
  const conn = await Deno.connect({ hostname: options.hostname ?? "127.0.0.1", port });
  try {
    const [helloFrame] = await readFrames(conn, 1);
    if (!helloFrame) throw new Error("no HELLO from the server");
    const hello = decodeHello(helloFrame);
    const nonce = newNonce();
    let proof = new Uint8Array(0);
    if ((hello.flags & HELLO_FLAG_AUTH) !== 0) {
      if (token === null) throw new Error("the server wants a token");
      proof = await computeProof(await tokenKey(token), "join", {
        serverNonce: hello.nonce,
        clientNonce: nonce,
        name,
        session: options.session,
      }) as Uint8Array<ArrayBuffer>;
    }
    await conn.write(encodeJoin({
      version: PROTOCOL_VERSION,
      flags: 0,
      name,
      nonce,
      proof,
      session: options.session,
    }));
    const [reply] = await readFrames(conn, 1);
    if (!reply) throw new Error(`no answer to the JOIN of ${name}`);
    if (messageTypeOf(reply) === MessageType.REFUSE) {
      throw new Error(`${name} refused: ${decodeRefuse(reply).reason}`);
    }
    if (messageTypeOf(reply) !== MessageType.WELCOME) {
      throw new Error(`${name}: expected WELCOME, got type ${reply[0]}`);
    }
    return { conn, name: decodeWelcome(reply).name };
  } catch (error) {
    conn.close();
    throw error;
  }
}

/** Run `ip …` and throw with its stderr when it fails. */
export async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/**
 * Why network namespaces cannot be used here, or null when they can: this
 * tries to create and delete one.
 */
export async function netnsUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return `network namespaces are Linux-only (${Deno.build.os})`;
  const probe = `pl-probe-${Deno.pid}`;
  try {
    await ip("netns", "add", probe);
  } catch (error) {
    return `cannot create a network namespace: ${(error as Error).message}`;
  }
  await ip("netns", "del", probe).catch(() => {});
  return null;
}

/** Two network namespaces joined by a veth pair, with addresses on each end. */
export interface NetnsPair extends AsyncDisposable {
  /** Namespace of the server. */
  serverNs: string;
  /** Namespace of the client. */
  clientNs: string;
  /** Address of the server's end. */
  serverAddr: string;
  /** Veth interface in the client's namespace. */
  clientLink: string;
  /** Take the client's link down (no FIN, no RST: silence) or bring it up. */
  setLink(up: boolean): Promise<void>;
}

/**
 * Create `pl-s-<pid>-<n>` and `pl-c-<pid>-<n>` joined by a veth pair with
 * link-local addresses (169.254.77.1 and .2) that exist only inside them.
 * Dispose to delete both (which also deletes the veth pair).
 */
export async function createNetnsPair(n: number): Promise<NetnsPair> {
  const serverNs = `pl-s-${Deno.pid}-${n}`;
  const clientNs = `pl-c-${Deno.pid}-${n}`;
  // Interface names are limited to 15 bytes.
  const id = `${Deno.pid % 100000}${n}`;
  const serverLink = `pls${id}`;
  const clientLink = `plc${id}`;
  const dispose = async () => {
    await ip("netns", "del", clientNs).catch(() => {});
    await ip("netns", "del", serverNs).catch(() => {});
  };
  try {
    await ip("netns", "add", serverNs);
    await ip("netns", "add", clientNs);
    await ip("link", "add", serverLink, "type", "veth", "peer", "name", clientLink);
    await ip("link", "set", serverLink, "netns", serverNs);
    await ip("link", "set", clientLink, "netns", clientNs);
    await ip("-n", serverNs, "addr", "add", "169.254.77.1/30", "dev", serverLink);
    await ip("-n", clientNs, "addr", "add", "169.254.77.2/30", "dev", clientLink);
    for (const [ns, link] of [[serverNs, serverLink], [clientNs, clientLink]] as const) {
      await ip("-n", ns, "link", "set", "lo", "up");
      await ip("-n", ns, "link", "set", link, "up");
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    serverNs,
    clientNs,
    serverAddr: "169.254.77.1",
    clientLink,
    setLink: (up) => ip("-n", clientNs, "link", "set", clientLink, up ? "up" : "down"),
    [Symbol.asyncDispose]: dispose,
  };
}
