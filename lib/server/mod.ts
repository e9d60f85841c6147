/**
 * The server side: {@linkcode PadlinkServer} accepts clients, runs each
 * session (`session.ts`, which sees the server only through a small host
 * interface; its JOIN is judged by the pure functions of `join.ts`; names
 * come from `name_registry.ts`) and reports every event in order to its
 * outputs (`output.ts`, the seam) and listeners (`listeners.ts`).
 * `events.ts` holds the event types that every output receives;
 * `feedback.ts` checks feedback commands and encodes them for the wire;
 * `telemetry.ts` measures the clock offset, round trip and latencies per client.
 *
 * @module
 */

export * from "./events.ts";
export * from "./feedback.ts";
export * from "./output.ts";
export * from "./server.ts";
export * from "./telemetry.ts";
