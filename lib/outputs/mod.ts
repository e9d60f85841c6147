/**
 * Where server events go: human text lines and JSON lines now.
 *
 * @module
 */

export * from "./format.ts";
