/**
 * Where server events go. Every output takes events through the server's
 * `Output` seam and keeps its own bounded queue, so a slow consumer never
 * stalls the server or the other outputs; past its bound an output drops
 * and then reports the gap. {@linkcode DeliveryQueue} is that queue.
 * Text and JSON lines on stdout ({@linkcode StreamOutput}, formatted by
 * `format.ts`), the DSU server for emulators (`dsu/`) and the live web
 * view (`web/`).
 *
 * @module
 */

export * from "./delivery_queue.ts";
export * from "./event_filter.ts";
export * from "./format.ts";
export * from "./dsu/mod.ts";
// NATS (`nats/mod.ts`) loads the NATS client library, so only its
// library-free parts are here: the subject rule and the URL.
export * from "./nats/subjects.ts";
export * from "./nats/url.ts";
export * from "./stream_output.ts";
export * from "./web/mod.ts";
