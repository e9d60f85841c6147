/**
 * Writes `lib/input/scancode_names.ts` from the SDL2 on this machine: every
 * name `SDL_GetScancodeName` returns for the scancodes 0 … SDL_NUM_SCANCODES
 * (512, SDL_scancode.h). SDL is asked rather than its names restated.
 *
 * Usage: `deno run --allow-ffi --allow-env --allow-read --allow-write tools/gen_scancode_names.ts`
 *
 * @module
 */

import { loadSdl2, readCString, sdlVersion } from "../lib/sdl2/library.ts";

/** SDL_NUM_SCANCODES in SDL_scancode.h. */
const SDL_NUM_SCANCODES = 512;

const sdl = loadSdl2();
const names: [number, string][] = [];
for (let code = 0; code < SDL_NUM_SCANCODES; code++) {
  const name = readCString(sdl.symbols.SDL_GetScancodeName(code));
  if (name !== "") names.push([code, name]);
}
const version = sdlVersion(sdl).join(".");
sdl.close();
const body = names.map(([code, name]) => `  [${code}, ${JSON.stringify(name)}],`).join("\n");
const text = `/**
 * SDL's scancode names: what \`SDL_GetScancodeName\` returns for each
 * \`SDL_Scancode\` (SDL_scancode.h), asked from SDL ${version} by
 * \`tools/gen_scancode_names.ts\`. Generated: do not edit by hand.
 *
 * @module
 */

/** Every named \`SDL_Scancode\` as [value, SDL_GetScancodeName]. */
export const SDL_SCANCODE_NAMES: readonly (readonly [number, string])[] = [
${body}
];
`;
const path = new URL("../lib/input/scancode_names.ts", import.meta.url);
await Deno.writeTextFile(path, text);
console.log(`wrote ${names.length} names from SDL ${version} to ${path.pathname}`);
