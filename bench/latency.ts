/**
 * Section 1: latency from input to the server's output, against the floor.
 *
 * Every path is driven by the same 1 kHz {@linkcode Pacer}; this process
 * stamps `performance.now()` just before it hands an event on, and again
 * when the chunk holding the matching line (or echo) arrives here.
 *
 * - floor: a raw Deno TCP message of 16 bytes to an echo process (Nagle
 *   off on both ends); one way = round trip / 2.
 * - relay floor: the same 16 bytes to a raw Deno process that copies them to
 *   its stdout, read here: TCP in, pipe out, as `padlink-server --json`
 *   does, with no padlink code.
 * - replay: `Forwarder.push` (what `padlink-client --replay` calls for each
 *   replay entry) → `InputEncoder` → one TCP write → the real
 *   `padlink-server --json` process decodes, tracks state, formats the JSON
 *   line and writes it to stdout → pipe → this process.
 * - SDL: `SdlInput.setVirtualButton` on a virtual controller → SDL worker
 *   thread (`SDL_JoystickSetVirtualButton`, pump) → main thread →
 *   `Forwarder.push` → … as above.
 *
 * @module
 */

import { Forwarder } from "../lib/client/forwarder.ts";
import { BUTTON_NAMES, type ButtonName, type InputEvent } from "../lib/input/model.ts";
import { parseReplay } from "../lib/replay/replay.ts";
import { Pacer } from "./_pacer.ts";
import { type BenchConfig, type Row, type Section, us } from "./_report.ts";
import { summarise, type Summary } from "./_stats.ts";
import { withDeadline } from "../lib/net/deadline.ts";
import { readFirstLine, ROOT, startServer } from "./_server.ts";

/** Bytes of each floor message. */
const FLOOR_MESSAGE = 16;

/**
 * Buttons the latency events cycle through. Not guide: SDL holds a guide
 * release back until the button has been down 250 ms
 * (SDL_MINIMUM_GUIDE_BUTTON_DELAY_MS in SDL_gamecontroller.c).
 */
const BUTTONS = BUTTON_NAMES.filter((button) => button !== "guide").slice(0, 16);
/** Events before the sequence repeats itself. */
const CYCLE = 2 * BUTTONS.length;

/**
 * Event `k` of the latency sequence: press the 16 buttons in turn, then
 * release them in turn. Each event changes a different button from the one
 * before, so none cancels another.
 */
export function sequence(k: number): { button: ButtonName; pressed: boolean } {
  return {
    button: BUTTONS[k % BUTTONS.length]!,
    pressed: Math.floor(k / BUTTONS.length) % 2 === 0,
  };
}

/** Position in the cycle of an event of the sequence, or -1. */
function position(event: { button: string; pressed: boolean }): number {
  const index = (BUTTONS as readonly string[]).indexOf(event.button);
  return index < 0 ? -1 : index + (event.pressed ? 0 : BUTTONS.length);
}

/**
 * Matches events that come back to the events sent. SDL reports the buttons
 * that changed between two pumps in button order, not in the order they
 * were set, so matching goes by identity: each (button, pressed) pair is
 * matched to the oldest event sent with it that has not come back yet.
 */
export class Matcher {
  readonly #outstanding: number[][] = Array.from({ length: CYCLE }, () => []);

  /** Event `k` was sent. */
  sent(k: number): void {
    this.#outstanding[k % CYCLE]!.push(k);
  }

  /** Which event `event` is, or -1 when none is outstanding. */
  match(event: { button: string; pressed: boolean }): number {
    const pos = position(event);
    return pos < 0 ? -1 : this.#outstanding[pos]!.shift() ?? -1;
  }
}

/** Calls `onLine(line, arrival)` for every line of a stream, stamped at chunk arrival. */
export async function readLines(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array,
  onLine: (line: string, arrival: number) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let partial = decoder.decode(first, { stream: true });
  const split = (arrival: number) => {
    let start = 0;
    for (let end = partial.indexOf("\n"); end >= 0; end = partial.indexOf("\n", start)) {
      onLine(partial.slice(start, end), arrival);
      start = end + 1;
    }
    partial = partial.slice(start);
  };
  split(performance.now());
  while (true) {
    let result;
    try {
      result = await reader.read();
    } catch {
      return; // Cancelled when the process is stopped.
    }
    const arrival = performance.now();
    if (result.done) return;
    partial += decoder.decode(result.value, { stream: true });
    split(arrival);
  }
}

/** What one latency run produced. */
export interface Run {
  /** Latencies of the measured events, in ms. */
  samples: number[];
  /** Events sent that never came back. */
  lost: number;
  /** When each event (warm-up included) was handed on, `performance.now()`. */
  stamps: Float64Array;
}

/**
 * Send `warmup + count` paced events with `send(k)`; `arrived(k, t)` is
 * called by the caller's reader. Returns the measured samples.
 */
export async function pacedRun(
  pacer: Pacer,
  warmup: number,
  count: number,
  send: (k: number) => void,
  setArrived: (arrived: (k: number, t: number) => void) => void,
): Promise<Run> {
  const total = warmup + count;
  const stamps = new Float64Array(total);
  const latencies = new Float64Array(total).fill(NaN);
  let received = 0;
  let allArrived: () => void = () => {};
  const done = new Promise<void>((resolve) => allArrived = resolve);
  setArrived((k, t) => {
    if (k < 0 || k >= total || !Number.isNaN(latencies[k]!)) return;
    latencies[k] = t - stamps[k]!;
    if (++received === total) allArrived();
  });
  await pacer.run(1000, total, total + 10000, (k) => {
    stamps[k] = performance.now();
    send(k);
  });
  await withDeadline(done, 2000, () => {});
  const samples: number[] = [];
  for (let k = warmup; k < total; k++) {
    if (!Number.isNaN(latencies[k]!)) samples.push(latencies[k]!);
  }
  return { samples, lost: count - samples.length, stamps };
}

function spawnEcho(mode: "echo" | "relay") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net", `${ROOT}bench/_echo.ts`, mode],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

function floorMessage(k: number): Uint8Array {
  return new TextEncoder().encode(String(k).padStart(FLOOR_MESSAGE - 1, "0") + "\n");
}

/** Round trip / 2 to a raw Deno echo process. */
async function floorRun(pacer: Pacer, warmup: number, count: number): Promise<Run> {
  const child = spawnEcho("echo");
  const reader = child.stdout.getReader();
  try {
    const { line } = await readFirstLine(reader, 15000);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(line) });
    conn.setNoDelay(true);
    let arrived: (k: number, t: number) => void = () => {};
    const reading = (async () => {
      const buffer = new Uint8Array(4096);
      let bytes = 0;
      while (true) {
        const n = await conn.read(buffer).catch(() => null);
        const t = performance.now();
        if (n === null) return;
        const before = Math.floor(bytes / FLOOR_MESSAGE);
        bytes += n;
        for (let k = before; k < Math.floor(bytes / FLOOR_MESSAGE); k++) arrived(k, t);
      }
    })();
    const run = await pacedRun(pacer, warmup, count, (k) => {
      conn.write(floorMessage(k)).catch(() => {});
    }, (fn) => arrived = fn);
    conn.close();
    await reading;
    // One way is half the round trip.
    return { ...run, samples: run.samples.map((rtt) => rtt / 2) };
  } finally {
    await reader.cancel().catch(() => {});
    await child.status;
  }
}

/** TCP into a raw Deno process that copies to its stdout, read here. */
async function relayRun(pacer: Pacer, warmup: number, count: number): Promise<Run> {
  const child = spawnEcho("relay");
  const reader = child.stdout.getReader();
  try {
    const { line, rest } = await readFirstLine(reader, 15000);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(line) });
    conn.setNoDelay(true);
    let arrived: (k: number, t: number) => void = () => {};
    const reading = readLines(reader, rest, (text, t) => arrived(Number(text), t));
    const run = await pacedRun(pacer, warmup, count, (k) => {
      conn.write(floorMessage(k)).catch(() => {});
    }, (fn) => arrived = fn);
    conn.close();
    await child.status;
    await reading;
    return run;
  } finally {
    await reader.cancel().catch(() => {});
    await child.status;
  }
}

/** Replay events forwarded by `Forwarder.push` to the real server process. */
async function padlinkRun(
  pacer: Pacer,
  warmup: number,
  count: number,
  source: "replay" | "sdl",
): Promise<Run & { sdlHop?: number[] }> {
  const server = await startServer({ stdout: "piped" });
  const forwarder = new Forwarder({
    host: "127.0.0.1",
    port: server.port,
    name: "bench",
    reconnect: false,
  });
  let arrived: (k: number, t: number) => void = () => {};
  let padSeen: () => void = () => {};
  const padLine = new Promise<void>((resolve) => padSeen = resolve);
  const outputs = new Matcher();
  const inputs = new Matcher();
  const reading = readLines(server.stdout!, server.leftover, (line, t) => {
    if (line.includes('"type":"button"')) {
      const k = outputs.match(JSON.parse(line));
      if (k >= 0) arrived(k, t);
    } else if (line.includes('"type":"pad"')) {
      padSeen();
    }
  });
  const total = warmup + count;
  const inputArrivals = new Float64Array(total).fill(NaN);
  // deno-lint-ignore no-explicit-any
  let sdl: any = null;
  try {
    await forwarder.start();
    let send: (k: number) => void;
    if (source === "replay") {
      // The replay file a user would write: a pad, then alternating presses 1 ms apart.
      const text = [
        JSON.stringify({ t: 0, type: "pad", pad: 0, attached: true, name: "bench pad" }),
        ...Array.from(
          { length: total },
          (_, k) => JSON.stringify({ t: k + 1, type: "button", pad: 0, ...sequence(k) }),
        ),
      ].join("\n");
      const entries = parseReplay(text);
      forwarder.push([entries[0]!.event]);
      send = (k) => forwarder.push([entries[k + 1]!.event]);
    } else {
      const { SdlInput } = await import("../lib/sdl2/source.ts");
      sdl = await SdlInput.open({ window: false });
      sdl.onInput = (events: InputEvent[]) => {
        const t = performance.now();
        for (const event of events) {
          if (event.type !== "button") continue;
          const k = inputs.match(event);
          if (k >= 0) inputArrivals[k] = t;
        }
        forwarder.push(events);
      };
      await sdl.attachVirtual(1, "padlink bench pad");
      send = (k) => {
        const { button, pressed } = sequence(k);
        sdl.setVirtualButton(1, button, pressed);
      };
    }
    await withDeadline(padLine, 5000, () => {
      throw new Error("no pad");
    });
    const run = await pacedRun(pacer, warmup, count, (k) => {
      outputs.sent(k);
      inputs.sent(k);
      send(k);
    }, (fn) => arrived = fn);
    const hop: number[] = [];
    for (let k = warmup; k < total; k++) {
      const t = inputArrivals[k]!;
      if (!Number.isNaN(t)) hop.push(t - run.stamps[k]!);
    }
    return { ...run, sdlHop: hop };
  } finally {
    await sdl?.close();
    await forwarder.stop();
    await server.stop();
    await reading;
  }
}

function rowsFor(
  label: string,
  run: Summary,
  floor: Summary,
  lost: number,
): Row[] {
  const lostNote = lost > 0 ? ` (${lost} lost)` : "";
  return [
    {
      measure: `${label}: p50`,
      value: us(run.p50) + lostNote,
      reference: `${us(floor.p50)} (+${us(run.p50 - floor.p50)})`,
      goal: "≤ floor + 100 µs",
      met: run.p50 - floor.p50 <= 0.1,
    },
    {
      measure: `${label}: p99`,
      value: us(run.p99),
      reference: `${us(floor.p99)} (+${us(run.p99 - floor.p99)})`,
      goal: "≤ floor + 1 ms",
      met: run.p99 - floor.p99 <= 1,
    },
    {
      measure: `${label}: max`,
      value: us(run.max),
      reference: us(floor.max),
      goal: "nowhere near 40 ms",
      met: run.max < 20,
    },
  ];
}

/** Run section 1. */
export async function benchLatency(config: BenchConfig): Promise<Section> {
  const warmup = config.quick ? 200 : 500;
  const count = config.quick ? 1000 : 5000;
  using pacer = new Pacer();
  config.log(`latency: floor (echo), ${count} messages at 1 kHz`);
  const floorRaw = await floorRun(pacer, warmup, count);
  const floor = summarise(floorRaw.samples);
  config.log(`latency: relay floor, ${count} messages at 1 kHz`);
  const relayRaw = await relayRun(pacer, warmup, count);
  const relay = summarise(relayRaw.samples);
  config.log(`latency: replay source → padlink-server, ${count} events at 1 kHz`);
  const replayRaw = await padlinkRun(pacer, warmup, count, "replay");
  const replay = summarise(replayRaw.samples);
  const rows: Row[] = [
    {
      measure: "floor: raw Deno TCP one way (RTT/2), p50 / p99 / max",
      value: "",
      reference: `${us(floor.p50)} / ${us(floor.p99)} / ${us(floor.max)}`,
      goal: "",
      met: null,
    },
    {
      measure: "relay floor: raw TCP in → raw Deno process → stdout pipe, p50 / p99 / max",
      value: "",
      reference: `${us(relay.p50)} / ${us(relay.p99)} / ${us(relay.max)}`,
      goal: "",
      met: null,
    },
    ...rowsFor("replay source → server output", replay, floor, replayRaw.lost),
  ];
  const notes = [
    `${count} events per path at 1 kHz, after ${warmup} warm-up events that are not counted; ` +
    "each path uses the same pacer (a worker sleeping in Atomics.wait between absolute deadlines).",
    "Latency is stamped with performance.now() in the bench process just before the event is " +
    "handed on, and when the chunk holding the matching server output line arrives back in the " +
    "bench process. It includes: client encoding, the TCP write, the kernel, the server " +
    "process's read, decode, state check, JSON formatting and stdout write, the pipe, and the " +
    "bench process's read. The floor (one raw Deno TCP message, one way) has one process hop; " +
    "the padlink paths have two (TCP, then the stdout pipe), like the relay floor.",
  ];
  config.log("latency: SDL virtual controller → padlink-server");
  try {
    const sdlRaw = await padlinkRun(pacer, warmup, count, "sdl");
    const sdl = summarise(sdlRaw.samples);
    rows.push(...rowsFor("SDL virtual pad → server output", sdl, floor, sdlRaw.lost));
    const hop = summarise(sdlRaw.sdlHop ?? []);
    rows.push({
      measure: "of which SDL: set virtual button → SdlInput.onInput on the main thread",
      value: `${us(hop.p50)} / ${us(hop.p99)} / ${us(hop.max)}`,
      reference: "",
      goal: "",
      met: null,
    });
    notes.push(
      "SDL: the bench's pacer calls SdlInput.setVirtualButton at its own 1 kHz phase; the " +
        "command wakes the SDL worker, which sets the virtual button, pumps SDL and posts the " +
        "event to the main thread, where Forwarder.push sends it. A real pad's change waits in " +
        "addition for the worker's next poll of the device (every 1 ms while input arrives, " +
        "every 2 ms after a quiet second), which a virtual controller's change, waking the " +
        "worker itself, does not.",
    );
  } catch (error) {
    rows.push({
      measure: "SDL virtual pad → server output",
      value: `not available: ${(error as Error).message.split("\n")[0]}`,
      reference: "",
      goal: "",
      met: null,
    });
  }
  return { title: "1. Latency, input → server output", rows, notes };
}
