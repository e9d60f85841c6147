/**
 * Byte helpers shared by the codecs.
 *
 * @module
 */

/**
 * Join byte arrays into one new array.
 *
 * @example Usage
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * const joined = concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]);
 * if (joined.join() !== "1,2,3") throw new Error("joined in order");
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Bytes as lower-case hex, two digits each, with `separator` between bytes.
 *
 * @example Usage
 * ```ts
 * import { toHex } from "./bytes.ts";
 * if (toHex(new Uint8Array([0xab, 1])) !== "ab01") throw new Error();
 * if (toHex(new Uint8Array([0xab, 1]), ":") !== "ab:01") throw new Error();
 * ```
 */
export function toHex(bytes: Uint8Array, separator = ""): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(separator);
}

/**
 * Bytes as standard base64 (with padding).
 *
 * @example Usage
 * ```ts
 * import { toBase64 } from "./bytes.ts";
 * if (toBase64(new Uint8Array([1])) !== "AQ==") throw new Error();
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Standard base64 back to bytes.
 *
 * @throws {DOMException} (`InvalidCharacterError`) when `text` is not base64.
 *
 * @example Usage
 * ```ts
 * import { fromBase64 } from "./bytes.ts";
 * if (fromBase64("AQI=").join() !== "1,2") throw new Error();
 * ```
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
