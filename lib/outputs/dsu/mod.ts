/**
 * The DSU ("cemuhook") output: padlink pads as DSU pads for emulators
 * (Cemu, Dolphin, yuzu), over UDP. `protocol.ts` is the wire format,
 * `mapping.ts` how inputs become its fields, `slots.ts` which pad is in
 * which slot, `subscriptions.ts` who receives what, `rumble.ts` rumble back
 * to the pad, and `output.ts` the server that ties them together.
 *
 * @module
 */

export * from "./defaults.ts";
export * from "./protocol.ts";
export * from "./mapping.ts";
export * from "./sensors.ts";
export * from "./slots.ts";
export * from "./subscriptions.ts";
export * from "./rumble.ts";
export * from "./output.ts";
