/**
 * The client side: one connection to a server ({@linkcode PadlinkConnection})
 * and the forwarder that keeps one up and in sync ({@linkcode Forwarder}).
 *
 * @module
 */

export * from "./client.ts";
export * from "./forwarder.ts";
