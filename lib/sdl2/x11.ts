/**
 * {@linkcode X11Watch}: keeps the X server from ending the client. Xlib's
 * default handlers print a report and call `exit(1)` when a request fails
 * (BadWindow after another client destroyed our window, as `xdotool
 * windowclose` does) or when the connection is lost (our X client killed,
 * as `xkill` and `xdotool windowkill` do, or the X server going away). The
 * watch installs handlers that record what happened instead, and sees the
 * window's `DestroyNotify` through SDL's `SDL_SYSWMEVENT`, so the worker can
 * treat a window that is gone like a window the user closed.
 *
 * Layouts are from Xlib.h, X.h and SDL_syswm.h (64-bit).
 *
 * @module
 */

import { SDL_SYSWMEVENT } from "./events.ts";
import { readCString, type Sdl2, sdlVersion } from "./library.ts";

/** SDL_syswm.h `SDL_SysWMinfo`: version (3 bytes), subsystem, then the union. */
const SYSWM_INFO = { size: 72, subsystem: 4, x11Display: 8, x11Window: 16 } as const;
/** SDL_syswm.h `SDL_SysWMmsg`: version, subsystem, then the XEvent. */
const SYSWM_MSG = { subsystem: 4, event: 8 } as const;
/** SDL_syswm.h `SDL_SYSWM_X11`. */
const SDL_SYSWM_X11 = 2;
/** SDL_events.h `SDL_ENABLE`. */
const SDL_ENABLE = 1;
/** Xlib.h `XErrorEvent` field offsets. */
const X_ERROR_EVENT = { resourceid: 16, error_code: 32 } as const;
/** Xlib.h `XDestroyWindowEvent` field offsets. */
const X_DESTROY_WINDOW_EVENT = { type: 0, window: 40 } as const;
/** X.h event type `DestroyNotify`. */
const DestroyNotify = 17;
/** X.h error codes `BadWindow` and `BadDrawable`. */
const BadWindow = 3;
const BadDrawable = 9;

const X11_SYMBOLS = {
  // int XSync(Display *display, Bool discard)
  XSync: { parameters: ["pointer", "i32"], result: "i32" },
  // XErrorHandler XSetErrorHandler(XErrorHandler handler)
  XSetErrorHandler: { parameters: ["function"], result: "pointer" },
  // XIOErrorHandler XSetIOErrorHandler(XIOErrorHandler handler)
  XSetIOErrorHandler: { parameters: ["function"], result: "pointer" },
  // void XSetIOErrorExitHandler(Display *, XIOErrorExitHandler, void *), libX11 >= 1.7
  XSetIOErrorExitHandler: {
    parameters: ["pointer", "function", "pointer"],
    result: "void",
    optional: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** Why the window is gone, when the X server took it away. */
export const WINDOW_DESTROYED = "the window was destroyed through the X server";
/** Why the window is gone, when the X server closed its connection. */
export const X_CONNECTION_LOST = "the X server closed the window's connection";

/** Watches an SDL window on X11 for being destroyed or cut off by the X server. */
export class X11Watch {
  readonly #x11: Deno.DynamicLibrary<typeof X11_SYMBOLS>;
  readonly #window: bigint;
  readonly #display: Deno.PointerValue;
  readonly #callbacks: { close(): void }[] = [];
  #lost: string | null = null;

  private constructor(
    x11: Deno.DynamicLibrary<typeof X11_SYMBOLS>,
    display: Deno.PointerValue,
    window: bigint,
  ) {
    this.#x11 = x11;
    this.#display = display;
    this.#window = window;
  }

  /**
   * Start watching `window`, if SDL drives it through X11.
   *
   * @param sdl the loaded SDL, with video initialised
   * @param window the `SDL_Window *`
   * @returns the watch, or null when the video driver is not X11 or the
   *   handlers cannot be installed (Xlib then keeps its defaults)
   */
  static open(sdl: Sdl2, window: Deno.PointerObject): X11Watch | null {
    const s = sdl.symbols;
    if (readCString(s.SDL_GetCurrentVideoDriver()) !== "x11") return null;
    const info = new Uint8Array(SYSWM_INFO.size);
    info.set(sdlVersion(sdl));
    const view = new DataView(info.buffer);
    if (s.SDL_GetWindowWMInfo(window, info) === 0) return null;
    if (view.getInt32(SYSWM_INFO.subsystem, true) !== SDL_SYSWM_X11) return null;
    const display = Deno.UnsafePointer.create(view.getBigUint64(SYSWM_INFO.x11Display, true));
    let x11: Deno.DynamicLibrary<typeof X11_SYMBOLS>;
    try {
      x11 = Deno.dlopen("libX11.so.6", X11_SYMBOLS); // the copy SDL already loaded
    } catch {
      return null;
    }
    const watch = new X11Watch(x11, display, view.getBigUint64(SYSWM_INFO.x11Window, true));
    watch.#install();
    s.SDL_EventState(SDL_SYSWMEVENT, SDL_ENABLE);
    return watch;
  }

  #install(): void {
    const x = this.#x11.symbols;
    const onError = new Deno.UnsafeCallback(
      { parameters: ["pointer", "pointer"], result: "i32" } as const,
      (_display, event) => {
        if (event === null) return 0;
        const view = new Deno.UnsafePointerView(event);
        const code = view.getUint8(X_ERROR_EVENT.error_code);
        const resource = view.getBigUint64(X_ERROR_EVENT.resourceid);
        if ((code === BadWindow || code === BadDrawable) && resource === this.#window) {
          this.#lost ??= WINDOW_DESTROYED;
        }
        return 0; // handled: Xlib goes on instead of exiting
      },
    );
    const onIoError = new Deno.UnsafeCallback(
      { parameters: ["pointer"], result: "i32" } as const,
      () => {
        this.#lost ??= X_CONNECTION_LOST;
        return 0;
      },
    );
    const onIoExit = new Deno.UnsafeCallback(
      { parameters: ["pointer", "pointer"], result: "void" } as const,
      () => {
        this.#lost ??= X_CONNECTION_LOST; // returning, instead of exit(1), leaves the display dead
      },
    );
    this.#callbacks.push(onError, onIoError, onIoExit);
    x.XSetErrorHandler(onError.pointer);
    x.XSetIOErrorHandler(onIoError.pointer);
    x.XSetIOErrorExitHandler?.(this.#display, onIoExit.pointer, null);
  }

  /**
   * Whether the X connection is gone. Then any SDL call that waits for an X
   * event (`SDL_DestroyWindow` waits for UnmapNotify) would spin forever, so
   * SDL's video must not be shut down.
   */
  get connectionLost(): boolean {
    return this.#lost === X_CONNECTION_LOST;
  }

  /** Why the window is gone, or null while it is there. */
  get lost(): string | null {
    return this.#lost;
  }

  /**
   * Look at an `SDL_SYSWMEVENT`'s message for our window's `DestroyNotify`.
   *
   * @param msg the event's `SDL_SysWMmsg *`
   */
  inspect(msg: bigint): void {
    const pointer = Deno.UnsafePointer.create(msg);
    if (pointer === null) return;
    const view = new Deno.UnsafePointerView(pointer);
    if (view.getInt32(SYSWM_MSG.subsystem) !== SDL_SYSWM_X11) return;
    const type = view.getInt32(SYSWM_MSG.event + X_DESTROY_WINDOW_EVENT.type);
    const window = view.getBigUint64(SYSWM_MSG.event + X_DESTROY_WINDOW_EVENT.window);
    if (type === DestroyNotify && window === this.#window) this.#lost ??= WINDOW_DESTROYED;
  }

  /**
   * Wait until the X server has answered every request so far (XSync), so
   * that their errors reach our handler. Call it after `SDL_DestroyWindow`:
   * `SDL_Quit` puts Xlib's default handler back before it closes the display,
   * and an error that arrived only then would end the process.
   */
  sync(): void {
    if (!this.connectionLost) this.#x11.symbols.XSync(this.#display, 0);
  }

  /** Put Xlib's default handlers back and free ours; call after `SDL_Quit`. */
  close(): void {
    const x = this.#x11.symbols;
    x.XSetErrorHandler(null);
    x.XSetIOErrorHandler(null);
    for (const callback of this.#callbacks) callback.close();
    this.#callbacks.length = 0;
    this.#x11.close();
  }
}
