/**
 * Where server events go: human text lines and JSON lines (`format.ts`),
 * the DSU server for emulators (`dsu/`) and the live web view (`web/`).
 *
 * @module
 */

export * from "./format.ts";
export * from "./dsu/mod.ts";
export * from "./web/mod.ts";
