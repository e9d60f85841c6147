import assert from "node:assert/strict";
import dgram from "node:dgram";
import { crc32 } from "node:zlib";
import type { ServerEvent } from "../../server/events.ts";
import { DsuOutput } from "./output.ts";

/** A client request built by hand: DSUC, 1001, length, CRC, id, type, body. */
function request(type: number, body: number[]): Uint8Array {
  const packet = new Uint8Array(20 + body.length);
  const v = new DataView(packet.buffer);
  packet.set([0x44, 0x53, 0x55, 0x43], 0);
  v.setUint16(4, 1001, true);
  v.setUint16(6, packet.length - 16, true);
  v.setUint32(16, type, true);
  packet.set(body, 20);
  v.setUint32(8, crc32(packet), true);
  return packet;
}

const ALL_PADS = request(0x100002, [0, 0, 0, 0, 0, 0, 0, 0]);

/** A UDP socket that keeps what it receives. */
async function listener() {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const packets: Uint8Array[] = [];
  socket.on("message", (message: Uint8Array) => packets.push(new Uint8Array(message)));
  return {
    socket,
    packets,
    pads: () => packets.filter((p) => p.length === 100),
    async until(test: () => boolean, what: string) {
      for (let i = 0; i < 300 && !test(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(test(), `no ${what}`);
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function input(event: Record<string, unknown>): ServerEvent {
  return { client: "alice", ...event } as unknown as ServerEvent;
}

Deno.test("DsuOutput sends a press and release in one burst as two packets", async () => {
  const dsu = await DsuOutput.start({ hostname: "127.0.0.1", port: 0 });
  const emulator = await listener();
  try {
    dsu.push(input({ type: "pad", pad: 0, attached: true, name: "P" }));
    emulator.socket.send(ALL_PADS, dsu.addr.port, "127.0.0.1");
    await emulator.until(() => emulator.pads().length > 0, "first packet");
    const before = emulator.pads().length;
    // One burst: same turn of the event loop.
    dsu.push(input({ type: "button", pad: 0, button: "a", pressed: true }));
    dsu.push(input({ type: "axis", pad: 0, axis: "leftx", value: 1 }));
    dsu.push(input({ type: "button", pad: 0, button: "a", pressed: false }));
    dsu.push(input({ type: "axis", pad: 0, axis: "leftx", value: -1 }));
    await emulator.until(() => emulator.pads().length >= before + 2, "two packets");
    const [press, release] = emulator.pads().slice(before);
    assert.deepEqual([press![37], press![49], press![40]], [0x40, 255, 255]);
    assert.deepEqual([release![37], release![49], release![40]], [0, 0, 0]);
    assert.equal(dsu.stats.padPackets, emulator.pads().length);
  } finally {
    await emulator.close();
    await dsu.close();
  }
});

Deno.test("DsuOutput gives a waiting fifth pad the slot a detach frees", async () => {
  const dsu = await DsuOutput.start({ hostname: "127.0.0.1", port: 0 });
  const emulator = await listener();
  try {
    for (let pad = 0; pad < 5; pad++) dsu.push(input({ type: "pad", pad, attached: true }));
    dsu.push(input({ type: "button", pad: 4, button: "y", pressed: true }));
    const ports = () => emulator.packets.filter((p) => p.length === 32);
    emulator.socket.send(request(0x100001, [4, 0, 0, 0, 0, 1, 2, 3]), dsu.addr.port, "127.0.0.1");
    await emulator.until(() => ports().length === 4, "four port replies");
    assert.ok(ports().every((p) => p[21] === 2));
    dsu.push(input({ type: "pad", pad: 1, attached: false }));
    emulator.socket.send(ALL_PADS, dsu.addr.port, "127.0.0.1");
    // Pad 4 now sits in slot 1, holding y (DSU X, north).
    await emulator.until(
      () => emulator.pads().some((p) => p[20] === 1 && p[37] === 0x10),
      "pad 4 in slot 1",
    );
  } finally {
    await emulator.close();
    await dsu.close();
  }
});

Deno.test("DsuOutput counts bad datagrams by reason and answers none", async () => {
  const dsu = await DsuOutput.start({ hostname: "127.0.0.1", port: 0 });
  const attacker = await listener();
  try {
    const badCrc = ALL_PADS.slice();
    badCrc[9] = badCrc[9]! ^ 1;
    for (const datagram of [new Uint8Array(5), new Uint8Array(40), badCrc]) {
      attacker.socket.send(datagram, dsu.addr.port, "127.0.0.1");
    }
    attacker.socket.send(request(0x100000, []), dsu.addr.port, "127.0.0.1");
    await attacker.until(() => attacker.packets.length === 1, "the version reply");
    assert.equal(attacker.packets[0]!.length, 24);
    const dropped = dsu.stats.dropped;
    assert.deepEqual(
      [dropped["truncated"], dropped["bad magic"], dropped["bad CRC"]],
      [1, 1, 1],
    );
  } finally {
    await attacker.close();
    await dsu.close();
  }
});

Deno.test("DsuOutput drops the least recently renewed subscriber past its bound", async () => {
  const dsu = await DsuOutput.start({ hostname: "127.0.0.1", port: 0, maxSubscribers: 2 });
  const sockets = [await listener(), await listener(), await listener()];
  try {
    for (const s of sockets) {
      s.socket.send(ALL_PADS, dsu.addr.port, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 30));
    }
    await sockets[0]!.until(() => dsu.stats.subscribersEvicted === 1, "an eviction");
    assert.equal(dsu.subscribers, 2);
  } finally {
    for (const s of sockets) await s.close();
    await dsu.close();
  }
});

Deno.test("DsuOutput.start reports a taken port as AddrInUse", async () => {
  const taken = await listener();
  try {
    await assert.rejects(
      DsuOutput.start({ hostname: "127.0.0.1", port: taken.socket.address().port }),
      Deno.errors.AddrInUse,
    );
  } finally {
    await taken.close();
  }
});
