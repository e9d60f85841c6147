import assert from "node:assert/strict";
import { SDL_SCANCODE_NAMES } from "../input/scancode_names.ts";
import {
  cString,
  loadSdl2,
  readCString,
  SDL2_ENV,
  sdl2Candidates,
  sdl2InstallHint,
  Sdl2NotFoundError,
  sdlVersion,
} from "./library.ts";

Deno.test("sdl2Candidates lists each platform's library names in order", () => {
  const saved = Deno.env.get(SDL2_ENV);
  Deno.env.delete(SDL2_ENV);
  try {
    assert.deepEqual(sdl2Candidates({ os: "linux" }), ["libSDL2-2.0.so.0", "libSDL2.so"]);
    assert.deepEqual(sdl2Candidates({ os: "darwin" }), [
      "libSDL2-2.0.0.dylib",
      "/opt/homebrew/lib/libSDL2-2.0.0.dylib",
      "/usr/local/lib/libSDL2-2.0.0.dylib",
    ]);
    const windows = sdl2Candidates({ os: "windows" });
    assert.equal(windows.at(-1), "SDL2.dll");
    assert.ok(windows[0]!.endsWith("SDL2.dll"));
  } finally {
    if (saved !== undefined) Deno.env.set(SDL2_ENV, saved);
  }
});

Deno.test("sdl2Candidates lets PADLINK_SDL2, then an explicit path, replace the search", () => {
  const saved = Deno.env.get(SDL2_ENV);
  Deno.env.set(SDL2_ENV, "/env/libSDL2.so");
  try {
    assert.deepEqual(sdl2Candidates({ os: "linux" }), ["/env/libSDL2.so"]);
    assert.deepEqual(sdl2Candidates({ os: "linux", path: "/x.so" }), ["/x.so"]);
  } finally {
    if (saved === undefined) Deno.env.delete(SDL2_ENV);
    else Deno.env.set(SDL2_ENV, saved);
  }
});

Deno.test("loadSdl2 throws a one-line Sdl2NotFoundError naming the fix", () => {
  assert.throws(
    () => loadSdl2({ path: "/nonexistent/libSDL2-2.0.so.0", os: "linux" }),
    (error: unknown) => {
      assert.ok(error instanceof Sdl2NotFoundError);
      assert.equal(error.name, "Sdl2NotFoundError");
      assert.ok(!error.message.includes("\n"), error.message);
      assert.match(error.message, /apt-get install libsdl2-2\.0-0/);
      assert.match(error.message, /PADLINK_SDL2/);
      assert.equal(error.attempts.length, 1);
      assert.match(error.attempts[0]!, /^\/nonexistent\/libSDL2-2\.0\.so\.0: /);
      return true;
    },
  );
});

Deno.test("sdl2InstallHint names each platform's way to install SDL2", () => {
  assert.match(sdl2InstallHint("darwin"), /brew install sdl2/);
  assert.match(sdl2InstallHint("windows"), /SDL2\.dll next to padlink-client\.exe/);
  for (const os of ["linux", "darwin", "windows"] as const) {
    assert.match(sdl2InstallHint(os), /PADLINK_SDL2/);
  }
});

Deno.test("loadSdl2 loads this machine's SDL2 (2.24 or later for virtual controllers)", () => {
  // Fails with Sdl2NotFoundError's install advice when SDL2 is missing.
  const sdl = loadSdl2();
  try {
    const [major, minor] = sdlVersion(sdl);
    assert.equal(major, 2);
    assert.ok(minor >= 24, `SDL 2.${minor} has no SDL_JoystickAttachVirtualEx`);
    assert.notEqual(sdl.symbols.SDL_JoystickAttachVirtualEx, null);
  } finally {
    sdl.close();
  }
});

Deno.test("SDL_SCANCODE_NAMES is what this machine's SDL2 says, both ways", () => {
  const sdl = loadSdl2();
  try {
    const named = new Map<number, string>();
    for (let code = 0; code < 512; code++) {
      const name = readCString(sdl.symbols.SDL_GetScancodeName(code));
      if (name !== "") named.set(code, name);
    }
    assert.deepEqual(new Map(SDL_SCANCODE_NAMES), named);
    for (const [, name] of SDL_SCANCODE_NAMES) {
      // SDL maps a name back to its first scancode ("Return" is 40 and 158).
      const back = sdl.symbols.SDL_GetScancodeFromName(cString(name));
      assert.equal(readCString(sdl.symbols.SDL_GetScancodeName(back)), name);
    }
  } finally {
    sdl.close();
  }
});
