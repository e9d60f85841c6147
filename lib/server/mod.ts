/**
 * The server side: {@linkcode PadlinkServer} accepts clients, runs each
 * session and reports every event in order to its outputs
 * (`output.ts`, the seam) and listeners. `events.ts` holds the event types
 * that every output receives.
 *
 * @module
 */

export * from "./events.ts";
export * from "./output.ts";
export * from "./server.ts";
