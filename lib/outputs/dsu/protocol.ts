/**
 * The DSU ("cemuhook") wire format, protocol 1001: named offsets for every
 * field, encoders for what a server sends and a checking decoder for what a
 * client sends. Written from the v1993/cemuhook-protocol README and
 * Dolphin's `DualShockUDPProto.h`; every offset here is from the start of
 * the datagram (the README counts from byte 20, after the message type).
 *
 * Every number is little-endian. Every packet starts with a 16-byte header
 * whose CRC-32 (zlib's) covers the whole packet with the CRC field zeroed.
 *
 * @module
 */

import { crc32 } from "node:zlib";

/** The only DSU protocol version there is. */
export const DSU_PROTOCOL_VERSION = 1001;

export { DSU_DEFAULT_PORT, DSU_SLOT_COUNT } from "./defaults.ts";
import { toHex } from "../../wire/bytes.ts";
import { DSU_SLOT_COUNT } from "./defaults.ts";

/** `DSUS`: the magic of a packet a server sends. */
export const MAGIC_SERVER: Uint8Array = new TextEncoder().encode("DSUS");

/** `DSUC`: the magic of a packet a client sends. */
export const MAGIC_CLIENT: Uint8Array = new TextEncoder().encode("DSUC");

/** Message types, the same number in a request and its replies. */
export const DsuMessage = {
  /** Protocol version information. */
  VERSION: 0x100000,
  /** Information about connected controllers (port info). */
  PORT_INFO: 0x100001,
  /** Controller data: a subscription request, then 100-byte pad packets. */
  PAD_DATA: 0x100002,
  /** Unofficial: how many rumble motors a controller has. */
  MOTOR_INFO: 0x110001,
  /** Unofficial: set one rumble motor's intensity. */
  RUMBLE: 0x110002,
} as const;

/** Offsets of the header (`MessageHeader` in DualShockUDPProto.h) and the message type. */
export const HeaderField = {
  /** 4 bytes: `DSUS` or `DSUC`. */
  MAGIC: 0,
  /** u16: {@linkcode DSU_PROTOCOL_VERSION}. */
  VERSION: 4,
  /** u16: packet size minus {@linkcode HEADER_SIZE}. */
  LENGTH: 6,
  /** u32: CRC-32 of the packet with this field zeroed. */
  CRC: 8,
  /** u32: the sender's id, random per run. */
  SENDER_ID: 12,
  /** u32: one of {@linkcode DsuMessage}; counted in the length. */
  MESSAGE_TYPE: 16,
} as const;

/** Bytes of the header; the length field counts what follows it. */
export const HEADER_SIZE = 16;

/** Bytes of the header and the message type: the smallest valid packet. */
export const MESSAGE_START = 20;

/** Size of the version reply: u16 version and 2 bytes of padding after the type. */
export const VERSION_REPLY_SIZE = 24;
/** Size of one port-info reply. */
export const PORT_INFO_SIZE = 32;
/** Size of one motor-info reply. */
export const MOTOR_INFO_SIZE = 32;
/** Size of one pad-data packet. */
export const PAD_DATA_SIZE = 100;

/** Offset of the version number in the version reply (u16). */
export const VERSION_REPLY_VERSION = 20;

/**
 * The slot description that begins port info, pad data and motor info
 * replies (11 bytes).
 */
export const SlotField = {
  /** u8: the slot, 0–3. */
  SLOT: 20,
  /** u8: {@linkcode SlotState}. */
  STATE: 21,
  /** u8: {@linkcode DeviceModel}. */
  MODEL: 22,
  /** u8: {@linkcode ConnectionType}. */
  CONNECTION: 23,
  /** 6 bytes: the pad's MAC address, zero when none. */
  MAC: 24,
  /** u8: {@linkcode BatteryStatus}. */
  BATTERY: 30,
} as const;

/** Offset of the zero byte after the slot description in a port-info reply. */
export const PORT_INFO_PADDING = 31;

/** Offset of the motor count (u8) in a motor-info reply. */
export const MOTOR_INFO_COUNT = 31;

/** Offsets of a 100-byte pad-data packet after its slot description. */
export const PadDataField = {
  /** u8: 1 while the pad is connected. */
  CONNECTED: 31,
  /** u32: rises by one on every packet to the same client. */
  PACKET_NUMBER: 32,
  /** u8: {@linkcode Buttons1} bits. */
  BUTTONS1: 36,
  /** u8: {@linkcode Buttons2} bits. */
  BUTTONS2: 37,
  /** u8: HOME (PS) button, 0 or 1. */
  HOME: 38,
  /** u8: touchpad click, 0 or 1. */
  TOUCH_BUTTON: 39,
  /** u8: left stick X, 128 centre, plus right. */
  LEFT_X: 40,
  /** u8: left stick Y, 128 centre, plus up. */
  LEFT_Y: 41,
  /** u8: right stick X, 128 centre, plus right. */
  RIGHT_X: 42,
  /** u8: right stick Y, 128 centre, plus up. */
  RIGHT_Y: 43,
  /** u8: first of the 12 analog button bytes, in {@linkcode AnalogButton} order. */
  ANALOG: 44,
  /** 6 bytes: the first touch ({@linkcode TouchField}). */
  TOUCH1: 56,
  /** 6 bytes: the second touch. */
  TOUCH2: 62,
  /** u64: motion timestamp in µs; must rise, or Cemu ignores the motion. */
  MOTION_TIMESTAMP_US: 68,
  /** f32: accelerometer X in g. */
  ACCEL_X_G: 76,
  /** f32: accelerometer Y in g. */
  ACCEL_Y_G: 80,
  /** f32: accelerometer Z in g. */
  ACCEL_Z_G: 84,
  /** f32: gyro pitch in deg/s. */
  GYRO_PITCH_DEG_S: 88,
  /** f32: gyro yaw in deg/s. */
  GYRO_YAW_DEG_S: 92,
  /** f32: gyro roll in deg/s. */
  GYRO_ROLL_DEG_S: 96,
} as const;

/** The analog button bytes, as indices from {@linkcode PadDataField.ANALOG} (bytes 44–55). */
export const AnalogButton = {
  DPAD_LEFT: 0,
  DPAD_DOWN: 1,
  DPAD_RIGHT: 2,
  DPAD_UP: 3,
  /** West face button (Nintendo Y, PlayStation square). */
  Y: 4,
  /** South face button (Nintendo B, PlayStation cross). */
  B: 5,
  /** East face button (Nintendo A, PlayStation circle). */
  A: 6,
  /** North face button (Nintendo X, PlayStation triangle). */
  X: 7,
  R1: 8,
  L1: 9,
  R2: 10,
  L2: 11,
} as const;

/** Number of analog button bytes. */
export const ANALOG_BUTTON_COUNT = 12;

/** Offsets within a 6-byte touch record. */
export const TouchField = {
  /** u8: 1 while the finger is down. */
  ACTIVE: 0,
  /** u8: the same for one continuous touch. */
  ID: 1,
  /** u16: X position, plus right. */
  X: 2,
  /** u16: Y position, plus down. */
  Y: 4,
} as const;

/** Bits of byte 36, the first button byte. */
export const Buttons1 = {
  DPAD_LEFT: 0x80,
  DPAD_DOWN: 0x40,
  DPAD_RIGHT: 0x20,
  DPAD_UP: 0x10,
  OPTIONS: 0x08,
  R3: 0x04,
  L3: 0x02,
  SHARE: 0x01,
} as const;

/** Bits of byte 37, the second button byte (face buttons named Nintendo-style by position). */
export const Buttons2 = {
  /** West. */
  Y: 0x80,
  /** South. */
  B: 0x40,
  /** East. */
  A: 0x20,
  /** North. */
  X: 0x10,
  R1: 0x08,
  L1: 0x04,
  R2: 0x02,
  L2: 0x01,
} as const;

/** Slot states (`DsState`). */
export const SlotState = { DISCONNECTED: 0, RESERVED: 1, CONNECTED: 2 } as const;

/** Device models (`DsModel`): how much motion the pad reports. */
export const DeviceModel = { NONE: 0, PARTIAL_GYRO: 1, FULL_GYRO: 2 } as const;

/** Connection types (`DsConnection`). */
export const ConnectionType = { NONE: 0, USB: 1, BLUETOOTH: 2 } as const;

/** Battery codes (`DsBattery`). */
export const BatteryStatus = {
  NONE: 0x00,
  DYING: 0x01,
  LOW: 0x02,
  MEDIUM: 0x03,
  HIGH: 0x04,
  FULL: 0x05,
  CHARGING: 0xee,
  CHARGED: 0xef,
} as const;

/** Registration flags of a pad-data request (`RegisterFlags`); none set means all pads. */
export const RegisterFlag = { SLOT: 0x01, MAC: 0x02 } as const;

/** Offsets of a port-info request. */
export const PortRequestField = {
  /** i32: how many slot bytes follow, 0–4. */
  COUNT: 20,
  /** u8 each: the slots asked about. */
  SLOTS: 24,
} as const;

/** Offsets of the pad selector in pad-data, motor-info and rumble requests. */
export const SelectorField = {
  /** u8: {@linkcode RegisterFlag} bits. */
  FLAGS: 20,
  /** u8: the slot, with {@linkcode RegisterFlag.SLOT}. */
  SLOT: 21,
  /** 6 bytes: the MAC, with {@linkcode RegisterFlag.MAC}. */
  MAC: 22,
} as const;

/** Size of a pad-data or motor-info request. */
export const SELECTOR_REQUEST_SIZE = 28;

/** Offsets of a rumble request after its selector. */
export const RumbleField = {
  /** u8: the motor, 0 … count − 1. */
  MOTOR: 28,
  /** u8: 0 off … 255 full. */
  INTENSITY: 29,
} as const;

/** Size of a rumble request. */
export const RUMBLE_REQUEST_SIZE = 30;

/** How a slot describes itself at the start of replies. */
export interface SlotDescription {
  /** The slot, 0–3. */
  slot: number;
  /** A {@linkcode SlotState}. */
  state: number;
  /** A {@linkcode DeviceModel}. */
  model: number;
  /** A {@linkcode ConnectionType}. */
  connection: number;
  /** 6 bytes, or zeros. */
  mac: Uint8Array;
  /** A {@linkcode BatteryStatus}. */
  battery: number;
}

/** One finger on the touchpad, in DSU units. */
export interface DsuTouch {
  /** Whether the finger is down. */
  active: boolean;
  /** The same for one continuous touch, 0–255. */
  id: number;
  /** u16, plus right. */
  x: number;
  /** u16, plus down. */
  y: number;
}

/** Everything a pad-data packet says about a pad's inputs, in DSU units. */
export interface PadReport {
  /** {@linkcode Buttons1} bits. */
  buttons1: number;
  /** {@linkcode Buttons2} bits. */
  buttons2: number;
  /** 0 or 1. */
  home: number;
  /** 0 or 1. */
  touchButton: number;
  /** u8 each, 128 centre, Y plus up: left X, left Y, right X, right Y. */
  sticks: Uint8Array;
  /** u8 each, in {@linkcode AnalogButton} order. */
  analog: Uint8Array;
  /** Two touches. */
  touches: [DsuTouch, DsuTouch];
  /** Accelerometer X, Y, Z in g. */
  accelG: [number, number, number];
  /** Gyro pitch, yaw, roll in deg/s. */
  gyroDegS: [number, number, number];
}

/** A pad report at rest: sticks centred, nothing pressed, no touch, no motion. */
export function neutralReport(): PadReport {
  return {
    buttons1: 0,
    buttons2: 0,
    home: 0,
    touchButton: 0,
    sticks: new Uint8Array([128, 128, 128, 128]),
    analog: new Uint8Array(ANALOG_BUTTON_COUNT),
    touches: [{ active: false, id: 0, x: 0, y: 0 }, { active: false, id: 0, x: 0, y: 0 }],
    accelG: [0, 0, 0],
    gyroDegS: [0, 0, 0],
  };
}

function view(packet: Uint8Array): DataView {
  return new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
}

/** A zeroed server packet of `size` bytes with its header and type written, CRC not yet. */
function serverPacket(size: number, type: number, serverId: number): [Uint8Array, DataView] {
  const packet = new Uint8Array(size);
  const v = view(packet);
  packet.set(MAGIC_SERVER, HeaderField.MAGIC);
  v.setUint16(HeaderField.VERSION, DSU_PROTOCOL_VERSION, true);
  v.setUint16(HeaderField.LENGTH, size - HEADER_SIZE, true);
  v.setUint32(HeaderField.SENDER_ID, serverId >>> 0, true);
  v.setUint32(HeaderField.MESSAGE_TYPE, type, true);
  return [packet, v];
}

/**
 * Write the CRC-32 of `packet` (CRC field zeroed first) into its header.
 *
 * @returns the same packet
 */
export function seal(packet: Uint8Array): Uint8Array {
  const v = view(packet);
  v.setUint32(HeaderField.CRC, 0, true);
  v.setUint32(HeaderField.CRC, crc32(packet), true);
  return packet;
}

function writeSlot(packet: Uint8Array, v: DataView, slot: SlotDescription): void {
  v.setUint8(SlotField.SLOT, slot.slot);
  v.setUint8(SlotField.STATE, slot.state);
  v.setUint8(SlotField.MODEL, slot.model);
  v.setUint8(SlotField.CONNECTION, slot.connection);
  packet.set(slot.mac.subarray(0, 6), SlotField.MAC);
  v.setUint8(SlotField.BATTERY, slot.battery);
}

/**
 * The 24-byte answer to a version request.
 *
 * @example Usage
 * ```ts
 * import { encodeVersionReply } from "./protocol.ts";
 * const reply = encodeVersionReply(42);
 * if (reply.length !== 24 || reply[20] !== 0xe9 || reply[21] !== 0x03) throw new Error("1001");
 * ```
 */
export function encodeVersionReply(serverId: number): Uint8Array {
  const [packet, v] = serverPacket(VERSION_REPLY_SIZE, DsuMessage.VERSION, serverId);
  v.setUint16(VERSION_REPLY_VERSION, DSU_PROTOCOL_VERSION, true);
  return seal(packet);
}

/** A 32-byte port-info reply for one slot (all zeros after the slot number when empty). */
export function encodePortInfo(serverId: number, slot: SlotDescription): Uint8Array {
  const [packet, v] = serverPacket(PORT_INFO_SIZE, DsuMessage.PORT_INFO, serverId);
  writeSlot(packet, v, slot);
  return seal(packet);
}

/** A 32-byte motor-info reply: the slot description and how many motors it has. */
export function encodeMotorInfo(
  serverId: number,
  slot: SlotDescription,
  motors: number,
): Uint8Array {
  const [packet, v] = serverPacket(MOTOR_INFO_SIZE, DsuMessage.MOTOR_INFO, serverId);
  writeSlot(packet, v, slot);
  v.setUint8(MOTOR_INFO_COUNT, motors);
  return seal(packet);
}

function writeTouch(v: DataView, at: number, touch: DsuTouch): void {
  v.setUint8(at + TouchField.ACTIVE, touch.active ? 1 : 0);
  v.setUint8(at + TouchField.ID, touch.id & 0xff);
  v.setUint16(at + TouchField.X, touch.x, true);
  v.setUint16(at + TouchField.Y, touch.y, true);
}

/**
 * A 100-byte pad-data packet without its packet number and CRC: build it
 * once per change, then {@linkcode stampPadData} a copy per client.
 *
 * @param timestampUs the motion timestamp, µs (below 2⁵³)
 */
export function encodePadData(
  serverId: number,
  slot: SlotDescription,
  report: PadReport,
  timestampUs: number,
): Uint8Array {
  const [packet, v] = serverPacket(PAD_DATA_SIZE, DsuMessage.PAD_DATA, serverId);
  writeSlot(packet, v, slot);
  v.setUint8(PadDataField.CONNECTED, slot.state === SlotState.CONNECTED ? 1 : 0);
  v.setUint8(PadDataField.BUTTONS1, report.buttons1);
  v.setUint8(PadDataField.BUTTONS2, report.buttons2);
  v.setUint8(PadDataField.HOME, report.home);
  v.setUint8(PadDataField.TOUCH_BUTTON, report.touchButton);
  packet.set(report.sticks.subarray(0, 4), PadDataField.LEFT_X);
  packet.set(report.analog.subarray(0, ANALOG_BUTTON_COUNT), PadDataField.ANALOG);
  writeTouch(v, PadDataField.TOUCH1, report.touches[0]);
  writeTouch(v, PadDataField.TOUCH2, report.touches[1]);
  v.setBigUint64(PadDataField.MOTION_TIMESTAMP_US, BigInt(Math.floor(timestampUs)), true);
  v.setFloat32(PadDataField.ACCEL_X_G, report.accelG[0], true);
  v.setFloat32(PadDataField.ACCEL_Y_G, report.accelG[1], true);
  v.setFloat32(PadDataField.ACCEL_Z_G, report.accelG[2], true);
  v.setFloat32(PadDataField.GYRO_PITCH_DEG_S, report.gyroDegS[0], true);
  v.setFloat32(PadDataField.GYRO_YAW_DEG_S, report.gyroDegS[1], true);
  v.setFloat32(PadDataField.GYRO_ROLL_DEG_S, report.gyroDegS[2], true);
  return packet;
}

/**
 * Write the packet number into a pad-data packet from
 * {@linkcode encodePadData} and seal it.
 *
 * @returns the same packet
 */
export function stampPadData(packet: Uint8Array, packetNumber: number): Uint8Array {
  view(packet).setUint32(PadDataField.PACKET_NUMBER, packetNumber >>> 0, true);
  return seal(packet);
}

/** Which pads a request is about: all of them, or those with this slot or MAC. */
export interface PadSelector {
  /** True when no flag is set: every pad. */
  all: boolean;
  /** The slot asked for, or null. */
  slot: number | null;
  /** The MAC asked for as 12 lowercase hex digits, or null. */
  mac: string | null;
}

/** A request a client sent, decoded and checked. */
export type DsuRequest =
  | { type: "version" }
  | { type: "port_info"; slots: number[] }
  | { type: "pad_data"; selector: PadSelector }
  | { type: "motor_info"; selector: PadSelector }
  | { type: "rumble"; selector: PadSelector; motor: number; intensity: number };

/** Why a datagram was dropped. */
export type DropReason =
  | "truncated"
  | "bad magic"
  | "unknown version"
  | "bad length"
  | "bad CRC"
  | "unknown message type"
  | "malformed request";

/** The result of {@linkcode decodeRequest}: a request, or why the datagram was dropped. */
export type DecodeResult = { ok: true; request: DsuRequest } | { ok: false; reason: DropReason };

/** A MAC address as 12 lowercase hex digits. */
export function macToHex(mac: Uint8Array): string {
  const six = new Uint8Array(6); // A short MAC reads as zeros.
  six.set(mac.subarray(0, 6));
  return toHex(six);
}

function equalBytes(a: Uint8Array, at: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[at + i] !== b[i]) return false;
  return true;
}

const MIN_REQUEST_SIZE: ReadonlyMap<number, number> = new Map([
  [DsuMessage.VERSION, MESSAGE_START],
  [DsuMessage.PORT_INFO, PortRequestField.SLOTS],
  [DsuMessage.PAD_DATA, SELECTOR_REQUEST_SIZE],
  [DsuMessage.MOTOR_INFO, SELECTOR_REQUEST_SIZE],
  [DsuMessage.RUMBLE, RUMBLE_REQUEST_SIZE],
]);

function decodeSelector(packet: Uint8Array): PadSelector | null {
  const flags = packet[SelectorField.FLAGS]!;
  if ((flags & ~(RegisterFlag.SLOT | RegisterFlag.MAC)) !== 0) return null;
  const slot = packet[SelectorField.SLOT]!;
  if (flags & RegisterFlag.SLOT && slot >= DSU_SLOT_COUNT) return null;
  return {
    all: flags === 0,
    slot: flags & RegisterFlag.SLOT ? slot : null,
    mac: flags & RegisterFlag.MAC
      ? macToHex(packet.subarray(SelectorField.MAC, SelectorField.MAC + 6))
      : null,
  };
}

/**
 * Check and decode a datagram from a DSU client. Bytes past the header's
 * length are ignored (the spec says to truncate); anything else that is
 * wrong drops the datagram with a reason to count.
 *
 * @example Usage
 * ```ts
 * import { decodeRequest } from "./protocol.ts";
 * const result = decodeRequest(new Uint8Array(64));
 * if (result.ok || result.reason !== "bad magic") throw new Error("zeros are not DSU");
 * ```
 */
export function decodeRequest(datagram: Uint8Array): DecodeResult {
  if (datagram.length < MESSAGE_START) return { ok: false, reason: "truncated" };
  if (!equalBytes(datagram, HeaderField.MAGIC, MAGIC_CLIENT)) {
    return { ok: false, reason: "bad magic" };
  }
  const v = view(datagram);
  if (v.getUint16(HeaderField.VERSION, true) !== DSU_PROTOCOL_VERSION) {
    return { ok: false, reason: "unknown version" };
  }
  const size = HEADER_SIZE + v.getUint16(HeaderField.LENGTH, true);
  if (size < MESSAGE_START || size > datagram.length) return { ok: false, reason: "bad length" };
  const packet = datagram.slice(0, size);
  const claimed = v.getUint32(HeaderField.CRC, true);
  packet.fill(0, HeaderField.CRC, HeaderField.CRC + 4);
  if (crc32(packet) !== claimed) return { ok: false, reason: "bad CRC" };
  const type = v.getUint32(HeaderField.MESSAGE_TYPE, true);
  const minimum = MIN_REQUEST_SIZE.get(type);
  if (minimum === undefined) return { ok: false, reason: "unknown message type" };
  if (size < minimum) return { ok: false, reason: "malformed request" };
  const malformed = { ok: false, reason: "malformed request" } as const;
  switch (type) {
    case DsuMessage.VERSION:
      return { ok: true, request: { type: "version" } };
    case DsuMessage.PORT_INFO: {
      const count = view(packet).getInt32(PortRequestField.COUNT, true);
      if (count < 0 || count > DSU_SLOT_COUNT || size < PortRequestField.SLOTS + count) {
        return malformed;
      }
      const slots = [...packet.subarray(PortRequestField.SLOTS, PortRequestField.SLOTS + count)];
      if (slots.some((slot) => slot >= DSU_SLOT_COUNT)) return malformed;
      return { ok: true, request: { type: "port_info", slots } };
    }
    case DsuMessage.PAD_DATA:
    case DsuMessage.MOTOR_INFO: {
      const selector = decodeSelector(packet);
      if (!selector) return malformed;
      return {
        ok: true,
        request: { type: type === DsuMessage.PAD_DATA ? "pad_data" : "motor_info", selector },
      };
    }
    default: {
      const selector = decodeSelector(packet);
      if (!selector) return malformed;
      return {
        ok: true,
        request: {
          type: "rumble",
          selector,
          motor: packet[RumbleField.MOTOR]!,
          intensity: packet[RumbleField.INTENSITY]!,
        },
      };
    }
  }
}
