/**
 * Where server events go: human text lines and JSON lines (`format.ts`),
 * and the DSU server for emulators (`dsu/`).
 *
 * @module
 */

export * from "./format.ts";
export * from "./dsu/mod.ts";
