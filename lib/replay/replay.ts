/**
 * Replay files: JSON lines of input events (`pad`, `button`, `axis`, `key`,
 * `motion`, `touch`, `battery`, with an optional `client`) plus `t`, milliseconds from the start; a
 * missing `t` means "at the same time as the previous line", and a key
 * line without `scancode` gets SDL's scancode of the same name. The
 * server's `--json` output replays as it is: its lines that are not input
 * are skipped.
 *
 * Every line is checked, including that it makes sense in sequence: input
 * only for attached pads, and every line a real change (no press of a
 * button already held). A file is checked whole before anything is sent;
 * a stream (`--replay -`) line by line as it arrives.
 *
 * @module
 */

import {
  AXIS_NAMES,
  type AxisName,
  BUTTON_NAMES,
  type ButtonName,
  type InputEvent,
  InputState,
  isTrigger,
  MAX_PAD,
  PAD_CAPABILITIES,
  PAD_KINDS,
  type PadCapability,
  type PadKind,
} from "../input/model.ts";
import { scancodeForKey } from "../input/scancodes.ts";
import { sleep } from "../net/deadline.ts";

/** One line of a replay file. */
export interface ReplayEntry {
  /** Milliseconds from the start of the replay. */
  t: number;
  /** The event to send. */
  event: InputEvent;
  /** 1-based line number in the file. */
  line: number;
}

/** A replay line that cannot be used, naming the line. */
export class ReplayError extends Error {
  /** 1-based line number of the bad line. */
  readonly line: number;

  /** Create the error for `line`. */
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "ReplayError";
    this.line = line;
  }
}

const BUTTONS: ReadonlySet<string> = new Set(BUTTON_NAMES);
const AXES: ReadonlySet<string> = new Set(AXIS_NAMES);

/** Options for {@linkcode ReplayParser} and {@linkcode parseReplay}. */
export interface ReplayParseOptions {
  /**
   * Replay only the input of this client (a capture's `client` field); lines
   * of other clients are skipped. Without it, a file may hold the input of
   * one client only.
   */
  client?: string;
}

/** Types of the server's `--json` lines that carry input; every other type is skipped. */
const INPUT_TYPES: ReadonlySet<string> = new Set([
  "pad",
  "button",
  "axis",
  "key",
  "motion",
  "touch",
  "battery",
]);

/** The `"type"` values a replay line may have, for messages. */
const TYPES_TEXT = '"pad", "button", "axis", "key", "motion", "touch" or "battery"';
const TOUCH_STATE_NAMES: ReadonlySet<string> = new Set(["down", "move", "up"]);
const BATTERY_LEVEL_NAMES: ReadonlySet<string> = new Set([
  "unknown",
  "empty",
  "low",
  "medium",
  "full",
]);
const BATTERY_STATE_NAMES: ReadonlySet<string> = new Set(["unknown", "battery", "wired"]);

/**
 * Checks replay lines one at a time, in order, so a file and a stream are
 * checked alike: each line is a JSON object that is valid on its own and
 * makes sense after the lines before it.
 *
 * Lines of the server's own `--json` output are taken as they are: lines
 * that are not input (`listening`, `connect`, `disconnect`, or any type
 * that is not `pad`, `button`, `axis` or `key`) are skipped and counted in
 * {@linkcode skipped}. Their `t` counts from each connect of the client,
 * so after a later `connect` line of the same client its times continue
 * from where the previous connection stopped.
 */
export class ReplayParser {
  readonly #state = new InputState();
  readonly #wanted: string | undefined;
  /** The client whose input is replayed, once known. */
  #client: string | undefined;
  /** Added to `t` of the client's lines: where its current connection starts. */
  #base = 0;
  #t = 0;
  #entries = 0;
  /** Skipped lines by reason, for example `"connect"` or `"client bob"`. */
  readonly skipped: Map<string, number> = new Map();
  /** Clients whose lines were skipped. */
  readonly #others = new Set<string>();

  /** Create a parser; `options.client` picks one client of a capture. */
  constructor(options: ReplayParseOptions = {}) {
    this.#wanted = options.client;
    this.#client = options.client;
  }

  /** Entries accepted so far. */
  get accepted(): number {
    return this.#entries;
  }

  /**
   * Check one line.
   *
   * @param text the line, without its newline
   * @param line its 1-based number, for errors
   * @returns the entry, or null for a blank or skipped line
   * @throws {ReplayError} naming the line
   */
  parse(text: string, line: number): ReplayEntry | null {
    const raw = text.trim();
    if (raw === "") return null;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ReplayError(line, "not valid JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ReplayError(line, "expected a JSON object");
    }
    const record = value as Record<string, unknown>;
    if (typeof record.type !== "string") {
      throw new ReplayError(
        line,
        `"type" must be ${TYPES_TEXT}, got ${JSON.stringify(record.type)}`,
      );
    }
    if (record.client !== undefined && typeof record.client !== "string") {
      throw new ReplayError(line, `"client" must be a string`);
    }
    const client = record.client as string | undefined;
    if (!INPUT_TYPES.has(record.type)) {
      if (record.type === "connect" && client !== undefined && client === this.#client) {
        this.#base = this.#t;
      }
      this.#skip(record.type);
      return null;
    }
    if (client !== undefined) {
      if (this.#client === undefined) {
        this.#client = client;
      } else if (client !== this.#client) {
        if (this.#wanted === undefined) {
          throw new ReplayError(
            line,
            `input of a second client, ${JSON.stringify(client)}, after ${
              JSON.stringify(this.#client)
            }; replay one of them with --replay-client NAME`,
          );
        }
        this.#others.add(client);
        this.#skip(`client ${client}`);
        return null;
      }
    }
    if (record.t !== undefined) {
      if (typeof record.t !== "number" || !Number.isFinite(record.t) || record.t < 0) {
        throw new ReplayError(line, `"t" must be a number of milliseconds >= 0`);
      }
      const t = this.#base + record.t;
      if (t < this.#t) {
        throw new ReplayError(line, `"t" goes back in time (${record.t} after ${this.#t})`);
      }
      this.#t = t;
    }
    const event = parseEvent(record, line);
    const problem = applyInSequence(this.#state, event);
    if (problem) throw new ReplayError(line, problem);
    this.#entries++;
    return { t: this.#t, event, line };
  }

  /**
   * Check what only the whole input can show: that a client picked with
   * `client` had any input.
   *
   * @param line the number of the last line, for the error
   * @throws {ReplayError}
   */
  finish(line: number): void {
    if (this.#wanted !== undefined && this.#entries === 0 && this.#others.size > 0) {
      throw new ReplayError(
        line,
        `no input of client ${JSON.stringify(this.#wanted)}; the file has ${
          [...this.#others].map((c) => JSON.stringify(c)).join(", ")
        }`,
      );
    }
  }

  #skip(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }

  /**
   * One line saying what was skipped, or null when nothing was.
   *
   * @returns for example `skipped 3 lines that are not input (connect 1, disconnect 1, listening 1)`
   */
  describeSkipped(): string | null {
    if (this.skipped.size === 0) return null;
    let total = 0;
    for (const count of this.skipped.values()) total += count;
    const parts = [...this.skipped].map(([reason, count]) => `${reason} ${count}`);
    return `skipped ${total} line${total === 1 ? "" : "s"} that are not input to replay (${
      parts.join(", ")
    })`;
  }
}

/**
 * Parse and check a whole replay file with a {@linkcode ReplayParser}.
 *
 * @throws {ReplayError} naming the first bad line.
 *
 * @example Usage
 * ```ts
 * import { parseReplay } from "./replay.ts";
 * const entries = parseReplay([
 *   '{"type":"listening","host":"127.0.0.1","port":7175,"auth":false,"protocol":1}',
 *   '{"t":0,"type":"pad","pad":0,"attached":true,"name":"Pad"}',
 *   '{"t":5,"type":"button","pad":0,"button":"a","pressed":true}',
 *   '{"t":6,"type":"key","key":"Up","pressed":true}',
 * ].join("\n"));
 * if (entries.length !== 3 || entries[1]!.t !== 5) throw new Error("three entries");
 * if (entries[2]!.event.type !== "key" || entries[2]!.event.scancode !== "Up") throw new Error();
 * ```
 */
export function parseReplay(text: string, options: ReplayParseOptions = {}): ReplayEntry[] {
  return parseReplayWith(new ReplayParser(options), text);
}

/**
 * Parse and check a whole replay file with `parser`, which then tells what
 * it skipped.
 *
 * @throws {ReplayError} naming the first bad line.
 */
export function parseReplayWith(parser: ReplayParser, text: string): ReplayEntry[] {
  const entries: ReplayEntry[] = [];
  let line = 0;
  let from = 0;
  while (from <= text.length) {
    let to = text.indexOf("\n", from);
    if (to < 0) to = text.length;
    line++;
    const entry = parser.parse(text.slice(from, to), line);
    if (entry) entries.push(entry);
    from = to + 1;
  }
  parser.finish(line);
  return entries;
}

function parseEvent(record: Record<string, unknown>, line: number): InputEvent {
  const fail = (message: string): never => {
    throw new ReplayError(line, message);
  };
  const bool = (key: string): boolean =>
    typeof record[key] === "boolean"
      ? record[key] as boolean
      : fail(`"${key}" must be true or false`);
  const pad = (): number => {
    const value = record.pad;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_PAD) {
      fail(`"pad" must be an integer from 0 to ${MAX_PAD}`);
    }
    return value as number;
  };
  switch (record.type) {
    case "pad": {
      const attached = bool("attached");
      if (!attached) return { type: "pad", pad: pad(), attached };
      const name = record.name ?? "";
      if (typeof name !== "string") fail(`"name" must be a string`);
      const event: InputEvent = { type: "pad", pad: pad(), attached, name: name as string };
      for (const key of ["vendor", "product"] as const) {
        const id = record[key];
        if (id === undefined) continue;
        if (!Number.isInteger(id) || (id as number) < 0 || (id as number) > 0xffff) {
          fail(`"${key}" must be a USB id, an integer from 0 to 65535`);
        }
        event[key] = id as number;
      }
      if (record.kind !== undefined) {
        if (!(PAD_KINDS as readonly unknown[]).includes(record.kind)) {
          fail(`"kind" must be one of ${PAD_KINDS.join(" ")}`);
        }
        event.kind = record.kind as PadKind;
      }
      if (record.capabilities !== undefined) {
        const list = record.capabilities;
        if (
          !Array.isArray(list) ||
          !list.every((c) => (PAD_CAPABILITIES as readonly unknown[]).includes(c))
        ) {
          fail(`"capabilities" must be a list of ${PAD_CAPABILITIES.join(" ")}`);
        }
        event.capabilities = [...new Set(list as PadCapability[])];
      }
      return event;
    }
    case "button": {
      const button = record.button;
      if (typeof button !== "string" || !BUTTONS.has(button)) {
        fail(`"button" must be one of ${BUTTON_NAMES.join(" ")}`);
      }
      return { type: "button", pad: pad(), button: button as ButtonName, pressed: bool("pressed") };
    }
    case "axis": {
      const axis = record.axis;
      if (typeof axis !== "string" || !AXES.has(axis)) {
        fail(`"axis" must be one of ${AXIS_NAMES.join(" ")}`);
      }
      const value = record.value;
      const low = isTrigger(axis as AxisName) ? 0 : -1;
      if (typeof value !== "number" || !(value >= low && value <= 1)) {
        fail(`"value" of ${axis} must be a number from ${low} to 1`);
      }
      return { type: "axis", pad: pad(), axis: axis as AxisName, value: value as number };
    }
    case "motion": {
      const vector = (key: "accel" | "gyro"): [number, number, number] => {
        const value = record[key];
        if (
          !Array.isArray(value) || value.length !== 3 ||
          !value.every((v) => typeof v === "number" && Number.isFinite(v))
        ) {
          fail(`"${key}" must be three numbers [x, y, z] (${key === "accel" ? "m/s²" : "rad/s"})`);
        }
        return value as [number, number, number];
      };
      const tUs = record.t_us ?? 0;
      if (typeof tUs !== "number" || !Number.isInteger(tUs) || tUs < 0) {
        fail(`"t_us" must be a whole number of microseconds`);
      }
      return {
        type: "motion",
        pad: pad(),
        accel: vector("accel"),
        gyro: vector("gyro"),
        t_us: tUs as number,
      };
    }
    case "touch": {
      const small = (key: "touchpad" | "finger"): number => {
        const value = record[key] ?? 0;
        if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 255) {
          fail(`"${key}" must be an integer from 0 to 255`);
        }
        return value as number;
      };
      const unit = (key: "x" | "y" | "pressure"): number => {
        const value = record[key] ?? (key === "pressure" ? 1 : undefined);
        if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
          fail(`"${key}" must be a number from 0 to 1`);
        }
        return value as number;
      };
      const state = record.state;
      if (typeof state !== "string" || !TOUCH_STATE_NAMES.has(state)) {
        fail(`"state" must be down, move or up`);
      }
      return {
        type: "touch",
        pad: pad(),
        touchpad: small("touchpad"),
        finger: small("finger"),
        state: state as "down" | "move" | "up",
        x: unit("x"),
        y: unit("y"),
        pressure: unit("pressure"),
      };
    }
    case "battery": {
      const level = record.level;
      if (typeof level !== "string" || !BATTERY_LEVEL_NAMES.has(level)) {
        fail(`"level" must be unknown, empty, low, medium or full`);
      }
      const state = record.state ?? "unknown";
      if (typeof state !== "string" || !BATTERY_STATE_NAMES.has(state)) {
        fail(`"state" must be unknown, battery or wired`);
      }
      return {
        type: "battery",
        pad: pad(),
        level: level as "unknown" | "empty" | "low" | "medium" | "full",
        state: state as "unknown" | "battery" | "wired",
      };
    }
    case "key": {
      const key = record.key;
      if (typeof key !== "string" || key === "") {
        fail(`"key" must be a non-empty string (SDL's key name)`);
      }
      let scancode = record.scancode;
      if (scancode === undefined) {
        scancode = scancodeForKey(key as string) ??
          fail(
            `no SDL scancode is named like key ${
              JSON.stringify(key)
            }; add "scancode" (SDL's name of the physical key, for example "A")`,
          );
      } else if (typeof scancode !== "string" || scancode === "") {
        fail(`"scancode" must be a non-empty string (SDL's scancode name)`);
      }
      return {
        type: "key",
        key: key as string,
        scancode: scancode as string,
        pressed: bool("pressed"),
      };
    }
    default:
      return fail(
        `"type" must be ${TYPES_TEXT}, got ${JSON.stringify(record.type)}`,
      );
  }
}

/** Why `event` cannot follow `state`, or null; applies the event when it can. */
function applyInSequence(state: InputState, event: InputEvent): string | null {
  switch (event.type) {
    case "pad":
      if (event.attached && state.hasPad(event.pad)) return `pad ${event.pad} is already attached`;
      if (!event.attached && !state.hasPad(event.pad)) return `pad ${event.pad} is not attached`;
      break;
    case "button":
    case "axis":
    case "motion":
    case "touch":
    case "battery":
      if (!state.hasPad(event.pad)) {
        return `pad ${event.pad} is not attached (attach it first with a "pad" line)`;
      }
      break;
  }
  return state.apply(event)
    ? null
    : `${describe(event)} changes nothing (it repeats the previous state)`;
}

function describe(event: InputEvent): string {
  switch (event.type) {
    case "button":
      return `button ${event.button} ${event.pressed ? "press" : "release"} on pad ${event.pad}`;
    case "axis":
      return `axis ${event.axis} = ${event.value} on pad ${event.pad}`;
    case "key":
      return `key ${event.key} ${event.pressed ? "press" : "release"}`;
    case "pad":
      return `pad ${event.pad}`;
    case "motion":
      return `motion on pad ${event.pad}`;
    case "touch":
      return `touch ${event.state} of finger ${event.finger} on pad ${event.pad}`;
    case "battery":
      return `battery ${event.level} (${event.state}) on pad ${event.pad}`;
  }
}

/** Options for {@linkcode playReplay}. */
export interface PlayOptions {
  /** Stops the replay early. */
  signal?: AbortSignal;
}

/** Entries to play: a whole file, or batches as they arrive from a stream. */
export type ReplaySource = readonly ReplayEntry[] | AsyncIterable<readonly ReplayEntry[]>;

/**
 * Deliver entries at their times: each run of entries sharing a `t` is
 * handed over as one batch once `t` milliseconds have passed since the
 * start, or as soon as it arrives from a stream when that is later.
 * Entries all at `t: 0` go out as fast as the sink takes them; an async
 * sink is awaited before the next batch (backpressure). The sink is also
 * told when the batch was due, as `performance.timeOrigin +
 * performance.now()` in ms: the replay's schedule, or when its line arrived
 * from a stream if that was later. That is the batch's capture time.
 */
export async function playReplay(
  source: ReplaySource,
  sink: (events: InputEvent[], dueAt: number) => void | Promise<void>,
  options: PlayOptions = {},
): Promise<void> {
  const start = performance.now();
  const batches = Array.isArray(source)
    ? [source as readonly ReplayEntry[]]
    : source as AsyncIterable<readonly ReplayEntry[]>;
  for await (const entries of untilAborted(batches, options.signal)) {
    const arrived = performance.now();
    let i = 0;
    while (i < entries.length) {
      if (options.signal?.aborted) return;
      const t = entries[i]!.t;
      const batch: InputEvent[] = [];
      while (i < entries.length && entries[i]!.t === t) batch.push(entries[i++]!.event);
      const wait = start + t - performance.now();
      if (wait > 0) await sleep(wait, options.signal);
      if (options.signal?.aborted) return;
      await sink(batch, performance.timeOrigin + Math.max(start + t, arrived));
    }
    if (options.signal?.aborted) return;
  }
}

/**
 * Read replay lines from a byte stream (such as stdin) and check each with
 * `parser` as it arrives, yielding the entries of each chunk at once, so a
 * program writing lines drives the replay live.
 *
 * @throws {ReplayError} at the first bad line, after yielding the lines before it.
 */
export async function* readReplayStream(
  stream: ReadableStream<Uint8Array>,
  parser: ReplayParser,
): AsyncGenerator<ReplayEntry[]> {
  const decoder = new TextDecoder();
  let partial = "";
  let line = 0;
  for await (const chunk of stream) {
    partial += decoder.decode(chunk, { stream: true });
    const entries: ReplayEntry[] = [];
    let from = 0;
    for (let to = partial.indexOf("\n"); to >= 0; to = partial.indexOf("\n", from)) {
      line++;
      let entry: ReplayEntry | null;
      try {
        entry = parser.parse(partial.slice(from, to), line);
      } catch (error) {
        if (entries.length > 0) yield entries;
        throw error;
      }
      if (entry) entries.push(entry);
      from = to + 1;
    }
    partial = partial.slice(from);
    if (entries.length > 0) yield entries;
  }
  partial += decoder.decode();
  if (partial.trim() !== "") {
    const entry = parser.parse(partial, ++line);
    if (entry) yield [entry];
  }
  parser.finish(line);
}

/**
 * The batches of `source` until `signal` aborts, even while waiting for the
 * next one (a stream on standard input may be silent for a long time).
 */
async function* untilAborted<T>(
  source: AsyncIterable<T> | Iterable<T>,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  if (!signal) return yield* source;
  const aborted = new Promise<"aborted">((resolve) => {
    if (signal.aborted) resolve("aborted");
    signal.addEventListener("abort", () => resolve("aborted"), { once: true });
  });
  const iterator = Symbol.asyncIterator in source
    ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (source as Iterable<T>)[Symbol.iterator]();
  while (!signal.aborted) {
    const next = await Promise.race([iterator.next(), aborted]);
    if (next === "aborted" || next.done) return;
    yield next.value;
  }
}
