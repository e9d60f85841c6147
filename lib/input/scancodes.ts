/**
 * From an SDL key name to the SDL scancode name of the same key, for replay
 * lines that give only `key`: on a US layout SDL names most keys and their
 * physical keys alike (`Up`, `A`, `Left Shift`, `Space`, `Keypad 1`).
 *
 * @module
 */

import { SDL_SCANCODE_NAMES } from "./scancode_names.ts";

const BY_LOWER_NAME: ReadonlyMap<string, string> = new Map(
  SDL_SCANCODE_NAMES.map(([, name]) => [name.toLowerCase(), name]),
);

/**
 * SDL's scancode name for the key SDL calls `key`, matched without regard to
 * case as `SDL_GetScancodeFromName` does, or null when no scancode has that
 * name (a key only another layout has, such as `Ä`).
 *
 * @param key an SDL key name, for example `"Up"` or `"a"`
 * @returns the scancode name as SDL spells it, for example `"A"`
 *
 * @example Usage
 * ```ts
 * import { scancodeForKey } from "./scancodes.ts";
 * if (scancodeForKey("left shift") !== "Left Shift") throw new Error("Left Shift");
 * if (scancodeForKey("Ä") !== null) throw new Error("no scancode is named Ä");
 * ```
 */
export function scancodeForKey(key: string): string | null {
  return BY_LOWER_NAME.get(key.toLowerCase()) ?? null;
}
