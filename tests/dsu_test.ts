/**
 * End to end: `padlink-server --dsu`, fed by a real `padlink-client
 * --replay`, against the conformance client in `_dsu_client.ts` playing
 * Dolphin's, yuzu's and Cemu's renewal patterns.
 */

import assert from "node:assert/strict";
import dgram from "node:dgram";
import { buildRequest, DsuTestClient, type PadData } from "./_dsu_client.ts";
import { serverLog, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { sleep } from "../lib/net/deadline.ts";

/** Start a server with DSU on a free loopback port; returns it and the DSU address. */
async function startDsuServer(extra: string[] = []) {
  const server = await startServer(["--no-auth", "--dsu", "127.0.0.1:0", ...extra]);
  const line = await server.stdout.waitFor((l) => l.includes('"type":"dsu"'), {
    timeoutMs: 5000,
    what: "dsu record",
  });
  const record = JSON.parse(line.text) as { type: string; host: string; port: number };
  return { server, dsu: { host: record.host, port: record.port } };
}

function replayClient(port: number, file: string) {
  return spawnEntrypoint("client.ts", [
    "--port",
    String(port),
    "--name",
    "alice",
    "--json",
    "--replay",
    file,
  ]);
}

/**
 * The field table, restated independently of lib/outputs/dsu: a
 * padlink button → [packet byte, bit, analog byte or -1].
 */
const BUTTON_FIELDS: Record<string, [number, number, number]> = {
  dpleft: [36, 0x80, 44],
  dpdown: [36, 0x40, 45],
  dpright: [36, 0x20, 46],
  dpup: [36, 0x10, 47],
  start: [36, 0x08, -1],
  rightstick: [36, 0x04, -1],
  leftstick: [36, 0x02, -1],
  back: [36, 0x01, -1],
  x: [37, 0x80, 48],
  a: [37, 0x40, 49],
  b: [37, 0x20, 50],
  y: [37, 0x10, 51],
  rightshoulder: [37, 0x08, 52],
  leftshoulder: [37, 0x04, 53],
  guide: [38, 1, -1],
  touchpad: [39, 1, -1],
};

/** The input part of a pad packet as bytes 36–55, the way the tests compare states. */
function stateKey(d: PadData): string {
  return [d.buttons1, d.buttons2, d.home, d.touchButton, ...d.sticks, ...d.analog].join(",");
}

/** Bytes 36–55 after each replay event, computed from the table above. */
function expectedStates(events: Record<string, unknown>[]): { key: string; button: boolean }[] {
  const bytes = new Array(20).fill(0);
  bytes.fill(128, 4, 8);
  const states = [{ key: bytes.join(","), button: false }];
  for (const e of events) {
    if (e.pad !== 0 || (e.type !== "button" && e.type !== "axis")) continue;
    if (e.type === "button") {
      const [at, bit, analog] = BUTTON_FIELDS[e.button as string]!;
      bytes[at - 36] = e.pressed ? bytes[at - 36] | bit : bytes[at - 36] & ~bit;
      if (analog >= 0) bytes[analog - 36] = e.pressed ? 255 : 0;
    } else {
      const v = e.value as number;
      const stick = (value: number) => Math.round((value + 1) * 127.5);
      switch (e.axis) {
        case "leftx":
          bytes[4] = stick(v);
          break;
        case "lefty":
          bytes[5] = stick(-v); // DSU counts Y plus up
          break;
        case "righttrigger":
          bytes[54 - 36] = Math.round(v * 255);
          bytes[1] = v >= 0.5 ? bytes[1] | 0x02 : bytes[1] & ~0x02;
          break;
        case "lefttrigger":
          bytes[55 - 36] = Math.round(v * 255);
          bytes[1] = v >= 0.5 ? bytes[1] | 0x01 : bytes[1] & ~0x01;
          break;
      }
    }
    states.push({ key: bytes.join(","), button: e.type === "button" });
  }
  return states;
}

/** Consecutive duplicates removed. */
function distinct(keys: string[]): string[] {
  return keys.filter((key, i) => i === 0 || key !== keys[i - 1]);
}

function isSubsequence(got: string[], want: string[]): boolean {
  let i = 0;
  for (const key of got) {
    while (i < want.length && want[i] !== key) i++;
    if (i === want.length) return false;
    i++;
  }
  return true;
}

function assertIncreasing(values: (number | bigint)[], what: string): void {
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i]! > values[i - 1]!, `${what} not strictly increasing at ${i}: ${values}`);
  }
}

// Events 50 ms apart or more, so each is its own change on the wire.
const SESSION: Record<string, unknown>[] = [
  { t: 0, type: "pad", pad: 0, attached: true, name: "Test Pad" },
  { t: 600, type: "button", pad: 0, button: "a", pressed: true },
  { t: 700, type: "axis", pad: 0, axis: "leftx", value: 1 },
  { t: 800, type: "axis", pad: 0, axis: "lefty", value: -1 },
  { t: 900, type: "axis", pad: 0, axis: "righttrigger", value: 1 },
  { t: 950, type: "axis", pad: 0, axis: "lefttrigger", value: 0.25 },
  { t: 1000, type: "button", pad: 0, button: "a", pressed: false },
  { t: 1050, type: "button", pad: 0, button: "b", pressed: true },
  { t: 1100, type: "button", pad: 0, button: "x", pressed: true },
  { t: 1150, type: "button", pad: 0, button: "y", pressed: true },
  { t: 1200, type: "button", pad: 0, button: "dpup", pressed: true },
  { t: 1250, type: "button", pad: 0, button: "guide", pressed: true },
  { t: 1300, type: "button", pad: 0, button: "leftshoulder", pressed: true },
  { t: 1350, type: "button", pad: 0, button: "start", pressed: true },
  { t: 1400, type: "button", pad: 0, button: "b", pressed: false },
  { t: 1450, type: "button", pad: 0, button: "x", pressed: false },
  { t: 1500, type: "button", pad: 0, button: "y", pressed: false },
  { t: 1550, type: "axis", pad: 0, axis: "leftx", value: -0.5 },
  { t: 1650, type: "pad", pad: 1, attached: true, name: "Second Pad" },
  // Detach with buttons, sticks and triggers held: the client releases them first.
  { t: 1800, type: "pad", pad: 0, attached: false },
  { t: 3300, type: "button", pad: 1, button: "a", pressed: true },
];

Deno.test("DSU: Dolphin, yuzu and Cemu patterns follow a replayed session, every byte checked", async () => {
  const { server, dsu } = await startDsuServer();
  await using _server = server;
  // The dsu record comes right after `listening`.
  assert.match(server.stdout.lines[0]!, /^\{"type":"listening"/);
  assert.equal(
    server.stdout.lines[1],
    `{"type":"dsu","host":"127.0.0.1","port":${dsu.port}}`,
  );
  await using dolphin = await DsuTestClient.open(dsu);
  await using yuzu = await DsuTestClient.open(dsu);
  await using cemu = await DsuTestClient.open(dsu);
  dolphin.version();
  await dolphin.until(() => dolphin.packets.some((p) => p.type === "version"), 3000, "version");
  dolphin.playDolphin(0);
  yuzu.playYuzu();
  cemu.playCemu(0);
  const file = await writeReplay(SESSION);
  const client = replayClient(server.port, file);
  // Cemu asks for rumble while the pad is there: it reaches the client, which
  // says so on its --json stdout (a replay has no motors: applied false).
  await dolphin.until(
    () => dolphin.packets.some((p) => p.type === "pad_data" && p.data.buttons2 === 0x40),
    5000,
    "a pressed",
  );
  cemu.rumble(0, 0, 200);
  const status = await client.exit();
  assert.equal(status.code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  // Slot 1 reported filled, then empty again once the client left.
  const slot1Emptied = () => {
    const ports = dolphin.packets.filter((p) => p.type === "port_info" && p.info.slot === 1);
    const filled = ports.findIndex((p) => p.type === "port_info" && p.info.state === 2);
    return filled >= 0 && ports.slice(filled).some((p) => p.type === "port_info" && !p.info.state);
  };
  await dolphin.until(slot1Emptied, 5000, "port info after the client left");
  for (const c of [dolphin, yuzu, cemu]) c.stop();
  await Deno.remove(file);

  const rumble = client.stdout.lines.map((l) => JSON.parse(l)).find((e) => e.type === "rumble");
  assert.deepEqual(rumble, {
    type: "rumble",
    pad: 0,
    low: 0.784, // 200 / 255, as the DSU output rounds it
    high: 0,
    ms: 5000,
    applied: false,
  });
  assert.ok(
    !server.stderr.text.includes("not delivered"),
    `the DSU rumble was refused:\n${server.stderr.text}`,
  );

  const version = dolphin.packets.find((p) => p.type === "version")!;
  assert.equal(version.type === "version" && version.version, 1001);
  const expected = expectedStates(SESSION);
  const neutral = expected[0]!.key;
  // The detach releases whatever is held: back to rest.
  const wantKeys = distinct([...expected.map((s) => s.key), neutral]);
  let mac0 = "";
  for (const [name, c] of [["dolphin", dolphin], ["yuzu", yuzu], ["cemu", cemu]] as const) {
    assert.deepEqual(c.invalid, [], `${name} got packets that break the spec`);
    const serverIds = new Set(c.packets.map((p) => p.serverId));
    assert.equal(serverIds.size, 1, `${name}: one server id per run`);
    const pads = c.padData();
    assertIncreasing(pads.map((d) => d.packetNumber), `${name} packet numbers`);
    const slot0 = pads.filter((d) => d.slot === 0);
    assertIncreasing(slot0.map((d) => d.timestampUs), `${name} motion timestamps`);
    for (const d of slot0) {
      assert.deepEqual(
        [d.state, d.model, d.connection, d.battery, d.connected],
        [2, 1, 0, 0, 1],
        `${name}: a connected pad without motion`,
      );
      assert.deepEqual([d.touch1, d.touch2], [[0, 0, 0, 0], [0, 0, 0, 0]]);
      assert.deepEqual([...d.accel, ...d.gyro], [0, 0, 0, 0, 0, 0]);
    }
    mac0 ||= slot0[0]!.mac;
    assert.ok(slot0.every((d) => d.mac === mac0), `${name}: one MAC for the pad`);
    const got = distinct(slot0.map(stateKey));
    assert.ok(
      isSubsequence(got, wantKeys),
      `${name}: states out of order:\n${got.join("\n")}\nwant\n${wantKeys.join("\n")}`,
    );
    for (const state of expected.filter((s) => s.button)) {
      assert.ok(got.includes(state.key), `${name} missed a button change: ${state.key}`);
    }
    assert.equal(got[0], neutral, `${name}: the pad starts at rest`);
    assert.equal(got.at(-1), neutral, `${name}: the detach leaves the pad at rest`);
  }
  assert.notEqual(mac0, "000000000000");
  assert.equal(parseInt(mac0.slice(0, 2), 16) & 0x03, 0x02, "a local unicast MAC");
  // Cemu renews after every packet; that must not turn into a packet storm.
  assert.ok(cemu.padData().length < 400, `cemu got ${cemu.padData().length} packets`);
  // yuzu subscribed to all pads, so it saw pad 1 in slot 1 too, with another MAC.
  const slot1 = yuzu.padData().filter((d) => d.slot === 1);
  assert.ok(slot1.some((d) => d.buttons2 === 0x40), "yuzu saw pad 1 press a");
  assert.notEqual(slot1[0]!.mac, mac0);

  // Port info: every requested slot answered, the empty ones all zeros.
  for (const c of [dolphin, yuzu]) {
    const ports = c.packets.flatMap((p) => p.type === "port_info" ? [p] : []);
    assert.equal(ports.length % 4, 0);
    assert.ok(ports.length >= 8);
    for (const p of ports) {
      assert.equal(p.padding, 0);
      if (p.info.state === 0) {
        assert.deepEqual(
          [p.info.model, p.info.connection, p.info.mac, p.info.battery],
          [0, 0, "000000000000", 0],
        );
      } else {
        assert.ok(p.info.slot <= 1);
        assert.equal(p.info.state, 2);
      }
    }
    assert.ok(ports.every((p) => p.info.slot >= 2 ? p.info.state === 0 : true));
  }
  assert.ok(
    dolphin.packets.some((p) =>
      p.type === "port_info" && p.info.slot === 0 && p.info.state === 2 && p.info.mac === mac0
    ),
    "Dolphin saw the pad in slot 0 with the MAC of its data",
  );
  // After pad 0 detached, Dolphin saw slot 0 empty and got no more slot-0 data.
  const emptyAt = dolphin.packets.find((p, i) =>
    p.type === "port_info" && p.info.slot === 0 && p.info.state === 0 &&
    dolphin.packets.slice(0, i).some((q) => q.type === "pad_data")
  );
  assert.ok(emptyAt, "slot 0 reported empty after the detach");
  assert.ok(!dolphin.padData().some((d) => d.slot === 0 && d.at > emptyAt.at));
});

Deno.test("DSU: a subscription ends 5 s after its last request; garbage datagrams change nothing", async () => {
  const { server, dsu } = await startDsuServer();
  await using _server = server;
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Held Pad" },
    { t: 100, type: "button", pad: 0, button: "a", pressed: true },
    { t: 8000, type: "button", pad: 0, button: "a", pressed: false },
  ]);
  const client = replayClient(server.port, file);
  try {
    await using watcher = await DsuTestClient.open(dsu);
    await using attacker = await DsuTestClient.open(dsu);
    const pressed = () => watcher.packets.some((p) => p.type === "port_info" && p.info.state === 2);
    for (let i = 0; i < 100 && !pressed(); i++) {
      watcher.listPorts([0]);
      await sleep(50);
    }
    assert.ok(pressed(), "the pad appeared in slot 0");
    // The press has reached every output once the server printed it.
    await server.waitEvent({ type: "button", client: "alice", pressed: true });
    const subscribedAt = performance.now();
    const info0 = watcher.packets.find((p) => p.type === "port_info" && p.info.state === 2);
    assert.ok(info0?.type === "port_info");
    watcher.padDataMac(info0.info.mac);
    await watcher.until(() => watcher.padData().length > 0, 3000, "pad data by MAC");
    const linesBefore = server.stdout.lines.length;

    // Garbage from another address while the stream runs.
    const valid = buildRequest(0x100002, [0, 0, 0, 0, 0, 0, 0, 0]);
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const garbage: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      garbage.push(Uint8Array.from({ length: Math.floor(random() * 120) }, () => random() * 256));
    }
    for (let n = 0; n < valid.length; n++) garbage.push(valid.subarray(0, n));
    const badCrc = valid.slice();
    badCrc[8] = badCrc[8]! ^ 0xff;
    garbage.push(badCrc);
    const badVersion = buildRequest(0x100000, []);
    badVersion[4] = 0xea; // 1002
    garbage.push(badVersion);
    const serverMagic = buildRequest(0x100000, []);
    serverMagic[3] = 0x53; // DSUS
    garbage.push(serverMagic);
    garbage.push(buildRequest(0x123456, []));
    const huge = new Uint8Array(65507);
    huge.set(valid);
    new DataView(huge.buffer).setUint16(6, 65535, true);
    garbage.push(huge);
    garbage.push(Uint8Array.from({ length: 65507 }, () => random() * 256));
    for (const datagram of garbage) attacker.sendRaw(datagram);
    await sleep(500);
    assert.equal(attacker.packets.length, 0, "no reply to garbage");
    assert.equal(server.stdout.lines.length, linesBefore, "no event from garbage");
    assert.deepEqual(serverLog(server.stderr.lines), [], "nothing logged for garbage");
    attacker.listPorts([0]);
    await attacker.until(() => attacker.packets.length === 1, 3000, "a reply after the garbage");
    assert.deepEqual(watcher.invalid, []);
    assert.ok(watcher.padData().every((d) => d.buttons2 === 0x40), "the pad state is unchanged");

    // No renewal: the stream stops 5 s after the request, though the pad is still held.
    const deadline = subscribedAt + 6500;
    while (performance.now() < deadline) await sleep(100);
    const last = watcher.padData().at(-1)!;
    const lasted = last.at - subscribedAt;
    assert.ok(lasted >= 4000 && lasted <= 5600, `streamed for ${lasted.toFixed(0)} ms`);
    const count = watcher.padData().length;
    attacker.listPorts([0]);
    await attacker.until(() => attacker.packets.length === 2, 3000, "port info");
    const info = attacker.packets[1]!;
    assert.ok(info.type === "port_info" && info.info.state === 2, "the pad is still attached");
    await sleep(400);
    assert.equal(watcher.padData().length, count, "nothing after the expiry");
    assertIncreasing(watcher.padData().map((d) => d.packetNumber), "packet numbers");
    assertIncreasing(watcher.padData().map((d) => d.timestampUs), "timestamps");
  } finally {
    client.kill();
    await client.exit();
    await Deno.remove(file);
  }
});

Deno.test("padlink-server --dsu: usage errors, a taken port and the network warning", async () => {
  const fails = async (args: string[], pattern: RegExp, code: number) => {
    const proc = spawnEntrypoint("server.ts", ["--no-auth", "--port", "0", ...args]);
    const status = await proc.exit();
    assert.equal(status.code, code, proc.stderr.text);
    assert.equal(proc.stderr.lines.filter((l) => l !== "").length, 1, proc.stderr.text);
    assert.match(proc.stderr.text, pattern);
  };
  await fails(["--dsu-slots", "alice:0"], /--dsu-slots needs --dsu/, 2);
  await fails(["--dsu", "--dsu-slots", "alice:4"], /DSU slots are 0 to 3/, 2);
  await fails(["--dsu", "0", "--dsu-slots", "alice:1,bob:1"], /slot 1 twice/, 2);
  await fails(["--dsu", "0", "--dsu-slots", "alice"], /not CLIENT:SLOT/, 2);
  await fails(["--dsu", "70000"], /--dsu must be a port number/, 2);
  await fails(["--dsu", "::1:5"], /IPv6 address in brackets/, 2);
  const taken = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => taken.bind(0, "127.0.0.1", () => resolve()));
  try {
    const port = taken.address().port;
    await fails(["--dsu", `127.0.0.1:${port}`], /UDP port \d+ on 127.0.0.1 is already in use/, 1);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
  await using open = await startServer(["--no-auth", "--dsu", "0.0.0.0:0"]);
  await open.stderr.waitFor((l) => /warning: DSU on 0\.0\.0\.0:\d+ has no authentication/.test(l));
});
