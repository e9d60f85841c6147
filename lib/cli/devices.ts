/**
 * The client's device mode: read controllers and the keyboard through
 * {@linkcode SdlInput}, forward every change, optionally record it, and
 * optionally drive SDL virtual controllers from a replay file (`--virtual`)
 * so the whole real SDL path runs without hardware.
 *
 * @module
 */

import type { Forwarder, ForwarderEnd, ForwarderState } from "../client/forwarder.ts";
import type { InputEvent } from "../input/model.ts";
import type { ReplayEntry } from "../replay/replay.ts";
import { playReplay } from "../replay/replay.ts";
import { Recorder } from "../replay/recorder.ts";
import { NoDisplayError, Sdl2NotFoundError } from "../sdl2/library.ts";
import type { ControllerInfo } from "../sdl2/messages.ts";
import { jsonString } from "../wire/safe_text.ts";
import { SdlInput } from "../sdl2/source.ts";
import { SDL_MINIMUM_GUIDE_BUTTON_DELAY_MS } from "../sdl2/events.ts";
import { sleep } from "../net/deadline.ts";
import { onStopSignal } from "./common.ts";
import type { Remapper } from "../input/remap.ts";
import { formatVirtualFeedbackJson } from "./client_feedback.ts";

/** What the device mode needs from the command line. */
export interface DeviceModeOptions {
  /** Open the keyboard window. */
  window: boolean;
  /** `--deadzone`: the stick deadzone, 0..1. */
  deadzone: number;
  /** `--rate`: most stick and trigger updates per axis per second. */
  rateHz: number;
  /** `--mappings`: an SDL `gamecontrollerdb.txt`. */
  mappings?: string;
  /** `--motion`: turn on the pads' accelerometer and gyro. */
  motion?: boolean;
  /** `--map`: applied to what devices send, before it is sent and recorded. */
  remap?: Remapper;
  /** `--record`: where to write what devices send, in the replay format. */
  record?: string;
  /** Entries to play through virtual controllers, when `--virtual` was given. */
  virtual?: ReplayEntry[];
  /** Where the client is connected, for the window title. */
  where: string;
  /**
   * Writes a `--json` line; with `--virtual`, each virtual controller's
   * Rumble, RumbleTriggers and SetLED callback is reported through it.
   */
  jsonLine?: (line: string) => void;
}

/** Why device mode could not start, as one line for the user. */
export class DeviceError extends Error {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "DeviceError";
  }
}

/**
 * The window title for a connection state; "padlink" stays in it so users
 * and tests can find the window.
 *
 * @param state the forwarder's state
 * @param where `host:port`
 * @param name the name the server gave this client, once connected
 * @param retryInMs with "reconnecting": the wait before the next attempt, if known
 * @returns the title
 *
 * @example Usage
 * ```ts
 * import { windowTitle } from "./devices.ts";
 * const title = windowTitle("reconnecting", "pc:7175", null, 2400);
 * if (title !== "padlink — reconnecting to pc:7175 in 2.4 s") throw new Error(title);
 * ```
 */
export function windowTitle(
  state: ForwarderState,
  where: string,
  name: string | null = null,
  retryInMs?: number,
): string {
  switch (state) {
    case "connecting":
      return `padlink — connecting to ${where}`;
    case "connected":
      return `padlink — connected to ${where}${name === null ? "" : ` as ${name}`}`;
    case "reconnecting":
      return `padlink — reconnecting to ${where}${
        retryInMs === undefined ? "" : ` in ${(retryInMs / 1000).toFixed(1)} s`
      }`;
    case "closed":
      return `padlink — disconnected from ${where}`;
  }
}

/**
 * Open SDL. Done before connecting, so a missing SDL2 fails fast.
 *
 * @throws {DeviceError} with one line saying what to do.
 */
export async function openDevices(options: DeviceModeOptions): Promise<SdlInput> {
  try {
    return await SdlInput.open({
      window: options.window,
      deadzone: options.deadzone,
      rateHz: options.rateHz,
      mappingsFile: options.mappings,
      title: windowTitle("connecting", options.where),
      motion: options.motion,
    });
  } catch (error) {
    if (error instanceof Sdl2NotFoundError) throw new DeviceError(error.message);
    if (error instanceof NoDisplayError) {
      throw new DeviceError(
        `${error.message}; run with --no-window to forward controllers without it ` +
          "(the keyboard is read through the window)",
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new DeviceError(message.split("\n")[0]!);
  }
}

/** Quiet time after the last virtual command before a `--virtual` run ends, in ms. */
const VIRTUAL_SETTLE_MS = 150;

/**
 * Forward device input until the user stops the client (signal or closing
 * the window), the connection is lost for good, or a `--virtual` file ends.
 *
 * @returns a graceful end (with the signal that asked for it, if one did), or the forwarder's end.
 */
export async function runDevices(
  input: SdlInput,
  forwarder: Forwarder,
  options: DeviceModeOptions,
  log: (message: string) => void,
): Promise<{ graceful: true; signal: string | null } | { graceful: false; end: ForwarderEnd }> {
  const recorder = options.record ? await Recorder.create(options.record) : null;
  let lastInputAt = performance.now();
  const remap = options.remap;
  if (remap) recorder?.add(forwarder.push(remap.start()));
  input.onInput = (events: InputEvent[], polledAt: number) => {
    lastInputAt = performance.now();
    // SDL's poll time is the capture time, on the client's default clock.
    const sent = forwarder.push(remap ? remap.map(events) : events, Math.round(polledAt * 1000));
    recorder?.add(sent);
  };
  input.onError = (error) => log(error.message);
  const jsonLine = options.jsonLine;
  if (options.virtual && jsonLine) {
    input.onVirtualFeedback = (report) => jsonLine(formatVirtualFeedbackJson(report));
  }

  let stopRequested!: () => void;
  const stop = new Promise<void>((resolve) => stopRequested = resolve);
  input.onQuit = (reason) => {
    if (reason) log(`${reason}; stopping`);
    stopRequested();
  };
  let signal: string | null = null;
  const removeSignals = onStopSignal((name) => {
    signal = name;
    stopRequested();
  });

  const abort = new AbortController();
  const virtualDone = options.virtual
    ? playVirtual(input, options.virtual, abort.signal, log).then(async () => {
      // Let SDL deliver the last changes (a coalesced axis waits up to 1/rate s).
      const deadline = performance.now() + 2000;
      while (
        performance.now() - lastInputAt < VIRTUAL_SETTLE_MS && performance.now() < deadline
      ) {
        await sleep(20);
      }
    })
    : new Promise<void>(() => {});

  const outcome = await Promise.race([
    stop.then(() => "stop" as const),
    virtualDone.then(() => "stop" as const),
    forwarder.done.then((end) => end),
  ]);
  removeSignals();
  abort.abort();
  try {
    if (outcome === "stop") {
      const wasConnected = forwarder.connection !== null;
      const confirmed = await forwarder.stop("client stopped");
      if (!confirmed) {
        log(
          wasConnected
            ? "the server did not confirm the goodbye; it releases this client's inputs when it notices the loss"
            : "stopped while disconnected; the server released this client's inputs itself",
        );
      }
      return { graceful: true, signal };
    }
    return { graceful: false, end: outcome };
  } finally {
    input.onInput = () => {};
    await input.close();
    await recorder?.close();
  }
}

/** Play replay entries through SDL virtual controllers and SDL's key queue. */
async function playVirtual(
  input: SdlInput,
  entries: ReplayEntry[],
  signal: AbortSignal,
  log: (message: string) => void,
): Promise<void> {
  // SDL 2.26 virtual controllers have no sensors, touchpad or battery.
  const unplayable =
    entries.filter((entry) =>
      entry.event.type === "motion" || entry.event.type === "touch" ||
      entry.event.type === "battery"
    ).length;
  if (unplayable > 0) {
    log(
      `--virtual: ${unplayable} motion, touch and battery lines skipped (SDL virtual controllers have none); --replay sends them`,
    );
  }
  // When each virtual pad's guide press was seen by SDL (see below).
  const guideDownAt = new Map<number, number>();
  await playReplay(entries, async (batch) => {
    for (const event of batch) {
      if (signal.aborted) return;
      switch (event.type) {
        case "pad":
          guideDownAt.delete(event.pad);
          if (event.attached) {
            await input.attachVirtual(event.pad, event.name ?? "", {
              vendor: event.vendor,
              product: event.product,
              pad: event.pad,
            });
          } else await input.detachVirtual(event.pad);
          break;
        case "button": {
          // SDL holds back a guide release sooner than
          // SDL_MINIMUM_GUIDE_BUTTON_DELAY_MS after the press it saw, and
          // reports it after the changes that follow: so the release waits
          // (and everything after it with it), one ms more as SDL counts whole ms.
          const guide = event.button === "guide";
          const downAt = guideDownAt.get(event.pad);
          if (guide && !event.pressed && downAt !== undefined) {
            guideDownAt.delete(event.pad);
            const wait = downAt + SDL_MINIMUM_GUIDE_BUTTON_DELAY_MS + 1 - performance.now();
            if (wait > 0) await sleep(wait, signal);
            if (signal.aborted) return;
          }
          input.setVirtualButton(event.pad, event.button, event.pressed);
          if (guide && event.pressed) {
            await input.sync();
            guideDownAt.set(event.pad, performance.now());
          }
          break;
        }
        case "axis":
          input.setVirtualAxis(event.pad, event.axis, event.value);
          break;
        case "key":
          input.pushKey(event.key, event.scancode, event.pressed);
          break;
      }
    }
  }, { signal });
}

/** What `padlink-client --list` needs from the command line. */
export interface ListOptions {
  /** `--mappings`: an SDL `gamecontrollerdb.txt` loaded before listing. */
  mappings?: string;
  /** With `--virtual FILE`: the file's pads are attached as SDL virtual controllers first. */
  virtual?: ReplayEntry[];
}

/**
 * `padlink-client --list`: print every joystick SDL sees (index, name,
 * type, GUID, whether it has a GameController mapping), or say that there
 * is none and what to check. With `--virtual FILE`, the pads the file
 * attaches are attached as SDL virtual controllers first, so the listing can
 * be tried without hardware.
 *
 * @param options mappings to load and virtual pads to attach
 * @param print where the lines go (stdout)
 * @returns the exit status, 0
 * @throws {DeviceError} when SDL cannot start
 */
export async function listDevices(
  options: ListOptions,
  print: (line: string) => void = console.log,
): Promise<number> {
  let input: SdlInput;
  try {
    input = await SdlInput.open({ window: false, mappingsFile: options.mappings });
  } catch (error) {
    if (error instanceof Sdl2NotFoundError) throw new DeviceError(error.message);
    throw new DeviceError((error instanceof Error ? error.message : String(error)).split("\n")[0]!);
  }
  try {
    for (const entry of options.virtual ?? []) {
      const event = entry.event;
      if (event.type === "pad" && event.attached) {
        await input.attachVirtual(event.pad, event.name ?? "");
      }
    }
    const controllers = await input.listControllers();
    for (const line of describeControllers(controllers, input.sdlVersion)) print(line);
    return 0;
  } finally {
    await input.close();
  }
}

/**
 * The lines of `padlink-client --list`. Names come from devices, so they are
 * printed as JSON strings with every control character escaped.
 *
 * @param controllers what SDL enumerated
 * @param sdlVersion the SDL version in use
 * @returns the lines to print
 */
export function describeControllers(controllers: ControllerInfo[], sdlVersion: string): string[] {
  if (controllers.length === 0) {
    const permissions = Deno.build.os === "linux"
      ? " check that this user may read /dev/input/event* (often: join the input group, then log in again),"
      : "";
    return [
      `SDL ${sdlVersion} sees no controllers. Plug one in,${permissions} ` +
      "or, for a joystick SDL does not know, load a mapping with --mappings gamecontrollerdb.txt",
    ];
  }
  const lines = [`SDL ${sdlVersion} sees ${controllers.length} controller(s):`];
  for (const c of controllers) {
    lines.push(
      `  ${c.index}  ${jsonString(c.name)}  type: ${c.type}  guid: ${c.guid}  mapping: ${
        c.mapped ? "yes" : "no"
      }`,
    );
  }
  if (controllers.some((c) => !c.mapped)) {
    lines.push(
      "Controllers without a mapping are ignored; add one with --mappings gamecontrollerdb.txt " +
        "(a line starting with the GUID above)",
    );
  }
  return lines;
}
