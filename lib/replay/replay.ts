/**
 * Replay files: JSON lines of input events (`pad`, `button`, `axis`, `key`,
 * with an optional `client`) plus `t`, milliseconds from the start. The
 * server's `--json` input lines are valid replay lines; a missing `t` means
 * "at the same time as the previous line".
 *
 * The whole file is checked before anything is sent, including that it
 * makes sense as a sequence: input only for attached pads, and every line a
 * real change (no press of a button already held).
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
} from "../input/model.ts";

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

/**
 * Parse and check a replay file.
 *
 * @throws {ReplayError} naming the first bad line.
 *
 * @example Usage
 * ```ts
 * import { parseReplay } from "./replay.ts";
 * const entries = parseReplay([
 *   '{"t":0,"type":"pad","pad":0,"attached":true,"name":"Pad"}',
 *   '{"t":5,"type":"button","pad":0,"button":"a","pressed":true}',
 * ].join("\n"));
 * if (entries.length !== 2 || entries[1]!.t !== 5) throw new Error("two entries");
 * ```
 */
export function parseReplay(text: string): ReplayEntry[] {
  const entries: ReplayEntry[] = [];
  const state = new InputState();
  const lines = text.split("\n");
  let t = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.trim();
    if (raw === "") continue;
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
    if (record.t !== undefined) {
      if (typeof record.t !== "number" || !Number.isFinite(record.t) || record.t < 0) {
        throw new ReplayError(line, `"t" must be a number of milliseconds >= 0`);
      }
      if (record.t < t) {
        throw new ReplayError(line, `"t" goes back in time (${record.t} after ${t})`);
      }
      t = record.t;
    }
    if (record.client !== undefined && typeof record.client !== "string") {
      throw new ReplayError(line, `"client" must be a string`);
    }
    const event = parseEvent(record, line);
    const problem = applyInSequence(state, event);
    if (problem) throw new ReplayError(line, problem);
    entries.push({ t, event, line });
  }
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
      return { type: "pad", pad: pad(), attached, name: name as string };
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
    case "key": {
      for (const key of ["key", "scancode"]) {
        if (typeof record[key] !== "string" || record[key] === "") {
          fail(`"${key}" must be a non-empty string (SDL's ${key} name)`);
        }
      }
      return {
        type: "key",
        key: record.key as string,
        scancode: record.scancode as string,
        pressed: bool("pressed"),
      };
    }
    default:
      return fail(
        `"type" must be "pad", "button", "axis" or "key", got ${JSON.stringify(record.type)}`,
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
  }
}

/** Options for {@linkcode playReplay}. */
export interface PlayOptions {
  /** Stops the replay early. */
  signal?: AbortSignal;
}

/**
 * Deliver entries at their times: each group of entries sharing a `t` is
 * handed over as one batch when `t` milliseconds have passed since the start.
 * Entries all at `t: 0` go out as fast as the sink takes them.
 */
export async function playReplay(
  entries: readonly ReplayEntry[],
  sink: (events: InputEvent[]) => void | Promise<void>,
  options: PlayOptions = {},
): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < entries.length) {
    if (options.signal?.aborted) return;
    const t = entries[i]!.t;
    const batch: InputEvent[] = [];
    while (i < entries.length && entries[i]!.t === t) batch.push(entries[i++]!.event);
    const wait = start + t - performance.now();
    if (wait > 0) await sleep(wait, options.signal);
    if (options.signal?.aborted) return;
    await sink(batch);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
