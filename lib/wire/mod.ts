/**
 * What crosses the network, as bytes: framing (`frame.ts`), the binary
 * messages and handshake (`protocol.ts`), the name rule and default port
 * (`names.ts`), making peer strings safe to show (`safe_text.ts`) and byte
 * helpers (`bytes.ts`). No sockets here.
 *
 * @module
 */

export * from "./bytes.ts";
export * from "./frame.ts";
export * from "./names.ts";
export * from "./protocol.ts";
export * from "./safe_text.ts";
