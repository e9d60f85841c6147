/**
 * Rules both ends share about addressing a server: its default port and
 * what a client name may hold.
 *
 * @module
 */

import { MAX_NAME_BYTES } from "./protocol.ts";

/** The port padlink-server listens on unless told otherwise. */
export const DEFAULT_PORT = 7175;

/** Reject a name that is empty, too long, or holds control characters. */
export function validateClientName(name: string): string | null {
  if (name.trim() === "") return "the name is empty";
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) {
    return `the name is longer than ${MAX_NAME_BYTES} bytes`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f#]/.test(name)) return "the name holds a control character or '#'";
  return null;
}
