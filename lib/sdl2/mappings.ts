/**
 * A check of a `gamecontrollerdb.txt` file before SDL reads it. SDL skips
 * lines it cannot parse without a word, so a wrong file (a directory listing,
 * a JSON file, a binary) would load "fine" and map nothing.
 *
 * @module
 */

/**
 * One mapping line as SDL_gamecontroller.c parses it: a GUID (32 hex digits,
 * or `xinput`), a name, then `field:value` pairs, separated by commas.
 */
const MAPPING_LINE = /^(?:[0-9a-fA-F]{32}|xinput),[^,]*,(?:[^,:]+:[^,]*,?)*$/;

/**
 * Find what is wrong with the text of a mappings file, if anything. Blank
 * lines and `#` comments are allowed; every other line must be a mapping, and
 * there must be at least one.
 *
 * @param text the file's contents
 * @returns null when the file is usable, else a phrase saying why not
 *
 * @example Usage
 * ```ts
 * import { mappingsProblem } from "./mappings.ts";
 * const line = "030000005e0400008e02000014010000,X360 Controller,a:b0,b:b1,platform:Linux,";
 * if (mappingsProblem(`# db\n${line}\n`) !== null) throw new Error("a good file");
 * if (mappingsProblem("hello") === null) throw new Error("garbage");
 * ```
 */
export function mappingsProblem(text: string): string | null {
  let mappings = 0;
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (!MAPPING_LINE.test(line)) {
      return `line ${index + 1} is not an SDL controller mapping ` +
        "(expected 'GUID,name,a:b0,…' as in gamecontrollerdb.txt)";
    }
    mappings++;
  }
  if (mappings === 0) {
    return "it holds no SDL controller mappings (expected lines 'GUID,name,a:b0,…' as in gamecontrollerdb.txt)";
  }
  return null;
}
