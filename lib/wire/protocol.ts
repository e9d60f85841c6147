/**
 * padlink wire protocol, version 1: message types, their byte layouts, an
 * encoder that batches input events into frames, and a decoder that parses a
 * frame's payload into messages. See `docs/protocol.md` for the layouts.
 *
 * A frame's payload holds one or more messages back to back. Every message
 * starts with a one-byte type. The types of the first release (below
 * {@linkcode EXTENDED_TYPE_MIN}) have a length that follows from the type
 * (strings carry their own one-byte length). Every later type is
 * _extended_: a u16 body length follows the type byte, so a receiver skips a
 * type it does not know. Which types each side sends and receives is
 * negotiated in the handshake ({@linkcode Capabilities}); a peer of the first
 * release negotiates nothing and gets only the first release's types.
 *
 * @module
 */

import { toHex } from "./bytes.ts";
import { FrameEncoder } from "./frame.ts";
import {
  AXIS_NAMES,
  axisIndex,
  BUTTON_NAMES,
  buttonIndex,
  type InputEvent,
  MAX_PAD,
  PAD_CAPABILITIES,
  PAD_KINDS,
  type PadCapability,
  type PadKind,
  quantizeAxis,
} from "../input/model.ts";

/** Protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;

/** The four bytes that open the server's greeting: ASCII "PADL". */
export const MAGIC = new Uint8Array([0x50, 0x41, 0x44, 0x4c]);

/** Bytes in a handshake nonce. */
export const NONCE_SIZE = 16;

/** Bytes in an HMAC-SHA-256 proof. */
export const PROOF_SIZE = 32;

/** Longest client name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 64;

/** Message type codes (the first byte of every message). */
export const MessageType = {
  /** server → client: magic, version, flags, nonce. */
  HELLO: 0x01,
  /** client → server: version, flags, name, nonce, proof. */
  JOIN: 0x02,
  /** server → client: assigned name, heartbeat timings, proof. */
  WELCOME: 0x03,
  /** server → client: refusal code and reason, then the server closes. */
  REFUSE: 0x04,
  /** either way: the sender is leaving; code and reason. */
  GOODBYE: 0x05,
  /** either way: echo request carrying a 32-bit id. */
  PING: 0x06,
  /** either way: echo reply carrying the id of the PING. */
  PONG: 0x07,
  /** client → server: pad number and name. */
  PAD_ATTACH: 0x10,
  /** client → server: pad number. */
  PAD_DETACH: 0x11,
  /** client → server: pad number, button index. */
  BUTTON_DOWN: 0x12,
  /** client → server: pad number, button index. */
  BUTTON_UP: 0x13,
  /** client → server: pad number, axis index, int16 value. */
  AXIS: 0x14,
  /** client → server: key id, key name, scancode name. */
  KEY_DEFINE: 0x15,
  /** client → server: key id. */
  KEY_DOWN: 0x16,
  /** client → server: key id. */
  KEY_UP: 0x17,
  /** server → client: pad number, low and high motor strength, duration in ms. */
  RUMBLE: 0x20,
  /** server → client (extended): pad number, left and right trigger motor strength, duration in ms. */
  TRIGGER_RUMBLE: 0x40,
  /** server → client (extended): pad number, red, green, blue. */
  LED: 0x41,
  /**
   * server → client (extended): id, the server's clock when sent, and the
   * server's latest round-trip and offset estimates for this client.
   */
  CLOCK_REQUEST: 0x42,
  /**
   * client → server (extended): the request's id and send time echoed, and
   * the client's clock when the request arrived and when it replied.
   */
  CLOCK_REPLY: 0x43,
  /**
   * client → server (extended): the client's clock when the input messages
   * after it in the same frame were captured.
   */
  CAPTURE_TIME: 0x44,
  /** client → server (extended): a pad attached, with its type, USB ids, capabilities and name. */
  PAD_ATTACH_EX: 0x45,
  /** client → server (extended): pad, sensor time µs, accelerometer and gyro samples. */
  MOTION: 0x46,
  /** client → server (extended): pad, touchpad, finger, down/move/up, position, pressure. */
  TOUCH: 0x47,
  /** client → server (extended): pad, battery level and state. */
  BATTERY: 0x48,
  /** server → client (extended): turn a pad's accelerometer and gyro on or off. */
  MOTION_REQUEST: 0x49,
} as const;

/**
 * The first extended message type. A message of type `0x40`–`0xff` is the
 * type byte, a u16 body length and the body; a receiver skips a type it does
 * not know, and ignores bytes after the fields it knows in a known one, so an
 * extended message may grow new trailing fields.
 */
export const EXTENDED_TYPE_MIN = 0x40;

/** Bytes before an extended message's body: the type and the u16 body length. */
export const EXTENDED_HEADER_SIZE = 3;

/**
 * What one side of a session sends and receives after the handshake, as
 * message types. A side sends an optional type only when the peer listed it
 * among the types it receives.
 */
export interface Capabilities {
  /** The message types this side may send. */
  sends: readonly number[];
  /** The message types this side accepts. */
  receives: readonly number[];
}

/** Most message types in one list of a {@linkcode Capabilities} block. */
export const MAX_CAPABILITY_TYPES = 64;

/** HELLO flag: the server requires a token proof. */
export const HELLO_FLAG_AUTH = 0x01;

/**
 * HELLO flag: the server negotiates capabilities, so the client may set
 * {@linkcode JOIN_FLAG_CAPABILITIES}. A first-release client ignores the bit.
 */
export const HELLO_FLAG_CAPABILITIES = 0x02;

/**
 * JOIN flag: a {@linkcode SESSION_ID_SIZE}-byte session id follows the proof.
 * A client keeps one id for its whole run, so that when it reconnects before
 * the server noticed the old connection died, the server can drop the old
 * session and hand its name over instead of calling the client `name#2`.
 */
export const JOIN_FLAG_SESSION = 0x01;

/**
 * JOIN flag: the client's {@linkcode Capabilities} follow the proof (and the
 * session id); the WELCOME then carries the server's. Sent only to a server
 * whose HELLO set {@linkcode HELLO_FLAG_CAPABILITIES}.
 */
export const JOIN_FLAG_CAPABILITIES = 0x02;

/** Bytes in a JOIN session id. */
export const SESSION_ID_SIZE = 16;

/** Why a server refused a JOIN. */
export const RefuseCode = {
  PROTOCOL: 1,
  VERSION: 2,
  TOKEN_REQUIRED: 3,
  TOKEN_WRONG: 4,
  BAD_NAME: 5,
  SERVER_FULL: 6,
  RATE_LIMITED: 7,
} as const;

/** Why a peer said GOODBYE. */
export const GoodbyeCode = {
  /** The client is quitting (or acknowledging the server's goodbye). */
  NORMAL: 0,
  /** The server is shutting down. */
  SERVER_SHUTDOWN: 1,
  /** The server processed everything the client sent before its GOODBYE. */
  ACK: 2,
} as const;

/** A message broke the protocol: unknown type, short body, bad value. */
export class ProtocolError extends Error {
  /** Create a protocol error. */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** The server's greeting. */
export interface Hello {
  /** The protocol version the server speaks. */
  version: number;
  /** HELLO flags, for example {@linkcode HELLO_FLAG_AUTH}. */
  flags: number;
  /** The server's fresh nonce for the token proofs. */
  nonce: Uint8Array;
}

/** The client's answer to HELLO. */
export interface Join {
  /** The protocol version the client speaks. */
  version: number;
  /** JOIN flags, for example {@linkcode JOIN_FLAG_SESSION}. */
  flags: number;
  /** The name the client asks for. */
  name: string;
  /** The client's fresh nonce for the token proofs. */
  nonce: Uint8Array;
  /** HMAC proof of the token; empty when the client has no token. */
  proof: Uint8Array;
  /**
   * The client's session id, the same on every reconnect of one client run;
   * sent when present (sets {@linkcode JOIN_FLAG_SESSION}).
   */
  session?: Uint8Array;
  /**
   * What the client sends and receives; sent when present (sets
   * {@linkcode JOIN_FLAG_CAPABILITIES}). Absent from a first-release client.
   */
  capabilities?: Capabilities;
}

/** The server's acceptance. */
export interface Welcome {
  /** The name the server assigned (the requested one, or `name#2` when it was taken). */
  name: string;
  /** How often the server sends a heartbeat when otherwise idle, in ms. */
  heartbeatMs: number;
  /** Silence after which the server drops the client, in ms. */
  timeoutMs: number;
  /** HMAC proof that the server knows the token; empty without auth. */
  proof: Uint8Array;
  /**
   * What the server sends and receives; sent only to a client whose JOIN
   * carried its own capabilities.
   */
  capabilities?: Capabilities;
}

/** The server's refusal. */
export interface Refuse {
  /** Why, as a {@linkcode RefuseCode}. */
  code: number;
  /** Why, for a person to read. */
  reason: string;
}

/** A GOODBYE. */
export interface Goodbye {
  /** 0 normal, 1 server shutdown, 2 acknowledgement of the peer's GOODBYE. */
  code: number;
  /** Why, for a person to read. */
  reason: string;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Encode a string as UTF-8 truncated on a character boundary to `maxBytes`. */
export function utf8Truncate(text: string, maxBytes = 255): Uint8Array {
  let bytes = textEncoder.encode(text);
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  bytes = bytes.subarray(0, end);
  return bytes;
}

function writeString(encoder: FrameEncoder, text: string): void {
  const bytes = utf8Truncate(text);
  encoder.writeU8(bytes.length);
  encoder.writeBytes(bytes);
}

/** Encode HELLO as one frame. */
export function encodeHello(hello: Hello): Uint8Array {
  const e = new FrameEncoder();
  e.begin();
  e.writeU8(MessageType.HELLO);
  e.writeBytes(MAGIC);
  e.writeU8(hello.version);
  e.writeU8(hello.flags);
  e.writeBytes(hello.nonce);
  e.end();
  return e.take();
}

/** Encode JOIN as one frame. */
export function encodeJoin(join: Join): Uint8Array {
  if (join.session && join.session.length !== SESSION_ID_SIZE) {
    throw new RangeError(
      `a session id must be ${SESSION_ID_SIZE} bytes, got ${join.session.length}`,
    );
  }
  const e = new FrameEncoder();
  e.begin();
  e.writeU8(MessageType.JOIN);
  e.writeU8(join.version);
  let flags = join.session ? join.flags | JOIN_FLAG_SESSION : join.flags & ~JOIN_FLAG_SESSION;
  flags = join.capabilities ? flags | JOIN_FLAG_CAPABILITIES : flags & ~JOIN_FLAG_CAPABILITIES;
  e.writeU8(flags);
  writeString(e, join.name);
  e.writeBytes(join.nonce);
  e.writeU8(join.proof.length);
  e.writeBytes(join.proof);
  if (join.session) e.writeBytes(join.session);
  if (join.capabilities) writeCapabilities(e, join.capabilities);
  e.end();
  return e.take();
}

/** Encode WELCOME as one frame. */
export function encodeWelcome(welcome: Welcome): Uint8Array {
  const e = new FrameEncoder();
  e.begin();
  e.writeU8(MessageType.WELCOME);
  writeString(e, welcome.name);
  e.writeU16(welcome.heartbeatMs);
  e.writeU16(welcome.timeoutMs);
  e.writeU8(welcome.proof.length);
  e.writeBytes(welcome.proof);
  if (welcome.capabilities) writeCapabilities(e, welcome.capabilities);
  e.end();
  return e.take();
}

function writeCapabilities(e: FrameEncoder, capabilities: Capabilities): void {
  for (const list of [capabilities.sends, capabilities.receives]) {
    if (list.length > MAX_CAPABILITY_TYPES) {
      throw new RangeError(
        `a capability list holds at most ${MAX_CAPABILITY_TYPES} types, got ${list.length}`,
      );
    }
    e.writeU8(list.length);
    for (const type of list) e.writeU8(type);
  }
}

function readCapabilities(r: PayloadReader): Capabilities {
  const lists: number[][] = [];
  for (const what of ["sent", "received"]) {
    const count = r.u8(`the count of ${what} types`);
    if (count > MAX_CAPABILITY_TYPES) {
      throw new ProtocolError(
        `a capability list holds ${count} types, more than ${MAX_CAPABILITY_TYPES}`,
      );
    }
    lists.push([...r.bytes(count, `the ${what} types`)]);
  }
  return { sends: lists[0]!, receives: lists[1]! };
}

/** Encode REFUSE as one frame. */
export function encodeRefuse(refuse: Refuse): Uint8Array {
  const e = new FrameEncoder();
  e.begin();
  e.writeU8(MessageType.REFUSE);
  e.writeU8(refuse.code);
  writeString(e, refuse.reason);
  e.end();
  return e.take();
}

/** Encode GOODBYE as one frame. */
export function encodeGoodbye(goodbye: Goodbye): Uint8Array {
  const e = new FrameEncoder();
  e.begin();
  writeGoodbye(e, goodbye);
  e.end();
  return e.take();
}

function writeGoodbye(e: FrameEncoder, goodbye: Goodbye): void {
  e.writeU8(MessageType.GOODBYE);
  e.writeU8(goodbye.code);
  writeString(e, goodbye.reason);
}

/** Encode a PING or PONG carrying `id` as one frame. */
export function encodePing(
  type: typeof MessageType.PING | typeof MessageType.PONG,
  id: number,
): Uint8Array {
  const e = new FrameEncoder(64, 16);
  e.begin();
  e.writeU8(type);
  e.writeU32(id >>> 0);
  e.end();
  return e.take();
}

/** Encode RUMBLE as one frame. */
export function encodeRumble(
  pad: number,
  low: number,
  high: number,
  durationMs: number,
): Uint8Array {
  const e = new FrameEncoder(64, 16);
  e.begin();
  e.writeU8(MessageType.RUMBLE);
  e.writeU8(pad);
  e.writeU16(low);
  e.writeU16(high);
  e.writeU16(durationMs);
  e.end();
  return e.take();
}

/** Encode TRIGGER_RUMBLE (extended) as one frame. */
export function encodeTriggerRumble(
  pad: number,
  left: number,
  right: number,
  durationMs: number,
): Uint8Array {
  const e = new FrameEncoder(64, 16);
  e.begin();
  writeExtendedHeader(e, MessageType.TRIGGER_RUMBLE, 7);
  e.writeU8(pad);
  e.writeU16(left);
  e.writeU16(right);
  e.writeU16(durationMs);
  e.end();
  return e.take();
}

/** Encode LED (extended) as one frame: the colour as three bytes. */
export function encodeLed(pad: number, red: number, green: number, blue: number): Uint8Array {
  const e = new FrameEncoder(64, 16);
  e.begin();
  writeExtendedHeader(e, MessageType.LED, 4);
  e.writeU8(pad);
  e.writeU8(red);
  e.writeU8(green);
  e.writeU8(blue);
  e.end();
  return e.take();
}

/** CLOCK_REQUEST's body length: id u32, sent i64, rtt u32, offset i64. */
const CLOCK_REQUEST_BODY = 24;
/** CLOCK_REPLY's body length: id u32, three i64 times. */
const CLOCK_REPLY_BODY = 28;
/** CAPTURE_TIME's body length: one i64 time. */
const CAPTURE_TIME_BODY = 8;

/** The `rttUs` of a {@linkcode ClockRequest} whose sender has no estimate yet. */
export const RTT_UNKNOWN = 0xffffffff;

/** A CLOCK_REQUEST: the server asks for the client's clock. */
export interface ClockRequest {
  /** Chosen by the server, echoed in the reply. */
  id: number;
  /** The server's clock when it sent the request, in µs. */
  sentUs: number;
  /** The server's filtered round-trip estimate in µs, or {@linkcode RTT_UNKNOWN}. */
  rttUs: number;
  /** The server's filtered estimate of server clock − client clock, in µs (0 when unknown). */
  offsetUs: number;
}

/** A CLOCK_REPLY: the client's answer to a {@linkcode ClockRequest}. */
export interface ClockReply {
  /** The request's id. */
  id: number;
  /** The request's `sentUs`, echoed. */
  sentUs: number;
  /** The client's clock when the request arrived, in µs. */
  receivedUs: number;
  /** The client's clock when it sent this reply, in µs. */
  repliedUs: number;
}

/** Encode CLOCK_REQUEST (extended) as one frame. */
export function encodeClockRequest(request: ClockRequest): Uint8Array {
  const e = new FrameEncoder(64, 32);
  e.begin();
  writeExtendedHeader(e, MessageType.CLOCK_REQUEST, CLOCK_REQUEST_BODY);
  e.writeU32(request.id >>> 0);
  writeI64(e, request.sentUs);
  e.writeU32(Math.min(RTT_UNKNOWN, Math.max(0, Math.round(request.rttUs))));
  writeI64(e, request.offsetUs);
  e.end();
  return e.take();
}

/** Encode CLOCK_REPLY (extended) as one frame. */
export function encodeClockReply(reply: ClockReply): Uint8Array {
  const e = new FrameEncoder(64, 40);
  e.begin();
  writeExtendedHeader(e, MessageType.CLOCK_REPLY, CLOCK_REPLY_BODY);
  e.writeU32(reply.id >>> 0);
  writeI64(e, reply.sentUs);
  writeI64(e, reply.receivedUs);
  writeI64(e, reply.repliedUs);
  e.end();
  return e.take();
}

/** Most magnitude an i64 field carries here: JavaScript's safe integers. */
const I64_LIMIT = Number.MAX_SAFE_INTEGER;

/** Write a signed 64-bit big-endian integer (a whole number of µs). */
function writeI64(e: FrameEncoder, value: number): void {
  const v = Math.max(-I64_LIMIT, Math.min(I64_LIMIT, Math.round(value)));
  const high = Math.floor(v / 2 ** 32);
  e.writeU32(high >>> 0);
  e.writeU32(v - high * 2 ** 32);
}

/** Encode MOTION_REQUEST (extended) as one frame: a pad's sensors on or off. */
export function encodeMotionRequest(pad: number, enable: boolean): Uint8Array {
  const e = new FrameEncoder(64, 16);
  e.begin();
  writeExtendedHeader(e, MessageType.MOTION_REQUEST, 2);
  e.writeU8(pad);
  e.writeU8(enable ? 1 : 0);
  e.end();
  return e.take();
}

/**
 * Write the type byte and u16 body length that open an extended message;
 * the caller then writes exactly `bodyLength` bytes.
 */
export function writeExtendedHeader(e: FrameEncoder, type: number, bodyLength: number): void {
  if (type < EXTENDED_TYPE_MIN || type > 0xff) {
    throw new RangeError(`message type 0x${hex(type)} is not an extended type`);
  }
  e.writeU8(type);
  e.writeU16(bodyLength);
}

/** The heartbeat: an empty frame, two bytes on the wire. */
export const HEARTBEAT_FRAME: Uint8Array = new Uint8Array([0, 0]);

/**
 * A cursor over a payload that throws {@linkcode ProtocolError} on a read
 * past the end, so no malformed message can read out of bounds.
 */
export class PayloadReader {
  #bytes: Uint8Array;
  #offset = 0;
  /** Where reading stops: the payload's end, or an extended message body's. */
  #end: number;

  /** Read `bytes` from the start. */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#end = bytes.length;
  }

  /** Point the reader at a new payload (avoids an allocation per frame). */
  reset(bytes: Uint8Array): void {
    this.#bytes = bytes;
    this.#offset = 0;
    this.#end = bytes.length;
  }

  /** Bytes left to read (within the body entered, if any). */
  get remaining(): number {
    return this.#end - this.#offset;
  }

  /**
   * Limit reading to the next `length` bytes (an extended message's body).
   *
   * @returns the bound to hand back to {@linkcode PayloadReader.leave}.
   * @throws {ProtocolError} when fewer than `length` bytes are left.
   */
  enter(length: number, what: string): number {
    this.#need(length, what);
    const outer = this.#end;
    this.#end = this.#offset + length;
    return outer;
  }

  /** Skip what is left of the body entered, and restore the `outer` bound. */
  leave(outer: number): void {
    this.#offset = this.#end;
    this.#end = outer;
  }

  #need(n: number, what: string): void {
    if (this.#end - this.#offset < n) {
      throw new ProtocolError(`message truncated while reading ${what}`);
    }
  }

  /** Read a byte. */
  u8(what = "a byte"): number {
    this.#need(1, what);
    return this.#bytes[this.#offset++]!;
  }

  /** Read a big-endian u16. */
  u16(what = "a 16-bit value"): number {
    this.#need(2, what);
    const b = this.#bytes;
    const value = (b[this.#offset]! << 8) | b[this.#offset + 1]!;
    this.#offset += 2;
    return value;
  }

  /** Read a big-endian i16. */
  i16(what = "a 16-bit value"): number {
    const value = this.u16(what);
    return value > 0x7fff ? value - 0x10000 : value;
  }

  /** Read a big-endian u32. */
  u32(what = "a 32-bit value"): number {
    const high = this.u16(what);
    return high * 0x10000 + this.u16(what);
  }

  /** Read a big-endian two's-complement i64 (exact within JavaScript's safe integers). */
  i64(what = "a 64-bit value"): number {
    const high = this.u32(what) | 0;
    return high * 2 ** 32 + this.u32(what);
  }

  /** Read a big-endian IEEE 754 single-precision float. */
  f32(what = "a float"): number {
    this.#need(4, what);
    const b = this.#bytes;
    const view = new DataView(b.buffer, b.byteOffset + this.#offset, 4);
    this.#offset += 4;
    return view.getFloat32(0);
  }

  /** Read `n` raw bytes (a copy). */
  bytes(n: number, what = "bytes"): Uint8Array {
    this.#need(n, what);
    const out = this.#bytes.slice(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /** Read a u8-length-prefixed UTF-8 string. */
  string(what = "a string"): string {
    const length = this.u8(what);
    this.#need(length, what);
    const view = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    try {
      return textDecoder.decode(view);
    } catch {
      throw new ProtocolError(`${what} is not valid UTF-8`);
    }
  }
}

/** Decode a handshake-phase payload that must hold exactly one message. */
function single<T>(payload: Uint8Array, type: number, name: string, read: (r: PayloadReader) => T) {
  const r = new PayloadReader(payload);
  const actual = r.u8("the message type");
  if (actual !== type) {
    throw new ProtocolError(`expected ${name}, got message type 0x${hex(actual)}`);
  }
  const message = read(r);
  if (r.remaining !== 0) {
    throw new ProtocolError(`${name} has ${r.remaining} unexpected trailing bytes`);
  }
  return message;
}

function hex(type: number): string {
  return toHex(Uint8Array.of(type));
}

/**
 * Decode HELLO.
 *
 * @throws {ProtocolError} when the payload is not a padlink HELLO (wrong
 * magic means the peer is not a padlink server).
 */
export function decodeHello(payload: Uint8Array): Hello {
  return single(payload, MessageType.HELLO, "HELLO", (r) => {
    const magic = r.bytes(4, "the magic");
    if (!magic.every((b, i) => b === MAGIC[i])) {
      throw new ProtocolError("the greeting does not start with PADL");
    }
    return { version: r.u8("the version"), flags: r.u8("flags"), nonce: r.bytes(NONCE_SIZE) };
  });
}

/** Decode JOIN. */
export function decodeJoin(payload: Uint8Array): Join {
  return single(payload, MessageType.JOIN, "JOIN", (r) => {
    const version = r.u8("the version");
    const flags = r.u8("flags");
    const name = r.string("the name");
    const nonce = r.bytes(NONCE_SIZE, "the nonce");
    const proof = r.bytes(r.u8("the proof length"), "the proof");
    const join: Join = { version, flags, name, nonce, proof };
    if ((flags & JOIN_FLAG_SESSION) !== 0) {
      join.session = r.bytes(SESSION_ID_SIZE, "the session id");
    }
    if ((flags & JOIN_FLAG_CAPABILITIES) !== 0) join.capabilities = readCapabilities(r);
    return join;
  });
}

/** Peek at the type of a payload's first message, or -1 if empty. */
export function messageTypeOf(payload: Uint8Array): number {
  return payload.length === 0 ? -1 : payload[0]!;
}

/**
 * Decode WELCOME: the first release's fields, then the server's
 * capabilities when any bytes follow the proof.
 */
export function decodeWelcome(payload: Uint8Array): Welcome {
  return single(payload, MessageType.WELCOME, "WELCOME", (r) => {
    const welcome: Welcome = {
      name: r.string("the name"),
      heartbeatMs: r.u16("the heartbeat"),
      timeoutMs: r.u16("the timeout"),
      proof: r.bytes(r.u8("the proof length"), "the proof"),
    };
    if (r.remaining > 0) welcome.capabilities = readCapabilities(r);
    return welcome;
  });
}

/** Decode REFUSE. */
export function decodeRefuse(payload: Uint8Array): Refuse {
  return single(payload, MessageType.REFUSE, "REFUSE", (r) => ({
    code: r.u8("the code"),
    reason: r.string("the reason"),
  }));
}

/**
 * The control messages both directions carry: the decoder calls these in
 * order with what the peer sent.
 */
export interface ControlSink {
  /** The peer said GOODBYE. */
  goodbye(code: number, reason: string): void;
  /** The peer sent a PING. */
  ping(id: number): void;
  /** The peer answered a PING. */
  pong(id: number): void;
}

/**
 * What a server receives from a client after the handshake
 * ({@linkcode CLIENT_SESSION_TYPES}): input changes and control messages.
 * Input messages carry raw indices so decoding allocates nothing.
 */
export interface ClientMessageSink extends ControlSink {
  /** A pad was attached; `info` comes with PAD_ATTACH_EX. */
  padAttach(pad: number, name: string, info?: PadInfo): void;
  /** A pad was detached. */
  padDetach(pad: number): void;
  /** A button changed. `button` indexes {@linkcode BUTTON_NAMES}. */
  button(pad: number, button: number, pressed: boolean): void;
  /** An axis moved. `axis` indexes {@linkcode AXIS_NAMES}; `raw` is the wire int16. */
  axis(pad: number, axis: number, raw: number): void;
  /** A key changed. */
  key(key: string, scancode: string, pressed: boolean): void;
  /**
   * The client's clock, in µs, when the input messages after this one in
   * the same payload were captured. Each payload starts without one.
   */
  captureTime(us: number): void;
  /** The client answered a {@linkcode ClockRequest}. */
  clockReply(reply: ClockReply): void;
  /** A motion sample: sensor time in µs, accelerometer m/s², gyro rad/s. */
  motion(
    pad: number,
    tUs: number,
    accel: [number, number, number],
    gyro: [number, number, number],
  ): void;
  /**
   * A touchpad finger: `state` indexes {@linkcode TOUCH_STATES}; `x`, `y`
   * and `pressure` are 0..65535 for 0..1.
   */
  touch(
    pad: number,
    touchpad: number,
    finger: number,
    state: number,
    x: number,
    y: number,
    pressure: number,
  ): void;
  /** A battery change: indices of {@linkcode BATTERY_LEVELS} and {@linkcode BATTERY_STATES}. */
  battery(pad: number, level: number, state: number): void;
}

/** What PAD_ATTACH_EX says about a pad besides its name. */
export interface PadInfo {
  /** The controller type. */
  kind: PadKind;
  /** USB vendor id (0 when unknown). */
  vendor: number;
  /** USB product id (0 when unknown). */
  product: number;
  /** What it has besides buttons and axes. */
  capabilities: PadCapability[];
}

/** TOUCH states on the wire, by index. */
export const TOUCH_STATES = ["down", "move", "up"] as const;

/** BATTERY levels on the wire, by index. */
export const BATTERY_LEVELS = ["unknown", "empty", "low", "medium", "full"] as const;

/** BATTERY states on the wire, by index. */
export const BATTERY_STATES = ["unknown", "battery", "wired"] as const;

/** A touch position or pressure, 0..1, as the u16 on the wire. */
export function quantizeUnit(value: number): number {
  return Math.round(Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0)) * 0xffff);
}

/** A u16 from the wire back to 0..1, rounded to 4 decimals. */
export function dequantizeUnit(raw: number): number {
  return Math.round(raw / 0xffff * 10000) / 10000;
}

/**
 * What a client receives from a server after the handshake
 * ({@linkcode SERVER_SESSION_TYPES}): feedback and control messages.
 */
export interface ServerMessageSink extends ControlSink {
  /** The server asked for rumble: motor strengths 0..65535 for `durationMs`. */
  rumble(pad: number, low: number, high: number, durationMs: number): void;
  /** The server asked for trigger rumble: strengths 0..65535 for `durationMs`. */
  triggerRumble(pad: number, left: number, right: number, durationMs: number): void;
  /** The server set the pad's LED colour. */
  led(pad: number, red: number, green: number, blue: number): void;
  /** A consumer asked for the pad's motion sensors on (or off). */
  motionRequest(pad: number, enable: boolean): void;
  /** The server asked for this client's clock; `receivedUs` is when the payload was decoded. */
  clockRequest(request: ClockRequest): void;
}

/**
 * One feedback message as it came off the wire: strengths 0..65535,
 * durations in ms, colour channels 0..255.
 */
export type FeedbackMessage =
  | { type: "rumble"; pad: number; low: number; high: number; durationMs: number }
  | { type: "trigger_rumble"; pad: number; left: number; right: number; durationMs: number }
  | { type: "led"; pad: number; red: number; green: number; blue: number };

/** A sink for every session message, whichever side sent it (tests, tools). */
export type AnyMessageSink = ClientMessageSink & ServerMessageSink;

/**
 * Decodes session payloads (after the handshake) into sink calls. It keeps
 * the per-connection key table that KEY_DEFINE fills, at most
 * {@linkcode MAX_KEY_IDS} ids; redefining an id whose key is held down
 * releases that key first, so the keys a peer holds never outnumber its ids.
 *
 * Which messages are accepted is set by the `allowed` list, so a message of
 * the other direction (a client sending RUMBLE) is a
 * {@linkcode ProtocolError} before any sink is called. Use
 * {@linkcode SessionDecoder.fromClient} or {@linkcode SessionDecoder.fromServer}
 * for the two real directions: their sink types hold exactly the messages
 * their lists allow.
 *
 * @typeParam Sink what the decoded messages are delivered to.
 */
export class SessionDecoder<Sink extends ControlSink = AnyMessageSink> {
  readonly #reader = new PayloadReader(new Uint8Array(0));
  /** Per key id: its names, and whether the peer holds it down now. */
  readonly #keys = new Map<number, { key: string; scancode: string; held: boolean }>();
  readonly #allowed: ReadonlySet<number>;
  #skipped = 0;

  /**
   * A decoder with an empty key table that accepts only the message types in `allowed`.
   *
   * @param allowed the message types this side accepts; any other type is a
   * {@linkcode ProtocolError}.
   */
  constructor(allowed: Iterable<number>) {
    this.#allowed = new Set(allowed);
  }

  /** A decoder for what a server receives from a client ({@linkcode CLIENT_SESSION_TYPES}). */
  static fromClient(): SessionDecoder<ClientMessageSink> {
    return new SessionDecoder<ClientMessageSink>(CLIENT_SESSION_TYPES);
  }

  /** A decoder for what a client receives from a server ({@linkcode SERVER_SESSION_TYPES}). */
  static fromServer(): SessionDecoder<ServerMessageSink> {
    return new SessionDecoder<ServerMessageSink>(SERVER_SESSION_TYPES);
  }

  /** Extended messages skipped so far because this side does not take their type. */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * Decode every message in `payload`, in order. An extended message whose
   * type this decoder does not accept is skipped; bytes after the fields it
   * knows in an extended message are ignored.
   *
   * @throws {ProtocolError} on an unknown or unexpected first-release type,
   * or a malformed message; messages before the bad one have already been
   * delivered.
   */
  decode(payload: Uint8Array, sink: Sink): void {
    const r = this.#reader;
    r.reset(payload);
    while (r.remaining > 0) {
      const type = r.u8();
      if (type < EXTENDED_TYPE_MIN) {
        if (!this.#allowed.has(type)) {
          throw new ProtocolError(`unexpected message type 0x${hex(type)}`);
        }
        this.#message(type, r, sink);
        continue;
      }
      const outer = r.enter(r.u16("the message length"), `the body of message type 0x${hex(type)}`);
      if (this.#allowed.has(type)) this.#message(type, r, sink);
      else this.#skipped++;
      r.leave(outer);
    }
  }

  #message(type: number, r: PayloadReader, sink: Sink): void {
    // Only the types in #allowed reach here; the factories pair each list
    // with the sink type that has a method for every one.
    const all = sink as unknown as AnyMessageSink;
    switch (type) {
      case MessageType.BUTTON_DOWN:
      case MessageType.BUTTON_UP: {
        const pad = readPad(r);
        const button = r.u8("the button");
        if (button >= BUTTON_NAMES.length) {
          throw new ProtocolError(`unknown button index ${button}`);
        }
        all.button(pad, button, type === MessageType.BUTTON_DOWN);
        break;
      }
      case MessageType.AXIS: {
        const pad = readPad(r);
        const axis = r.u8("the axis");
        if (axis >= AXIS_NAMES.length) throw new ProtocolError(`unknown axis index ${axis}`);
        all.axis(pad, axis, r.i16("the axis value"));
        break;
      }
      case MessageType.KEY_DOWN:
      case MessageType.KEY_UP: {
        const id = r.u16("the key id");
        const entry = this.#keys.get(id);
        if (!entry) throw new ProtocolError(`key id ${id} was never defined`);
        entry.held = type === MessageType.KEY_DOWN;
        all.key(entry.key, entry.scancode, entry.held);
        break;
      }
      case MessageType.KEY_DEFINE: {
        const id = r.u16("the key id");
        if (this.#keys.size >= MAX_KEY_IDS && !this.#keys.has(id)) {
          throw new ProtocolError(`more than ${MAX_KEY_IDS} key ids defined`);
        }
        const key = r.string("the key name");
        const scancode = r.string("the scancode name");
        // Redefining a held id releases its old key first: otherwise each
        // redefinition would leave one more key held for good, and a peer
        // could make the server hold millions.
        const old = this.#keys.get(id);
        if (old?.held) all.key(old.key, old.scancode, false);
        this.#keys.set(id, { key, scancode, held: false });
        break;
      }
      case MessageType.PAD_ATTACH: {
        const pad = readPad(r);
        all.padAttach(pad, r.string("the pad name"));
        break;
      }
      case MessageType.PAD_DETACH:
        all.padDetach(readPad(r));
        break;
      case MessageType.PAD_ATTACH_EX: {
        const pad = readPad(r);
        const kindIndex = r.u8("the pad kind");
        const vendor = r.u16("the vendor id");
        const product = r.u16("the product id");
        const bits = r.u16("the capabilities");
        const name = r.string("the pad name");
        // A kind or capability from a later release reads as unknown / is left out.
        const kind = PAD_KINDS[kindIndex] ?? "unknown";
        const capabilities = PAD_CAPABILITIES.filter((_, bit) => (bits & (1 << bit)) !== 0);
        all.padAttach(pad, name, { kind, vendor, product, capabilities });
        break;
      }
      case MessageType.MOTION: {
        const pad = readPad(r);
        const tUs = r.u32("the sensor time") * 0x100000000 + r.u32("the sensor time");
        const accel: [number, number, number] = [
          r.f32("accel x"),
          r.f32("accel y"),
          r.f32("accel z"),
        ];
        const gyro: [number, number, number] = [r.f32("gyro x"), r.f32("gyro y"), r.f32("gyro z")];
        if (![...accel, ...gyro].every(Number.isFinite)) {
          throw new ProtocolError("a motion sample is not a finite number");
        }
        all.motion(pad, tUs, accel, gyro);
        break;
      }
      case MessageType.TOUCH: {
        const pad = readPad(r);
        const touchpad = r.u8("the touchpad");
        const finger = r.u8("the finger");
        const state = r.u8("the touch state");
        if (state >= TOUCH_STATES.length) throw new ProtocolError(`unknown touch state ${state}`);
        all.touch(pad, touchpad, finger, state, r.u16("x"), r.u16("y"), r.u16("pressure"));
        break;
      }
      case MessageType.BATTERY: {
        const pad = readPad(r);
        const level = r.u8("the battery level");
        const state = r.u8("the battery state");
        if (level >= BATTERY_LEVELS.length || state >= BATTERY_STATES.length) {
          throw new ProtocolError(`unknown battery level ${level} or state ${state}`);
        }
        all.battery(pad, level, state);
        break;
      }
      case MessageType.GOODBYE:
        sink.goodbye(r.u8("the goodbye code"), r.string("the goodbye reason"));
        break;
      case MessageType.PING:
        sink.ping(r.u32("the ping id"));
        break;
      case MessageType.PONG:
        sink.pong(r.u32("the pong id"));
        break;
      case MessageType.RUMBLE: {
        const pad = readPad(r);
        all.rumble(pad, r.u16("low"), r.u16("high"), r.u16("duration"));
        break;
      }
      case MessageType.TRIGGER_RUMBLE: {
        const pad = readPad(r);
        all.triggerRumble(pad, r.u16("left"), r.u16("right"), r.u16("duration"));
        break;
      }
      case MessageType.LED: {
        const pad = readPad(r);
        all.led(pad, r.u8("red"), r.u8("green"), r.u8("blue"));
        break;
      }
      case MessageType.MOTION_REQUEST: {
        const pad = readPad(r);
        all.motionRequest(pad, r.u8("enable") !== 0);
        break;
      }
      case MessageType.CLOCK_REQUEST:
        all.clockRequest({
          id: r.u32("the clock request id"),
          sentUs: r.i64("the send time"),
          rttUs: r.u32("the round-trip time"),
          offsetUs: r.i64("the offset"),
        });
        break;
      case MessageType.CLOCK_REPLY:
        all.clockReply({
          id: r.u32("the clock reply id"),
          sentUs: r.i64("the send time"),
          receivedUs: r.i64("the receive time"),
          repliedUs: r.i64("the reply time"),
        });
        break;
      case MessageType.CAPTURE_TIME:
        all.captureTime(r.i64("the capture time"));
        break;
      default:
        throw new ProtocolError(`message type 0x${hex(type)} is not valid in a session`);
    }
  }
}

/** Most distinct keys one connection may define. */
export const MAX_KEY_IDS = 1024;

function readPad(r: PayloadReader): number {
  const pad = r.u8("the pad number");
  if (pad > MAX_PAD) throw new ProtocolError(`pad number ${pad} is over ${MAX_PAD}`);
  return pad;
}

/** Message types a server accepts from a client after the handshake. */
export const CLIENT_SESSION_TYPES: readonly number[] = [
  MessageType.PAD_ATTACH,
  MessageType.PAD_ATTACH_EX,
  MessageType.MOTION,
  MessageType.TOUCH,
  MessageType.BATTERY,
  MessageType.PAD_DETACH,
  MessageType.BUTTON_DOWN,
  MessageType.BUTTON_UP,
  MessageType.AXIS,
  MessageType.KEY_DEFINE,
  MessageType.KEY_DOWN,
  MessageType.KEY_UP,
  MessageType.GOODBYE,
  MessageType.PING,
  MessageType.PONG,
  MessageType.CLOCK_REPLY,
  MessageType.CAPTURE_TIME,
];

/** Message types a client accepts from a server after the handshake. */
export const SERVER_SESSION_TYPES: readonly number[] = [
  MessageType.GOODBYE,
  MessageType.PING,
  MessageType.PONG,
  MessageType.RUMBLE,
  MessageType.TRIGGER_RUMBLE,
  MessageType.LED,
  MessageType.MOTION_REQUEST,
  MessageType.CLOCK_REQUEST,
];

/** What this build's server sends and receives, as it says in WELCOME. */
export const SERVER_CAPABILITIES: Capabilities = {
  sends: SERVER_SESSION_TYPES,
  receives: CLIENT_SESSION_TYPES,
};

/** What this build's client sends and receives, as it says in JOIN. */
export const CLIENT_CAPABILITIES: Capabilities = {
  sends: CLIENT_SESSION_TYPES,
  receives: SERVER_SESSION_TYPES,
};

/**
 * What a first-release server is taken to send and receive: the first
 * release's types. (It never sends RUMBLE, having no source of feedback.)
 */
export const V1_SERVER_CAPABILITIES: Capabilities = {
  sends: [MessageType.GOODBYE, MessageType.PING, MessageType.PONG],
  receives: CLIENT_SESSION_TYPES.filter((type) => type < EXTENDED_TYPE_MIN),
};

/**
 * What a first-release client is taken to send and receive. It accepts
 * RUMBLE but drops it, so it is not listed: a server refuses feedback for a
 * first-release client instead of sending what would be lost.
 */
export const V1_CLIENT_CAPABILITIES: Capabilities = {
  sends: CLIENT_SESSION_TYPES.filter((type) => type < EXTENDED_TYPE_MIN),
  receives: [MessageType.GOODBYE, MessageType.PING, MessageType.PONG],
};

/**
 * Encodes input events into frames, several events per frame, keeping the
 * key table that lets a key press cost five bytes after its first use.
 *
 * @example Usage
 * ```ts
 * import { InputEncoder } from "./protocol.ts";
 * const encoder = new InputEncoder();
 * encoder.add({ type: "button", pad: 0, button: "a", pressed: true });
 * const bytes = encoder.take();
 * if (bytes.length !== 5) throw new Error("a button press is 5 bytes framed");
 * ```
 */
export class InputEncoder {
  readonly #frames: FrameEncoder;
  readonly #maxFrameSize: number;
  readonly #keyIds = new Map<string, number>();
  #stampUs: number | null = null;
  #stampPending = false;
  readonly #peerReceives: ReadonlySet<number> | null;

  /**
   * Create an encoder whose frames stay within `maxFrameSize` payload bytes.
   *
   * @param maxFrameSize the largest payload of a frame
   * @param peerReceives the types the server takes (its capabilities); a pad
   *   attach then goes as PAD_ATTACH when the server does not take
   *   PAD_ATTACH_EX, and motion, touch and battery events it does not take
   *   are left out. Default: every type.
   */
  constructor(maxFrameSize = 1024, peerReceives?: Iterable<number>) {
    this.#maxFrameSize = maxFrameSize;
    this.#frames = new FrameEncoder(maxFrameSize);
    this.#peerReceives = peerReceives ? new Set(peerReceives) : null;
  }

  #takes(type: number): boolean {
    return this.#peerReceives === null || this.#peerReceives.has(type);
  }

  /** Bytes ready to send. */
  get length(): number {
    return this.#frames.length;
  }

  /**
   * Stamp the events added from now on as captured at `us` on the sender's
   * clock: a CAPTURE_TIME message goes before the next event, and again at
   * the start of every later frame until the stamp changes. Call it only for
   * a peer that receives {@linkcode MessageType.CAPTURE_TIME}; without a call,
   * no stamp is written.
   */
  captureTime(us: number): void {
    if (us === this.#stampUs) return;
    this.#stampUs = us;
    this.#stampPending = true;
  }

  /** Append one input event. */
  add(event: InputEvent): void {
    if (
      event.type !== "key" &&
      !(Number.isInteger(event.pad) && event.pad >= 0 && event.pad <= MAX_PAD)
    ) {
      throw new RangeError(`pad number must be an integer from 0 to ${MAX_PAD}, got ${event.pad}`);
    }
    const e = this.#frames;
    // Worst case per event: a capture time, then a key define with two
    // 255-byte names and the key press.
    if (e.inFrame && e.frameLength > this.#maxFrameSize - 532) e.end();
    if (!e.inFrame) {
      e.begin();
      this.#stampPending = this.#stampUs !== null;
    }
    if (this.#stampPending) {
      writeExtendedHeader(e, MessageType.CAPTURE_TIME, CAPTURE_TIME_BODY);
      writeI64(e, this.#stampUs!);
      this.#stampPending = false;
    }
    switch (event.type) {
      case "button":
        e.writeU8(event.pressed ? MessageType.BUTTON_DOWN : MessageType.BUTTON_UP);
        e.writeU8(event.pad);
        e.writeU8(checkIndex(buttonIndex(event.button), "button", event.button));
        break;
      case "axis": {
        const index = checkIndex(axisIndex(event.axis), "axis", event.axis);
        e.writeU8(MessageType.AXIS);
        e.writeU8(event.pad);
        e.writeU8(index);
        e.writeI16(quantizeAxis(index, event.value));
        break;
      }
      case "key": {
        const name = `${event.key}\u0000${event.scancode}`;
        let id = this.#keyIds.get(name);
        if (id === undefined) {
          id = this.#keyIds.size;
          if (id >= MAX_KEY_IDS) throw new RangeError(`more than ${MAX_KEY_IDS} distinct keys`);
          this.#keyIds.set(name, id);
          e.writeU8(MessageType.KEY_DEFINE);
          e.writeU16(id);
          writeString(e, event.key);
          writeString(e, event.scancode);
        }
        e.writeU8(event.pressed ? MessageType.KEY_DOWN : MessageType.KEY_UP);
        e.writeU16(id);
        break;
      }
      case "pad": {
        const extended = event.attached && this.#takes(MessageType.PAD_ATTACH_EX) &&
          (event.kind !== undefined || event.vendor !== undefined ||
            event.product !== undefined || event.capabilities !== undefined);
        if (extended) {
          const name = utf8Truncate(event.name ?? "");
          writeExtendedHeader(e, MessageType.PAD_ATTACH_EX, 9 + name.length);
          e.writeU8(event.pad);
          e.writeU8(Math.max(0, PAD_KINDS.indexOf(event.kind ?? "unknown")));
          e.writeU16(event.vendor ?? 0);
          e.writeU16(event.product ?? 0);
          let bits = 0;
          for (const capability of event.capabilities ?? []) {
            const bit = PAD_CAPABILITIES.indexOf(capability);
            if (bit >= 0) bits |= 1 << bit;
          }
          e.writeU16(bits);
          e.writeU8(name.length);
          e.writeBytes(name);
        } else if (event.attached) {
          e.writeU8(MessageType.PAD_ATTACH);
          e.writeU8(event.pad);
          writeString(e, event.name ?? "");
        } else {
          e.writeU8(MessageType.PAD_DETACH);
          e.writeU8(event.pad);
        }
        break;
      }
      case "motion": {
        if (!this.#takes(MessageType.MOTION)) break;
        writeExtendedHeader(e, MessageType.MOTION, 33);
        e.writeU8(event.pad);
        const tUs = Math.max(0, Math.round(event.t_us));
        e.writeU32(Math.floor(tUs / 0x100000000) >>> 0);
        e.writeU32(tUs >>> 0);
        for (const value of [...event.accel, ...event.gyro]) e.writeF32(value);
        break;
      }
      case "touch":
        if (!this.#takes(MessageType.TOUCH)) break;
        writeExtendedHeader(e, MessageType.TOUCH, 10);
        e.writeU8(event.pad);
        e.writeU8(event.touchpad);
        e.writeU8(event.finger);
        e.writeU8(TOUCH_STATES.indexOf(event.state));
        e.writeU16(quantizeUnit(event.x));
        e.writeU16(quantizeUnit(event.y));
        e.writeU16(quantizeUnit(event.pressure));
        break;
      case "battery":
        if (!this.#takes(MessageType.BATTERY)) break;
        writeExtendedHeader(e, MessageType.BATTERY, 3);
        e.writeU8(event.pad);
        e.writeU8(Math.max(0, BATTERY_LEVELS.indexOf(event.level)));
        e.writeU8(Math.max(0, BATTERY_STATES.indexOf(event.state)));
        break;
    }
  }

  /** Append a GOODBYE in its own frame. */
  goodbye(goodbye: Goodbye): void {
    const e = this.#frames;
    if (e.inFrame) e.end();
    e.begin();
    writeGoodbye(e, goodbye);
    e.end();
  }

  /** Take every encoded frame as one buffer for a single write. */
  take(): Uint8Array {
    if (this.#frames.inFrame) this.#frames.end();
    return this.#frames.take();
  }
}

function checkIndex(index: number, kind: string, name: string): number {
  if (index < 0) throw new RangeError(`unknown ${kind} name "${name}"`);
  return index;
}
