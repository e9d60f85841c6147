// Real X11 keyboard input through SDL2: Xvfb provides a display, xdotool types
// into the padlink window. Needs xvfb and xdotool (`sh tools/ensure_deps.sh`).
import assert from "node:assert/strict";
import type { InputEvent } from "../lib/input/model.ts";
import { SdlInput } from "../lib/sdl2/source.ts";
import { closeWindow, findWindow, retry, run, WAIT_MS, withXvfb } from "./_xvfb.ts";
import { withDeadline } from "../lib/net/deadline.ts";

Deno.test("SdlInput window forwards X key presses with key and scancode names, no repeats", async () => {
  await withXvfb(async (display) => {
    await using input = await SdlInput.open({ window: true, title: "padlink keyboard test" });
    const events: InputEvent[] = [];
    input.onInput = (batch) => events.push(...batch);

    const window = await findWindow(display, "padlink");
    // windowactivate needs a window manager (_NET_ACTIVE_WINDOW); bare Xvfb has
    // none, so fall back to giving the window the input focus directly.
    await run("xdotool", ["windowactivate", "--sync", window], display.env)
      .catch(() => run("xdotool", ["windowfocus", "--sync", window], display.env));
    await run("xdotool", ["key", "--window", window, "Up", "a"], display.env);
    // Hold B past the X server's auto-repeat delay (660 ms by default).
    await run("xdotool", ["keydown", "--window", window, "b"], display.env);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await run("xdotool", ["keyup", "--window", window, "b"], display.env);

    const keys = () => events.filter((e) => e.type === "key");
    await retry("six key events", () => Promise.resolve(keys().length >= 6 ? true : undefined))
      .catch((error) => {
        throw new Error(`${error.message}; got ${JSON.stringify(events)}`);
      });
    // Any OS key repeat or duplicate would show up here.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(keys(), [
      { type: "key", key: "Up", scancode: "Up", pressed: true },
      { type: "key", key: "Up", scancode: "Up", pressed: false },
      { type: "key", key: "A", scancode: "A", pressed: true },
      { type: "key", key: "A", scancode: "A", pressed: false },
      { type: "key", key: "B", scancode: "B", pressed: true },
      { type: "key", key: "B", scancode: "B", pressed: false },
    ]);
  });
});

Deno.test("SdlInput window shows setTitle and reports its closing through onQuit", async () => {
  await withXvfb(async (display) => {
    await using input = await SdlInput.open({ window: true });
    const window = await findWindow(display, "padlink");
    input.setTitle("padlink — connected to example:7000");
    assert.equal(await findWindow(display, "connected to example:7000"), window);

    const quit = new Promise<void>((resolve) => input.onQuit = () => resolve());
    closeWindow(display, window);
    await withDeadline(quit, WAIT_MS, () => {
      throw new Error("onQuit was not called");
    });
  });
});
