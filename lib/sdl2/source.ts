/**
 * {@linkcode SdlInput}: game controllers and keyboard read through SDL2,
 * delivered as padlink {@linkcode InputEvent}s on the main thread.
 *
 * SDL runs in a module worker (`worker.ts`), so every SDL call stays on the
 * thread that initialised SDL and the main thread stays free for sockets.
 * The worker sleeps in `Atomics.wait` between polls (every 1 ms while input
 * arrives, every 2 ms after a quiet second) and posts each poll's events as
 * one batch; the main thread gets them about 0.05 ms (median) after SDL
 * returned them. Commands (virtual controllers, title, close) wake it at once.
 *
 * Limitation: macOS only allows SDL video on the process's main thread, so
 * `window: true` is refused there; controllers (`window: false`) work.
 *
 * `deno compile` does not follow `new Worker(...)`: compile with
 * `--include lib/sdl2/worker.ts`.
 *
 * @module
 */

import {
  axisIndex,
  type AxisName,
  buttonIndex,
  type ButtonName,
  type InputEvent,
} from "../input/model.ts";
import { withDeadline } from "../net/deadline.ts";
import { NoDisplayError, Sdl2NotFoundError } from "./library.ts";
import type { PadFeedback } from "../input/feedback_pacer.ts";
import {
  CONTROL_LENGTH,
  CONTROL_POSTED,
  type ControllerInfo,
  type FeedbackStopReason,
  type VirtualFeedback,
  type WorkerCommand,
  type WorkerInit,
  type WorkerReport,
} from "./messages.ts";

/** Options for {@linkcode SdlInput.open}. */
export interface SdlInputOptions {
  /**
   * Open a small SDL window (title contains "padlink") that captures the
   * keyboard while focused, and report its closing through `onQuit`.
   * `false` is headless: controllers only, SDL video is not started.
   */
  window: boolean;
  /** Stick deadzone in [0, 1), rescaled to keep the full range; 0 = off. Default 0.05. */
  deadzone?: number;
  /** The most stick/trigger updates per axis per second. Default 1000. */
  rateHz?: number;
  /**
   * Turn on every pad's accelerometer and gyro and report `motion` events
   * (one per pad per poll, the latest readings). Default false: sensors cost
   * a pad's battery and the link's bandwidth.
   */
  motion?: boolean;
  /** A gamecontrollerdb.txt file of extra controller mappings to load. */
  mappingsFile?: string;
  /** The window title. Default "padlink"; keep "padlink" in it so users can find it. */
  title?: string;
  /** The SDL2 library to load, instead of `PADLINK_SDL2` or the platform search. */
  libraryPath?: string;
}

/** Default stick deadzone, as ROS joy. */
export const DEFAULT_DEADZONE = 0.05;
/** Default axis update rate per axis, in Hz. */
export const DEFAULT_RATE_HZ = 1000;
/** How long {@linkcode SdlInput.close} waits for SDL to shut down before it stops the worker. */
const CLOSE_TIMEOUT_MS = 2000;

/** Feedback the SDL worker applied to a pad (or could not: `applied` false). */
export interface FeedbackReport {
  /** The pad number. */
  pad: number;
  /** What was applied, after pacing: strengths 0..65535, the remaining duration in ms. */
  feedback: PadFeedback;
  /** Whether SDL took it: false when the pad has no such motor or LED, or is gone. */
  applied: boolean;
  /** Set for a stop the client made itself: the connection, the pad or the client went. */
  reason?: FeedbackStopReason;
}

/** What one of a virtual controller's SDL callbacks received. */
export interface VirtualFeedbackReport {
  /** The handle given to {@linkcode SdlInput.attachVirtual}. */
  id: number;
  /** What SDL handed to the callback. */
  feedback: VirtualFeedback;
  /** When the callback ran, as `performance.timeOrigin + performance.now()` (ms). */
  at: number;
}

/** USB ids for a virtual controller, so SDL sees it as a given model. */
export interface VirtualIds {
  /** USB vendor id, for example 0x054c (Sony). */
  vendor?: number;
  /** USB product id, for example 0x09cc (DualShock 4). */
  product?: number;
  /**
   * The pad number it should get, when that number is free (`--virtual`
   * keeps its file's numbers); by default the lowest free one, as for
   * hardware.
   */
  pad?: number;
}

/** A request waiting for the worker's reply. */
interface Pending {
  resolve: (report: WorkerReport & { type: "reply" }) => void;
  reject: (error: Error) => void;
}

/**
 * Controllers and keyboard through SDL2. Only one may be open at a time in a
 * process (SDL is process-wide).
 *
 * @example Usage
 * ```ts ignore
 * import { SdlInput } from "./source.ts";
 * await using input = await SdlInput.open({ window: true });
 * input.onInput = (events) => console.log(events);
 * input.onQuit = () => input.close();
 * ```
 */
export class SdlInput implements AsyncDisposable {
  static #open = false;

  #worker: Worker;
  #control: Int32Array;
  #version: string;
  #virtuals = new Set<number>();
  #pending = new Map<number, Pending>();
  #nextReply = 1;
  #closing: Promise<void> | undefined;
  #closed: () => void = () => {};
  #dead = false;

  /**
   * Called with the events of each SDL poll, in order. `polledAt` is when SDL
   * returned them, as `performance.timeOrigin + performance.now()` (ms).
   */
  onInput: (events: InputEvent[], polledAt: number) => void = () => {};
  #onQuit: (reason?: string) => void = () => {};
  /** A quit that arrived, kept for a handler set later (the window closed while connecting). */
  #quit: { reason?: string } | null = null;

  /**
   * Called when the window is closed (`SDL_QUIT`), or is gone because the X
   * server destroyed it or cut its connection; `reason` then says which. A
   * handler set after the quit arrived is called at once (in a microtask).
   */
  get onQuit(): (reason?: string) => void {
    return this.#onQuit;
  }

  set onQuit(handler: (reason?: string) => void) {
    this.#onQuit = handler;
    const quit = this.#quit;
    if (quit) queueMicrotask(() => this.#onQuit === handler && handler(quit.reason));
  }
  /**
   * Called with each feedback update the worker applied (or could not), after
   * pacing, and with each stop it made itself (`reason`).
   */
  onFeedback: (report: FeedbackReport) => void = () => {};
  /** Called when a virtual controller's Rumble, RumbleTriggers or SetLED callback ran. */
  onVirtualFeedback: (report: VirtualFeedbackReport) => void = () => {};
  /** Called when SDL reports a problem after opening (a controller that would not open…). */
  onError: (error: Error) => void = (error) => console.error(`padlink: ${error.message}`);

  private constructor(worker: Worker, control: Int32Array, version: string) {
    this.#worker = worker;
    this.#control = control;
    this.#version = version;
    worker.onmessage = (event: MessageEvent<WorkerReport>) => this.#report(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#die(new Error(`The SDL worker failed: ${event.message}`));
    };
  }

  /**
   * Start SDL in a worker and open the window if asked.
   *
   * @param options what to open
   * @returns the running source; controllers already plugged in are reported
   *   through `onInput` shortly after
   * @throws {Sdl2NotFoundError} when SDL2 cannot be loaded
   * @throws {NoDisplayError} when the window was asked for but there is no
   *   display to show it on
   * @throws {RangeError} for a bad deadzone or rate
   * @throws {Error} when SDL cannot start, the mappings file cannot be
   *   loaded, or another `SdlInput` is open
   */
  static async open(options: SdlInputOptions): Promise<SdlInput> {
    const deadzone = options.deadzone ?? DEFAULT_DEADZONE;
    const rateHz = options.rateHz ?? DEFAULT_RATE_HZ;
    if (!(deadzone >= 0 && deadzone < 1)) {
      throw new RangeError(`deadzone must be in [0, 1), received ${deadzone}`);
    }
    if (!(rateHz > 0)) throw new RangeError(`rateHz must be positive, received ${rateHz}`);
    if (options.window && Deno.build.os === "darwin") {
      throw new Error(
        "The padlink window is not supported on macOS yet (SDL video must run on the main thread); run without it",
      );
    }
    if (SdlInput.#open) throw new Error("An SdlInput is already open in this process");
    SdlInput.#open = true;

    const control = new SharedArrayBuffer(CONTROL_LENGTH * Int32Array.BYTES_PER_ELEMENT);
    const init: WorkerInit = {
      op: "init",
      control,
      window: options.window,
      title: options.title ?? "padlink",
      deadzone,
      rateHz,
      motion: options.motion ?? false,
      mappingsFile: options.mappingsFile,
      libraryPath: options.libraryPath,
    };
    const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    try {
      const version = await new Promise<string>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<WorkerReport>) => {
          const report = event.data;
          if (report.type === "ready") resolve(report.version);
          else if (report.type === "failed") {
            reject(
              report.name === "Sdl2NotFoundError"
                ? new Sdl2NotFoundError(report.message, [])
                : report.name === "NoDisplayError"
                ? new NoDisplayError(report.message)
                : new Error(report.message),
            );
          }
        };
        worker.onerror = (event) => {
          event.preventDefault();
          reject(new Error(`The SDL worker failed to start: ${event.message}`));
        };
        worker.postMessage(init);
      });
      return new SdlInput(worker, new Int32Array(control), version);
    } catch (error) {
      worker.terminate();
      SdlInput.#open = false;
      throw error;
    }
  }

  /** The SDL version in use, "major.minor.patch". */
  get sdlVersion(): string {
    return this.#version;
  }

  /**
   * Set the window title (no effect when headless).
   *
   * @param text for example "padlink — connected to host:7000"
   */
  setTitle(text: string): void {
    this.#post({ op: "title", text });
  }

  /**
   * Attach a virtual GameController (SDL ≥ 2.24) with every standard button
   * and axis. It then appears like a real pad: a `pad` event with `name`.
   *
   * Its Rumble, RumbleTriggers and SetLED callbacks report to
   * {@linkcode SdlInput.onVirtualFeedback}.
   *
   * @param id the caller's handle for it (not the pad number)
   * @param name the name SDL reports for it
   * @param ids USB vendor and product ids (default 0: SDL calls it a virtual controller)
   * @throws {Error} if `id` is in use or SDL refuses
   */
  async attachVirtual(id: number, name: string, ids: VirtualIds = {}): Promise<void> {
    if (this.#virtuals.has(id)) throw new Error(`Virtual controller ${id} is already attached`);
    const vendor = ids.vendor ?? 0;
    const product = ids.product ?? 0;
    for (const [what, value] of [["vendor", vendor], ["product", product]] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
        throw new RangeError(`a USB ${what} id is 0 to 0xffff, got ${value}`);
      }
    }
    const pad = ids.pad;
    await this.#request((reply) => ({
      op: "attachVirtual",
      id,
      name,
      vendor,
      product,
      pad,
      reply,
    }));
    this.#virtuals.add(id);
  }

  /**
   * Rumble or light a pad. The worker spaces updates to one pad at least
   * 50 ms apart (the newest waiting value of each kind wins), caps a rumble
   * at 10 s, and reports what it applied through {@linkcode SdlInput.onFeedback}.
   *
   * @param pad the pad number, as in the `pad` events
   * @param feedback what to apply
   */
  feedback(pad: number, feedback: PadFeedback): void {
    this.#post({ op: "feedback", pad, feedback });
  }

  /**
   * Turn pad `pad`'s accelerometer and gyro on or off (a consumer asked for
   * its motion); a pad without them is left alone.
   *
   * @param pad the pad number, as in the `pad` events
   * @param enable on or off
   */
  setMotion(pad: number, enable: boolean): void {
    this.#post({ op: "sensors", pad, enable });
  }

  /**
   * Stop every pad's motors now (the connection went: nothing may keep a
   * pad rumbling). {@linkcode SdlInput.close} does the same for every pad.
   *
   * @param reason reported with each stop
   */
  stopFeedback(reason: FeedbackStopReason): void {
    this.#post({ op: "stopFeedback", reason });
  }

  /**
   * Press or release a button of a virtual controller. SDL sees each change
   * before the next command, so two in a row are two events. A guide release
   * sooner than `SDL_MINIMUM_GUIDE_BUTTON_DELAY_MS` after its press is held
   * back by SDL and comes after later changes: wait for
   * {@linkcode SdlInput.sync} after the press, then that long, to keep order.
   *
   * @param id the handle given to {@linkcode SdlInput.attachVirtual}
   * @param button the button
   * @param pressed whether it is down
   * @throws {RangeError} for an unknown id or button
   */
  setVirtualButton(id: number, button: ButtonName, pressed: boolean): void {
    this.#virtual(id);
    const index = buttonIndex(button);
    if (index < 0) throw new RangeError(`Unknown button "${button}"`);
    this.#post({ op: "virtualButton", id, button: index, pressed });
  }

  /**
   * Move an axis of a virtual controller.
   *
   * @param id the handle given to {@linkcode SdlInput.attachVirtual}
   * @param axis the axis
   * @param value sticks in [-1, 1], triggers in [0, 1]
   * @throws {RangeError} for an unknown id or axis
   */
  setVirtualAxis(id: number, axis: AxisName, value: number): void {
    this.#virtual(id);
    const index = axisIndex(axis);
    if (index < 0) throw new RangeError(`Unknown axis "${axis}"`);
    this.#post({ op: "virtualAxis", id, axis: index, value });
  }

  /**
   * Unplug a virtual controller; its pad is released and detached.
   *
   * @param id the handle given to {@linkcode SdlInput.attachVirtual}
   * @throws {RangeError} for an unknown id
   */
  async detachVirtual(id: number): Promise<void> {
    this.#virtual(id);
    this.#virtuals.delete(id);
    await this.#request((reply) => ({ op: "detachVirtual", id, reply }));
  }

  /**
   * Every joystick SDL sees now, whether or not it has a GameController
   * mapping (only mapped ones are read as pads).
   *
   * @returns the joysticks in SDL's device-index order
   */
  async listControllers(): Promise<ControllerInfo[]> {
    const report = await this.#request((reply) => ({ op: "list", reply }));
    return report.controllers ?? [];
  }

  /**
   * Wait until the worker has carried out every command posted before this
   * call. Each virtual controller change is seen by SDL (and its event taken)
   * before the worker goes on, so after this SDL has seen them all.
   */
  async sync(): Promise<void> {
    await this.#request((reply) => ({ op: "sync", reply }));
  }

  /**
   * Queue a key press or release in SDL as if typed into the window
   * (`SDL_PushEvent`), for tests and demos without a keyboard.
   *
   * @param key an SDL key name, for example "A" or "Up"
   * @param scancode an SDL scancode name, for example "A" or "Up"
   * @param pressed whether it is down
   */
  pushKey(key: string, scancode: string, pressed: boolean): void {
    this.#post({ op: "pushKey", key, scancode, pressed });
  }

  /**
   * Stop SDL: close controllers, virtual controllers and the window, call
   * `SDL_Quit` and end the worker. No events are delivered afterwards.
   * Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Same as {@linkcode SdlInput.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.onInput = () => {};
    this.onQuit = () => {};
    if (!this.#dead) {
      const closed = new Promise<void>((resolve) => this.#closed = resolve);
      this.#post({ op: "close" });
      await withDeadline(closed, CLOSE_TIMEOUT_MS, () => {});
    }
    this.#finish(new Error("The SdlInput was closed"));
  }

  #virtual(id: number): void {
    if (!this.#virtuals.has(id)) throw new RangeError(`No virtual controller ${id} is attached`);
  }

  #post(command: WorkerCommand): void {
    if (this.#dead) throw new Error("The SdlInput is closed");
    if (this.#closing && command.op !== "close") throw new Error("The SdlInput is closing");
    this.#worker.postMessage(command);
    // The worker sleeps on this cell: wake it, and tell it a message is queued.
    Atomics.add(this.#control, CONTROL_POSTED, 1);
    Atomics.notify(this.#control, CONTROL_POSTED);
  }

  #request(make: (reply: number) => WorkerCommand): Promise<WorkerReport & { type: "reply" }> {
    const reply = this.#nextReply++;
    const done = new Promise<WorkerReport & { type: "reply" }>((resolve, reject) =>
      this.#pending.set(reply, { resolve, reject })
    );
    this.#post(make(reply));
    return done;
  }

  #report(report: WorkerReport): void {
    switch (report.type) {
      case "input":
        this.onInput(report.events, report.polledAt);
        return;
      case "feedback": {
        const { pad, feedback, applied, reason } = report;
        this.onFeedback(reason === undefined ? { pad, feedback, applied } : report);
        return;
      }
      case "virtualFeedback":
        this.onVirtualFeedback({ id: report.id, feedback: report.feedback, at: report.at });
        return;
      case "quit":
        this.#quit = { reason: report.reason };
        this.#onQuit(report.reason);
        return;
      case "reply": {
        const pending = this.#pending.get(report.reply);
        this.#pending.delete(report.reply);
        if (report.error === undefined) pending?.resolve(report);
        else pending?.reject(new Error(report.error));
        return;
      }
      case "error":
        this.onError(new Error(report.message));
        return;
      case "closed":
        this.#closed();
        return;
    }
  }

  #die(error: Error): void {
    this.#finish(error);
    this.onError(error);
  }

  #finish(error: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#worker.terminate();
    SdlInput.#open = false;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#closed();
  }
}
