/**
 * Framed connections over `Deno.Conn`: buffered reads, bounded writes,
 * backpressure and disconnect detection.
 *
 * @module
 */

export * from "./connection.ts";
