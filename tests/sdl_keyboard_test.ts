// Real X11 keyboard input through SDL2: Xvfb provides a display, xdotool types
// into the padlink window. Needs xvfb and xdotool (`sh tools/ensure_deps.sh`).
import assert from "node:assert/strict";
import type { InputEvent } from "../lib/input.ts";
import { SdlInput } from "../lib/sdl2/source.ts";

const DEPS_HINT = "run `sh tools/ensure_deps.sh` to install xvfb and xdotool";
const WAIT_MS = 5000;

/** Run a command to completion; throws with its stderr when it fails. */
async function run(command: string, args: string[], env?: Record<string, string>) {
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

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** The first X display number from 97 with neither a lock file nor a socket. */
async function freeDisplay(): Promise<number> {
  for (let display = 97; display < 200; display++) {
    if (
      !await exists(`/tmp/.X${display}-lock`) && !await exists(`/tmp/.X11-unix/X${display}`)
    ) return display;
  }
  throw new Error("No free X display number between :97 and :199");
}

/** Retry `attempt` every 50 ms until it returns a value, for up to WAIT_MS. */
async function retry<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
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

Deno.test("SdlInput window forwards X key presses with key and scancode names, no repeats", async () => {
  await run("xdotool", ["--version"]); // fails early, with DEPS_HINT, if it is missing
  const display = await freeDisplay();
  let xvfb: Deno.ChildProcess;
  try {
    xvfb = new Deno.Command("Xvfb", {
      args: [`:${display}`, "-screen", "0", "640x480x24", "-nolisten", "tcp"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`Xvfb is missing: ${DEPS_HINT}`);
    throw error;
  }
  const saved = {
    DISPLAY: Deno.env.get("DISPLAY"),
    SDL_VIDEODRIVER: Deno.env.get("SDL_VIDEODRIVER"),
  };
  const xenv = { DISPLAY: `:${display}` };
  try {
    await retry(`Xvfb on :${display}`, () => run("xdotool", ["getdisplaygeometry"], xenv));
    Deno.env.set("DISPLAY", `:${display}`);
    Deno.env.delete("SDL_VIDEODRIVER"); // the real X11 driver, not dummy

    await using input = await SdlInput.open({ window: true, title: "padlink keyboard test" });
    const events: InputEvent[] = [];
    input.onInput = (batch) => events.push(...batch);

    const window = await retry("the padlink window", async () => {
      const found = await run("xdotool", ["search", "--name", "padlink"], xenv).catch(() => "");
      return found.split("\n")[0] || undefined;
    });
    // windowactivate needs a window manager (_NET_ACTIVE_WINDOW); bare Xvfb has
    // none, so fall back to giving the window the input focus directly.
    await run("xdotool", ["windowactivate", "--sync", window], xenv)
      .catch(() => run("xdotool", ["windowfocus", "--sync", window], xenv));
    await run("xdotool", ["key", "--window", window, "Up", "a"], xenv);
    // Hold B past the X server's auto-repeat delay (660 ms by default).
    await run("xdotool", ["keydown", "--window", window, "b"], xenv);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await run("xdotool", ["keyup", "--window", window, "b"], xenv);

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
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    xvfb.kill("SIGTERM");
    await xvfb.output();
  }
});
