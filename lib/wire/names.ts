/**
 * Rules both ends share about addressing a server: its default port and
 * what a client name may hold.
 *
 * @module
 */

import { MAX_NAME_BYTES } from "./protocol.ts";
import { hasUnsafeCharacter } from "./safe_text.ts";

/** The port padlink-server listens on unless told otherwise. */
export const DEFAULT_PORT = 7175;

/**
 * What a person does not see: white space, and the code points Unicode says
 * are ignored when shown (zero-width spaces and joiners, U+FEFF, soft hyphen,
 * the Hangul fillers and the like).
 */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/gu;

/**
 * The form a client name is compared and shown in: Unicode NFC (so the
 * same name typed on two systems is one name), without surrounding white
 * space.
 *
 * @example Usage
 * ```ts
 * import { normalizeClientName } from "./names.ts";
 * // "e" followed by a combining acute accent becomes the one character "é".
 * if (normalizeClientName(" Rene\u0301 ") !== "Ren\u00e9") throw new Error();
 * ```
 */
export function normalizeClientName(name: string): string {
  return name.normalize("NFC").trim();
}

/**
 * Check a client name (after {@linkcode normalizeClientName}).
 *
 * @returns why the name is refused, or null when it may be used. A name is
 * refused when it is empty or invisible (nothing is left once white space,
 * zero-width and other ignorable characters are removed), longer than
 * {@linkcode MAX_NAME_BYTES} bytes of UTF-8, or holds a control character,
 * a bidi control, a line separator or `#`.
 *
 * @example Usage
 * ```ts
 * import { validateClientName } from "./names.ts";
 * if (validateClientName("alice") !== null) throw new Error();
 * if (validateClientName("\u200b\u200b") === null) throw new Error("invisible");
 * ```
 */
export function validateClientName(name: string): string | null {
  const normalized = normalizeClientName(name);
  if (normalized === "") return "the name is empty";
  if (new TextEncoder().encode(normalized).length > MAX_NAME_BYTES) {
    return `the name is longer than ${MAX_NAME_BYTES} bytes`;
  }
  // Controls, bidi controls and line separators would show as escapes
  // (safe_text.ts); '#' is how the server tells apart two clients of one name.
  if (hasUnsafeCharacter(normalized) || normalized.includes("#")) {
    return "the name holds a control character, a bidi control, a line separator or '#'";
  }
  if (normalized.replace(INVISIBLE, "") === "") {
    return "the name is invisible: it holds only white space or zero-width characters";
  }
  return null;
}
