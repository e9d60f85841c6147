/**
 * The SDL worker started by {@linkcode SdlInput}: it owns SDL from
 * `SDL_Init` to `SDL_Quit`, so every SDL call happens on this one thread.
 *
 * The loop drains `SDL_PollEvent` (which pumps once per drain), posts the
 * resulting padlink events to the main thread in one batch, then sleeps in
 * `Atomics.wait` until the next poll, the next held-back axis value, or a
 * command from the main thread, whichever comes first. SDL2 must poll
 * joysticks, so polls come every 1 ms while input is arriving, every 2 ms
 * once a pad or window has been quiet for a second, and every 10 ms with
 * nothing open.
 * `SDL_WaitEventTimeout` would not do better: with joysticks open, SDL 2.26
 * implements it as the same 1 ms pump-and-sleep loop, and it could not be
 * woken by our commands.
 *
 * With a window, the loop also draws the pads' state (pad_view.ts) with
 * SDL's software renderer, only after a change and at most every
 * `PAINT_INTERVAL_MS`, so an idle window draws nothing. On X11 an
 * {@linkcode X11Watch} turns the window being destroyed or its connection
 * being killed through the X server into a quit with a reason.
 *
 * @module
 */

import { AXIS_NAMES, BUTTON_NAMES, InputState, isTrigger } from "../input/model.ts";
import {
  decodeEvent,
  encodeKeyboardEvent,
  SDL_CONTROLLER_AXIS_MAX,
  SDL_CONTROLLER_BUTTON_MAX,
  SDL_CONTROLLER_TYPE_NAMES,
  SDL_EVENT_SIZE,
  SDL_INIT_EVENTS,
  SDL_INIT_GAMECONTROLLER,
  SDL_INIT_JOYSTICK,
  SDL_INIT_VIDEO,
  SDL_JOYSTICK_POWER_EMPTY,
  SDL_JOYSTICK_POWER_FULL,
  SDL_JOYSTICK_POWER_LOW,
  SDL_JOYSTICK_POWER_MEDIUM,
  SDL_JOYSTICK_POWER_UNKNOWN,
  SDL_JOYSTICK_POWER_WIRED,
  SDL_JOYSTICK_TYPE_GAMECONTROLLER,
  SDL_RENDERER_SOFTWARE,
  SDL_SENSOR_ACCEL,
  SDL_SENSOR_GYRO,
  SDL_VIRTUAL_JOYSTICK_DESC_VERSION,
  SDL_WINDOW_SHOWN,
  SDL_WINDOWEVENT_EXPOSED,
  SDL_WINDOWPOS_UNDEFINED,
  type SdlEvent,
  VIRTUAL_JOYSTICK_DESC,
  VIRTUAL_RUMBLE_CALLBACK,
  VIRTUAL_SET_LED_CALLBACK,
} from "./events.ts";
import {
  cString,
  loadSdl2,
  NoDisplayError,
  readCString,
  type Sdl2,
  sdlError,
  sdlVersion,
} from "./library.ts";
import {
  CONTROL_POSTED,
  type ControllerInfo,
  type FeedbackStopReason,
  type VirtualFeedback,
  type WorkerCommand,
  type WorkerInit,
  type WorkerReport,
} from "./messages.ts";
import { InputPipeline, type PadInfo } from "../input/pipeline.ts";
import {
  type BatteryLevel,
  type BatteryState,
  PAD_KINDS,
  type PadCapability,
} from "../input/model.ts";
import { FeedbackPacer, type PadFeedback } from "../input/feedback_pacer.ts";
import { toHex } from "../wire/bytes.ts";
import { padViewOps, VIEW_HEIGHT, VIEW_WIDTH } from "./pad_view.ts";
import { X11Watch } from "./x11.ts";

/** The parts of a module worker's global scope used here. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerInit | WorkerCommand>) => void) | null;
  postMessage(message: WorkerReport): void;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;

/** Poll interval while input is arriving, in ms: SDL2 must poll joysticks. */
const ACTIVE_POLL_MS = 1;
/** How long after the last input event polling stays at ACTIVE_POLL_MS, in ms. */
const ACTIVE_HOLD_MS = 1000;
/**
 * Poll interval with a pad or window open but no input for ACTIVE_HOLD_MS.
 * Each wake-up costs ~20 µs of CPU on a small VM, so 1 kHz polling alone is
 * ~2 % of a core; at 500 Hz an idle pad costs about half that, and only the
 * first event after a quiet second can be seen up to 1 ms later.
 */
const IDLE_POLL_MS = 2;
/** Poll interval with nothing open (hot-plug detection only), in ms. */
const EMPTY_POLL_MS = 10;
/**
 * Shortest time between two paints of the window, in ms (about 60 Hz): a
 * stick moving at the full axis rate would otherwise repaint 1,000 times a
 * second. Paints happen only after a change, so an idle window costs nothing.
 */
const PAINT_INTERVAL_MS = 16;
/** Video drivers that show nothing a user can see (SDL_video.c bootstrap list). */
const INVISIBLE_VIDEO_DRIVERS = new Set(["offscreen", "dummy", "evdev"]);
/** Systems where SDL's window goes through X11 or Wayland. */
const X11_OR_WAYLAND_SYSTEMS = new Set([
  "linux",
  "freebsd",
  "openbsd",
  "netbsd",
  "solaris",
  "illumos",
]);

/** A virtual controller made by `attachVirtual`. */
interface Virtual {
  joystick: Deno.PointerObject;
  instanceId: number;
  /** The pad number it should get when free. */
  pad?: number;
}

/** The callbacks every virtual controller gets, telling the main thread what reached SDL. */
interface VirtualCallbacks {
  rumble: Deno.UnsafeCallback<typeof VIRTUAL_RUMBLE_CALLBACK>;
  triggers: Deno.UnsafeCallback<typeof VIRTUAL_RUMBLE_CALLBACK>;
  led: Deno.UnsafeCallback<typeof VIRTUAL_SET_LED_CALLBACK>;
}

/** Until when a pad's motors run, in the loop's ms, as last applied. */
interface Rumbling {
  rumbleUntil: number;
  triggersUntil: number;
}

/** SDL, its window, its controllers and the pipeline, driven by one loop. */
class SdlLoop {
  #sdl: Sdl2;
  #control: Int32Array;
  #pipeline: InputPipeline;
  #event = new Uint8Array(SDL_EVENT_SIZE);
  #window: Deno.PointerObject | null = null;
  #windowId = 0;
  #renderer: Deno.PointerObject | null = null;
  #x11: X11Watch | null = null;
  #quitSent = false;
  /** The pads as the window shows them; painted when `#dirty`. */
  #shown = new InputState();
  #dirty = false;
  #lastPaint = -Infinity;
  #controllers = new Map<number, Deno.PointerObject>();
  #virtuals = new Map<number, Virtual>();
  #closing = false;
  #lastInput = -Infinity;
  #received = 0;
  #waiter: { target: number; resolve: () => void } | undefined;
  #pacer = new FeedbackPacer((pad, feedback, now) => this.#applyFeedback(pad, feedback, now));
  #rumbling = new Map<number, Rumbling>();
  #callbacks: VirtualCallbacks | null = null;

  #motion: boolean;

  constructor(sdl: Sdl2, init: WorkerInit) {
    this.#sdl = sdl;
    this.#motion = init.motion;
    this.#control = new Int32Array(init.control);
    this.#pipeline = new InputPipeline({ deadzone: init.deadzone, rateHz: init.rateHz });
  }

  /** Load and initialise SDL; on failure everything opened is closed again. */
  static open(init: WorkerInit): SdlLoop {
    const sdl = loadSdl2({ path: init.libraryPath });
    const loop = new SdlLoop(sdl, init);
    try {
      loop.#start(init);
      return loop;
    } catch (error) {
      loop.shutdown();
      throw error;
    }
  }

  #start(init: WorkerInit): void {
    const s = this.#sdl.symbols;
    // SDL_hints.h: SDL must not take over SIGINT/SIGTERM from Deno
    // (SDL_HINT_NO_SIGNAL_HANDLERS), must keep reading pads while another
    // window has focus (SDL_HINT_JOYSTICK_ALLOW_BACKGROUND_EVENTS), and must
    // not stop the screensaver (SDL_HINT_VIDEO_ALLOW_SCREENSAVER).
    s.SDL_SetHint(cString("SDL_NO_SIGNAL_HANDLERS"), cString("1"));
    s.SDL_SetHint(cString("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS"), cString("1"));
    s.SDL_SetHint(cString("SDL_VIDEO_ALLOW_SCREENSAVER"), cString("1"));
    // SDL_HINT_FRAMEBUFFER_ACCELERATION: the window is drawn by the software
    // renderer straight into X11/Wayland's framebuffer; without this SDL
    // loads OpenGL (Mesa's llvmpipe threads) only to decide not to use it.
    s.SDL_SetHint(cString("SDL_FRAMEBUFFER_ACCELERATION"), cString("0"));
    const requestedDriver = environment("SDL_VIDEODRIVER");
    if (init.window && requestedDriver === undefined) this.#chooseVideoDriver();
    const flags = init.window
      ? SDL_INIT_VIDEO | SDL_INIT_GAMECONTROLLER | SDL_INIT_EVENTS
      : SDL_INIT_GAMECONTROLLER | SDL_INIT_EVENTS;
    if (s.SDL_Init(flags) !== 0) {
      const error = sdlError(this.#sdl);
      if (!init.window) throw new Error(`SDL_Init failed: ${error}`);
      const display = environment("DISPLAY") ?? environment("WAYLAND_DISPLAY");
      throw new NoDisplayError(
        `could not open the padlink window${display ? ` on display ${display}` : ""} (${error})`,
      );
    }
    if (init.window && requestedDriver === undefined) {
      const driver = readCString(s.SDL_GetCurrentVideoDriver());
      if (INVISIBLE_VIDEO_DRIVERS.has(driver)) {
        throw new NoDisplayError(
          `no display for the padlink window (SDL found only its "${driver}" video driver)`,
        );
      }
    }
    if (init.mappingsFile !== undefined) this.#loadMappings(init.mappingsFile);
    if (init.window) this.#openWindow(init.title);
  }

  /**
   * On X11/Wayland systems, pick the video driver from the environment, so
   * that SDL neither probes Wayland without a compositor (libwayland then
   * prints a stray line) nor falls back to its offscreen driver.
   *
   * @throws {NoDisplayError} when neither DISPLAY nor WAYLAND_DISPLAY is set
   */
  #chooseVideoDriver(): void {
    if (!X11_OR_WAYLAND_SYSTEMS.has(Deno.build.os)) return;
    const x11 = environment("DISPLAY");
    const wayland = environment("WAYLAND_DISPLAY");
    if (x11 === undefined && wayland === undefined) {
      throw new NoDisplayError(
        "no display for the padlink window: neither DISPLAY nor WAYLAND_DISPLAY is set",
      );
    }
    // SDL reads SDL_VIDEODRIVER from the environment (an empty one wins over
    // SDL_HINT_VIDEODRIVER); SDL 2.26 takes one name there, not a list.
    if (wayland === undefined) Deno.env.set("SDL_VIDEODRIVER", "x11");
  }

  #openWindow(title: string): void {
    const s = this.#sdl.symbols;
    const window = s.SDL_CreateWindow(
      cString(title),
      SDL_WINDOWPOS_UNDEFINED,
      SDL_WINDOWPOS_UNDEFINED,
      VIEW_WIDTH,
      VIEW_HEIGHT,
      SDL_WINDOW_SHOWN,
    );
    if (window === null) {
      throw new NoDisplayError(`could not open the padlink window: ${sdlError(this.#sdl)}`);
    }
    this.#window = window;
    this.#windowId = s.SDL_GetWindowID(window);
    // Software: a few rectangles need no GPU context, and draw the same everywhere.
    this.#renderer = s.SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE);
    if (this.#renderer === null) {
      scope.postMessage({
        type: "error",
        message: `The padlink window cannot draw the pads: ${sdlError(this.#sdl)}`,
      });
    }
    // After the renderer: creating it may replace the X window (SDL_RecreateWindow).
    this.#x11 = X11Watch.open(this.#sdl, window);
    this.#dirty = true;
    this.#paint(performance.now());
  }

  #loadMappings(path: string): void {
    const s = this.#sdl.symbols;
    const rw = s.SDL_RWFromFile(cString(path), cString("rb"));
    if (rw === null) {
      throw new Error(`Could not open controller mappings file ${path}: ${sdlError(this.#sdl)}`);
    }
    // freerw = 1: SDL closes the RWops whatever happens.
    if (s.SDL_GameControllerAddMappingsFromRW(rw, 1) < 0) {
      throw new Error(`Could not load controller mappings from ${path}: ${sdlError(this.#sdl)}`);
    }
  }

  /** The linked SDL version, "major.minor.patch". */
  get version(): string {
    return sdlVersion(this.#sdl).join(".");
  }

  /** Run until a close command; resolves when the loop has stopped. */
  async run(): Promise<void> {
    while (!this.#closing) {
      const posted = Atomics.load(this.#control, CONTROL_POSTED);
      if (posted !== this.#received) {
        // Commands are in the message queue: let the event loop deliver them.
        await new Promise<void>((resolve) => this.#waiter = { target: posted, resolve });
        if (this.#closing) break;
      }
      this.#pump();
      const now = performance.now();
      const paintAt = this.#dirty ? this.#lastPaint + PAINT_INTERVAL_MS : Infinity;
      const wait = Math.min(
        this.#pollInterval(now),
        this.#pipeline.nextDeadline() - now,
        this.#pacer.nextDeadline() - now,
        paintAt - now,
      );
      if (wait > 0) Atomics.wait(this.#control, CONTROL_POSTED, posted, wait);
    }
  }

  /** Handle a command from the main thread (called from `onmessage`). */
  receive(command: WorkerCommand): void {
    this.#received++;
    try {
      this.#command(command);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if ("reply" in command) {
        scope.postMessage({ type: "reply", reply: command.reply, error: message });
      } else {
        scope.postMessage({ type: "error", message });
      }
    }
    const waiter = this.#waiter;
    if (waiter && this.#received >= waiter.target) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }

  #command(command: WorkerCommand): void {
    const s = this.#sdl.symbols;
    switch (command.op) {
      case "title":
        if (this.#window) s.SDL_SetWindowTitle(this.#window, cString(command.text));
        return;
      // Each virtual change is pumped at once, so SDL reports it before the
      // next one: changes given in one batch keep their order (SDL would
      // otherwise report one poll's changes by pad, then button index).
      case "attachVirtual":
        this.#attachVirtual(command.id, command.name, command.vendor, command.product, command.pad);
        this.#pump();
        scope.postMessage({ type: "reply", reply: command.reply });
        return;
      case "detachVirtual":
        this.#detachVirtual(command.id);
        this.#pump();
        scope.postMessage({ type: "reply", reply: command.reply });
        return;
      case "virtualButton": {
        const joystick = this.#virtual(command.id).joystick;
        if (s.SDL_JoystickSetVirtualButton(joystick, command.button, command.pressed ? 1 : 0) < 0) {
          throw new Error(`SDL_JoystickSetVirtualButton failed: ${sdlError(this.#sdl)}`);
        }
        this.#pump();
        return;
      }
      case "virtualAxis": {
        const joystick = this.#virtual(command.id).joystick;
        const raw = virtualAxisRaw(command.axis, command.value);
        if (s.SDL_JoystickSetVirtualAxis(joystick, command.axis, raw) < 0) {
          throw new Error(`SDL_JoystickSetVirtualAxis failed: ${sdlError(this.#sdl)}`);
        }
        this.#pump();
        return;
      }
      case "pushKey":
        this.#pushKey(command.key, command.scancode, command.pressed);
        this.#pump();
        return;
      case "feedback":
        this.#pacer.submit(command.pad, command.feedback, performance.now());
        return;
      case "sensors":
        this.#setSensors(command.pad, command.enable);
        return;
      case "stopFeedback":
        for (const pad of [...this.#rumbling.keys()]) this.#stopFeedback(pad, command.reason);
        return;
      case "sync":
        scope.postMessage({ type: "reply", reply: command.reply });
        return;
      case "list":
        scope.postMessage({ type: "reply", reply: command.reply, controllers: this.#list() });
        return;
      case "close":
        this.#closing = true;
        return;
    }
  }

  #virtual(id: number): Virtual {
    const virtual = this.#virtuals.get(id);
    if (!virtual) throw new RangeError(`No virtual controller ${id} is attached`);
    return virtual;
  }

  #attachVirtual(id: number, name: string, vendor: number, product: number, pad?: number): void {
    const s = this.#sdl.symbols;
    if (this.#virtuals.has(id)) throw new Error(`Virtual controller ${id} is already attached`);
    if (s.SDL_JoystickAttachVirtualEx === null) {
      throw new Error(`Virtual controllers need SDL 2.24 or later; this is SDL ${this.version}`);
    }
    const nameBytes = cString(name);
    const desc = new Uint8Array(VIRTUAL_JOYSTICK_DESC.size);
    const view = new DataView(desc.buffer);
    const d = VIRTUAL_JOYSTICK_DESC;
    view.setUint16(d.version, SDL_VIRTUAL_JOYSTICK_DESC_VERSION, true);
    view.setUint16(d.type, SDL_JOYSTICK_TYPE_GAMECONTROLLER, true);
    view.setUint16(d.naxes, SDL_CONTROLLER_AXIS_MAX, true);
    view.setUint16(d.nbuttons, SDL_CONTROLLER_BUTTON_MAX, true);
    view.setUint32(d.button_mask, (1 << SDL_CONTROLLER_BUTTON_MAX) - 1, true);
    view.setUint32(d.axis_mask, (1 << SDL_CONTROLLER_AXIS_MAX) - 1, true);
    view.setUint16(d.vendor_id, vendor, true);
    view.setUint16(d.product_id, product, true);
    const namePointer = Deno.UnsafePointer.of(nameBytes);
    view.setBigUint64(d.name, BigInt(Deno.UnsafePointer.value(namePointer)), true);
    // The callbacks tell the main thread what reached this pad (tests observe
    // rumble and LED through them); their userdata is the id plus one, so never null.
    const callbacks = this.#virtualCallbacks();
    view.setBigUint64(d.userdata, BigInt(id + 1), true);
    view.setBigUint64(d.Rumble, pointerBits(callbacks.rumble.pointer), true);
    view.setBigUint64(d.RumbleTriggers, pointerBits(callbacks.triggers.pointer), true);
    view.setBigUint64(d.SetLED, pointerBits(callbacks.led.pointer), true);
    // SDL copies the name during the call; nameBytes stays referenced until then.
    const deviceIndex = s.SDL_JoystickAttachVirtualEx(desc);
    if (deviceIndex < 0) {
      throw new Error(`SDL_JoystickAttachVirtualEx failed: ${sdlError(this.#sdl)}`);
    }
    // SDL 2.26's automatic mapping for virtual controllers stops at paddle4;
    // an explicit mapping for this GUID gives it the touchpad button too.
    // SDL opens the controller at the next pump, with this mapping.
    const guid = s.SDL_JoystickGetDeviceGUID(deviceIndex);
    if (s.SDL_GameControllerAddMapping(cString(virtualMapping(guid, name))) < 0) {
      scope.postMessage({
        type: "error",
        message: `Virtual controller ${id} has no touchpad button: ${sdlError(this.#sdl)}`,
      });
    }
    const joystick = s.SDL_JoystickOpen(deviceIndex);
    if (joystick === null) {
      const error = sdlError(this.#sdl);
      s.SDL_JoystickDetachVirtual(deviceIndex);
      throw new Error(`Could not open virtual controller ${id}: ${error}`);
    }
    this.#virtuals.set(id, { joystick, instanceId: s.SDL_JoystickInstanceID(joystick), pad });
  }

  #virtualCallbacks(): VirtualCallbacks {
    if (this.#callbacks) return this.#callbacks;
    const report = (userdata: Deno.PointerValue, feedback: VirtualFeedback) => {
      const id = Number(Deno.UnsafePointer.value(userdata)) - 1;
      const at = performance.timeOrigin + performance.now();
      scope.postMessage({ type: "virtualFeedback", id, feedback, at });
      return 0;
    };
    this.#callbacks = {
      rumble: new Deno.UnsafeCallback(
        VIRTUAL_RUMBLE_CALLBACK,
        (userdata, low, high) => report(userdata, { type: "rumble", low, high }),
      ),
      triggers: new Deno.UnsafeCallback(
        VIRTUAL_RUMBLE_CALLBACK,
        (userdata, left, right) => report(userdata, { type: "trigger_rumble", left, right }),
      ),
      led: new Deno.UnsafeCallback(
        VIRTUAL_SET_LED_CALLBACK,
        (userdata, red, green, blue) => report(userdata, { type: "led", red, green, blue }),
      ),
    };
    return this.#callbacks;
  }

  /** Apply feedback that the pacer let through to the pad's controller. */
  #applyFeedback(pad: number, feedback: PadFeedback, now: number): void {
    const instanceId = this.#pipeline.instanceOf(pad);
    const controller = instanceId === undefined ? undefined : this.#controllers.get(instanceId);
    const applied = controller !== undefined && this.#sdlFeedback(controller, feedback);
    if (applied && feedback.type !== "led") {
      const rumbling = this.#rumbling.get(pad) ?? { rumbleUntil: 0, triggersUntil: 0 };
      const on = feedback.type === "rumble"
        ? feedback.low > 0 || feedback.high > 0
        : feedback.left > 0 || feedback.right > 0;
      const until = on && feedback.ms > 0 ? now + feedback.ms : 0;
      if (feedback.type === "rumble") rumbling.rumbleUntil = until;
      else rumbling.triggersUntil = until;
      this.#rumbling.set(pad, rumbling);
    }
    scope.postMessage({ type: "feedback", pad, feedback, applied });
  }

  /** One SDL call for `feedback`; whether SDL took it (false: the pad cannot). */
  #sdlFeedback(controller: Deno.PointerObject, feedback: PadFeedback): boolean {
    const s = this.#sdl.symbols;
    switch (feedback.type) {
      case "rumble":
        return s.SDL_GameControllerRumble(controller, feedback.low, feedback.high, feedback.ms) ===
          0;
      case "trigger_rumble":
        return s.SDL_GameControllerRumbleTriggers?.(
          controller,
          feedback.left,
          feedback.right,
          feedback.ms,
        ) === 0;
      case "led":
        return s.SDL_GameControllerSetLED?.(
          controller,
          feedback.red,
          feedback.green,
          feedback.blue,
        ) === 0;
    }
  }

  /**
   * Stop `pad`'s motors now, whatever the pacing (the connection or the pad
   * is going, or the client is quitting), and say so to the main thread.
   */
  #stopFeedback(pad: number, reason: FeedbackStopReason): void {
    const rumbling = this.#rumbling.get(pad);
    this.#rumbling.delete(pad);
    const now = performance.now();
    this.#pacer.appliedNow(pad, now);
    if (!rumbling) return;
    const instanceId = this.#pipeline.instanceOf(pad);
    const controller = instanceId === undefined ? undefined : this.#controllers.get(instanceId);
    if (controller === undefined) return;
    const stops: PadFeedback[] = [];
    if (rumbling.rumbleUntil > now) stops.push({ type: "rumble", low: 0, high: 0, ms: 0 });
    if (rumbling.triggersUntil > now) {
      stops.push({ type: "trigger_rumble", left: 0, right: 0, ms: 0 });
    }
    for (const stop of stops) {
      const applied = this.#sdlFeedback(controller, stop);
      scope.postMessage({ type: "feedback", pad, feedback: stop, applied, reason });
    }
  }

  #detachVirtual(id: number): void {
    const s = this.#sdl.symbols;
    const virtual = this.#virtual(id);
    const pad = this.#pipeline.padOf(virtual.instanceId);
    if (pad !== undefined) this.#stopFeedback(pad, "detach");
    this.#virtuals.delete(id);
    // Device indexes shift as devices come and go: find ours by instance id.
    const deviceIndex = this.#deviceIndexOf(virtual.instanceId);
    s.SDL_JoystickClose(virtual.joystick);
    if (deviceIndex >= 0 && s.SDL_JoystickDetachVirtual(deviceIndex) < 0) {
      throw new Error(`SDL_JoystickDetachVirtual failed: ${sdlError(this.#sdl)}`);
    }
  }

  #deviceIndexOf(instanceId: number): number {
    const s = this.#sdl.symbols;
    const count = s.SDL_NumJoysticks();
    for (let index = 0; index < count; index++) {
      if (s.SDL_JoystickGetDeviceInstanceID(index) === instanceId) return index;
    }
    return -1;
  }

  /** Every joystick SDL sees, mapped or not. */
  #list(): ControllerInfo[] {
    const s = this.#sdl.symbols;
    const controllers: ControllerInfo[] = [];
    const count = s.SDL_NumJoysticks();
    for (let index = 0; index < count; index++) {
      const type = s.SDL_GameControllerTypeForIndex?.(index) ?? 0;
      controllers.push({
        index,
        name: readCString(s.SDL_JoystickNameForIndex(index)),
        type: SDL_CONTROLLER_TYPE_NAMES[type] ?? `type ${type}`,
        guid: toHex(s.SDL_JoystickGetDeviceGUID(index)),
        mapped: s.SDL_IsGameController(index) !== 0,
      });
    }
    return controllers;
  }

  #pushKey(key: string, scancodeName: string, pressed: boolean): void {
    const s = this.#sdl.symbols;
    const scancode = s.SDL_GetScancodeFromName(cString(scancodeName));
    if (scancode === 0) throw new RangeError(`SDL knows no scancode named "${scancodeName}"`);
    const sym = s.SDL_GetKeyFromName(cString(key));
    if (sym === 0) throw new RangeError(`SDL knows no key named "${key}"`);
    const event = encodeKeyboardEvent({ pressed, scancode, sym, windowId: this.#windowId });
    if (s.SDL_PushEvent(event) < 0) {
      throw new Error(`SDL_PushEvent failed: ${sdlError(this.#sdl)}`);
    }
  }

  #pollInterval(now: number): number {
    if (this.#window === null && this.#controllers.size === 0) return EMPTY_POLL_MS;
    return now - this.#lastInput < ACTIVE_HOLD_MS ? ACTIVE_POLL_MS : IDLE_POLL_MS;
  }

  /**
   * Drain SDL's events into the pipeline and post them to the main thread.
   *
   * Virtual controllers: SDL_JoystickSetVirtualButton/Axis only store the
   * new state; SDL_JoystickUpdate (run by the pump) compares it with the
   * state it last saw and makes an event only for a difference
   * (SDL_virtualjoystick.c, SDL_PrivateJoystickButton/Axis). A press and a
   * release stored before one pump would be no change at all, so every
   * virtual change is followed by a pump of its own, before the next command.
   */
  #pump(): void {
    const now = performance.now();
    let quit = false;
    // SDL_PollEvent pumps once, then returns queued events until its sentinel.
    while (this.#sdl.symbols.SDL_PollEvent(this.#event) === 1) {
      const event = decodeEvent(this.#event);
      if (event.kind === "quit") quit = true;
      else if (event.kind === "syswm") this.#x11?.inspect(event.msg);
      else this.#handle(event, now);
      if (event.kind !== "other" && event.kind !== "window" && event.kind !== "syswm") {
        this.#lastInput = now;
      }
    }
    // One motion event per pad per poll: the latest readings of the drain.
    this.#pipeline.flushMotion();
    this.#pipeline.flushDue(now);
    this.#pacer.flushDue(now);
    const events = this.#pipeline.take();
    if (events.length > 0) {
      scope.postMessage({ type: "input", events, polledAt: performance.timeOrigin + now });
      if (this.#renderer !== null) {
        for (const event of events) {
          if (event.type !== "key" && this.#shown.apply(event)) this.#dirty = true;
        }
      }
    }
    const lost = this.#x11?.lost;
    if (lost && !this.#quitSent) {
      this.#quitSent = true;
      scope.postMessage({ type: "quit", reason: lost });
    } else if (quit && !this.#quitSent) {
      this.#quitSent = true;
      scope.postMessage({ type: "quit" });
    }
    if (this.#dirty && now - this.#lastPaint >= PAINT_INTERVAL_MS) this.#paint(now);
  }

  #handle(event: SdlEvent, now: number): void {
    const s = this.#sdl.symbols;
    switch (event.kind) {
      case "controllerAxis":
        this.#pipeline.axis(event.which, event.axis, event.value, now);
        return;
      case "controllerButton":
        this.#pipeline.button(event.which, event.button, event.pressed, now);
        return;
      case "key":
        if (event.repeat) return;
        this.#pipeline.key(
          readCString(s.SDL_GetKeyName(event.sym)),
          readCString(s.SDL_GetScancodeName(event.scancode)),
          event.pressed,
          now,
        );
        return;
      case "joystickDevice":
        if (event.change === "added" && s.SDL_IsGameController(event.which) === 0) {
          const name = readCString(s.SDL_JoystickNameForIndex(event.which)) || "unnamed";
          scope.postMessage({
            type: "error",
            message: `Joystick "${name}" has no GameController mapping, so it is ignored; ` +
              "add one with a gamecontrollerdb.txt mappings file",
          });
        }
        return;
      case "controllerTouchpad":
        this.#pipeline.touch(event.which, {
          touchpad: event.touchpad,
          finger: event.finger,
          state: event.state,
          x: event.x,
          y: event.y,
          pressure: event.pressure,
        }, now);
        return;
      case "controllerSensor":
        if (event.sensor === SDL_SENSOR_ACCEL || event.sensor === SDL_SENSOR_GYRO) {
          this.#pipeline.sensor(
            event.which,
            event.sensor === SDL_SENSOR_ACCEL ? "accel" : "gyro",
            event.data,
            // Without a hardware time, the time SDL delivered it.
            event.timestampUs || Math.round((performance.timeOrigin + now) * 1000),
          );
        }
        return;
      case "joyBattery":
        this.#pipeline.battery(event.which, batteryOf(event.level));
        return;
      case "controllerDevice":
        if (event.change === "added") this.#openController(event.which, now);
        else if (event.change === "removed") this.#closeController(event.which, now);
        return;
      case "window":
        if (event.event === SDL_WINDOWEVENT_EXPOSED) this.#dirty = true;
        return;
    }
  }

  #openController(deviceIndex: number, now: number): void {
    const s = this.#sdl.symbols;
    const controller = s.SDL_GameControllerOpen(deviceIndex);
    if (controller === null) {
      scope.postMessage({
        type: "error",
        message: `Could not open controller ${deviceIndex}: ${sdlError(this.#sdl)}`,
      });
      return;
    }
    const instanceId = s.SDL_JoystickInstanceID(s.SDL_GameControllerGetJoystick(controller));
    if (this.#controllers.has(instanceId)) {
      s.SDL_GameControllerClose(controller); // a second ADDED for one device: drop our extra ref
      return;
    }
    this.#controllers.set(instanceId, controller);
    const buttons = BUTTON_NAMES.map((_, b) => s.SDL_GameControllerGetButton(controller, b) !== 0);
    const axes: number[] = [];
    for (let axis = 0; axis < SDL_CONTROLLER_AXIS_MAX; axis++) {
      axes.push(s.SDL_GameControllerGetAxis(controller, axis));
    }
    const name = readCString(s.SDL_GameControllerName(controller));
    const joystick = s.SDL_GameControllerGetJoystick(controller);
    const power = joystick === null
      ? SDL_JOYSTICK_POWER_UNKNOWN
      : s.SDL_JoystickCurrentPowerLevel(joystick);
    const info = this.#padInfo(controller, power);
    if (this.#motion) this.#enableSensors(controller, true);
    // A virtual controller may ask for a pad number (its replay file's).
    let wanted: number | undefined;
    for (const virtual of this.#virtuals.values()) {
      if (virtual.instanceId === instanceId) wanted = virtual.pad;
    }
    this.#pipeline.padAdded(instanceId, name, buttons, axes, now, info, wanted);
    if (power !== SDL_JOYSTICK_POWER_UNKNOWN) this.#pipeline.battery(instanceId, batteryOf(power));
  }

  /** Turn a controller's accelerometer and gyro on or off, where it has them. */
  #enableSensors(controller: Deno.PointerObject, enable: boolean): void {
    const s = this.#sdl.symbols;
    for (const sensor of [SDL_SENSOR_ACCEL, SDL_SENSOR_GYRO]) {
      if (s.SDL_GameControllerHasSensor?.(controller, sensor)) {
        s.SDL_GameControllerSetSensorEnabled?.(controller, sensor, enable ? 1 : 0);
      }
    }
  }

  /** A consumer's request for pad `pad`'s motion (a pad without sensors: nothing happens). */
  #setSensors(pad: number, enable: boolean): void {
    const instanceId = this.#pipeline.instanceOf(pad);
    const controller = instanceId === undefined ? undefined : this.#controllers.get(instanceId);
    if (controller !== undefined) this.#enableSensors(controller, enable);
  }

  /** What SDL says about a controller: its type, USB ids, and what it has. */
  #padInfo(controller: Deno.PointerObject, power: number): PadInfo {
    const s = this.#sdl.symbols;
    const capabilities: PadCapability[] = [];
    if (s.SDL_GameControllerHasRumble?.(controller)) capabilities.push("rumble");
    if (s.SDL_GameControllerHasRumbleTriggers?.(controller)) capabilities.push("trigger_rumble");
    if (s.SDL_GameControllerHasLED?.(controller)) capabilities.push("led");
    if ((s.SDL_GameControllerGetNumTouchpads?.(controller) ?? 0) > 0) {
      capabilities.push("touchpad");
    }
    if (s.SDL_GameControllerHasSensor?.(controller, SDL_SENSOR_ACCEL)) capabilities.push("accel");
    if (s.SDL_GameControllerHasSensor?.(controller, SDL_SENSOR_GYRO)) capabilities.push("gyro");
    if (power !== SDL_JOYSTICK_POWER_UNKNOWN) capabilities.push("battery");
    const type = s.SDL_GameControllerGetType?.(controller) ?? 0;
    return {
      kind: PAD_KINDS[type] ?? "unknown",
      vendor: s.SDL_GameControllerGetVendor(controller),
      product: s.SDL_GameControllerGetProduct(controller),
      capabilities,
    };
  }

  #closeController(instanceId: number, now: number): void {
    const controller = this.#controllers.get(instanceId);
    if (controller === undefined) return;
    this.#controllers.delete(instanceId);
    this.#sdl.symbols.SDL_GameControllerClose(controller);
    const pad = this.#pipeline.padRemoved(instanceId, now);
    if (pad !== null) {
      // Gone with its motors: nothing to stop, nothing may wait for its number.
      this.#pacer.forget(pad);
      this.#rumbling.delete(pad);
    }
  }

  /** Draw the pads' state (see pad_view.ts) and show it. */
  #paint(now: number): void {
    this.#dirty = false;
    this.#lastPaint = now;
    const renderer = this.#renderer;
    if (renderer === null || this.#x11?.lost) return;
    const s = this.#sdl.symbols;
    const rect = new Int32Array(4);
    for (const op of padViewOps(this.#shown)) {
      s.SDL_SetRenderDrawColor(renderer, op.color[0], op.color[1], op.color[2], 255);
      if (op.op === "points") {
        s.SDL_RenderDrawPoints(renderer, new Int32Array(op.points.flat()), op.points.length);
        continue;
      }
      rect.set([op.rect.x, op.rect.y, op.rect.w, op.rect.h]);
      if (op.op === "fill") s.SDL_RenderFillRect(renderer, rect);
      else s.SDL_RenderDrawRect(renderer, rect);
    }
    s.SDL_RenderPresent(renderer);
  }

  /** Close virtual controllers, controllers and the window, then quit SDL. */
  shutdown(): void {
    const s = this.#sdl.symbols;
    for (const pad of [...this.#rumbling.keys()]) this.#stopFeedback(pad, "exit");
    for (const id of [...this.#virtuals.keys()]) {
      try {
        this.#detachVirtual(id);
      } catch {
        // shutting down: SDL_Quit releases it anyway
      }
    }
    for (const controller of this.#controllers.values()) s.SDL_GameControllerClose(controller);
    this.#controllers.clear();
    if (this.#x11?.connectionLost) {
      // The X connection is dead: every video call could spin in XIfEvent.
      // Stop the rest of SDL and leave video (and the library) to process exit.
      s.SDL_QuitSubSystem(SDL_INIT_GAMECONTROLLER | SDL_INIT_JOYSTICK | SDL_INIT_EVENTS);
      return;
    }
    if (this.#renderer !== null) s.SDL_DestroyRenderer(this.#renderer);
    this.#renderer = null;
    if (this.#window !== null) s.SDL_DestroyWindow(this.#window);
    this.#window = null;
    this.#x11?.sync();
    s.SDL_Quit();
    if (this.#callbacks) {
      this.#callbacks.rumble.close();
      this.#callbacks.triggers.close();
      this.#callbacks.led.close();
      this.#callbacks = null;
    }
    this.#x11?.close();
    this.#x11 = null;
    this.#sdl.close();
  }
}

/** A padlink battery report from an `SDL_JoystickPowerLevel`. */
function batteryOf(level: number): { level: BatteryLevel; state: BatteryState } {
  switch (level) {
    case SDL_JOYSTICK_POWER_EMPTY:
      return { level: "empty", state: "battery" };
    case SDL_JOYSTICK_POWER_LOW:
      return { level: "low", state: "battery" };
    case SDL_JOYSTICK_POWER_MEDIUM:
      return { level: "medium", state: "battery" };
    case SDL_JOYSTICK_POWER_FULL:
      return { level: "full", state: "battery" };
    case SDL_JOYSTICK_POWER_WIRED:
      return { level: "unknown", state: "wired" };
    default:
      return { level: "unknown", state: "unknown" };
  }
}

function pointerBits(pointer: Deno.PointerObject): bigint {
  return BigInt(Deno.UnsafePointer.value(pointer));
}

/**
 * The int16 a virtual joystick axis must hold for a padlink axis value.
 * Sticks map [-1, 1] to ±32767; SDL maps a virtual trigger's full int16
 * range onto 0…32767, so [0, 1] maps to -32768…32767.
 */
function virtualAxisRaw(axis: number, value: number): number {
  if (isTrigger(axis)) {
    const v = Math.min(1, Math.max(0, value));
    return Math.round(-32768 + v * 65535) | 0; // | 0 turns -0 into 0, which FFI requires
  }
  return Math.round(Math.min(1, Math.max(-1, value)) * 32767) | 0;
}

/**
 * A GameController mapping string giving a virtual joystick made by
 * `#attachVirtual` every standard button and axis, in SDL's index order.
 * SDL 2.26 matches mappings on the GUID with its name CRC (bytes 2–3,
 * little-endian) zeroed and the CRC in a `crc:` field.
 */
function virtualMapping(deviceGuid: Uint8Array, name: string): string {
  const guid = new Uint8Array(deviceGuid);
  const crc = guid[2]! | guid[3]! << 8;
  guid[2] = guid[3] = 0;
  const hex = toHex(guid);
  const buttons = BUTTON_NAMES.map((button, index) => `${button}:b${index}`);
  const axes = AXIS_NAMES.map((axis, index) => `${axis}:a${index}`);
  const fields = [...buttons, ...axes];
  if (crc !== 0) fields.push(`crc:${crc.toString(16).padStart(4, "0")}`);
  // Commas separate the fields of a mapping, so none may appear in the name.
  return [hex, name.replaceAll(",", " "), ...fields, ""].join(",");
}

/** An environment variable, with "" and a missing permission counted as unset. */
function environment(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

let loop: SdlLoop | undefined;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.op === "init") {
    start(message);
  } else {
    loop?.receive(message);
  }
};

async function start(init: WorkerInit): Promise<void> {
  try {
    loop = SdlLoop.open(init);
  } catch (error) {
    scope.postMessage({
      type: "failed",
      name: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? error.message : String(error),
    });
    return;
  }
  scope.postMessage({ type: "ready", version: loop.version });
  try {
    await loop.run();
  } finally {
    loop.shutdown();
    scope.postMessage({ type: "closed" });
  }
}
