/**
 * Make a string that came from a peer safe to show a person: in a terminal,
 * a log file or a page. A peer controls pad names, key names, GOODBYE and
 * REFUSE reasons; printed raw, they could forge output lines, clear the
 * screen, set the terminal title or the clipboard (OSC 52), or reorder what
 * the reader sees.
 *
 * @module
 */

/**
 * Characters never shown as themselves:
 * - C0 controls U+0000–U+001F (ESC starts every terminal escape; CR and LF
 *   forge lines), DEL U+007F and C1 controls U+0080–U+009F (U+009B is a
 *   one-byte CSI, U+009D a one-byte OSC);
 * - the bidi embeddings, overrides and isolates U+202A–U+202E and
 *   U+2066–U+2069, and the marks U+200E, U+200F and U+061C (Unicode UAX #9),
 *   which reorder the text around them;
 * - the line and paragraph separators U+2028 and U+2029.
 */
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same class without the global flag, whose `test` keeps no state between calls. */
const UNSAFE_ONE = new RegExp(UNSAFE.source);

/** The visible escape for one unsafe character: `\x1b` up to U+00FF, `\u202e` above. */
function visibleEscape(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Replace every control character (C0, DEL, C1), bidi control and line or
 * paragraph separator in `text` with a visible escape such as `\x1b` or
 * `\u202e`. Everything else, including other non-ASCII text, is kept.
 *
 * @param text a string a peer sent, or a line that may hold one.
 * @returns the same text with nothing a terminal would act on.
 *
 * @example Usage
 * ```ts
 * import { safeText } from "./safe_text.ts";
 * const shown = safeText("pad\x1b]52;c;aGk=\x07\nbob pad0 A pressed");
 * if (shown !== "pad\\x1b]52;c;aGk=\\x07\\x0abob pad0 A pressed") throw new Error(shown);
 * ```
 */
export function safeText(text: string): string {
  return text.replace(UNSAFE, visibleEscape);
}

/**
 * Whether `text` holds a character that {@linkcode safeText} would escape.
 *
 * @example Usage
 * ```ts
 * import { hasUnsafeCharacter } from "./safe_text.ts";
 * if (!hasUnsafeCharacter("a\u202eb") || hasUnsafeCharacter("Ärger")) throw new Error();
 * ```
 */
export function hasUnsafeCharacter(text: string): boolean {
  return UNSAFE_ONE.test(text);
}

/**
 * `text` as a JSON string literal in which every character
 * {@linkcode safeText} escapes is a `\uXXXX` escape. `JSON.stringify` alone
 * leaves DEL, the C1 controls (U+009B is a one-byte CSI), the bidi controls
 * and U+2028 and U+2029 raw; some readers take the last two for line breaks
 * (JavaScript before ES2019, many log viewers). The literal still parses
 * back to exactly `text`.
 *
 * @example Usage
 * ```ts
 * import { jsonString } from "./safe_text.ts";
 * if (jsonString("a\u2028b") !== '"a\\u2028b"') throw new Error(jsonString("a\u2028b"));
 * if (JSON.parse(jsonString("a\u2028b")) !== "a\u2028b") throw new Error();
 * ```
 */
export function jsonString(text: string): string {
  return jsonText(text);
}

/**
 * `value` as JSON text (`JSON.stringify`) in which every character
 * {@linkcode safeText} escapes, in any string inside it, is a `\uXXXX`
 * escape, as {@linkcode jsonString} does for one string. For records that
 * may carry a peer's words, such as an error a NATS server sent. `value`
 * must be something `JSON.stringify` turns into text (not `undefined`).
 *
 * @example Usage
 * ```ts
 * import { jsonText } from "./safe_text.ts";
 * const text = jsonText({ error: "x\u009b2J" });
 * if (text !== '{"error":"x\\u009b2J"}') throw new Error(text);
 * ```
 */
export function jsonText(value: unknown): string {
  // Outside strings JSON text is ASCII punctuation, digits and letters, so
  // every unsafe character found is inside a string, where \uXXXX is valid.
  return JSON.stringify(value).replace(
    UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
