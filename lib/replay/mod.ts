/**
 * Replay files: parsing and playing them (`replay.ts`) and recording a
 * live session into one (`recorder.ts`).
 *
 * @module
 */

export * from "./recorder.ts";
export * from "./replay.ts";
