import assert from "node:assert/strict";
import type { ServerEvent } from "../server/events.ts";
import type { Output } from "../server/output.ts";
import { type EventKind, FilteredOutput, isEventKind } from "./event_filter.ts";

const EVENTS: ServerEvent[] = [
  { type: "listening", host: "127.0.0.1", port: 1, auth: false, protocol: 1 },
  { type: "connect", client: "a", addr: "127.0.0.1:2" },
  { type: "pad", client: "a", t: 0, pad: 0, attached: true, name: "Pad" },
  { type: "button", client: "a", t: 1, pad: 0, button: "a", pressed: true },
  { type: "axis", client: "a", t: 2, pad: 0, axis: "leftx", value: 0.5 },
  { type: "key", client: "a", t: 3, key: "Up", scancode: "Up", pressed: true },
  { type: "disconnect", client: "a", addr: "127.0.0.1:2", reason: "bye" },
];

function through(kinds: EventKind[]): string[] {
  const seen: string[] = [];
  let closed = false;
  const inner: Output = {
    push: (event) => seen.push(event.type),
    close: () => Promise.resolve(void (closed = true)),
  };
  const filter = new FilteredOutput(inner, kinds);
  for (const event of EVENTS) filter.push(event);
  filter.close();
  assert.ok(closed, "close reaches the inner output");
  return seen;
}

Deno.test("FilteredOutput passes connection events and the kinds asked for, in order", () => {
  assert.deepEqual(through([]), ["listening", "connect", "disconnect"]);
  assert.deepEqual(through(["buttons", "keys"]), [
    "listening",
    "connect",
    "button",
    "key",
    "disconnect",
  ]);
  assert.deepEqual(through(["axes"]), ["listening", "connect", "axis", "disconnect"]);
  assert.deepEqual(through(["pads"]), ["listening", "connect", "pad", "disconnect"]);
  assert.deepEqual(through(["buttons", "axes", "keys", "pads"]), EVENTS.map((e) => e.type));
});

Deno.test("isEventKind knows the four kinds and nothing else", () => {
  for (const kind of ["buttons", "axes", "keys", "pads"]) assert.ok(isEventKind(kind), kind);
  for (const other of ["button", "toString", "", "connect"]) assert.ok(!isEventKind(other), other);
});
