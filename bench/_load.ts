/**
 * Load generator for the throughput and resource sections, run as its own
 * process so that it never shares the server's JavaScript thread.
 *
 * It opens raw TCP connections to a `padlink-server --no-auth`, completes
 * the handshake with the library's encoders, attaches pad 0, prints
 * `{"type":"ready"}` and waits for a line on stdin:
 *
 * - `stream`: on `go`, every client writes pre-encoded frames of button
 *   presses and releases as fast as the socket takes them, until its event
 *   budget or the time limit is reached; then GOODBYE, and the server's ACK
 *   (sent once it has processed everything before the GOODBYE) ends it.
 *   Prints `{"type":"done",...}` with the event count and timings.
 * - `paced`: on `go`, every client sends one button event per tick of a
 *   `rateHz` pacer, each in its own write, for `seconds`; then as above.
 * - `idle`: clients send only heartbeats, every interval the server asked
 *   for in WELCOME, until `stop` or the end of stdin. With `rawHeartbeatMs`
 *   they skip the handshake (for the raw floor, `_idle_floor.ts`).
 *
 * Usage: `deno run -A bench/_load.ts '<json LoadConfig>'`
 *
 * @module
 */

import { FrameDecoder } from "../lib/wire/frame.ts";
import { newNonce } from "../lib/trust/auth.ts";
import {
  decodeWelcome,
  encodeGoodbye,
  encodeJoin,
  GoodbyeCode,
  HEARTBEAT_FRAME,
  InputEncoder,
  MessageType,
  PROTOCOL_VERSION,
} from "../lib/wire/protocol.ts";
import { Pacer } from "./_pacer.ts";
import { closeQuietly } from "../lib/net/close_quietly.ts";
import { withDeadline } from "../lib/net/deadline.ts";

/** What the generator is asked to do. */
export interface LoadConfig {
  mode: "stream" | "paced" | "idle";
  port: number;
  clients: number;
  /** stream: most events per client. */
  eventsPerClient?: number;
  /** stream and paced: most seconds of sending. */
  seconds?: number;
  /** paced: events per second per client. */
  rateHz?: number;
  /** stream: what the frames hold. Default "button". */
  kind?: "button" | "axis";
  /**
   * Skip the handshake and the GOODBYE, sending 2-byte heartbeats every
   * this many ms while idle: load for `_idle_floor.ts` instead of a
   * padlink server.
   */
  rawHeartbeatMs?: number;
}

/** Events in one write of the stream mode (16 KiB of button events). */
export const EVENTS_PER_WRITE = 5440;

/** How long a client waits for the server's ACK of its GOODBYE, in ms. */
const ACK_TIMEOUT_MS = 120_000;

/** One raw client connection. */
class RawClient {
  readonly conn: Deno.TcpConn;
  readonly #decoder = new FrameDecoder();
  #frames: Uint8Array[] = [];
  #wake: (() => void) | null = null;
  #ended = false;
  #acked: (ok: boolean) => void = () => {};
  /** Resolves with true when the server acknowledges our GOODBYE, false if it closes first. */
  readonly acked: Promise<boolean>;
  heartbeatMs = 250;

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
    conn.setNoDelay(true);
    this.acked = new Promise((resolve) => this.#acked = resolve);
    this.#read();
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(4096);
    try {
      while (true) {
        const n = await this.conn.read(buffer);
        if (n === null) break;
        this.#decoder.push(buffer.subarray(0, n), (payload) => {
          if (payload[0] === MessageType.GOODBYE && payload[1] === GoodbyeCode.ACK) {
            this.#acked(true);
          } else if (payload.length > 0) {
            this.#frames.push(payload.slice());
            this.#wake?.();
          }
        });
      }
    } catch {
      // Closed or reset: the waiters below find out.
    }
    this.#ended = true;
    this.#acked(false);
    this.#wake?.();
  }

  async #next(): Promise<Uint8Array> {
    while (this.#frames.length === 0) {
      if (this.#ended) throw new Error("the server closed the connection");
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
    return this.#frames.shift()!;
  }

  /** HELLO, JOIN, WELCOME; then attach pad 0. */
  async handshake(name: string): Promise<void> {
    const hello = await this.#next();
    if (hello[0] !== MessageType.HELLO) throw new Error(`expected HELLO, got ${hello[0]}`);
    await this.write(encodeJoin({
      version: PROTOCOL_VERSION,
      flags: 0,
      name,
      nonce: newNonce(),
      proof: new Uint8Array(0),
    }));
    const reply = await this.#next();
    if (reply[0] !== MessageType.WELCOME) throw new Error(`refused (message type ${reply[0]})`);
    this.heartbeatMs = decodeWelcome(reply).heartbeatMs;
    const attach = new InputEncoder();
    attach.add({ type: "pad", pad: 0, attached: true, name: "load" });
    await this.write(attach.take());
  }

  /** Write all of `bytes`. */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Say goodbye and wait for the ACK; resolves with `performance.now()` then, or NaN. */
  async goodbye(): Promise<number> {
    try {
      await this.write(encodeGoodbye({ code: GoodbyeCode.NORMAL, reason: "" }));
    } catch {
      return NaN; // The server dropped us.
    }
    const ok = await withDeadline(this.acked, ACK_TIMEOUT_MS, () => false);
    return ok ? performance.now() : NaN;
  }

  close(): void {
    closeQuietly(this.conn);
  }
}

/**
 * `events` events, as one client's {@linkcode InputEncoder} batches them:
 * alternating presses and releases of button a on pad 0, or the left
 * stick's x going 0.5, 0, -0.5, 0, … (every event a real change, and an
 * even number of them leaves the stick at rest).
 */
function streamChunk(events: number, kind: "button" | "axis"): Uint8Array {
  const encoder = new InputEncoder();
  for (let e = 0; e < events; e++) {
    encoder.add(
      kind === "button"
        ? { type: "button", pad: 0, button: "a", pressed: e % 2 === 0 }
        : { type: "axis", pad: 0, axis: "leftx", value: e % 2 === 1 ? 0 : e % 4 ? -0.5 : 0.5 },
    );
  }
  return encoder.take();
}

async function connectAll(
  port: number,
  count: number,
  rawHeartbeatMs?: number,
): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, i) => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        const client = new RawClient(conn);
        if (rawHeartbeatMs === undefined) await client.handshake(`load${start + i}`);
        else client.heartbeatMs = rawHeartbeatMs;
        return client;
      }),
    );
    clients.push(...made);
  }
  return clients;
}

function heartbeats(
  clients: RawClient[],
  active: () => boolean,
): ReturnType<typeof setInterval> {
  const interval = Math.max(10, clients[0]?.heartbeatMs ?? 250);
  return setInterval(() => {
    if (!active()) return;
    for (const client of clients) client.conn.write(HEARTBEAT_FRAME).catch(() => {});
  }, interval);
}

function print(message: Record<string, unknown>): void {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(message) + "\n"));
}

async function* stdinLines(): AsyncGenerator<string> {
  let partial = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop()!;
    yield* lines;
  }
}

async function main(config: LoadConfig): Promise<void> {
  const clients = await connectAll(config.port, config.clients, config.rawHeartbeatMs);
  let waiting = true;
  const ticker = heartbeats(clients, () => waiting || config.mode === "idle");
  print({ type: "ready", clients: clients.length, heartbeatMs: clients[0]?.heartbeatMs });
  const lines = stdinLines();
  const command = (await lines.next()).value ?? "stop";
  if (config.mode === "idle" || command !== "go") {
    clearInterval(ticker);
    for (const client of clients) client.close();
    return;
  }
  waiting = false;
  clearInterval(ticker);
  const tGo = performance.now();
  let events = 0;
  let ackTimes: number[];
  if (config.mode === "stream") {
    const kind = config.kind ?? "button";
    const wanted = config.eventsPerClient ?? 100_000;
    // An even number per write, so that nothing is left held.
    const perWrite = Math.max(2, 2 * Math.floor(Math.min(EVENTS_PER_WRITE, wanted) / 2));
    const writes = Math.max(1, Math.round(wanted / perWrite));
    const chunk = streamChunk(perWrite, kind);
    const deadline = tGo + (config.seconds ?? 5) * 1000;
    ackTimes = await Promise.all(clients.map(async (client) => {
      let written = 0;
      try {
        while (written < writes && performance.now() < deadline) {
          await client.write(chunk);
          written++;
        }
      } catch {
        return NaN; // The server dropped us.
      }
      events += written * perWrite;
      // A raw floor server sends no ACK: the caller times it by its output.
      return config.rawHeartbeatMs === undefined ? await client.goodbye() : performance.now();
    }));
  } else {
    const rate = config.rateHz ?? 1000;
    const ticks = Math.round(rate * (config.seconds ?? 5));
    const encoders = clients.map(() => new InputEncoder());
    using pacer = new Pacer();
    await pacer.run(rate, ticks, (config.seconds ?? 5) * 1000 + 5000, (tick) => {
      const pressed = tick % 2 === 0;
      for (let i = 0; i < clients.length; i++) {
        const encoder = encoders[i]!;
        encoder.add({ type: "button", pad: 0, button: "a", pressed });
        clients[i]!.conn.write(encoder.take()).catch(() => {});
        events++;
      }
    });
    // Leave the button released.
    if (events / clients.length % 2 === 1) {
      for (let i = 0; i < clients.length; i++) {
        encoders[i]!.add({ type: "button", pad: 0, button: "a", pressed: false });
        await clients[i]!.write(encoders[i]!.take());
        events++;
      }
    }
    // A raw floor server sends no ACK: the time of the last event stands in.
    ackTimes = config.rawHeartbeatMs === undefined
      ? await Promise.all(clients.map((client) => client.goodbye()))
      : clients.map(() => performance.now());
  }
  const acked = ackTimes.filter((t) => !Number.isNaN(t));
  print({
    type: "done",
    events,
    clients: clients.length,
    acked: acked.length,
    seconds: (Math.max(...acked) - tGo) / 1000,
    firstAckSeconds: (Math.min(...acked) - tGo) / 1000,
  });
  for (const client of clients) client.close();
}

if (import.meta.main) {
  const config = JSON.parse(Deno.args[0] ?? "{}") as LoadConfig;
  await main(config);
}
