/**
 * Transport: framed connections over `Deno.Conn` (buffered reads, bounded
 * writes, backpressure, disconnect detection), the liveness ticker, clock
 * sync (offset and round trip, NTP-style), the accept loop, deadlines, and
 * closing quietly.
 *
 * @module
 */

export * from "./abuse_delay.ts";
export * from "./address_slots.ts";
export * from "./clock_sync.ts";
export * from "./close_quietly.ts";
export * from "./connection.ts";
export * from "./deadline.ts";
export * from "./host_port.ts";
export * from "./listener.ts";
export * from "./liveness.ts";
export * from "./log_throttle.ts";
export * from "./rate_budget.ts";
