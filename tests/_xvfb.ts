/**
 * Xvfb and xdotool helpers for keyboard tests: a private X display, window
 * lookup, focus, and a WM-style close request.
 *
 * @module
 */

const DEPS_HINT = "run `sh tools/ensure_deps.sh` to install xvfb and xdotool";
/** How long helpers wait for X to catch up, in ms. */
export const WAIT_MS = 5000;

/** Run a command to completion; throws with its stderr when it fails. */
export async function run(command: string, args: string[], env?: Record<string, string>) {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, { args, env, stdin: "null" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${command} is missing: ${DEPS_HINT}`);
    }
    throw error;
  }
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`${command} ${args.join(" ")} failed (${output.code}): ${stderr || stdout}`);
  }
  return stdout;
}

/** Retry `attempt` every 50 ms until it returns a value, for up to WAIT_MS. */
export async function retry<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** An X display served by Xvfb, with SDL pointed at it for the duration. */
export interface XDisplay {
  /** For example ":97". */
  name: string;
  /** Environment for X clients (xdotool). */
  env: Record<string, string>;
}

/**
 * Start Xvfb on a display it picks itself (`-displayfd`, so two test runs
 * never race for one number), point SDL at it (no dummy driver), run `body`,
 * then restore the environment and stop Xvfb.
 */
export async function withXvfb(body: (display: XDisplay) => Promise<void>): Promise<void> {
  await run("xdotool", ["--version"]); // fails early, with DEPS_HINT, if it is missing
  let xvfb: Deno.ChildProcess;
  try {
    xvfb = new Deno.Command("Xvfb", {
      args: ["-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`Xvfb is missing: ${DEPS_HINT}`);
    throw error;
  }
  const stderr = new Response(xvfb.stderr).text();
  const stdout = xvfb.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const saved = {
    DISPLAY: Deno.env.get("DISPLAY"),
    SDL_VIDEODRIVER: Deno.env.get("SDL_VIDEODRIVER"),
  };
  try {
    // Xvfb writes its display number and a newline once it accepts clients.
    let announced = "";
    while (!announced.includes("\n")) {
      const { value, done } = await stdout.read();
      if (done) throw new Error(`Xvfb exited before it was ready: ${await stderr}`);
      announced += value;
    }
    const name = `:${announced.trim()}`;
    const env = { DISPLAY: name };
    await run("xdotool", ["getdisplaygeometry"], env);
    Deno.env.set("DISPLAY", name);
    Deno.env.delete("SDL_VIDEODRIVER"); // the real X11 driver, not dummy
    await body({ name, env });
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) Deno.env.delete(key);
      else Deno.env.set(key, value);
    }
    xvfb.kill("SIGTERM");
    await stdout.cancel();
    await xvfb.status;
    await stderr;
  }
}

/** The id of the first window whose title contains `title`. */
export function findWindow(display: XDisplay, title: string): Promise<string> {
  return retry(`a window titled "${title}"`, async () => {
    const found = await run("xdotool", ["search", "--name", title], display.env).catch(() => "");
    return found.split("\n")[0] || undefined;
  });
}

/**
 * Ask a window to close the way a window manager does: a WM_PROTOCOLS
 * client message carrying WM_DELETE_WINDOW (libX11 through FFI, since this
 * xdotool has no windowclose and Xvfb runs no window manager).
 */
export function closeWindow(display: XDisplay, window: string): void {
  const text = (value: string) => new TextEncoder().encode(`${value}\0`);
  withX11(display, (x11, dpy) => {
    // XClientMessageEvent (Xlib.h) in a 192-byte XEvent, 64-bit layout.
    const event = new Uint8Array(192);
    const view = new DataView(event.buffer);
    const id = BigInt(window);
    view.setInt32(0, 33, true); // type = ClientMessage
    view.setInt32(16, 1, true); // send_event
    view.setBigUint64(32, id, true); // window
    view.setBigUint64(40, x11.XInternAtom(dpy, text("WM_PROTOCOLS"), 0), true);
    view.setInt32(48, 32, true); // format: data.l
    view.setBigUint64(56, x11.XInternAtom(dpy, text("WM_DELETE_WINDOW"), 0), true);
    if (x11.XSendEvent(dpy, id, 0, 0n, event) === 0) throw new Error("XSendEvent failed");
    x11.XFlush(dpy);
  });
}

/** The libX11 functions the helpers below call (Xlib.h). */
const X11_TEST_SYMBOLS = {
  XOpenDisplay: { parameters: ["buffer"], result: "pointer" },
  XCloseDisplay: { parameters: ["pointer"], result: "i32" },
  XFlush: { parameters: ["pointer"], result: "i32" },
  XSync: { parameters: ["pointer", "i32"], result: "i32" },
  XDestroyWindow: { parameters: ["pointer", "u64"], result: "i32" },
  XInternAtom: { parameters: ["pointer", "buffer", "i32"], result: "u64" },
  XSendEvent: { parameters: ["pointer", "u64", "i32", "i64", "buffer"], result: "i32" },
  // XImage *XGetImage(Display *, Drawable, int x, int y, unsigned w, unsigned h, unsigned long plane_mask, int format)
  XGetImage: {
    parameters: ["pointer", "u64", "i32", "i32", "u32", "u32", "u64", "i32"],
    result: "pointer",
  },
  XGetPixel: { parameters: ["pointer", "i32", "i32"], result: "u64" },
  XDestroyImage: { parameters: ["pointer"], result: "i32" },
} as const;

/** Open `display` with libX11 for the length of `body`. */
function withX11<T>(
  display: XDisplay,
  body: (
    x11: Deno.DynamicLibrary<typeof X11_TEST_SYMBOLS>["symbols"],
    dpy: Deno.PointerObject,
  ) => T,
): T {
  const x11 = Deno.dlopen("libX11.so.6", X11_TEST_SYMBOLS);
  try {
    const dpy = x11.symbols.XOpenDisplay(new TextEncoder().encode(`${display.name}\0`));
    if (dpy === null) throw new Error(`XOpenDisplay(${display.name}) failed`);
    try {
      return body(x11.symbols, dpy);
    } finally {
      x11.symbols.XCloseDisplay(dpy);
    }
  } finally {
    x11.close();
  }
}

/**
 * The colour the X server holds for one pixel of a window (XGetImage), as
 * [r, g, b]: what the user sees there, with no window manager in between.
 */
export function windowPixel(
  display: XDisplay,
  window: string,
  x: number,
  y: number,
): [number, number, number] {
  return withX11(display, (x11, dpy) => {
    // X.h: ZPixmap = 2; AllPlanes = ~0.
    const image = x11.XGetImage(dpy, BigInt(window), x, y, 1, 1, 0xffffffffffffffffn, 2);
    if (image === null) throw new Error(`XGetImage of window ${window} at ${x},${y} failed`);
    try {
      // Xvfb's 24-bit TrueColor visual: 0xRRGGBB.
      const pixel = Number(x11.XGetPixel(image, 0, 0));
      return [(pixel >> 16) & 0xff, (pixel >> 8) & 0xff, pixel & 0xff];
    } finally {
      x11.XDestroyImage(image);
    }
  });
}

/**
 * Destroy a window from another X client (XDestroyWindow), as `xdotool
 * windowclose` does: its owner then gets DestroyNotify, and BadWindow for
 * anything it still does with it.
 */
export function destroyWindow(display: XDisplay, window: string): void {
  withX11(display, (x11, dpy) => {
    x11.XDestroyWindow(dpy, BigInt(window));
    x11.XSync(dpy, 0);
  });
}
