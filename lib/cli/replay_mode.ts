/**
 * The client's replay mode (`--replay FILE`, `--replay -`): load or stream
 * the replay, send it at its times with backpressure, and turn the outcome
 * into an exit status that means "complete" only when the server confirmed
 * every event.
 *
 * @module
 */

import type { Forwarder, ForwarderEnd } from "../client/forwarder.ts";
import type { InputEvent } from "../input/model.ts";
import type { Remapper } from "../input/remap.ts";
import {
  parseReplayWith,
  playReplay,
  readReplayStream,
  type ReplayEntry,
  ReplayError,
  ReplayParser,
  type ReplaySource,
} from "../replay/replay.ts";
import {
  EXIT_FAILURE,
  EXIT_USAGE,
  exitStatusForSignal,
  onStopSignal,
  UsageError,
} from "./common.ts";

/** `--replay -`: read the replay from standard input, line by line as it arrives. */
export const STDIN_PATH = "-";

/**
 * Events handed to the connection at a time before waiting for them to be
 * written: bounds what a huge batch at one `t` holds encoded at once, and
 * lets heartbeats and PONGs through between slices.
 */
export const REPLAY_SLICE_EVENTS = 16_384;

/** Options for {@linkcode openReplay}. */
export interface OpenReplayOptions {
  /** The flag the file came with, for messages. Default `--replay`. */
  flag?: string;
  /** `--replay-client`. */
  client?: string;
  /** Told what was skipped (lines that are not input), in one line. */
  onSkipped?: (message: string) => void;
  /** Where `-` reads from; default standard input. */
  stdin?: ReadableStream<Uint8Array>;
}

/** A replay ready to play: a checked file, or a stream checked as it arrives. */
export interface OpenedReplay {
  /** What to play. */
  source: ReplaySource;
  /** Says, after playing, what a stream skipped; null for a file (said at once). */
  skipped: () => string | null;
  /** What the errors name: `--replay FILE`. */
  label: string;
}

/**
 * Read and check a replay file (before anything is sent), or open standard
 * input for `-`.
 *
 * @throws {UsageError} for a file that cannot be read or has a bad line.
 */
export async function openReplay(
  path: string,
  options: OpenReplayOptions = {},
): Promise<OpenedReplay> {
  const flag = options.flag ?? "--replay";
  const label = `${flag} ${path}`;
  const parser = new ReplayParser({ client: options.client });
  if (path === STDIN_PATH) {
    const stream = options.stdin ?? Deno.stdin.readable;
    return {
      source: readReplayStream(stream, parser),
      skipped: () => parser.describeSkipped(),
      label,
    };
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new UsageError(`${label}: no such file`);
    throw new UsageError(`${label}: cannot read it (${(error as Error).message})`);
  }
  let entries: ReplayEntry[];
  try {
    entries = parseReplayWith(parser, text);
  } catch (error) {
    if (error instanceof ReplayError) throw new UsageError(`${label}: ${error.message}`);
    throw error;
  }
  const skipped = parser.describeSkipped();
  if (skipped !== null) options.onSkipped?.(`${label}: ${skipped}`);
  return { source: entries, skipped: () => null, label };
}

/** Where {@linkcode runReplay} reports. */
export interface ReplayReport {
  /** A line for the user (the program name is added by the caller). */
  error(message: string): void;
}

/**
 * Play the replay through `forwarder`, then stop gracefully.
 *
 * @param remap `--map`, applied to every event before it is sent
 * @returns the exit status: 0 when the server confirmed every event; 130 on
 * SIGINT, 143 on SIGTERM; 2 for a bad line of a stream; 1 when events were
 * lost across a reconnect, the server did not confirm, or the connection
 * was lost for good.
 */
export async function runReplay(
  forwarder: Forwarder,
  replay: OpenedReplay,
  report: ReplayReport,
  remap?: Remapper,
): Promise<number> {
  const abort = new AbortController();
  if (remap) forwarder.push(remap.start());
  let ended: ForwarderEnd | null = null;
  let signal: string | null = null;
  const removeSignals = onStopSignal((name) => {
    signal = name;
    abort.abort();
  });
  forwarder.done.then((end) => {
    ended ??= end;
    abort.abort();
  });
  const aborted = new Promise<void>((resolve) =>
    abort.signal.addEventListener("abort", () => resolve(), { once: true })
  );
  const send = async (batch: InputEvent[], dueAt: number) => {
    // The replay's schedule is the capture time, on the client's default clock.
    const capturedUs = Math.round(dueAt * 1000);
    for (let i = 0; i < batch.length && !abort.signal.aborted; i += REPLAY_SLICE_EVENTS) {
      const slice = i === 0 && batch.length <= REPLAY_SLICE_EVENTS
        ? batch
        : batch.slice(i, i + REPLAY_SLICE_EVENTS);
      forwarder.push(remap ? remap.map(slice) : slice, capturedUs);
      await Promise.race([forwarder.drained(), aborted]);
    }
  };
  let badLine: string | null = null;
  try {
    await playReplay(replay.source, send, { signal: abort.signal });
  } catch (error) {
    if (!(error instanceof ReplayError)) throw error;
    badLine = `${replay.label}: ${error.message}`;
  } finally {
    removeSignals();
  }
  const skipped = replay.skipped();
  if (ended) return reportEnd(ended as ForwarderEnd, report);
  const wasConnected = forwarder.connection !== null;
  const reason = signal ? "interrupted" : badLine ? "bad replay line" : "replay finished";
  const confirmed = await forwarder.stop(reason);
  if (skipped !== null) report.error(`${replay.label}: ${skipped}`);
  if (badLine !== null) {
    report.error(`${badLine}; stopped there, the lines before it were sent`);
    return EXIT_USAGE;
  }
  if (signal !== null) {
    if (!confirmed && !wasConnected) {
      report.error("stopped while disconnected; the server released this client's inputs itself");
    }
    return exitStatusForSignal(signal);
  }
  const lost = forwarder.lostEvents;
  if (lost > 0) {
    report.error(
      `${lost} event${lost === 1 ? "" : "s"} lost across reconnects (sent before a connection ` +
        "dropped without the server confirming them, or due while disconnected); the server got " +
        "the state they led to instead",
    );
    return EXIT_FAILURE;
  }
  if (!confirmed) {
    report.error("the server did not confirm it received everything before the connection ended");
    return EXIT_FAILURE;
  }
  return 0;
}

/** Say why the forwarder stopped before its source was done; always a failure. */
export function reportEnd(end: ForwarderEnd, report: ReplayReport): number {
  report.error(`stopped: ${end.error?.message ?? end.reason}`);
  return EXIT_FAILURE;
}
