/**
 * Finding and loading SDL2 with `Deno.dlopen`, and the FFI signatures of the
 * SDL2 functions padlink calls. Nothing is loaded at import time: call
 * {@linkcode loadSdl2}.
 *
 * Signatures follow SDL 2.26's headers (SDL.h, SDL_events.h, SDL_joystick.h,
 * SDL_gamecontroller.h, SDL_keyboard.h, SDL_video.h, SDL_render.h,
 * SDL_syswm.h, SDL_rwops.h, SDL_hints.h, SDL_error.h, SDL_version.h). None of them is `nonblocking`:
 * SDL's event functions must run on the thread that initialised SDL.
 *
 * @module
 */

/** The FFI signatures of the SDL2 functions padlink uses. */
export const SDL2_SYMBOLS = {
  // SDL.h
  SDL_Init: { parameters: ["u32"], result: "i32" },
  SDL_Quit: { parameters: [], result: "void" },
  SDL_QuitSubSystem: { parameters: ["u32"], result: "void" },
  SDL_WasInit: { parameters: ["u32"], result: "u32" },
  // SDL_version.h: void SDL_GetVersion(SDL_version *ver), SDL_version = 3 × Uint8
  SDL_GetVersion: { parameters: ["buffer"], result: "void" },
  // SDL_error.h
  SDL_GetError: { parameters: [], result: "pointer" },
  // SDL_hints.h: SDL_bool SDL_SetHint(const char *name, const char *value)
  SDL_SetHint: { parameters: ["buffer", "buffer"], result: "i32" },
  // SDL_events.h
  SDL_PumpEvents: { parameters: [], result: "void" },
  SDL_PollEvent: { parameters: ["buffer"], result: "i32" },
  SDL_PushEvent: { parameters: ["buffer"], result: "i32" },
  // SDL_joystick.h
  SDL_NumJoysticks: { parameters: [], result: "i32" },
  SDL_JoystickNameForIndex: { parameters: ["i32"], result: "pointer" },
  SDL_JoystickGetDeviceInstanceID: { parameters: ["i32"], result: "i32" },
  SDL_JoystickOpen: { parameters: ["i32"], result: "pointer" },
  SDL_JoystickClose: { parameters: ["pointer"], result: "void" },
  SDL_JoystickInstanceID: { parameters: ["pointer"], result: "i32" },
  // SDL_JoystickGUID SDL_JoystickGetDeviceGUID(int), SDL_GUID = struct { Uint8 data[16]; } (SDL_guid.h)
  SDL_JoystickGetDeviceGUID: {
    parameters: ["i32"],
    result: {
      struct: [
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
        "u8",
      ],
    },
  },
  // int SDL_JoystickAttachVirtualEx(const SDL_VirtualJoystickDesc *desc), SDL >= 2.24
  SDL_JoystickAttachVirtualEx: { parameters: ["buffer"], result: "i32", optional: true },
  SDL_JoystickDetachVirtual: { parameters: ["i32"], result: "i32" },
  SDL_JoystickSetVirtualAxis: { parameters: ["pointer", "i32", "i16"], result: "i32" },
  SDL_JoystickSetVirtualButton: { parameters: ["pointer", "i32", "u8"], result: "i32" },
  // SDL_gamecontroller.h
  SDL_IsGameController: { parameters: ["i32"], result: "i32" },
  SDL_GameControllerOpen: { parameters: ["i32"], result: "pointer" },
  SDL_GameControllerClose: { parameters: ["pointer"], result: "void" },
  SDL_GameControllerName: { parameters: ["pointer"], result: "pointer" },
  SDL_GameControllerGetJoystick: { parameters: ["pointer"], result: "pointer" },
  SDL_GameControllerGetAxis: { parameters: ["pointer", "i32"], result: "i16" },
  SDL_GameControllerGetButton: { parameters: ["pointer", "i32"], result: "u8" },
  SDL_GameControllerAddMappingsFromRW: { parameters: ["pointer", "i32"], result: "i32" },
  SDL_GameControllerAddMapping: { parameters: ["buffer"], result: "i32" },
  // int SDL_GameControllerRumble(SDL_GameController *, Uint16 low_frequency_rumble,
  //   Uint16 high_frequency_rumble, Uint32 duration_ms): 0, or -1 when unsupported
  SDL_GameControllerRumble: { parameters: ["pointer", "u16", "u16", "u32"], result: "i32" },
  // int SDL_GameControllerRumbleTriggers(SDL_GameController *, Uint16 left_rumble,
  //   Uint16 right_rumble, Uint32 duration_ms), SDL >= 2.0.14
  SDL_GameControllerRumbleTriggers: {
    parameters: ["pointer", "u16", "u16", "u32"],
    result: "i32",
    optional: true,
  },
  // int SDL_GameControllerSetLED(SDL_GameController *, Uint8 red, Uint8 green, Uint8 blue), SDL >= 2.0.14
  SDL_GameControllerSetLED: {
    parameters: ["pointer", "u8", "u8", "u8"],
    result: "i32",
    optional: true,
  },
  // SDL_bool SDL_GameControllerHasRumble / HasRumbleTriggers (SDL >= 2.0.18), HasLED (>= 2.0.14)
  SDL_GameControllerHasRumble: { parameters: ["pointer"], result: "i32", optional: true },
  SDL_GameControllerHasRumbleTriggers: { parameters: ["pointer"], result: "i32", optional: true },
  SDL_GameControllerHasLED: { parameters: ["pointer"], result: "i32", optional: true },
  // SDL_GameControllerType SDL_GameControllerTypeForIndex(int joystick_index), SDL >= 2.0.12
  SDL_GameControllerTypeForIndex: { parameters: ["i32"], result: "i32", optional: true },
  // SDL_GameControllerType SDL_GameControllerGetType(SDL_GameController *), SDL >= 2.0.12
  SDL_GameControllerGetType: { parameters: ["pointer"], result: "i32", optional: true },
  // Uint16 SDL_GameControllerGetVendor / GetProduct(SDL_GameController *)
  SDL_GameControllerGetVendor: { parameters: ["pointer"], result: "u16" },
  SDL_GameControllerGetProduct: { parameters: ["pointer"], result: "u16" },
  // int SDL_GameControllerGetNumTouchpads(SDL_GameController *), SDL >= 2.0.14
  SDL_GameControllerGetNumTouchpads: { parameters: ["pointer"], result: "i32", optional: true },
  // SDL_bool SDL_GameControllerHasSensor(SDL_GameController *, SDL_SensorType), SDL >= 2.0.14
  SDL_GameControllerHasSensor: { parameters: ["pointer", "i32"], result: "i32", optional: true },
  // int SDL_GameControllerSetSensorEnabled(SDL_GameController *, SDL_SensorType, SDL_bool)
  SDL_GameControllerSetSensorEnabled: {
    parameters: ["pointer", "i32", "i32"],
    result: "i32",
    optional: true,
  },
  // SDL_JoystickPowerLevel SDL_JoystickCurrentPowerLevel(SDL_Joystick *)
  SDL_JoystickCurrentPowerLevel: { parameters: ["pointer"], result: "i32" },
  // SDL_rwops.h: SDL_RWops *SDL_RWFromFile(const char *file, const char *mode)
  SDL_RWFromFile: { parameters: ["buffer", "buffer"], result: "pointer" },
  // SDL_keyboard.h
  SDL_GetKeyName: { parameters: ["i32"], result: "pointer" },
  SDL_GetScancodeName: { parameters: ["i32"], result: "pointer" },
  SDL_GetKeyFromName: { parameters: ["buffer"], result: "i32" },
  SDL_GetScancodeFromName: { parameters: ["buffer"], result: "i32" },
  // SDL_video.h
  SDL_CreateWindow: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "u32"],
    result: "pointer",
  },
  SDL_DestroyWindow: { parameters: ["pointer"], result: "void" },
  SDL_SetWindowTitle: { parameters: ["pointer", "buffer"], result: "void" },
  SDL_GetWindowID: { parameters: ["pointer"], result: "u32" },
  // const char *SDL_GetCurrentVideoDriver(void)
  SDL_GetCurrentVideoDriver: { parameters: [], result: "pointer" },
  // SDL_syswm.h: SDL_bool SDL_GetWindowWMInfo(SDL_Window *window, SDL_SysWMinfo *info)
  SDL_GetWindowWMInfo: { parameters: ["pointer", "buffer"], result: "i32" },
  // SDL_events.h: Uint8 SDL_EventState(Uint32 type, int state)
  SDL_EventState: { parameters: ["u32", "i32"], result: "u8" },
  // SDL_render.h: SDL_Renderer *SDL_CreateRenderer(SDL_Window *window, int index, Uint32 flags)
  SDL_CreateRenderer: { parameters: ["pointer", "i32", "u32"], result: "pointer" },
  SDL_DestroyRenderer: { parameters: ["pointer"], result: "void" },
  // int SDL_SetRenderDrawColor(SDL_Renderer *, Uint8 r, Uint8 g, Uint8 b, Uint8 a)
  SDL_SetRenderDrawColor: { parameters: ["pointer", "u8", "u8", "u8", "u8"], result: "i32" },
  // int SDL_RenderFillRect(SDL_Renderer *, const SDL_Rect *), SDL_Rect = 4 × int
  SDL_RenderFillRect: { parameters: ["pointer", "buffer"], result: "i32" },
  SDL_RenderDrawRect: { parameters: ["pointer", "buffer"], result: "i32" },
  // int SDL_RenderDrawPoints(SDL_Renderer *, const SDL_Point *points, int count), SDL_Point = 2 × int
  SDL_RenderDrawPoints: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  SDL_RenderPresent: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded SDL2 library. */
export type Sdl2 = Deno.DynamicLibrary<typeof SDL2_SYMBOLS>;

/** The environment variable that names the SDL2 library to load. */
export const SDL2_ENV = "PADLINK_SDL2";

/** Thrown by {@linkcode loadSdl2} when no SDL2 library could be loaded. */
export class Sdl2NotFoundError extends Error {
  /** The paths that were tried, in order, with why each failed. */
  readonly attempts: readonly string[];

  /**
   * Make the error from its install hint and the attempts that failed.
   *
   * @param message one line saying how to install SDL2
   * @param attempts the candidates tried and their errors
   */
  constructor(message: string, attempts: readonly string[]) {
    super(message);
    this.name = "Sdl2NotFoundError";
    this.attempts = attempts;
  }
}

/**
 * Thrown when the window was asked for but there is no display to show it
 * on: SDL would fall back to its offscreen driver, leaving a client with no
 * window and no keyboard.
 */
export class NoDisplayError extends Error {
  /**
   * Create the error.
   *
   * @param message one line saying why there is no display
   */
  constructor(message: string) {
    super(message);
    this.name = "NoDisplayError";
  }
}

/** Options for {@linkcode sdl2Candidates} and {@linkcode loadSdl2}. */
export interface LoadSdl2Options {
  /** A library path that replaces the search (as `PADLINK_SDL2` does). */
  path?: string;
  /** The platform to search for; defaults to `Deno.build.os`. */
  os?: typeof Deno.build.os;
}

/**
 * The library names and paths to try, in order. An explicit `path`, then the
 * `PADLINK_SDL2` environment variable, replaces the platform search.
 *
 * @param options an explicit path or another platform
 * @returns the candidates, most preferred first
 *
 * @example Usage
 * ```ts
 * import { sdl2Candidates } from "./library.ts";
 * const names = sdl2Candidates({ os: "linux", path: "/opt/libSDL2.so" });
 * if (names[0] !== "/opt/libSDL2.so") throw new Error("explicit path first");
 * ```
 */
export function sdl2Candidates(options: LoadSdl2Options = {}): string[] {
  const explicit = options.path ?? envPath();
  if (explicit) return [explicit];
  switch (options.os ?? Deno.build.os) {
    case "darwin":
      return [
        "libSDL2-2.0.0.dylib",
        "/opt/homebrew/lib/libSDL2-2.0.0.dylib",
        "/usr/local/lib/libSDL2-2.0.0.dylib",
      ];
    case "windows": {
      const candidates: string[] = [];
      const dir = execDir();
      if (dir) candidates.push(`${dir}\\SDL2.dll`);
      // A bare name makes LoadLibrary search the usual places, PATH included.
      candidates.push("SDL2.dll");
      return candidates;
    }
    default:
      return ["libSDL2-2.0.so.0", "libSDL2.so"];
  }
}

/**
 * One line saying how to install SDL2 on a platform.
 *
 * @param os the platform; defaults to `Deno.build.os`
 * @returns the advice, mentioning `PADLINK_SDL2`
 */
export function sdl2InstallHint(os: typeof Deno.build.os = Deno.build.os): string {
  const how = os === "darwin"
    ? "install it with `brew install sdl2`"
    : os === "windows"
    ? "put SDL2.dll next to padlink-client.exe (get it from libsdl.org)"
    : "install it with `apt-get install libsdl2-2.0-0` (or your distribution's SDL2 package)";
  return `SDL2 was not found: ${how}, or set ${SDL2_ENV} to the library's path`;
}

/**
 * Load SDL2: try each of {@linkcode sdl2Candidates} and return the first that
 * opens.
 *
 * @param options an explicit path or another platform
 * @returns the opened library; close it with `close()` after `SDL_Quit`
 * @throws {Sdl2NotFoundError} when no candidate loads
 */
export function loadSdl2(options: LoadSdl2Options = {}): Sdl2 {
  const attempts: string[] = [];
  for (const candidate of sdl2Candidates(options)) {
    try {
      return Deno.dlopen(candidate, SDL2_SYMBOLS);
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      attempts.push(`${candidate}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Sdl2NotFoundError(sdl2InstallHint(options.os), attempts);
}

/**
 * Encode a string as a NUL-terminated UTF-8 buffer for a `const char *`.
 *
 * @param text the string
 * @returns the bytes with a trailing 0
 */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const buffer = new Uint8Array(bytes.length + 1);
  buffer.set(bytes);
  return buffer;
}

/**
 * Read a `const char *` returned by SDL; a null pointer reads as "".
 *
 * @param pointer the pointer SDL returned
 * @returns the string
 */
export function readCString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
}

/**
 * SDL's last error message (`SDL_GetError`).
 *
 * @param sdl the loaded library
 * @returns the message, or "unknown SDL error"
 */
export function sdlError(sdl: Sdl2): string {
  return readCString(sdl.symbols.SDL_GetError()) || "unknown SDL error";
}

/**
 * The linked SDL version (`SDL_GetVersion`).
 *
 * @param sdl the loaded library
 * @returns major, minor and patch
 */
export function sdlVersion(sdl: Sdl2): [number, number, number] {
  const version = new Uint8Array(3);
  sdl.symbols.SDL_GetVersion(version);
  return [version[0]!, version[1]!, version[2]!];
}

function envPath(): string | undefined {
  try {
    return Deno.env.get(SDL2_ENV) || undefined;
  } catch {
    return undefined; // no --allow-env: search the usual places
  }
}

function execDir(): string | undefined {
  try {
    const exe = Deno.execPath();
    const cut = Math.max(exe.lastIndexOf("\\"), exe.lastIndexOf("/"));
    return cut > 0 ? exe.slice(0, cut) : undefined;
  } catch {
    return undefined;
  }
}
