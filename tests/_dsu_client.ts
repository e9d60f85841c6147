/**
 * A DSU (cemuhook) conformance client for the tests, written from the
 * v1993/cemuhook-protocol README and Dolphin's `DualShockUDPProto.h`
 * independently of `lib/outputs/dsu/`: it builds requests byte by byte,
 * checks every reply's magic, version, length and CRC-32 (computed bit by
 * bit), and reads every field at its documented offset.
 *
 * @module
 */

import dgram from "node:dgram";
import { toHex } from "../lib/wire/bytes.ts";

/** CRC-32 bit by bit, from the definition (zlib's: reflected 0xEDB88320). */
export function crc32Bitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Build a client request: `DSUC`, 1001, length, CRC, client id, type, body. */
export function buildRequest(type: number, body: number[], clientId = 0x0badcafe): Uint8Array {
  const packet = new Uint8Array(20 + body.length);
  const v = new DataView(packet.buffer);
  packet.set([0x44, 0x53, 0x55, 0x43], 0);
  v.setUint16(4, 1001, true);
  v.setUint16(6, packet.length - 16, true);
  v.setUint32(12, clientId, true);
  v.setUint32(16, type, true);
  packet.set(body, 20);
  v.setUint32(8, crc32Bitwise(packet), true);
  return packet;
}

/** The slot description shared by port info, pad data and motor info. */
export interface SlotInfo {
  slot: number;
  state: number;
  model: number;
  connection: number;
  mac: string;
  battery: number;
}

/** A pad-data packet, every field read at its offset. */
export interface PadData extends SlotInfo {
  connected: number;
  packetNumber: number;
  buttons1: number;
  buttons2: number;
  home: number;
  touchButton: number;
  /** Left X, left Y, right X, right Y. */
  sticks: number[];
  /** Bytes 44–55: D-pad left, down, right, up, Y, B, A, X, R1, L1, R2, L2. */
  analog: number[];
  touch1: number[];
  touch2: number[];
  timestampUs: bigint;
  accel: number[];
  gyro: number[];
}

/** A checked packet from the server. */
export type ServerPacket =
  | { type: "version"; serverId: number; version: number; at: number }
  | { type: "port_info"; serverId: number; info: SlotInfo; padding: number; at: number }
  | { type: "motor_info"; serverId: number; info: SlotInfo; motors: number; at: number }
  | { type: "pad_data"; serverId: number; data: PadData; at: number };

const SIZES: Record<number, number> = {
  0x100000: 24,
  0x100001: 32,
  0x100002: 100,
  0x110001: 32,
};

function slotInfo(p: Uint8Array): SlotInfo {
  return {
    slot: p[20]!,
    state: p[21]!,
    model: p[22]!,
    connection: p[23]!,
    mac: toHex(p.subarray(24, 30)),
    battery: p[30]!,
  };
}

/**
 * Check a server packet against the spec and read it.
 *
 * @throws when anything is off: magic, version, length, CRC, size for its type
 */
export function parseServerPacket(bytes: Uint8Array, at = performance.now()): ServerPacket {
  const p = bytes.slice();
  const v = new DataView(p.buffer);
  const fail = (why: string) => {
    throw new Error(`bad DSU packet (${why}): ${toHex(p)}`);
  };
  if (p.length < 20) fail("shorter than 20 bytes");
  if (toHex(p.subarray(0, 4)) !== "44535553") fail("magic is not DSUS");
  if (v.getUint16(4, true) !== 1001) fail("version is not 1001");
  if (v.getUint16(6, true) !== p.length - 16) fail("length is not size - 16");
  const crc = v.getUint32(8, true);
  const zeroed = p.slice();
  zeroed.fill(0, 8, 12);
  if (crc32Bitwise(zeroed) !== crc) fail("CRC mismatch");
  const serverId = v.getUint32(12, true);
  const type = v.getUint32(16, true);
  if (SIZES[type] !== p.length) fail(`type ${type.toString(16)} with ${p.length} bytes`);
  switch (type) {
    case 0x100000:
      return { type: "version", serverId, version: v.getUint16(20, true), at };
    case 0x100001:
      return { type: "port_info", serverId, info: slotInfo(p), padding: p[31]!, at };
    case 0x110001:
      return { type: "motor_info", serverId, info: slotInfo(p), motors: p[31]!, at };
    default: {
      const touch = (
        o: number,
      ) => [p[o]!, p[o + 1]!, v.getUint16(o + 2, true), v.getUint16(o + 4, true)];
      return {
        type: "pad_data",
        serverId,
        at,
        data: {
          ...slotInfo(p),
          connected: p[31]!,
          packetNumber: v.getUint32(32, true),
          buttons1: p[36]!,
          buttons2: p[37]!,
          home: p[38]!,
          touchButton: p[39]!,
          sticks: [...p.subarray(40, 44)],
          analog: [...p.subarray(44, 56)],
          touch1: touch(56),
          touch2: touch(62),
          timestampUs: v.getBigUint64(68, true),
          accel: [76, 80, 84].map((o) => v.getFloat32(o, true)),
          gyro: [88, 92, 96].map((o) => v.getFloat32(o, true)),
        },
      };
    }
  }
}

/** A DSU client socket that records every packet it receives, checked. */
export class DsuTestClient implements AsyncDisposable {
  readonly #socket: dgram.Socket;
  readonly #server: { host: string; port: number };
  /** Every packet received, in order. */
  readonly packets: ServerPacket[] = [];
  /** Packets that failed the checks, with why. */
  readonly invalid: string[] = [];
  /** Called after each packet (a renewal pattern hooks in here). */
  onPacket: (packet: ServerPacket) => void = () => {};
  #timers: ReturnType<typeof setInterval>[] = [];

  private constructor(socket: dgram.Socket, server: { host: string; port: number }) {
    this.#socket = socket;
    this.#server = server;
    socket.on("message", (message: Uint8Array) => {
      try {
        const packet = parseServerPacket(message);
        this.packets.push(packet);
        this.onPacket(packet);
      } catch (error) {
        this.invalid.push((error as Error).message);
      }
    });
  }

  /** Open a client socket on a free loopback port, talking to `server`. */
  static open(server: { host: string; port: number }): Promise<DsuTestClient> {
    const socket = dgram.createSocket("udp4");
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => resolve(new DsuTestClient(socket, server)));
    });
  }

  /** Send raw bytes to the server. */
  sendRaw(bytes: Uint8Array): void {
    this.#socket.send(bytes, this.#server.port, this.#server.host);
  }

  /** Ask for the protocol version. */
  version(): void {
    this.sendRaw(buildRequest(0x100000, []));
  }

  /** Ask about `slots`. */
  listPorts(slots: number[]): void {
    this.sendRaw(buildRequest(0x100001, [slots.length, 0, 0, 0, ...slots]));
  }

  /** Subscribe to every pad. */
  padDataAll(): void {
    this.sendRaw(buildRequest(0x100002, [0, 0, 0, 0, 0, 0, 0, 0]));
  }

  /** Subscribe to the pad in `slot`. */
  padDataSlot(slot: number): void {
    this.sendRaw(buildRequest(0x100002, [1, slot, 0, 0, 0, 0, 0, 0]));
  }

  /** Subscribe to the pad with `mac` (12 hex digits). */
  padDataMac(mac: string): void {
    const bytes = mac.match(/../g)!.map((h) => parseInt(h, 16));
    this.sendRaw(buildRequest(0x100002, [2, 0, ...bytes]));
  }

  /** Ask how many motors the pad in `slot` has. */
  motorInfo(slot: number): void {
    this.sendRaw(buildRequest(0x110001, [1, slot, 0, 0, 0, 0, 0, 0]));
  }

  /** Set `motor` of the pad in `slot` to `intensity` (0–255). */
  rumble(slot: number, motor: number, intensity: number): void {
    this.sendRaw(buildRequest(0x110002, [1, slot, 0, 0, 0, 0, 0, 0, motor, intensity]));
  }

  /** Dolphin: every second, list the four ports and renew pad data by slot. */
  playDolphin(slot: number): void {
    const renew = () => {
      this.listPorts([0, 1, 2, 3]);
      this.padDataSlot(slot);
    };
    renew();
    this.#timers.push(setInterval(renew, 1000));
  }

  /** yuzu and Citra: every 3 s, list the ports and subscribe to all pads. */
  playYuzu(): void {
    const renew = () => {
      this.listPorts([0, 1, 2, 3]);
      this.padDataAll();
    };
    renew();
    this.#timers.push(setInterval(renew, 3000));
  }

  /** Cemu: a new pad-data request by slot after every pad packet received. */
  playCemu(slot: number): void {
    this.onPacket = (packet) => {
      if (packet.type === "pad_data") this.padDataSlot(slot);
    };
    this.padDataSlot(slot);
  }

  /** Stop renewing. */
  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.onPacket = () => {};
  }

  /** The pad-data packets received, in order. */
  padData(): (PadData & { at: number })[] {
    return this.packets.flatMap((p) => p.type === "pad_data" ? [{ ...p.data, at: p.at }] : []);
  }

  /** Wait until `test` holds, polling; throws after `timeoutMs`. */
  async until(test: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!test()) {
      if (performance.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}
