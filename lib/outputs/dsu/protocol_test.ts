import assert from "node:assert/strict";
import {
  BatteryStatus,
  decodeRequest,
  DeviceModel,
  encodeMotorInfo,
  encodePadData,
  encodePortInfo,
  encodeVersionReply,
  neutralReport,
  type PadReport,
  SlotState,
  stampPadData,
} from "./protocol.ts";

/** A client request built byte by byte, its CRC filled in by `crc` (or left wrong). */
function request(type: number, body: number[], options: { crc?: number } = {}): Uint8Array {
  const packet = new Uint8Array(20 + body.length);
  const v = new DataView(packet.buffer);
  packet.set([0x44, 0x53, 0x55, 0x43], 0); // "DSUC"
  v.setUint16(4, 1001, true);
  v.setUint16(6, 4 + body.length, true);
  v.setUint32(12, 7, true);
  v.setUint32(16, type, true);
  packet.set(body, 20);
  v.setUint32(8, options.crc ?? bitwiseCrc32(packet), true);
  return packet;
}

/** CRC-32 one bit at a time, straight from the definition (reflected 0xEDB88320). */
function bitwiseCrc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const u32 = (packet: Uint8Array, at: number) =>
  new DataView(packet.buffer, packet.byteOffset).getUint32(at, true);
const u16 = (packet: Uint8Array, at: number) =>
  new DataView(packet.buffer, packet.byteOffset).getUint16(at, true);
const f32 = (packet: Uint8Array, at: number) =>
  new DataView(packet.buffer, packet.byteOffset).getFloat32(at, true);

Deno.test("encodeVersionReply matches a reply checked with Python's zlib.crc32", () => {
  const reply = encodeVersionReply(0x12345678);
  assert.deepEqual(reply.length, 24);
  assert.deepEqual([...reply.subarray(0, 4)], [0x44, 0x53, 0x55, 0x53]);
  assert.deepEqual(u16(reply, 4), 1001);
  assert.deepEqual(u16(reply, 6), 8);
  assert.deepEqual(u32(reply, 12), 0x12345678);
  assert.deepEqual(u32(reply, 16), 0x100000);
  assert.deepEqual(u16(reply, 20), 1001);
  // python3 -c "import struct,zlib; print(hex(zlib.crc32(b'DSUS'+struct.pack('<HHIIIH',
  //   1001,8,0,0x12345678,0x100000,1001)+b'\0\0')))"
  assert.deepEqual(u32(reply, 8), 0x81a724fb);
});

Deno.test("the bitwise CRC of the tests agrees with Python's zlib on a version request", () => {
  const packet = request(0x100000, []);
  assert.deepEqual(u32(packet, 8), 0x07c56221);
  assert.deepEqual(decodeRequest(packet), { ok: true, request: { type: "version" } });
});

Deno.test("encodePortInfo writes the slot description at 20–30 and a zero at 31", () => {
  const mac = new Uint8Array([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
  const reply = encodePortInfo(9, {
    slot: 2,
    state: SlotState.CONNECTED,
    model: DeviceModel.PARTIAL_GYRO,
    connection: 0,
    mac,
    battery: BatteryStatus.HIGH,
  });
  assert.deepEqual(reply.length, 32);
  assert.deepEqual(u16(reply, 6), 16);
  assert.deepEqual(u32(reply, 16), 0x100001);
  assert.deepEqual([...reply.subarray(20, 32)], [
    2,
    2,
    1,
    0,
    0x02,
    0x11,
    0x22,
    0x33,
    0x44,
    0x55,
    4,
    0,
  ]);
  const copy = reply.slice();
  copy.fill(0, 8, 12);
  assert.deepEqual(u32(reply, 8), bitwiseCrc32(copy));
});

Deno.test("encodeMotorInfo puts the motor count at 31", () => {
  const reply = encodeMotorInfo(1, {
    slot: 0,
    state: SlotState.CONNECTED,
    model: 1,
    connection: 0,
    mac: new Uint8Array(6),
    battery: 0,
  }, 2);
  assert.deepEqual(reply.length, 32);
  assert.deepEqual(u32(reply, 16), 0x110001);
  assert.deepEqual(reply[31], 2);
});

Deno.test("encodePadData writes every field at its offset and stampPadData seals it", () => {
  const report: PadReport = neutralReport();
  report.buttons1 = 0x81;
  report.buttons2 = 0x42;
  report.home = 1;
  report.touchButton = 1;
  report.sticks.set([0, 255, 10, 20]);
  report.analog.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  report.touches = [{ active: true, id: 5, x: 1000, y: 500 }, {
    active: false,
    id: 6,
    x: 7,
    y: 8,
  }];
  report.accelG = [0.5, -1, 0.25];
  report.gyroDegS = [90, -45, 1.5];
  const mac = new Uint8Array([2, 3, 4, 5, 6, 7]);
  const body = encodePadData(
    0xabcdef01,
    {
      slot: 1,
      state: SlotState.CONNECTED,
      model: DeviceModel.FULL_GYRO,
      connection: 0,
      mac,
      battery: BatteryStatus.CHARGING,
    },
    report,
    2 ** 40 + 3,
  );
  const packet = stampPadData(body.slice(), 0xfffffffe);
  assert.deepEqual(packet.length, 100);
  assert.deepEqual(u16(packet, 6), 84);
  assert.deepEqual(u32(packet, 12), 0xabcdef01);
  assert.deepEqual(u32(packet, 16), 0x100002);
  assert.deepEqual([...packet.subarray(20, 32)], [1, 2, 2, 0, 2, 3, 4, 5, 6, 7, 0xee, 1]);
  assert.deepEqual(u32(packet, 32), 0xfffffffe);
  assert.deepEqual([...packet.subarray(36, 40)], [0x81, 0x42, 1, 1]);
  assert.deepEqual([...packet.subarray(40, 44)], [0, 255, 10, 20]);
  assert.deepEqual([...packet.subarray(44, 56)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual([packet[56], packet[57], u16(packet, 58), u16(packet, 60)], [1, 5, 1000, 500]);
  assert.deepEqual([packet[62], packet[63], u16(packet, 64), u16(packet, 66)], [0, 6, 7, 8]);
  assert.deepEqual(u32(packet, 68), 3);
  assert.deepEqual(u32(packet, 72), 2 ** 8);
  assert.deepEqual([f32(packet, 76), f32(packet, 80), f32(packet, 84)], [0.5, -1, 0.25]);
  assert.deepEqual([f32(packet, 88), f32(packet, 92), f32(packet, 96)], [90, -45, 1.5]);
  const copy = packet.slice();
  copy.fill(0, 8, 12);
  assert.deepEqual(u32(packet, 8), bitwiseCrc32(copy));
  // The unstamped body is left alone.
  assert.deepEqual(u32(body, 32), 0);
});

Deno.test("a neutral report has centred sticks and zero motion", () => {
  const packet = encodePadData(
    0,
    {
      slot: 0,
      state: SlotState.CONNECTED,
      model: 1,
      connection: 0,
      mac: new Uint8Array(6),
      battery: 0,
    },
    neutralReport(),
    1,
  );
  assert.deepEqual([...packet.subarray(36, 40)], [0, 0, 0, 0]);
  assert.deepEqual([...packet.subarray(40, 44)], [128, 128, 128, 128]);
  assert(packet.subarray(44, 68).every((b) => b === 0));
  assert(packet.subarray(76, 100).every((b) => b === 0));
});

Deno.test("decodeRequest reads port-info, pad-data, motor-info and rumble requests", () => {
  assert.deepEqual(decodeRequest(request(0x100001, [3, 0, 0, 0, 0, 2, 3])), {
    ok: true,
    request: { type: "port_info", slots: [0, 2, 3] },
  });
  assert.deepEqual(decodeRequest(request(0x100002, [0, 0, 0, 0, 0, 0, 0, 0])), {
    ok: true,
    request: { type: "pad_data", selector: { all: true, slot: null, mac: null } },
  });
  assert.deepEqual(decodeRequest(request(0x100002, [1, 3, 0, 0, 0, 0, 0, 0])), {
    ok: true,
    request: { type: "pad_data", selector: { all: false, slot: 3, mac: null } },
  });
  assert.deepEqual(decodeRequest(request(0x100002, [2, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f])), {
    ok: true,
    request: { type: "pad_data", selector: { all: false, slot: null, mac: "aabbccddee0f" } },
  });
  assert.deepEqual(decodeRequest(request(0x110001, [1, 1, 0, 0, 0, 0, 0, 0])), {
    ok: true,
    request: { type: "motor_info", selector: { all: false, slot: 1, mac: null } },
  });
  assert.deepEqual(decodeRequest(request(0x110002, [1, 0, 0, 0, 0, 0, 0, 0, 1, 200])), {
    ok: true,
    request: {
      type: "rumble",
      selector: { all: false, slot: 0, mac: null },
      motor: 1,
      intensity: 200,
    },
  });
});

Deno.test("decodeRequest ignores bytes past the header's length", () => {
  const packet = request(0x100000, []);
  const longer = new Uint8Array(packet.length + 10);
  longer.set(packet);
  longer.fill(0x5a, packet.length);
  assert.deepEqual(decodeRequest(longer), { ok: true, request: { type: "version" } });
});

Deno.test("decodeRequest names why a datagram is dropped", () => {
  const reason = (packet: Uint8Array) => {
    const result = decodeRequest(packet);
    return result.ok ? "accepted" : result.reason;
  };
  const good = request(0x100002, [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(reason(good.subarray(0, 19)), "truncated");
  assert.deepEqual(reason(new Uint8Array(0)), "truncated");
  const server = good.slice();
  server[3] = 0x53; // "DSUS": a server's packet sent back
  assert.deepEqual(reason(server), "bad magic");
  const version = good.slice();
  new DataView(version.buffer).setUint16(4, 1002, true);
  assert.deepEqual(reason(version), "unknown version");
  assert.deepEqual(reason(good.subarray(0, 27)), "bad length");
  const short = good.slice();
  new DataView(short.buffer).setUint16(6, 3, true);
  assert.deepEqual(reason(short), "bad length");
  assert.deepEqual(reason(request(0x100002, [0, 0, 0, 0, 0, 0, 0, 0], { crc: 1 })), "bad CRC");
  const flipped = good.slice();
  flipped[25] = flipped[25]! ^ 1;
  assert.deepEqual(reason(flipped), "bad CRC");
  assert.deepEqual(reason(request(0x100003, [])), "unknown message type");
  assert.deepEqual(reason(request(0x100002, [0, 0, 0])), "malformed request");
  assert.deepEqual(reason(request(0x100002, [1, 4, 0, 0, 0, 0, 0, 0])), "malformed request");
  assert.deepEqual(reason(request(0x100002, [4, 0, 0, 0, 0, 0, 0, 0])), "malformed request");
  assert.deepEqual(reason(request(0x100001, [5, 0, 0, 0, 0, 1, 2, 3, 0])), "malformed request");
  assert.deepEqual(reason(request(0x100001, [0xff, 0xff, 0xff, 0xff])), "malformed request");
  assert.deepEqual(reason(request(0x100001, [2, 0, 0, 0, 0])), "malformed request");
  assert.deepEqual(reason(request(0x100001, [1, 0, 0, 0, 4])), "malformed request");
  assert.deepEqual(reason(request(0x110002, [0, 0, 0, 0, 0, 0, 0, 0, 1])), "malformed request");
});
