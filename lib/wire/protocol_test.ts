import assert from "node:assert/strict";
import { type Recorded, RecordingSink } from "./_test_sink.ts";
import { encodeFrame, FrameDecoder, FrameEncoder } from "./frame.ts";
import { AXIS_NAMES, BUTTON_NAMES, type InputEvent, isTrigger, MAX_PAD } from "../input/model.ts";
import {
  CLIENT_SESSION_TYPES,
  type ClientMessageSink,
  decodeHello,
  decodeJoin,
  decodeRefuse,
  decodeWelcome,
  encodeGoodbye,
  encodeHello,
  encodeJoin,
  encodePing,
  encodeRefuse,
  encodeRumble,
  encodeWelcome,
  GoodbyeCode,
  HEARTBEAT_FRAME,
  HELLO_FLAG_AUTH,
  InputEncoder,
  JOIN_FLAG_SESSION,
  MAGIC,
  MAX_KEY_IDS,
  MessageType,
  messageTypeOf,
  NONCE_SIZE,
  PROOF_SIZE,
  PROTOCOL_VERSION,
  ProtocolError,
  RefuseCode,
  SERVER_SESSION_TYPES,
  type ServerMessageSink,
  SESSION_ID_SIZE,
  SessionDecoder,
  utf8Truncate,
} from "./protocol.ts";
import { V1_JOIN_FRAME, V1_WELCOME_FRAME } from "./_test_v1.ts";
import {
  CLIENT_CAPABILITIES,
  encodeClockReply,
  encodeClockRequest,
  encodeLed,
  encodeTriggerRumble,
  EXTENDED_TYPE_MIN,
  HELLO_FLAG_CAPABILITIES,
  JOIN_FLAG_CAPABILITIES,
  MAX_CAPABILITY_TYPES,
  RTT_UNKNOWN,
  SERVER_CAPABILITIES,
  V1_CLIENT_CAPABILITIES,
  V1_SERVER_CAPABILITIES,
} from "./protocol.ts";

/** Every frame in `bytes`, as copies; fails on a trailing partial frame. */
function framesOf(bytes: Uint8Array): Uint8Array[] {
  const decoder = new FrameDecoder({ maxFrameSize: 0xffff });
  const frames: Uint8Array[] = [];
  decoder.push(bytes, (payload) => frames.push(payload.slice()));
  decoder.finish();
  return frames;
}

/** The payload of `bytes`, which must hold exactly one frame. */
function onlyPayload(bytes: Uint8Array): Uint8Array {
  const frames = framesOf(bytes);
  assert.equal(frames.length, 1, "exactly one frame");
  return frames[0]!;
}

/** Decode every frame in `bytes` with `decoder`, recording the messages. */
function decodeAll(bytes: Uint8Array, decoder: SessionDecoder): Recorded[] {
  const sink = new RecordingSink();
  for (const payload of framesOf(bytes)) decoder.decode(payload, sink);
  return sink.events;
}

/** Decode one raw payload from a client. */
function decodeClientPayload(payload: number[] | Uint8Array, decoder = clientDecoder()) {
  const sink = new RecordingSink();
  decoder.decode(payload instanceof Uint8Array ? payload : new Uint8Array(payload), sink);
  return sink.events;
}

function clientDecoder(): SessionDecoder {
  return new SessionDecoder(CLIENT_SESSION_TYPES);
}

function bytesOf(length: number, start: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i * 13) & 0xff);
}

function utf8(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

/** `fn` must throw a ProtocolError whose message matches `pattern`. */
function assertProtocolError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `expected ProtocolError, got ${error}`);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("encodeHello and decodeHello round-trip with the PADL magic", () => {
  const hello = { version: PROTOCOL_VERSION, flags: HELLO_FLAG_AUTH, nonce: bytesOf(16, 1) };
  const frame = encodeHello(hello);
  assert.equal(frame.length, 2 + 1 + 4 + 1 + 1 + NONCE_SIZE);
  const payload = onlyPayload(frame);
  assert.deepEqual(payload.subarray(0, 5), new Uint8Array([MessageType.HELLO, ...MAGIC]));
  assert.equal(messageTypeOf(payload), MessageType.HELLO);
  assert.deepEqual(decodeHello(payload), hello);
  assert.deepEqual(decodeHello(onlyPayload(encodeHello({ ...hello, flags: 0, version: 200 }))), {
    ...hello,
    flags: 0,
    version: 200,
  });
});

Deno.test("decodeHello rejects wrong magic", () => {
  const payload = onlyPayload(encodeHello({ version: 1, flags: 0, nonce: bytesOf(16, 0) }));
  for (let i = 1; i <= 4; i++) {
    const bad = payload.slice();
    bad[i]! ^= 0x20; // "padl" in lower case, one letter at a time
    assertProtocolError(() => decodeHello(bad), /does not start with PADL/);
  }
  // An HTTP server answering, say, is not padlink.
  assertProtocolError(
    () => decodeHello(new Uint8Array([1, ...utf8("HTTP/1.1 400 Bad Request")])),
    /PADL/,
  );
});

Deno.test("encodeJoin and decodeJoin round-trip with and without a session id", () => {
  const base = {
    version: PROTOCOL_VERSION,
    flags: 0,
    name: "alice ジョイ 🎮",
    nonce: bytesOf(NONCE_SIZE, 2),
    proof: bytesOf(PROOF_SIZE, 3),
  };
  assert.deepEqual(decodeJoin(onlyPayload(encodeJoin(base))), base);
  const noProof = { ...base, proof: new Uint8Array(0) };
  assert.deepEqual(decodeJoin(onlyPayload(encodeJoin(noProof))), noProof);
  // The session flag follows the presence of the session id, whatever flags say.
  const session = bytesOf(SESSION_ID_SIZE, 4);
  assert.deepEqual(decodeJoin(onlyPayload(encodeJoin({ ...base, session }))), {
    ...base,
    flags: JOIN_FLAG_SESSION,
    session,
  });
  assert.deepEqual(
    decodeJoin(onlyPayload(encodeJoin({ ...base, flags: JOIN_FLAG_SESSION }))),
    base,
  );
});

Deno.test("encodeJoin rejects a session id of the wrong size", () => {
  const join = { version: 1, flags: 0, name: "a", nonce: bytesOf(16, 0), proof: new Uint8Array() };
  assert.throws(() => encodeJoin({ ...join, session: new Uint8Array(15) }), RangeError);
});

Deno.test("encodeJoin truncates a name over 255 bytes on a character boundary", () => {
  const join = {
    version: 1,
    flags: 0,
    name: "é".repeat(200), // 400 bytes
    nonce: bytesOf(16, 0),
    proof: new Uint8Array(0),
  };
  assert.equal(decodeJoin(onlyPayload(encodeJoin(join))).name, "é".repeat(127));
});

Deno.test("utf8Truncate never splits a character", () => {
  assert.deepEqual(utf8Truncate("abc", 2), new Uint8Array(utf8("ab")));
  assert.deepEqual(utf8Truncate("a€", 3), new Uint8Array(utf8("a")));
  assert.deepEqual(utf8Truncate("a€", 4), new Uint8Array(utf8("a€")));
  assert.deepEqual(utf8Truncate("🎮🎮", 7), new Uint8Array(utf8("🎮")));
  const text = "x€🎮é".repeat(40);
  for (let max = 0; max <= 255; max++) {
    const bytes = utf8Truncate(text, max);
    assert.ok(bytes.length <= max);
    const decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    assert.ok(text.startsWith(decoded), `max ${max}`);
  }
});

Deno.test("encodeWelcome and decodeWelcome round-trip", () => {
  const welcome = { name: "alice#2", heartbeatMs: 250, timeoutMs: 65535, proof: bytesOf(32, 9) };
  assert.deepEqual(decodeWelcome(onlyPayload(encodeWelcome(welcome))), welcome);
  const plain = { name: "", heartbeatMs: 0, timeoutMs: 1, proof: new Uint8Array(0) };
  assert.deepEqual(decodeWelcome(onlyPayload(encodeWelcome(plain))), plain);
});

Deno.test("encodeRefuse and decodeRefuse round-trip every refusal code", () => {
  for (const code of Object.values(RefuseCode)) {
    const refuse = { code, reason: `the token is wrong — "code" ${code}\n` };
    assert.deepEqual(decodeRefuse(onlyPayload(encodeRefuse(refuse))), refuse);
  }
});

Deno.test("encodeGoodbye round-trips through SessionDecoder in both directions", () => {
  for (const code of Object.values(GoodbyeCode)) {
    const goodbye = { code, reason: `bye ${code} ✓` };
    const expected = [{ type: "goodbye", ...goodbye }];
    assert.deepEqual(decodeAll(encodeGoodbye(goodbye), clientDecoder()), expected);
    const fromServer = new SessionDecoder(SERVER_SESSION_TYPES);
    assert.deepEqual(decodeAll(encodeGoodbye(goodbye), fromServer), expected);
  }
});

Deno.test("encodePing round-trips PING and PONG ids over the full 32-bit range", () => {
  for (const id of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) {
    for (const allowed of [CLIENT_SESSION_TYPES, SERVER_SESSION_TYPES]) {
      const decoder = new SessionDecoder(allowed);
      const ping = encodePing(MessageType.PING, id);
      assert.equal(ping.length, 2 + 1 + 4);
      assert.deepEqual(decodeAll(ping, decoder), [{ type: "ping", id }]);
      assert.deepEqual(decodeAll(encodePing(MessageType.PONG, id), decoder), [{
        type: "pong",
        id,
      }]);
    }
  }
  // Negative ids wrap the way `>>> 0` does.
  assert.deepEqual(decodeAll(encodePing(MessageType.PING, -1), clientDecoder()), [
    { type: "ping", id: 0xffffffff },
  ]);
});

Deno.test("encodeRumble round-trips through a client's SessionDecoder", () => {
  const decoder = new SessionDecoder(SERVER_SESSION_TYPES);
  for (const [pad, low, high, durationMs] of [[0, 0, 0, 0], [MAX_PAD, 65535, 1, 65535]]) {
    const frame = encodeRumble(pad!, low!, high!, durationMs!);
    assert.equal(frame.length, 2 + 1 + 1 + 2 + 2 + 2);
    assert.deepEqual(decodeAll(frame, decoder), [{ type: "rumble", pad, low, high, durationMs }]);
  }
});

Deno.test("handshake decoders reject every truncation, trailing bytes and the wrong type", () => {
  const cases: [string, Uint8Array, (payload: Uint8Array) => unknown][] = [
    ["HELLO", encodeHello({ version: 1, flags: 1, nonce: bytesOf(16, 0) }), decodeHello],
    [
      "JOIN",
      encodeJoin({
        version: 1,
        flags: 0,
        name: "bob",
        nonce: bytesOf(16, 1),
        proof: bytesOf(32, 2),
        session: bytesOf(16, 3),
      }),
      decodeJoin,
    ],
    [
      "WELCOME",
      encodeWelcome({ name: "bob", heartbeatMs: 1, timeoutMs: 2, proof: bytesOf(32, 4) }),
      decodeWelcome,
    ],
    ["REFUSE", encodeRefuse({ code: 4, reason: "token" }), decodeRefuse],
  ];
  for (const [name, frame, decode] of cases) {
    const payload = onlyPayload(frame);
    decode(payload);
    for (let length = 0; length < payload.length; length++) {
      assertProtocolError(() => decode(payload.subarray(0, length)), /truncated/);
    }
    // After a WELCOME's proof comes the server's capability block (two empty lists here).
    const trailing = name === "WELCOME" ? [0, 0, 0] : [0];
    assertProtocolError(
      () => decode(new Uint8Array([...payload, ...trailing])),
      new RegExp(`${name} has 1 unexpected trailing bytes`),
    );
    for (const [other, otherFrame] of cases) {
      if (other === name) continue;
      assertProtocolError(() => decode(onlyPayload(otherFrame)), new RegExp(`expected ${name}`));
    }
  }
});

Deno.test("messageTypeOf peeks at the first byte, or -1 for a heartbeat", () => {
  assert.equal(messageTypeOf(new Uint8Array(0)), -1);
  assert.equal(messageTypeOf(new Uint8Array([MessageType.AXIS, 0])), MessageType.AXIS);
});

/** Events covering every button, every axis, pads and keys; values have ≤ 4 decimals. */
function everyEvent(): InputEvent[] {
  const events: InputEvent[] = [
    { type: "pad", pad: 0, attached: true, name: "Xbox Series X Controller" },
    { type: "pad", pad: MAX_PAD, attached: true, name: "" },
  ];
  for (const pad of [0, MAX_PAD]) {
    for (const button of BUTTON_NAMES) {
      events.push({ type: "button", pad, button, pressed: true });
      events.push({ type: "button", pad, button, pressed: false });
    }
    for (const axis of AXIS_NAMES) {
      const values = isTrigger(axis) ? [0, 0.0001, 0.5, 0.9999, 1] : [-1, -0.5234, 0, 0.25, 1];
      for (const value of values) events.push({ type: "axis", pad, axis, value });
    }
  }
  for (const [key, scancode] of [["Up", "Up"], ["A", "Q"], ["Ä", "Apostrophe"], ["Up", "Up"]]) {
    events.push({ type: "key", key: key!, scancode: scancode!, pressed: true });
    events.push({ type: "key", key: key!, scancode: scancode!, pressed: false });
  }
  events.push({ type: "pad", pad: 0, attached: false }, {
    type: "pad",
    pad: MAX_PAD,
    attached: false,
  });
  return events;
}

Deno.test("InputEncoder and SessionDecoder round-trip every button, axis, pad and key", () => {
  const events = everyEvent();
  const encoder = new InputEncoder();
  for (const event of events) encoder.add(event);
  assert.deepEqual(decodeAll(encoder.take(), clientDecoder()), events);
});

Deno.test("InputEncoder and SessionDecoder round-trip one event per take", () => {
  const encoder = new InputEncoder();
  const decoder = clientDecoder();
  for (const event of everyEvent()) {
    encoder.add(event);
    assert.deepEqual(decodeAll(encoder.take(), decoder), [event]);
  }
});

Deno.test("InputEncoder wire sizes: button 5, axis 7, repeated key 5, heartbeat 2", () => {
  const encoder = new InputEncoder();
  encoder.add({ type: "button", pad: 3, button: "dpleft", pressed: true });
  assert.deepEqual(encoder.take(), new Uint8Array([0, 3, MessageType.BUTTON_DOWN, 3, 13]));
  encoder.add({ type: "button", pad: 3, button: "dpleft", pressed: false });
  assert.deepEqual(encoder.take(), new Uint8Array([0, 3, MessageType.BUTTON_UP, 3, 13]));
  encoder.add({ type: "axis", pad: 1, axis: "righty", value: -1 });
  assert.deepEqual(encoder.take(), new Uint8Array([0, 5, MessageType.AXIS, 1, 3, 0x80, 0x01]));
  encoder.add({ type: "axis", pad: 1, axis: "lefttrigger", value: 1 });
  assert.deepEqual(encoder.take(), new Uint8Array([0, 5, MessageType.AXIS, 1, 4, 0x7f, 0xff]));

  // A key is defined the first time only; later presses cost five bytes.
  const up = { type: "key", key: "Up", scancode: "Up", pressed: true } as const;
  encoder.add(up);
  assert.deepEqual(
    encoder.take(),
    new Uint8Array([
      0,
      12,
      MessageType.KEY_DEFINE,
      0,
      0,
      2,
      ...utf8("Up"),
      2,
      ...utf8("Up"),
      MessageType.KEY_DOWN,
      0,
      0,
    ]),
  );
  encoder.add({ ...up, pressed: false });
  assert.deepEqual(encoder.take(), new Uint8Array([0, 3, MessageType.KEY_UP, 0, 0]));
  encoder.add(up);
  assert.deepEqual(encoder.take(), new Uint8Array([0, 3, MessageType.KEY_DOWN, 0, 0]));
  // Another key (or the same key name on another scancode) gets the next id.
  encoder.add({ ...up, scancode: "KP_8" });
  const second = encoder.take();
  assert.deepEqual([...second.subarray(2, 5)], [MessageType.KEY_DEFINE, 0, 1]);
  assert.deepEqual([...second.subarray(-3)], [MessageType.KEY_DOWN, 0, 1]);

  assert.deepEqual(HEARTBEAT_FRAME, new Uint8Array([0, 0]));
  const frames = new FrameEncoder();
  frames.empty();
  assert.deepEqual(frames.take(), HEARTBEAT_FRAME);
  assert.deepEqual(decodeAll(HEARTBEAT_FRAME, clientDecoder()), []);
});

Deno.test("InputEncoder puts several events in one frame", () => {
  const encoder = new InputEncoder();
  const key = { type: "key", key: "Space", scancode: "Space", pressed: true } as const;
  encoder.add(key);
  encoder.add({ ...key, pressed: false });
  encoder.take();
  const events: InputEvent[] = [
    { type: "button", pad: 0, button: "a", pressed: true },
    { type: "axis", pad: 0, axis: "leftx", value: 0.5 },
    key,
    { type: "button", pad: 0, button: "a", pressed: false },
  ];
  for (const event of events) encoder.add(event);
  assert.equal(encoder.length, 2 + 3 + 5 + 3 + 3);
  const bytes = encoder.take();
  assert.equal(bytes.length, 2 + 3 + 5 + 3 + 3);
  assert.equal(framesOf(bytes).length, 1);
  // The decoder must know the key from the earlier take.
  const decoder = clientDecoder();
  const defined = new InputEncoder();
  defined.add(key);
  decodeAll(defined.take(), decoder);
  assert.deepEqual(decodeAll(bytes, decoder), events);
});

Deno.test("InputEncoder starts a new frame before one would exceed its maximum", () => {
  const max = 600;
  const encoder = new InputEncoder(max);
  const events: InputEvent[] = [];
  for (let i = 0; i < 400; i++) {
    events.push({ type: "button", pad: i % 16, button: BUTTON_NAMES[i % 21]!, pressed: true });
    // Keys with names at the 255-byte limit are the worst case for the frame budget.
    const name = `${i}`.padEnd(255, "k");
    events.push({ type: "key", key: name, scancode: name.toUpperCase(), pressed: i % 2 === 0 });
  }
  for (const event of events) encoder.add(event);
  const bytes = encoder.take();
  const frames = framesOf(bytes);
  assert.ok(frames.length > 1);
  for (const frame of frames) assert.ok(frame.length <= max, `frame of ${frame.length} bytes`);
  assert.deepEqual(decodeAll(bytes, clientDecoder()), events);
});

Deno.test("InputEncoder goodbye goes in its own frame after the input", () => {
  const encoder = new InputEncoder();
  encoder.add({ type: "button", pad: 0, button: "b", pressed: true });
  encoder.goodbye({ code: GoodbyeCode.NORMAL, reason: "quit" });
  const bytes = encoder.take();
  assert.equal(framesOf(bytes).length, 2);
  assert.deepEqual(decodeAll(bytes, clientDecoder()), [
    { type: "button", pad: 0, button: "b", pressed: true },
    { type: "goodbye", code: 0, reason: "quit" },
  ]);
});

Deno.test("InputEncoder rejects unknown button and axis names", () => {
  const encoder = new InputEncoder();
  assert.throws(
    () => encoder.add({ type: "button", pad: 0, button: "z" as "a", pressed: true }),
    RangeError,
  );
  assert.throws(() => encoder.add({ type: "axis", pad: 0, axis: "wheel" as "leftx", value: 0 }), {
    name: "RangeError",
    message: /unknown axis name "wheel"/,
  });
});

Deno.test("SessionDecoder rejects an unknown first-release message type", () => {
  for (const type of [0x00, 0x08, 0x18, 0x21, 0x3f]) {
    assertProtocolError(() => decodeClientPayload([type, 0, 0, 0, 0]), /unexpected message type/);
  }
});

Deno.test("SessionDecoder rejects a truncated message", () => {
  const encoder = new InputEncoder();
  for (const event of everyEvent()) encoder.add(event);
  encoder.goodbye({ code: 0, reason: "bye" });
  const payloads = [
    ...framesOf(encoder.take()),
    onlyPayload(encodePing(MessageType.PING, 7)),
    onlyPayload(encodePing(MessageType.PONG, 7)),
  ];
  let truncations = 0;
  for (const payload of payloads) {
    // Cut the last message of each payload at every byte.
    const decoder = clientDecoder();
    const sink = new RecordingSink();
    decoder.decode(payload, sink);
    const full = sink.events.length;
    for (let cut = payload.length - 1; cut > 0; cut--) {
      const cutSink = new RecordingSink();
      try {
        clientDecoder().decode(payload.subarray(0, cut), cutSink);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        if (/truncated/.test(error.message)) truncations++;
        continue;
      }
      // A cut between two messages is a shorter valid payload.
      assert.ok(cutSink.events.length < full);
    }
  }
  assert.ok(truncations > 100, `${truncations} truncations seen`);
  assertProtocolError(() => decodeClientPayload([MessageType.BUTTON_DOWN, 0]), /truncated/);
  assertProtocolError(() => decodeClientPayload([MessageType.AXIS, 0, 0, 0x7f]), /truncated/);
  assertProtocolError(
    () => decodeClientPayload([MessageType.KEY_DEFINE, 0, 0, 5, ...utf8("Up")]),
    /truncated while reading the key name/,
  );
});

Deno.test("SessionDecoder delivers the messages before a bad one", () => {
  const sink = new RecordingSink();
  const payload = new Uint8Array([MessageType.BUTTON_DOWN, 0, 0, MessageType.BUTTON_DOWN, 0, 99]);
  assertProtocolError(() => clientDecoder().decode(payload, sink), /unknown button index 99/);
  assert.deepEqual(sink.events, [{ type: "button", pad: 0, button: "a", pressed: true }]);
});

Deno.test("SessionDecoder rejects button and axis indices out of range", () => {
  assert.deepEqual(decodeClientPayload([MessageType.BUTTON_UP, 0, BUTTON_NAMES.length - 1]), [
    { type: "button", pad: 0, button: "touchpad", pressed: false },
  ]);
  for (const type of [MessageType.BUTTON_DOWN, MessageType.BUTTON_UP]) {
    for (const index of [BUTTON_NAMES.length, 0xff]) {
      assertProtocolError(() => decodeClientPayload([type, 0, index]), /unknown button index/);
    }
  }
  for (const index of [AXIS_NAMES.length, 0xff]) {
    assertProtocolError(
      () => decodeClientPayload([MessageType.AXIS, 0, index, 0, 0]),
      /unknown axis index/,
    );
  }
});

Deno.test("SessionDecoder rejects a pad number over 15 in every pad message", () => {
  const decoderFor = (type: number) =>
    type === MessageType.RUMBLE
      ? new SessionDecoder(SERVER_SESSION_TYPES)
      : new SessionDecoder(CLIENT_SESSION_TYPES);
  const bodies: [number, number[]][] = [
    [MessageType.BUTTON_DOWN, [0]],
    [MessageType.BUTTON_UP, [0]],
    [MessageType.AXIS, [0, 0, 0]],
    [MessageType.PAD_ATTACH, [0]],
    [MessageType.PAD_DETACH, []],
    [MessageType.RUMBLE, [0, 0, 0, 0, 0, 0]],
  ];
  for (const [type, rest] of bodies) {
    decodeClientPayload([type, MAX_PAD, ...rest], decoderFor(type));
    for (const pad of [MAX_PAD + 1, 0xff]) {
      assertProtocolError(
        () => decodeClientPayload([type, pad, ...rest], decoderFor(type)),
        /pad number \d+ is over 15/,
      );
    }
  }
});

Deno.test("SessionDecoder rejects a key id that was never defined", () => {
  assertProtocolError(() => decodeClientPayload([MessageType.KEY_DOWN, 0, 0]), /never defined/);
  const decoder = clientDecoder();
  decodeClientPayload([MessageType.KEY_DEFINE, 0, 7, 1, ...utf8("A"), 1, ...utf8("A")], decoder);
  assert.deepEqual(decodeClientPayload([MessageType.KEY_UP, 0, 7], decoder), [
    { type: "key", key: "A", scancode: "A", pressed: false },
  ]);
  assertProtocolError(
    () => decodeClientPayload([MessageType.KEY_UP, 0, 8], decoder),
    /key id 8 was never defined/,
  );
  // Key tables are per decoder (per connection).
  assertProtocolError(() => decodeClientPayload([MessageType.KEY_UP, 0, 7]), /never defined/);
});

Deno.test("SessionDecoder caps the number of key ids and allows redefining one", () => {
  const decoder = clientDecoder();
  const define = (id: number) => [MessageType.KEY_DEFINE, id >> 8, id & 0xff, 1, 65, 1, 65];
  for (let id = 0; id < MAX_KEY_IDS; id++) decodeClientPayload(define(id), decoder);
  decodeClientPayload([MessageType.KEY_DEFINE, 0, 5, 1, 66, 1, 66], decoder);
  assert.deepEqual(decodeClientPayload([MessageType.KEY_DOWN, 0, 5], decoder), [
    { type: "key", key: "B", scancode: "B", pressed: true },
  ]);
  assertProtocolError(
    () => decodeClientPayload(define(MAX_KEY_IDS), decoder),
    /more than 1024 key ids/,
  );
});

Deno.test("SessionDecoder releases a held key before its id is redefined", () => {
  const decoder = clientDecoder();
  const define = (name: number) => [MessageType.KEY_DEFINE, 0, 5, 1, name, 1, name];
  const events = [];
  // The attack: define, press, redefine, press, … — each round one more held key.
  for (let round = 0; round < 3; round++) {
    events.push(
      ...decodeClientPayload([...define(65 + round), MessageType.KEY_DOWN, 0, 5], decoder),
    );
  }
  assert.deepEqual(events, [
    { type: "key", key: "A", scancode: "A", pressed: true },
    { type: "key", key: "A", scancode: "A", pressed: false },
    { type: "key", key: "B", scancode: "B", pressed: true },
    { type: "key", key: "B", scancode: "B", pressed: false },
    { type: "key", key: "C", scancode: "C", pressed: true },
  ]);
  // A released id is redefined without a release.
  decodeClientPayload([MessageType.KEY_UP, 0, 5], decoder);
  assert.deepEqual(decodeClientPayload(define(68), decoder), []);
});

Deno.test("SessionDecoder rejects invalid UTF-8 in every string", () => {
  const badStrings = [[0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x61, 0x80]];
  for (const bad of badStrings) {
    const s = [bad.length, ...bad];
    const ok = [1, 0x61];
    assertProtocolError(
      () => decodeClientPayload([MessageType.PAD_ATTACH, 0, ...s]),
      /the pad name is not valid UTF-8/,
    );
    assertProtocolError(
      () => decodeClientPayload([MessageType.KEY_DEFINE, 0, 0, ...s, ...ok]),
      /the key name is not valid UTF-8/,
    );
    assertProtocolError(
      () => decodeClientPayload([MessageType.KEY_DEFINE, 0, 0, ...ok, ...s]),
      /the scancode name is not valid UTF-8/,
    );
    assertProtocolError(
      () => decodeClientPayload([MessageType.GOODBYE, 0, ...s]),
      /the goodbye reason is not valid UTF-8/,
    );
  }
  assertProtocolError(
    () => decodeRefuse(new Uint8Array([MessageType.REFUSE, 4, 1, 0xff])),
    /the reason is not valid UTF-8/,
  );
  assertProtocolError(
    () => decodeWelcome(new Uint8Array([MessageType.WELCOME, 1, 0xff, 0, 0, 0, 0, 0])),
    /the name is not valid UTF-8/,
  );
  const join = onlyPayload(
    encodeJoin({ version: 1, flags: 0, name: "ab", nonce: bytesOf(16, 0), proof: bytesOf(0, 0) }),
  );
  join[4] = 0xff; // the name's first byte
  assertProtocolError(() => decodeJoin(join), /the name is not valid UTF-8/);
});

Deno.test("SessionDecoder rejects a message type not allowed for the direction", () => {
  const rumble = onlyPayload(encodeRumble(0, 1, 2, 3));
  assertProtocolError(() => clientDecoder().decode(rumble, new RecordingSink()), /0x20/);
  const fromServer = new SessionDecoder(SERVER_SESSION_TYPES);
  for (const payload of [[MessageType.BUTTON_DOWN, 0, 0], [MessageType.PAD_DETACH, 0]]) {
    assertProtocolError(
      () => fromServer.decode(new Uint8Array(payload), new RecordingSink()),
      /unexpected message type/,
    );
  }
  // Handshake messages are never session messages, even when a caller allows them.
  const hello = onlyPayload(encodeHello({ version: 1, flags: 0, nonce: bytesOf(16, 0) }));
  assertProtocolError(() => clientDecoder().decode(hello, new RecordingSink()), /unexpected/);
  const lax = new SessionDecoder([MessageType.HELLO, MessageType.JOIN]);
  assertProtocolError(() => lax.decode(hello, new RecordingSink()), /not valid in a session/);
});

Deno.test("SessionDecoder.fromClient and fromServer refuse the other direction's messages", () => {
  const calls: string[] = [];
  const control = {
    goodbye: () => calls.push("goodbye"),
    ping: () => calls.push("ping"),
    pong: () => calls.push("pong"),
  };
  // A server-side sink has no rumble method: RUMBLE is a protocol error, not a TypeError.
  const fromClient: ClientMessageSink = {
    ...control,
    padAttach: () => calls.push("padAttach"),
    padDetach: () => calls.push("padDetach"),
    button: () => calls.push("button"),
    axis: () => calls.push("axis"),
    key: () => calls.push("key"),
    captureTime: () => calls.push("captureTime"),
    clockReply: () => calls.push("clockReply"),
    motion: () => calls.push("motion"),
    touch: () => calls.push("touch"),
    battery: () => calls.push("battery"),
  };
  const rumble = onlyPayload(encodeRumble(0, 1, 2, 3));
  assertProtocolError(() => SessionDecoder.fromClient().decode(rumble, fromClient), /0x20/);
  // A client-side sink has no input methods: input from a server is a protocol error.
  const fromServer: ServerMessageSink = {
    ...control,
    rumble: () => calls.push("rumble"),
    triggerRumble: () => calls.push("triggerRumble"),
    led: () => calls.push("led"),
    motionRequest: () => calls.push("motionRequest"),
    clockRequest: () => calls.push("clockRequest"),
  };
  assertProtocolError(
    () =>
      SessionDecoder.fromServer().decode(
        new Uint8Array([MessageType.BUTTON_DOWN, 0, 0]),
        fromServer,
      ),
    /unexpected message type/,
  );
  assert.deepEqual(calls, []);
  SessionDecoder.fromServer().decode(rumble, fromServer);
  SessionDecoder.fromClient().decode(new Uint8Array([MessageType.PAD_DETACH, 0]), fromClient);
  assert.deepEqual(calls, ["rumble", "padDetach"]);
});

Deno.test("SessionDecoder decodes payloads straight out of encodeFrame", () => {
  const payload = new Uint8Array([MessageType.PAD_ATTACH, 2, 3, ...utf8("Pad")]);
  assert.deepEqual(decodeAll(encodeFrame(payload), clientDecoder()), [
    { type: "pad", pad: 2, attached: true, name: "Pad" },
  ]);
});

Deno.test("InputEncoder refuses a pad number that does not fit the wire", () => {
  const encoder = new InputEncoder();
  for (const pad of [-1, 16, 256, 1.5]) {
    assert.throws(
      () => encoder.add({ type: "button", pad, button: "a", pressed: true }),
      RangeError,
      `pad ${pad}`,
    );
  }
});

// --- Extensions: capabilities and extended (length-prefixed) message types ---

const NONCE_0_15 = Uint8Array.from({ length: 16 }, (_, i) => i);

Deno.test("encodeJoin and encodeWelcome without capabilities are the first release's bytes", () => {
  const join = { version: 1, flags: 0, name: "alice", nonce: NONCE_0_15, proof: new Uint8Array() };
  assert.deepEqual(encodeJoin(join), V1_JOIN_FRAME);
  const welcome = { name: "alice", heartbeatMs: 250, timeoutMs: 1000, proof: new Uint8Array() };
  assert.deepEqual(encodeWelcome(welcome), V1_WELCOME_FRAME);
  const decoded = decodeJoin(onlyPayload(V1_JOIN_FRAME));
  assert.equal(decoded.capabilities, undefined);
  assert.equal(
    decodeWelcome(onlyPayload(V1_WELCOME_FRAME)).capabilities,
    undefined,
  );
});

Deno.test("JOIN and WELCOME carry capabilities after the first release's fields", () => {
  const capabilities = { sends: [0x10, 0x12], receives: [0x05, 0x40, 0x41] };
  const session = bytesOf(SESSION_ID_SIZE, 9);
  const join = onlyPayload(encodeJoin({
    version: 1,
    flags: 0,
    name: "alice",
    nonce: NONCE_0_15,
    proof: new Uint8Array(),
    session,
    capabilities,
  }));
  assert.equal(join[2], JOIN_FLAG_SESSION | JOIN_FLAG_CAPABILITIES);
  // The first release's JOIN, the session id, then: count, types, count, types.
  assert.deepEqual(
    [...join.subarray(V1_JOIN_FRAME.length - 2 + SESSION_ID_SIZE)],
    [2, 0x10, 0x12, 3, 0x05, 0x40, 0x41],
  );
  const decoded = decodeJoin(join);
  assert.deepEqual(decoded.capabilities, capabilities);
  assert.deepEqual(decoded.session, session);
  const welcome = onlyPayload(encodeWelcome({
    name: "alice",
    heartbeatMs: 250,
    timeoutMs: 1000,
    proof: new Uint8Array(),
    capabilities,
  }));
  assert.deepEqual(
    [...welcome.subarray(0, V1_WELCOME_FRAME.length - 2)],
    [...V1_WELCOME_FRAME.subarray(2)],
  );
  assert.deepEqual(decodeWelcome(welcome).capabilities, capabilities);
});

Deno.test("decodeJoin and decodeWelcome refuse a malformed capability block", () => {
  const base = [...V1_JOIN_FRAME.subarray(2)];
  base[2] = JOIN_FLAG_CAPABILITIES;
  assertProtocolError(() => decodeJoin(new Uint8Array(base)), /count of sent types/);
  assertProtocolError(() => decodeJoin(new Uint8Array([...base, 2, 0x10])), /the sent types/);
  assertProtocolError(() => decodeJoin(new Uint8Array([...base, 0])), /count of received types/);
  assertProtocolError(
    () => decodeJoin(new Uint8Array([...base, MAX_CAPABILITY_TYPES + 1])),
    /more than 64/,
  );
  assertProtocolError(() => decodeJoin(new Uint8Array([...base, 0, 0, 7])), /trailing/);
  const welcome = [...V1_WELCOME_FRAME.subarray(2)];
  assertProtocolError(() => decodeWelcome(new Uint8Array([...welcome, 1])), /the sent types/);
  assert.throws(
    () =>
      encodeWelcome({
        name: "a",
        heartbeatMs: 1,
        timeoutMs: 1,
        proof: new Uint8Array(),
        capabilities: { sends: new Array(65).fill(1), receives: [] },
      }),
    RangeError,
  );
});

Deno.test("capability sets: each side receives what the other sends; v1 peers get only v1 types", () => {
  assert.deepEqual(SERVER_CAPABILITIES.sends, CLIENT_CAPABILITIES.receives);
  assert.deepEqual(CLIENT_CAPABILITIES.sends, SERVER_CAPABILITIES.receives);
  for (const type of [...V1_CLIENT_CAPABILITIES.sends, ...V1_CLIENT_CAPABILITIES.receives]) {
    assert.ok(type < EXTENDED_TYPE_MIN, `v1 client type 0x${type.toString(16)}`);
  }
  for (const type of [...V1_SERVER_CAPABILITIES.sends, ...V1_SERVER_CAPABILITIES.receives]) {
    assert.ok(type < EXTENDED_TYPE_MIN, `v1 server type 0x${type.toString(16)}`);
  }
  assert.ok(!V1_CLIENT_CAPABILITIES.receives.includes(MessageType.RUMBLE));
  assert.notEqual(HELLO_FLAG_CAPABILITIES & HELLO_FLAG_AUTH, HELLO_FLAG_AUTH);
});

Deno.test("encodeTriggerRumble and encodeLed: type, u16 body length, body", () => {
  assert.deepEqual(
    [...encodeTriggerRumble(3, 0xffff, 0x1234, 250)],
    [0, 10, MessageType.TRIGGER_RUMBLE, 0, 7, 3, 0xff, 0xff, 0x12, 0x34, 0x00, 0xfa],
  );
  assert.deepEqual([...encodeLed(1, 0xff, 0x88, 0x00)], [
    0,
    7,
    MessageType.LED,
    0,
    4,
    1,
    0xff,
    0x88,
    0,
  ]);
  const decoded = decodeAll(
    concatFrames([encodeTriggerRumble(3, 0xffff, 0x1234, 250), encodeLed(1, 0xff, 0x88, 0)]),
    SessionDecoder.fromServer() as SessionDecoder,
  );
  assert.deepEqual(decoded, [
    { type: "trigger_rumble", pad: 3, left: 0xffff, right: 0x1234, durationMs: 250 },
    { type: "led", pad: 1, red: 0xff, green: 0x88, blue: 0 },
  ]);
});

function concatFrames(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

Deno.test("SessionDecoder skips an extended type it does not take and reads on", () => {
  const decoder = clientDecoder();
  // An unknown type 0x7f with a 3-byte body, LED (not taken from a client), then a button.
  const payload = [0x7f, 0, 3, 1, 2, 3, MessageType.LED, 0, 4, 0, 1, 2, 3];
  const events = decodeClientPayload(
    [MessageType.PAD_ATTACH, 0, 0, ...payload, MessageType.BUTTON_DOWN, 0, 0],
    decoder,
  );
  assert.deepEqual(events, [
    { type: "pad", pad: 0, attached: true, name: "" },
    { type: "button", pad: 0, button: "a", pressed: true },
  ]);
  assert.equal(decoder.skipped, 2);
  // An empty body is a message too.
  assert.deepEqual(decodeClientPayload([0xff, 0, 0]), []);
});

Deno.test("SessionDecoder ignores fields it does not know at the end of a known extended type", () => {
  const decoder = SessionDecoder.fromServer() as SessionDecoder;
  const grown = [MessageType.LED, 0, 6, 2, 10, 20, 30, 0xaa, 0xbb, MessageType.PING, 0, 0, 0, 9];
  assert.deepEqual(decodeClientPayload(grown, decoder), [
    { type: "led", pad: 2, red: 10, green: 20, blue: 30 },
    { type: "ping", id: 9 },
  ]);
  assert.equal(decoder.skipped, 0);
});

Deno.test("SessionDecoder rejects an extended message that is cut short", () => {
  const fromServer = () => SessionDecoder.fromServer() as SessionDecoder;
  // The length runs past the payload.
  assertProtocolError(
    () => decodeClientPayload([0x7f, 0, 4, 1, 2, 3], fromServer()),
    /the body of message type 0x7f/,
  );
  assertProtocolError(() => decodeClientPayload([0x7f, 0], fromServer()), /message length/);
  // The body is shorter than the fields of its type: the reader stops at the body's end.
  assertProtocolError(
    () => decodeClientPayload([MessageType.LED, 0, 2, 0, 1, MessageType.PING, 0, 0], fromServer()),
    /truncated while reading green/,
  );
  assertProtocolError(
    () => decodeClientPayload([MessageType.TRIGGER_RUMBLE, 0, 1, MAX_PAD + 1], fromServer()),
    /pad number 16/,
  );
});

Deno.test("CLOCK_REQUEST and CLOCK_REPLY: extended, 64-bit times exact, negative offsets too", () => {
  const request = { id: 7, sentUs: 1_764_590_000_123_456, rttUs: 40_000, offsetUs: -10_000_123 };
  const reply = {
    id: 7,
    sentUs: request.sentUs,
    receivedUs: 1_764_590_010_143_457,
    repliedUs: 1_764_590_010_143_500,
  };
  const requestFrame = encodeClockRequest(request);
  assert.deepEqual([...requestFrame.subarray(0, 5)], [0, 27, MessageType.CLOCK_REQUEST, 0, 24]);
  const replyFrame = encodeClockReply(reply);
  assert.deepEqual([...replyFrame.subarray(0, 5)], [0, 31, MessageType.CLOCK_REPLY, 0, 28]);
  assert.deepEqual(
    decodeAll(requestFrame, SessionDecoder.fromServer() as SessionDecoder),
    [{ type: "clock_request", ...request }],
  );
  assert.deepEqual(
    decodeAll(replyFrame, SessionDecoder.fromClient() as SessionDecoder),
    [{ type: "clock_reply", ...reply }],
  );
  const unknown = decodeAll(
    encodeClockRequest({ ...request, rttUs: RTT_UNKNOWN }),
    SessionDecoder.fromServer() as SessionDecoder,
  );
  assert.equal((unknown[0] as { rttUs: number }).rttUs, RTT_UNKNOWN);
});

Deno.test("InputEncoder: a capture time before the first event of each frame, and when it changes", () => {
  const encoder = new InputEncoder(600);
  const press = (button: "a" | "b", pressed = true): InputEvent => ({
    type: "button",
    pad: 0,
    button,
    pressed,
  });
  encoder.add({ type: "pad", pad: 0, attached: true, name: "" });
  encoder.captureTime(1_000_000);
  encoder.add(press("a"));
  encoder.add(press("b"));
  encoder.captureTime(2_000_000);
  encoder.add(press("a", false));
  const frames = framesOf(encoder.take());
  assert.equal(frames.length, 1);
  const decoded = decodeClientPayload(frames[0]!, SessionDecoder.fromClient() as SessionDecoder);
  assert.deepEqual(decoded.map((m) => m.type === "capture_time" ? m.us : m.type), [
    "pad",
    1_000_000,
    "button",
    "button",
    2_000_000,
    "button",
  ]);
  // A later frame repeats the stamp, so every frame stands on its own.
  encoder.add(press("b", false));
  const next = decodeClientPayload(
    onlyPayload(encoder.take()),
    SessionDecoder.fromClient() as SessionDecoder,
  );
  assert.deepEqual(next[0], { type: "capture_time", us: 2_000_000 });
  // Frames split for size repeat it too.
  for (let i = 0; i < 40; i++) encoder.add(press(i % 2 ? "a" : "b", i % 4 < 2));
  const split = framesOf(encoder.take());
  assert.ok(split.length > 1, "the 40 events took more than one frame");
  for (const frame of split) {
    const messages = decodeClientPayload(frame, SessionDecoder.fromClient() as SessionDecoder);
    assert.deepEqual(messages[0], { type: "capture_time", us: 2_000_000 });
  }
});

Deno.test("an encoder never stamped writes the first release's bytes", () => {
  const encoder = new InputEncoder();
  encoder.add({ type: "button", pad: 0, button: "a", pressed: true });
  assert.deepEqual([...encoder.take()], [0, 3, MessageType.BUTTON_DOWN, 0, 0]);
});

Deno.test("the clock messages are negotiated: each side lists what the other sends", () => {
  assert.ok(SERVER_CAPABILITIES.sends.includes(MessageType.CLOCK_REQUEST));
  assert.ok(CLIENT_CAPABILITIES.receives.includes(MessageType.CLOCK_REQUEST));
  for (const type of [MessageType.CLOCK_REPLY, MessageType.CAPTURE_TIME]) {
    assert.ok(CLIENT_CAPABILITIES.sends.includes(type));
    assert.ok(SERVER_CAPABILITIES.receives.includes(type));
    assert.ok(
      !V1_SERVER_CAPABILITIES.receives.includes(type),
      "never sent to a first-release server",
    );
  }
  assert.ok(!V1_CLIENT_CAPABILITIES.receives.includes(MessageType.CLOCK_REQUEST));
});

Deno.test("PAD_ATTACH_EX, MOTION, TOUCH and BATTERY round-trip through InputEncoder and SessionDecoder", () => {
  const encoder = new InputEncoder();
  const attach: InputEvent = {
    type: "pad",
    pad: 3,
    attached: true,
    name: "DualSense",
    kind: "ps5",
    vendor: 0x054c,
    product: 0x0ce6,
    capabilities: ["rumble", "trigger_rumble", "led", "touchpad", "accel", "gyro", "battery"],
  };
  const motion: InputEvent = {
    type: "motion",
    pad: 3,
    accel: [0.5, 9.75, -1.25],
    gyro: [0.125, -0.5, 2],
    t_us: 2 ** 40 + 12345,
  };
  const touch: InputEvent = {
    type: "touch",
    pad: 3,
    touchpad: 0,
    finger: 1,
    state: "move",
    x: 0.25,
    y: 1,
    pressure: 0.5,
  };
  const battery: InputEvent = { type: "battery", pad: 3, level: "medium", state: "wired" };
  for (const event of [attach, motion, touch, battery]) encoder.add(event);
  const bytes = encoder.take();
  // Type, u16 body length, body: attach 3 + 9 + name, motion 3 + 33, touch 3 + 10, battery 3 + 3.
  assert.equal(bytes.length, 2 + (3 + 9 + 9) + (3 + 33) + (3 + 10) + (3 + 3));
  const events = decodeAll(bytes, clientDecoder());
  assert.deepEqual(events, [
    attach,
    motion, // every value here is exact in f32
    { ...touch, pressure: 0.5 },
    battery,
  ]);
});

Deno.test("InputEncoder sends a first-release server PAD_ATTACH and leaves out what it does not take", () => {
  const encoder = new InputEncoder(1024, V1_SERVER_CAPABILITIES.receives);
  encoder.add({ type: "pad", pad: 0, attached: true, name: "Pad", kind: "ps4", vendor: 1 });
  encoder.add({ type: "motion", pad: 0, accel: [0, 0, 0], gyro: [0, 0, 0], t_us: 0 });
  encoder.add({ type: "battery", pad: 0, level: "full", state: "battery" });
  encoder.add({ type: "button", pad: 0, button: "a", pressed: true });
  const v1 = new SessionDecoder(V1_SERVER_CAPABILITIES.receives);
  assert.deepEqual(decodeAll(encoder.take(), v1), [
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "a", pressed: true },
  ]);
  assert.equal(v1.skipped, 0, "nothing extended was sent");
  // A pad without details goes as PAD_ATTACH to a current server too.
  const plain = new InputEncoder();
  plain.add({ type: "pad", pad: 1, attached: true, name: "P" });
  assert.equal(plain.take()[2], MessageType.PAD_ATTACH);
});

Deno.test("SessionDecoder rejects a bad touch state, battery value or non-finite motion", () => {
  const attach = [MessageType.PAD_ATTACH, 0, 0];
  assertProtocolError(
    () => decodeClientPayload([...attach, MessageType.TOUCH, 0, 10, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0]),
    /unknown touch state 3/,
  );
  assertProtocolError(
    () => decodeClientPayload([...attach, MessageType.BATTERY, 0, 3, 0, 9, 0]),
    /unknown battery level 9/,
  );
  const nan = [0x7f, 0xc0, 0, 0];
  assertProtocolError(
    () =>
      decodeClientPayload([
        ...attach,
        MessageType.MOTION,
        0,
        33,
        0,
        ...new Array(8).fill(0),
        ...nan,
        ...new Array(20).fill(0),
      ]),
    /not a finite number/,
  );
});
