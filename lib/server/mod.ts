/**
 * The server side: {@linkcode PadlinkServer} accepts clients, runs each
 * session and reports every event in order.
 *
 * @module
 */

export * from "./server.ts";
