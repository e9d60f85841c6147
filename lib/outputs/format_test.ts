import assert from "node:assert/strict";
import {
  AXIS_LABELS,
  BUTTON_LABELS,
  formatGapHuman,
  formatGapJson,
  formatHuman,
  formatJson,
  formatStatsHuman,
  formatStatsJson,
} from "./format.ts";
import { AXIS_NAMES, BUTTON_NAMES } from "../input/model.ts";
import type { ServerEvent } from "../server/events.ts";
import { safeText } from "../wire/safe_text.ts";

/** One event of every type, with the object its JSON line must parse to (in key order). */
const EVERY_EVENT: [ServerEvent, string, Record<string, unknown>][] = [
  [
    { type: "listening", host: "127.0.0.1", port: 7175, auth: true, protocol: 1 },
    "listening on 127.0.0.1:7175 (protocol v1, token required)",
    { type: "listening", host: "127.0.0.1", port: 7175, auth: true, protocol: 1 },
  ],
  [
    { type: "listening", host: "::", port: 0, auth: false, protocol: 1 },
    "listening on [::]:0 (protocol v1, no auth)",
    { type: "listening", host: "::", port: 0, auth: false, protocol: 1 },
  ],
  [
    { type: "connect", client: "alice", addr: "127.0.0.1:51234" },
    "alice connected from 127.0.0.1:51234",
    { type: "connect", client: "alice", addr: "127.0.0.1:51234" },
  ],
  [
    { type: "disconnect", client: "alice", addr: "[::1]:5", reason: "timed out after 1000 ms" },
    "alice disconnected (timed out after 1000 ms)",
    { type: "disconnect", client: "alice", addr: "[::1]:5", reason: "timed out after 1000 ms" },
  ],
  [
    {
      type: "pad",
      client: "alice",
      t: 12.5,
      pad: 0,
      attached: true,
      name: "Xbox Series X Controller",
    },
    "alice pad0 attached: Xbox Series X Controller",
    {
      type: "pad",
      client: "alice",
      t: 12.5,
      pad: 0,
      attached: true,
      name: "Xbox Series X Controller",
    },
  ],
  [
    { type: "pad", client: "alice", t: 12.5, pad: 1, attached: true, name: "" },
    "alice pad1 attached",
    { type: "pad", client: "alice", t: 12.5, pad: 1, attached: true, name: "" },
  ],
  [
    { type: "pad", client: "alice", t: 12.5, pad: 15, attached: false },
    "alice pad15 detached",
    { type: "pad", client: "alice", t: 12.5, pad: 15, attached: false },
  ],
  [
    { type: "button", client: "alice", t: 12.5, pad: 0, button: "a", pressed: true },
    "alice pad0 A pressed",
    { type: "button", client: "alice", t: 12.5, pad: 0, button: "a", pressed: true },
  ],
  [
    { type: "button", client: "bob", t: 12.5, pad: 2, button: "dpup", pressed: false },
    "bob pad2 D-pad up released",
    { type: "button", client: "bob", t: 12.5, pad: 2, button: "dpup", pressed: false },
  ],
  [
    { type: "axis", client: "alice", t: 12.5, pad: 0, axis: "leftx", value: 0.52 },
    "alice pad0 left stick x 0.52",
    { type: "axis", client: "alice", t: 12.5, pad: 0, axis: "leftx", value: 0.52 },
  ],
  [
    { type: "axis", client: "alice", t: 12.5, pad: 1, axis: "righttrigger", value: 0 },
    "alice pad1 right trigger 0",
    { type: "axis", client: "alice", t: 12.5, pad: 1, axis: "righttrigger", value: 0 },
  ],
  [
    { type: "key", client: "alice", t: 12.5, key: "Up", scancode: "Up", pressed: true },
    "alice key Up pressed",
    { type: "key", client: "alice", t: 12.5, key: "Up", scancode: "Up", pressed: true },
  ],
  [
    { type: "key", client: "alice", t: 12.5, key: "Z", scancode: "Y", pressed: false },
    "alice key Z released",
    { type: "key", client: "alice", t: 12.5, key: "Z", scancode: "Y", pressed: false },
  ],
  [
    {
      type: "pad",
      client: "alice",
      t: 1,
      pad: 0,
      attached: true,
      name: "DS4",
      kind: "ps4",
      vendor: 0x054c,
      product: 0x09cc,
      capabilities: ["rumble", "led", "touchpad"],
    },
    "alice pad0 attached: DS4 (ps4 054c:09cc, rumble led touchpad)",
    {
      type: "pad",
      client: "alice",
      t: 1,
      pad: 0,
      attached: true,
      name: "DS4",
      kind: "ps4",
      vendor: 1356,
      product: 2508,
      capabilities: ["rumble", "led", "touchpad"],
    },
  ],
  [
    {
      type: "motion",
      client: "alice",
      t: 2,
      pad: 0,
      accel: [0.1, 9.81, -0.2],
      gyro: [0, -0.5, 1.25],
      t_us: 123456,
    },
    "alice pad0 motion accel 0.1 9.81 -0.2 m/s² gyro 0 -0.5 1.25 rad/s",
    {
      type: "motion",
      client: "alice",
      t: 2,
      pad: 0,
      accel: [0.1, 9.81, -0.2],
      gyro: [0, -0.5, 1.25],
      t_us: 123456,
    },
  ],
  [
    {
      type: "touch",
      client: "alice",
      t: 3,
      pad: 0,
      touchpad: 0,
      finger: 1,
      state: "down",
      x: 0.25,
      y: 0.5,
      pressure: 1,
    },
    "alice pad0 touchpad0 finger1 down 0.25 0.5 pressure 1",
    {
      type: "touch",
      client: "alice",
      t: 3,
      pad: 0,
      touchpad: 0,
      finger: 1,
      state: "down",
      x: 0.25,
      y: 0.5,
      pressure: 1,
    },
  ],
  [
    { type: "battery", client: "alice", t: 4, pad: 0, level: "low", state: "battery" },
    "alice pad0 battery low (battery)",
    { type: "battery", client: "alice", t: 4, pad: 0, level: "low", state: "battery" },
  ],
];

Deno.test("formatHuman writes one readable line for every event type", () => {
  for (const [event, human] of EVERY_EVENT) assert.equal(formatHuman(event), human);
});

Deno.test("formatHuman labels every button and axis", () => {
  for (const button of BUTTON_NAMES) {
    const line = formatHuman({
      type: "button",
      client: "c",
      t: 12.5,
      pad: 1,
      button,
      pressed: true,
    });
    assert.equal(line, `c pad1 ${BUTTON_LABELS[button]} pressed`);
  }
  for (const axis of AXIS_NAMES) {
    const line = formatHuman({ type: "axis", client: "c", t: 12.5, pad: 1, axis, value: -0.25 });
    assert.equal(line, `c pad1 ${AXIS_LABELS[axis]} -0.25`);
  }
  assert.equal(new Set(Object.values(BUTTON_LABELS)).size, BUTTON_NAMES.length);
  assert.equal(new Set(Object.values(AXIS_LABELS)).size, AXIS_NAMES.length);
});

Deno.test("formatJson writes every event type with keys in contract order", () => {
  for (const [event, , expected] of EVERY_EVENT) {
    const line = formatJson(event);
    assert.ok(!line.includes("\n"), line);
    const parsed = JSON.parse(line);
    assert.deepEqual(parsed, expected);
    // deepEqual ignores key order; the contract does not.
    assert.deepEqual(Object.keys(parsed), Object.keys(expected), line);
    const order = Object.keys(parsed);
    assert.equal(order[0], "type");
    if (event.type !== "listening") assert.equal(order[1], "client");
  }
});

Deno.test("formatJson writes every button and axis name as the contract spells it", () => {
  for (const button of BUTTON_NAMES) {
    const line = formatJson({
      type: "button",
      client: "c",
      t: 12.5,
      pad: 0,
      button,
      pressed: false,
    });
    assert.equal(JSON.parse(line).button, button);
  }
  for (const axis of AXIS_NAMES) {
    for (const value of [-1, -0.0001, 0, 0.5, 1]) {
      const line = formatJson({ type: "axis", client: "c", t: 12.5, pad: 0, axis, value });
      assert.deepEqual(JSON.parse(line), {
        type: "axis",
        client: "c",
        t: 12.5,
        pad: 0,
        axis,
        value,
      });
    }
  }
});

const ODD_STRINGS = [
  'say "hi"',
  "back\\slash",
  "new\nline",
  "tab\tand\rreturn",
  "nul\u0000bell\u0007",
  "ジョイパッド",
  "🎮 pad",
  "line\u2028separator\u2029",
  "lone \ud800 surrogate",
  "</script>",
  "",
];

Deno.test("formatJson escapes odd names in every string field", () => {
  for (const odd of ODD_STRINGS) {
    const events: ServerEvent[] = [
      { type: "connect", client: odd, addr: odd },
      { type: "disconnect", client: odd, addr: odd, reason: odd },
      { type: "pad", client: odd, t: 0, pad: 0, attached: true, name: odd },
      { type: "pad", client: odd, t: 0, pad: 0, attached: false },
      { type: "button", client: odd, t: 0, pad: 0, button: "a", pressed: true },
      { type: "axis", client: odd, t: 0, pad: 0, axis: "leftx", value: 1 },
      { type: "key", client: odd, t: 0, key: odd, scancode: odd, pressed: true },
      { type: "listening", host: odd, port: 1, auth: true, protocol: 1 },
    ];
    for (const event of events) {
      const line = formatJson(event);
      assert.ok(!/[\n\r\u2028\u2029]/.test(line), `a raw line break in ${line}`);
      assert.deepEqual(JSON.parse(line), event, JSON.stringify(odd));
    }
  }
});

Deno.test("formatJson escapes U+2028 and U+2029, which JSON.stringify leaves raw", () => {
  const line = formatJson({
    type: "key",
    client: "a",
    t: 0,
    key: "x\u2028y",
    scancode: "\u2029",
    pressed: true,
  });
  assert.ok(line.includes("x\\u2028y") && line.includes("\\u2029"), line);
});

Deno.test("formatHuman shows every string a client chose with visible escapes", () => {
  const forged = "x\nbob pad0 A pressed\x1b[2J\x1b]52;c;aGk=\x07\u202e\u2028\u009b";
  const events: ServerEvent[] = [
    { type: "connect", client: forged, addr: "127.0.0.1:1" },
    { type: "disconnect", client: forged, addr: "127.0.0.1:1", reason: forged },
    { type: "pad", client: forged, t: 0, pad: 0, attached: true, name: forged },
    { type: "pad", client: forged, t: 0, pad: 0, attached: false },
    { type: "button", client: forged, t: 0, pad: 0, button: "a", pressed: true },
    { type: "axis", client: forged, t: 0, pad: 0, axis: "leftx", value: 1 },
    { type: "key", client: forged, t: 0, key: forged, scancode: forged, pressed: true },
  ];
  for (const event of events) {
    const line = formatHuman(event);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/, line);
    assert.ok(line.includes("x\\x0abob pad0 A pressed\\x1b[2J"), line);
  }
  assert.equal(
    formatHuman({ type: "pad", client: "eve", t: 0, pad: 0, attached: true, name: "Pad\r\x1b[1A" }),
    "eve pad0 attached: Pad\\x0d\\x1b[1A",
  );
});

Deno.test("formatJson writes a pad attached without a name with an empty name", () => {
  const line = formatJson({ type: "pad", client: "a", t: 12.5, pad: 1, attached: true });
  assert.deepEqual(JSON.parse(line), {
    type: "pad",
    client: "a",
    t: 12.5,
    pad: 1,
    attached: true,
    name: "",
  });
});

Deno.test("formatGapHuman and formatGapJson say how many events were dropped", () => {
  assert.equal(formatGapHuman(1), "gap: 1 event dropped (output too slow)");
  assert.equal(formatGapHuman(1234), "gap: 1234 events dropped (output too slow)");
  assert.deepEqual(JSON.parse(formatGapJson(1234)), { type: "gap", dropped: 1234 });
  assert.equal(formatGapJson(7), '{"type":"gap","dropped":7}');
});

Deno.test("formatJson: latency_us is the last key of an input line, and only when known", () => {
  const base = { client: "alice", t: 1.5 };
  assert.equal(
    formatJson({ type: "button", ...base, pad: 0, button: "a", pressed: true, latency_us: 287 }),
    '{"type":"button","client":"alice","t":1.5,"pad":0,"button":"a","pressed":true,"latency_us":287}',
  );
  assert.equal(
    formatJson({ type: "axis", ...base, pad: 1, axis: "leftx", value: -0.5, latency_us: 0 }),
    '{"type":"axis","client":"alice","t":1.5,"pad":1,"axis":"leftx","value":-0.5,"latency_us":0}',
  );
  assert.equal(
    formatJson({ type: "key", ...base, key: "Up", scancode: "Up", pressed: false, latency_us: 9 }),
    '{"type":"key","client":"alice","t":1.5,"key":"Up","scancode":"Up","pressed":false,"latency_us":9}',
  );
  assert.equal(
    formatJson({ type: "pad", ...base, pad: 0, attached: true, name: "P", latency_us: 12 }),
    '{"type":"pad","client":"alice","t":1.5,"pad":0,"attached":true,"name":"P","latency_us":12}',
  );
  assert.equal(
    formatJson({ type: "button", ...base, pad: 0, button: "a", pressed: true }),
    '{"type":"button","client":"alice","t":1.5,"pad":0,"button":"a","pressed":true}',
  );
});

Deno.test("stats: unknown figures are null in JSON and left out for people; rates in k and M", () => {
  const stats = {
    client: "bob\u001b[31m",
    rttUs: null,
    offsetUs: null,
    latencyUs: null,
    events: 0,
    bytes: 0,
    seconds: 5,
  };
  assert.equal(
    formatStatsJson(stats),
    '{"type":"stats","client":"bob\\u001b[31m","rtt_us":null,"offset_us":null,"latency_us":null,"events":0,"bytes":0}',
  );
  assert.equal(formatStatsHuman(stats), `${safeText(stats.client)}: 0 ev/s`);
  const busy = { ...stats, client: "bob", rttUs: 12_345, events: 7_500_000, seconds: 5 };
  assert.equal(formatStatsHuman(busy), "bob: 1.5M ev/s, rtt 12 ms");
  const fast = {
    ...busy,
    events: 34_000,
    seconds: 1,
    latencyUs: { p50: 5, p99: 123_456, max: 200_000 },
  };
  assert.equal(formatStatsHuman(fast), "bob: 34k ev/s, latency p50 0.005 ms p99 123 ms, rtt 12 ms");
});
