/**
 * SDL2 constants and a pure decoder for the 56-byte `SDL_Event` union.
 *
 * Every value and offset below was checked against SDL 2.26.5's headers
 * (the header is named beside each). Offsets are for the little-endian
 * targets SDL2 runs padlink on (x86-64, arm64), with C's natural alignment.
 *
 * @module
 */

// ---- SDL.h: SDL_Init flags ----

/** SDL.h `SDL_INIT_TIMER`. */
export const SDL_INIT_TIMER = 0x00000001;
/** SDL.h `SDL_INIT_VIDEO` (implies `SDL_INIT_EVENTS`). */
export const SDL_INIT_VIDEO = 0x00000020;
/** SDL.h `SDL_INIT_JOYSTICK` (implies `SDL_INIT_EVENTS`). */
export const SDL_INIT_JOYSTICK = 0x00000200;
/** SDL.h `SDL_INIT_GAMECONTROLLER` (implies `SDL_INIT_JOYSTICK`). */
export const SDL_INIT_GAMECONTROLLER = 0x00002000;
/** SDL.h `SDL_INIT_EVENTS`. */
export const SDL_INIT_EVENTS = 0x00004000;

// ---- SDL_events.h: SDL_EventType ----

/** SDL_events.h `SDL_QUIT`: user-requested quit. */
export const SDL_QUIT = 0x100;
/** SDL_events.h `SDL_WINDOWEVENT`: window state change. */
export const SDL_WINDOWEVENT = 0x200;
/** SDL_events.h `SDL_SYSWMEVENT`: a raw window-system event (only when enabled with `SDL_EventState`). */
export const SDL_SYSWMEVENT = 0x201;
/** SDL_events.h `SDL_KEYDOWN`. */
export const SDL_KEYDOWN = 0x300;
/** SDL_events.h `SDL_KEYUP`. */
export const SDL_KEYUP = 0x301;
/** SDL_events.h `SDL_JOYDEVICEADDED`. */
export const SDL_JOYDEVICEADDED = 0x605;
/** SDL_events.h `SDL_JOYDEVICEREMOVED`. */
export const SDL_JOYDEVICEREMOVED = 0x606;
/** SDL_events.h `SDL_JOYBATTERYUPDATED`: a joystick's power level changed. */
export const SDL_JOYBATTERYUPDATED = 0x607;
/** SDL_events.h `SDL_CONTROLLERAXISMOTION`. */
export const SDL_CONTROLLERAXISMOTION = 0x650;
/** SDL_events.h `SDL_CONTROLLERBUTTONDOWN`. */
export const SDL_CONTROLLERBUTTONDOWN = 0x651;
/** SDL_events.h `SDL_CONTROLLERBUTTONUP`. */
export const SDL_CONTROLLERBUTTONUP = 0x652;
/** SDL_events.h `SDL_CONTROLLERDEVICEADDED`: `which` is a device index. */
export const SDL_CONTROLLERDEVICEADDED = 0x653;
/** SDL_events.h `SDL_CONTROLLERDEVICEREMOVED`: `which` is an instance id. */
export const SDL_CONTROLLERDEVICEREMOVED = 0x654;
/** SDL_events.h `SDL_CONTROLLERDEVICEREMAPPED`: `which` is an instance id. */
export const SDL_CONTROLLERDEVICEREMAPPED = 0x655;
/** SDL_events.h `SDL_CONTROLLERTOUCHPADDOWN`. */
export const SDL_CONTROLLERTOUCHPADDOWN = 0x656;
/** SDL_events.h `SDL_CONTROLLERTOUCHPADMOTION`. */
export const SDL_CONTROLLERTOUCHPADMOTION = 0x657;
/** SDL_events.h `SDL_CONTROLLERTOUCHPADUP`. */
export const SDL_CONTROLLERTOUCHPADUP = 0x658;
/** SDL_events.h `SDL_CONTROLLERSENSORUPDATE`. */
export const SDL_CONTROLLERSENSORUPDATE = 0x659;
/** SDL_events.h `SDL_POLLSENTINEL`: internal end-of-poll marker. */
export const SDL_POLLSENTINEL = 0x7f00;
/** SDL_events.h `SDL_USEREVENT`: first user event type. */
export const SDL_USEREVENT = 0x8000;

/** SDL_events.h `SDL_RELEASED`. */
export const SDL_RELEASED = 0;
/** SDL_events.h `SDL_PRESSED`. */
export const SDL_PRESSED = 1;

/** SDL_events.h: `sizeof(SDL_Event)` where pointers are 8 bytes or fewer. */
export const SDL_EVENT_SIZE = 56;

// ---- SDL_video.h ----

/** SDL_video.h `SDL_WINDOW_SHOWN`. */
export const SDL_WINDOW_SHOWN = 0x00000004;
/** SDL_video.h `SDL_WINDOWPOS_UNDEFINED` (`SDL_WINDOWPOS_UNDEFINED_MASK | 0`). */
export const SDL_WINDOWPOS_UNDEFINED = 0x1fff0000;
/** SDL_video.h `SDL_WindowEventID`: `SDL_WINDOWEVENT_EXPOSED`. */
export const SDL_WINDOWEVENT_EXPOSED = 3;
/** SDL_video.h `SDL_WindowEventID`: `SDL_WINDOWEVENT_FOCUS_GAINED`. */
export const SDL_WINDOWEVENT_FOCUS_GAINED = 12;
/** SDL_video.h `SDL_WindowEventID`: `SDL_WINDOWEVENT_FOCUS_LOST`. */
export const SDL_WINDOWEVENT_FOCUS_LOST = 13;
/** SDL_video.h `SDL_WindowEventID`: `SDL_WINDOWEVENT_CLOSE`. */
export const SDL_WINDOWEVENT_CLOSE = 14;

// ---- SDL_joystick.h ----

/** SDL_joystick.h `SDL_JOYSTICK_TYPE_GAMECONTROLLER`. */
export const SDL_JOYSTICK_TYPE_GAMECONTROLLER = 1;
/** SDL_joystick.h `SDL_VIRTUAL_JOYSTICK_DESC_VERSION`. */
export const SDL_VIRTUAL_JOYSTICK_DESC_VERSION = 1;
/** SDL_joystick.h `SDL_JOYSTICK_AXIS_MAX`. */
export const SDL_JOYSTICK_AXIS_MAX = 32767;
/** SDL_joystick.h `SDL_JOYSTICK_AXIS_MIN`. */
export const SDL_JOYSTICK_AXIS_MIN: number = -32768;

/** SDL_joystick.h `SDL_JoystickPowerLevel`: `SDL_JOYSTICK_POWER_UNKNOWN`. */
export const SDL_JOYSTICK_POWER_UNKNOWN: number = -1;
/** SDL_joystick.h `SDL_JOYSTICK_POWER_EMPTY` (≤ 5 %). */
export const SDL_JOYSTICK_POWER_EMPTY = 0;
/** SDL_joystick.h `SDL_JOYSTICK_POWER_LOW` (≤ 20 %). */
export const SDL_JOYSTICK_POWER_LOW = 1;
/** SDL_joystick.h `SDL_JOYSTICK_POWER_MEDIUM` (≤ 70 %). */
export const SDL_JOYSTICK_POWER_MEDIUM = 2;
/** SDL_joystick.h `SDL_JOYSTICK_POWER_FULL` (≤ 100 %). */
export const SDL_JOYSTICK_POWER_FULL = 3;
/** SDL_joystick.h `SDL_JOYSTICK_POWER_WIRED`. */
export const SDL_JOYSTICK_POWER_WIRED = 4;

// ---- SDL_sensor.h ----

/** SDL_sensor.h `SDL_SENSOR_ACCEL`: accelerometer, m/s². */
export const SDL_SENSOR_ACCEL = 1;
/** SDL_sensor.h `SDL_SENSOR_GYRO`: gyroscope, rad/s. */
export const SDL_SENSOR_GYRO = 2;

// ---- SDL_gamecontroller.h ----

/**
 * SDL_gamecontroller.h `SDL_GameControllerType`, by value (SDL 2.26), as
 * `padlink-client --list` names them.
 */
export const SDL_CONTROLLER_TYPE_NAMES = [
  "unknown", // SDL_CONTROLLER_TYPE_UNKNOWN
  "Xbox 360", // SDL_CONTROLLER_TYPE_XBOX360
  "Xbox One", // SDL_CONTROLLER_TYPE_XBOXONE
  "PS3", // SDL_CONTROLLER_TYPE_PS3
  "PS4", // SDL_CONTROLLER_TYPE_PS4
  "Nintendo Switch Pro", // SDL_CONTROLLER_TYPE_NINTENDO_SWITCH_PRO
  "virtual", // SDL_CONTROLLER_TYPE_VIRTUAL
  "PS5", // SDL_CONTROLLER_TYPE_PS5
  "Amazon Luna", // SDL_CONTROLLER_TYPE_AMAZON_LUNA
  "Google Stadia", // SDL_CONTROLLER_TYPE_GOOGLE_STADIA
  "NVIDIA Shield", // SDL_CONTROLLER_TYPE_NVIDIA_SHIELD
  "Joy-Con (L)", // SDL_CONTROLLER_TYPE_NINTENDO_SWITCH_JOYCON_LEFT
  "Joy-Con (R)", // SDL_CONTROLLER_TYPE_NINTENDO_SWITCH_JOYCON_RIGHT
  "Joy-Con pair", // SDL_CONTROLLER_TYPE_NINTENDO_SWITCH_JOYCON_PAIR
] as const;

/** SDL_render.h `SDL_RENDERER_SOFTWARE`: the renderer draws in memory, no GPU. */
export const SDL_RENDERER_SOFTWARE = 0x00000001;

/** SDL_gamecontroller.h `SDL_CONTROLLER_BUTTON_MAX`: 21 standard buttons. */
export const SDL_CONTROLLER_BUTTON_MAX = 21;
/** SDL_gamecontroller.h `SDL_CONTROLLER_AXIS_MAX`: 6 standard axes. */
export const SDL_CONTROLLER_AXIS_MAX = 6;
/**
 * SDL_gamecontroller.c (2.26) `SDL_MINIMUM_GUIDE_BUTTON_DELAY_MS`: SDL holds
 * back a guide release that comes sooner than this after its press, and
 * reports it only at the first update this long after the press.
 */
export const SDL_MINIMUM_GUIDE_BUTTON_DELAY_MS = 250;

// ---- struct layouts ----

/** SDL_events.h `SDL_CommonEvent`: fields every event starts with. */
export const COMMON_EVENT = { type: 0, timestamp: 4 } as const;

/** SDL_events.h `SDL_SysWMEvent` field offsets. */
export const SYSWM_EVENT = {
  msg: 8, // SDL_SysWMmsg *, after type and timestamp
} as const;

/** SDL_events.h `SDL_WindowEvent` field offsets. */
export const WINDOW_EVENT = {
  windowID: 8, // Uint32
  event: 12, // Uint8 SDL_WindowEventID, then 3 padding bytes
  data1: 16, // Sint32
  data2: 20, // Sint32
} as const;

/** SDL_keyboard.h `SDL_Keysym` field offsets, relative to the keysym. */
export const KEYSYM = {
  scancode: 0, // SDL_Scancode (int enum)
  sym: 4, // SDL_Keycode (Sint32)
  mod: 8, // Uint16, then 2 padding bytes
  unused: 12, // Uint32
} as const;

/** SDL_events.h `SDL_KeyboardEvent` field offsets. */
export const KEYBOARD_EVENT = {
  windowID: 8, // Uint32
  state: 12, // Uint8 SDL_PRESSED / SDL_RELEASED
  repeat: 13, // Uint8, non-zero for a key repeat
  // padding2 @14, padding3 @15; SDL_Keysym is 4-byte aligned
  keysym: 16,
} as const;

/** SDL_events.h `SDL_ControllerAxisEvent` field offsets. */
export const CONTROLLER_AXIS_EVENT = {
  which: 8, // SDL_JoystickID (Sint32) instance id
  axis: 12, // Uint8 SDL_GameControllerAxis, then 3 padding bytes
  value: 16, // Sint16
} as const;

/** SDL_events.h `SDL_ControllerButtonEvent` field offsets. */
export const CONTROLLER_BUTTON_EVENT = {
  which: 8, // SDL_JoystickID (Sint32) instance id
  button: 12, // Uint8 SDL_GameControllerButton
  state: 13, // Uint8 SDL_PRESSED / SDL_RELEASED
} as const;

/** SDL_events.h `SDL_ControllerDeviceEvent` (and `SDL_JoyDeviceEvent`) field offsets. */
export const DEVICE_EVENT = {
  which: 8, // Sint32: device index for ADDED, instance id for REMOVED/REMAPPED
} as const;

/** SDL_events.h `SDL_ControllerTouchpadEvent` field offsets. */
export const CONTROLLER_TOUCHPAD_EVENT = {
  which: 8, // SDL_JoystickID (Sint32) instance id
  touchpad: 12, // Sint32
  finger: 16, // Sint32
  x: 20, // float, 0 (left) … 1
  y: 24, // float, 0 (top) … 1
  pressure: 28, // float, 0 … 1
} as const;

/** SDL_events.h `SDL_ControllerSensorEvent` field offsets (SDL 2.26 added `timestamp_us`). */
export const CONTROLLER_SENSOR_EVENT = {
  which: 8, // SDL_JoystickID (Sint32) instance id
  sensor: 12, // Sint32 SDL_SensorType
  data: 16, // float[3] @16, @20, @24
  timestamp_us: 32, // Uint64, 8-byte aligned after 4 padding bytes @28
} as const;

/** SDL_events.h `SDL_JoyBatteryEvent` field offsets. */
export const JOY_BATTERY_EVENT = {
  which: 8, // SDL_JoystickID (Sint32) instance id
  level: 12, // SDL_JoystickPowerLevel (int enum)
} as const;

/** SDL_joystick.h `SDL_VirtualJoystickDesc` field offsets (64-bit pointers). */
export const VIRTUAL_JOYSTICK_DESC = {
  version: 0, // Uint16
  type: 2, // Uint16
  naxes: 4, // Uint16
  nbuttons: 6, // Uint16
  nhats: 8, // Uint16
  vendor_id: 10, // Uint16
  product_id: 12, // Uint16
  padding: 14, // Uint16
  button_mask: 16, // Uint32
  axis_mask: 20, // Uint32
  name: 24, // const char *
  userdata: 32, // void *
  Update: 40, // void (*)(void *userdata)
  SetPlayerIndex: 48, // void (*)(void *userdata, int player_index)
  Rumble: 56, // int (*)(void *userdata, Uint16 low_frequency_rumble, Uint16 high_frequency_rumble)
  RumbleTriggers: 64, // int (*)(void *userdata, Uint16 left_rumble, Uint16 right_rumble)
  SetLED: 72, // int (*)(void *userdata, Uint8 red, Uint8 green, Uint8 blue)
  SendEffect: 80, // int (*)(void *userdata, const void *data, int size)
  size: 88,
} as const;

/** SDL_joystick.h `SDL_VirtualJoystickDesc.Rumble`'s signature, for `Deno.UnsafeCallback`. */
export const VIRTUAL_RUMBLE_CALLBACK = {
  parameters: ["pointer", "u16", "u16"],
  result: "i32",
} as const satisfies Deno.UnsafeCallbackDefinition;

/** SDL_joystick.h `SDL_VirtualJoystickDesc.SetLED`'s signature, for `Deno.UnsafeCallback`. */
export const VIRTUAL_SET_LED_CALLBACK = {
  parameters: ["pointer", "u8", "u8", "u8"],
  result: "i32",
} as const satisfies Deno.UnsafeCallbackDefinition;

// ---- decoded events ----

/** `SDL_QUIT`. */
export interface QuitEvent {
  /** Which decoded event this is. */
  kind: "quit";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
}

/** `SDL_WINDOWEVENT`. */
export interface WindowEvent {
  /** Which decoded event this is. */
  kind: "window";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The window it happened in (`windowID`). */
  windowId: number;
  /** The `SDL_WindowEventID`. */
  event: number;
  /** The first value of the event (for a resize or move, the width or x). */
  data1: number;
  /** The second value of the event (for a resize or move, the height or y). */
  data2: number;
}

/** `SDL_KEYDOWN` / `SDL_KEYUP`. */
export interface KeyboardEvent {
  /** Which decoded event this is. */
  kind: "key";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The window it happened in (`windowID`). */
  windowId: number;
  /** Whether it went down (`SDL_PRESSED`) rather than up. */
  pressed: boolean;
  /** True for an OS key repeat. */
  repeat: boolean;
  /** `SDL_Scancode`: the physical key. */
  scancode: number;
  /** `SDL_Keycode`: the key in the current layout. */
  sym: number;
  /** `SDL_Keymod` bits. */
  mod: number;
}

/** `SDL_CONTROLLERAXISMOTION`. */
export interface ControllerAxisEvent {
  /** Which decoded event this is. */
  kind: "controllerAxis";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The joystick instance id. */
  which: number;
  /** The `SDL_GameControllerAxis`. */
  axis: number;
  /** -32768…32767 (triggers 0…32767). */
  value: number;
}

/** `SDL_CONTROLLERBUTTONDOWN` / `SDL_CONTROLLERBUTTONUP`. */
export interface ControllerButtonEvent {
  /** Which decoded event this is. */
  kind: "controllerButton";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The joystick instance id. */
  which: number;
  /** The `SDL_GameControllerButton`. */
  button: number;
  /** Whether it went down (`SDL_PRESSED`) rather than up. */
  pressed: boolean;
}

/** `SDL_CONTROLLERDEVICEADDED` / `…REMOVED` / `…REMAPPED`. */
export interface ControllerDeviceEvent {
  /** Which decoded event this is. */
  kind: "controllerDevice";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** What happened to the device. */
  change: "added" | "removed" | "remapped";
  /** Device index for "added", instance id otherwise. */
  which: number;
}

/** `SDL_JOYDEVICEADDED` / `SDL_JOYDEVICEREMOVED`. */
export interface JoystickDeviceEvent {
  /** Which decoded event this is. */
  kind: "joystickDevice";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** What happened to the device. */
  change: "added" | "removed";
  /** Device index for "added", instance id for "removed". */
  which: number;
}

/** `SDL_SYSWMEVENT`: a window-system event, for the X11 watch. */
export interface SysWmEvent {
  /** Which decoded event this is. */
  kind: "syswm";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The address of the `SDL_SysWMmsg`, valid until the next `SDL_PollEvent`. */
  msg: bigint;
}

/** `SDL_CONTROLLERTOUCHPADDOWN` / `…MOTION` / `…UP`. */
export interface ControllerTouchpadEvent {
  /** Which decoded event this is. */
  kind: "controllerTouchpad";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The joystick instance id. */
  which: number;
  /** Whether the finger touched, moved or lifted. */
  state: "down" | "move" | "up";
  /** Which touchpad of the controller. */
  touchpad: number;
  /** Which finger on that touchpad. */
  finger: number;
  /** 0 (left) … 1. */
  x: number;
  /** 0 (top) … 1. */
  y: number;
  /** 0 … 1. */
  pressure: number;
}

/** `SDL_CONTROLLERSENSORUPDATE`. */
export interface ControllerSensorEvent {
  /** Which decoded event this is. */
  kind: "controllerSensor";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The joystick instance id. */
  which: number;
  /** The `SDL_SensorType`: {@linkcode SDL_SENSOR_ACCEL}, {@linkcode SDL_SENSOR_GYRO}, … */
  sensor: number;
  /** The three readings (m/s² or rad/s). */
  data: [number, number, number];
  /** The reading's time in µs when the hardware gives it, else 0. */
  timestampUs: number;
}

/** `SDL_JOYBATTERYUPDATED`. */
export interface JoyBatteryEvent {
  /** Which decoded event this is. */
  kind: "joyBattery";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The joystick instance id. */
  which: number;
  /** The `SDL_JoystickPowerLevel`. */
  level: number;
}

/** Any event type padlink does not use, with its raw `SDL_EventType`. */
export interface OtherEvent {
  /** Which decoded event this is. */
  kind: "other";
  /** SDL's `timestamp`: ms since SDL was initialised. */
  timestamp: number;
  /** The raw `SDL_EventType`. */
  type: number;
}

/** A decoded `SDL_Event`. */
export type SdlEvent =
  | QuitEvent
  | WindowEvent
  | KeyboardEvent
  | ControllerAxisEvent
  | ControllerButtonEvent
  | ControllerDeviceEvent
  | JoystickDeviceEvent
  | SysWmEvent
  | ControllerTouchpadEvent
  | ControllerSensorEvent
  | JoyBatteryEvent
  | OtherEvent;

/**
 * Decode an `SDL_Event` that `SDL_PollEvent` just filled in. Only call it
 * after `SDL_PollEvent` returned 1: otherwise the buffer holds stale data.
 *
 * @param event the 56-byte event buffer
 * @returns the decoded event
 * @throws {RangeError} if the buffer is shorter than `SDL_EVENT_SIZE`
 *
 * @example Usage
 * ```ts
 * import { decodeEvent, SDL_QUIT } from "./events.ts";
 * const buffer = new Uint8Array(56);
 * new DataView(buffer.buffer).setUint32(0, SDL_QUIT, true);
 * if (decodeEvent(buffer).kind !== "quit") throw new Error("SDL_QUIT");
 * ```
 */
export function decodeEvent(event: Uint8Array): SdlEvent {
  if (event.byteLength < SDL_EVENT_SIZE) {
    throw new RangeError(
      `An SDL_Event needs ${SDL_EVENT_SIZE} bytes, received ${event.byteLength}`,
    );
  }
  const view = new DataView(event.buffer, event.byteOffset, SDL_EVENT_SIZE);
  const type = view.getUint32(COMMON_EVENT.type, true);
  const timestamp = view.getUint32(COMMON_EVENT.timestamp, true);
  switch (type) {
    case SDL_QUIT:
      return { kind: "quit", timestamp };
    case SDL_WINDOWEVENT:
      return {
        kind: "window",
        timestamp,
        windowId: view.getUint32(WINDOW_EVENT.windowID, true),
        event: view.getUint8(WINDOW_EVENT.event),
        data1: view.getInt32(WINDOW_EVENT.data1, true),
        data2: view.getInt32(WINDOW_EVENT.data2, true),
      };
    case SDL_KEYDOWN:
    case SDL_KEYUP: {
      const keysym = KEYBOARD_EVENT.keysym;
      return {
        kind: "key",
        timestamp,
        windowId: view.getUint32(KEYBOARD_EVENT.windowID, true),
        pressed: view.getUint8(KEYBOARD_EVENT.state) === SDL_PRESSED,
        repeat: view.getUint8(KEYBOARD_EVENT.repeat) !== 0,
        scancode: view.getInt32(keysym + KEYSYM.scancode, true),
        sym: view.getInt32(keysym + KEYSYM.sym, true),
        mod: view.getUint16(keysym + KEYSYM.mod, true),
      };
    }
    case SDL_CONTROLLERAXISMOTION:
      return {
        kind: "controllerAxis",
        timestamp,
        which: view.getInt32(CONTROLLER_AXIS_EVENT.which, true),
        axis: view.getUint8(CONTROLLER_AXIS_EVENT.axis),
        value: view.getInt16(CONTROLLER_AXIS_EVENT.value, true),
      };
    case SDL_CONTROLLERBUTTONDOWN:
    case SDL_CONTROLLERBUTTONUP:
      return {
        kind: "controllerButton",
        timestamp,
        which: view.getInt32(CONTROLLER_BUTTON_EVENT.which, true),
        button: view.getUint8(CONTROLLER_BUTTON_EVENT.button),
        pressed: view.getUint8(CONTROLLER_BUTTON_EVENT.state) === SDL_PRESSED,
      };
    case SDL_CONTROLLERDEVICEADDED:
    case SDL_CONTROLLERDEVICEREMOVED:
    case SDL_CONTROLLERDEVICEREMAPPED:
      return {
        kind: "controllerDevice",
        timestamp,
        change: type === SDL_CONTROLLERDEVICEADDED
          ? "added"
          : type === SDL_CONTROLLERDEVICEREMOVED
          ? "removed"
          : "remapped",
        which: view.getInt32(DEVICE_EVENT.which, true),
      };
    case SDL_JOYDEVICEADDED:
    case SDL_JOYDEVICEREMOVED:
      return {
        kind: "joystickDevice",
        timestamp,
        change: type === SDL_JOYDEVICEADDED ? "added" : "removed",
        which: view.getInt32(DEVICE_EVENT.which, true),
      };
    case SDL_SYSWMEVENT:
      return { kind: "syswm", timestamp, msg: view.getBigUint64(SYSWM_EVENT.msg, true) };
    case SDL_CONTROLLERTOUCHPADDOWN:
    case SDL_CONTROLLERTOUCHPADMOTION:
    case SDL_CONTROLLERTOUCHPADUP: {
      const t = CONTROLLER_TOUCHPAD_EVENT;
      return {
        kind: "controllerTouchpad",
        timestamp,
        which: view.getInt32(t.which, true),
        state: type === SDL_CONTROLLERTOUCHPADDOWN
          ? "down"
          : type === SDL_CONTROLLERTOUCHPADUP
          ? "up"
          : "move",
        touchpad: view.getInt32(t.touchpad, true),
        finger: view.getInt32(t.finger, true),
        x: view.getFloat32(t.x, true),
        y: view.getFloat32(t.y, true),
        pressure: view.getFloat32(t.pressure, true),
      };
    }
    case SDL_CONTROLLERSENSORUPDATE: {
      const t = CONTROLLER_SENSOR_EVENT;
      return {
        kind: "controllerSensor",
        timestamp,
        which: view.getInt32(t.which, true),
        sensor: view.getInt32(t.sensor, true),
        data: [
          view.getFloat32(t.data, true),
          view.getFloat32(t.data + 4, true),
          view.getFloat32(t.data + 8, true),
        ],
        timestampUs: Number(view.getBigUint64(t.timestamp_us, true)),
      };
    }
    case SDL_JOYBATTERYUPDATED:
      return {
        kind: "joyBattery",
        timestamp,
        which: view.getInt32(JOY_BATTERY_EVENT.which, true),
        level: view.getInt32(JOY_BATTERY_EVENT.level, true),
      };
    default:
      return { kind: "other", timestamp, type };
  }
}

/** The fields {@linkcode encodeKeyboardEvent} writes. */
export interface KeyboardEventInit {
  /** Key down (`SDL_KEYDOWN`) or up. */
  pressed: boolean;
  /** `SDL_Scancode`: the physical key. */
  scancode: number;
  /** `SDL_Keycode`: the key in the current layout. */
  sym: number;
  /** The window; default 0. */
  windowId?: number;
  /** An OS key repeat; default false. */
  repeat?: boolean;
  /** `SDL_Keymod` bits; default none. */
  mod?: number;
}

/**
 * Build an `SDL_KeyboardEvent` for `SDL_PushEvent`.
 *
 * @param init the key and its state
 * @returns a zeroed 56-byte `SDL_Event` holding the keyboard event
 */
export function encodeKeyboardEvent(init: KeyboardEventInit): Uint8Array<ArrayBuffer> {
  const event = new Uint8Array(SDL_EVENT_SIZE);
  const view = new DataView(event.buffer);
  view.setUint32(COMMON_EVENT.type, init.pressed ? SDL_KEYDOWN : SDL_KEYUP, true);
  view.setUint32(KEYBOARD_EVENT.windowID, init.windowId ?? 0, true);
  view.setUint8(KEYBOARD_EVENT.state, init.pressed ? SDL_PRESSED : SDL_RELEASED);
  view.setUint8(KEYBOARD_EVENT.repeat, init.repeat ? 1 : 0);
  view.setInt32(KEYBOARD_EVENT.keysym + KEYSYM.scancode, init.scancode, true);
  view.setInt32(KEYBOARD_EVENT.keysym + KEYSYM.sym, init.sym, true);
  view.setUint16(KEYBOARD_EVENT.keysym + KEYSYM.mod, init.mod ?? 0, true);
  return event;
}
