/**
 * The whole controller end to end through the real entrypoints: the pad's
 * type, USB ids and capabilities, motion, touchpad and battery. SDL 2.26
 * virtual pads have no sensors, touchpad or battery, so those travel from
 * replay files; the type comes from SDL itself, from virtual pads made with
 * real USB ids.
 */

import assert from "node:assert/strict";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { DsuTestClient } from "./_dsu_client.ts";

const HEADLESS = { SDL_VIDEODRIVER: "dummy" };

const DS4 = {
  type: "pad",
  pad: 0,
  attached: true,
  name: "Wireless Controller",
  kind: "ps4",
  vendor: 0x054c,
  product: 0x09cc,
  capabilities: ["rumble", "led", "touchpad", "accel", "gyro", "battery"],
};

/** A DualShock 4 session: details, motion, two fingers, battery, then unplugged. */
const SESSION: Record<string, unknown>[] = [
  { t: 0, ...DS4 },
  { t: 0, type: "battery", pad: 0, level: "medium", state: "battery" },
  { t: 10, type: "motion", pad: 0, accel: [0.5, 9.81, -0.25], gyro: [0.1, -0.2, 1.5], t_us: 1000 },
  { t: 12, type: "motion", pad: 0, accel: [0.5, 9.8, -0.25], gyro: [0, 0, 0], t_us: 5000 },
  { t: 20, type: "touch", pad: 0, finger: 0, state: "down", x: 0.25, y: 0.5, pressure: 1 },
  { t: 22, type: "touch", pad: 0, finger: 0, state: "move", x: 0.3, y: 0.5, pressure: 1 },
  { t: 24, type: "touch", pad: 0, finger: 1, state: "down", x: 0.75, y: 0.1, pressure: 0.5 },
  { t: 26, type: "touch", pad: 0, finger: 0, state: "up", x: 0.3, y: 0.5, pressure: 0 },
  { t: 30, type: "battery", pad: 0, level: "low", state: "battery" },
  // Unplugged with finger 1 still down: the client lifts it first.
  { t: 40, type: "pad", pad: 0, attached: false },
];

/** What the server reports for SESSION, without `client` and `t`. */
const EXPECTED: Record<string, unknown>[] = [
  DS4,
  { type: "battery", pad: 0, level: "medium", state: "battery" },
  { type: "motion", pad: 0, accel: [0.5, 9.81, -0.25], gyro: [0.1, -0.2, 1.5], t_us: 1000 },
  { type: "motion", pad: 0, accel: [0.5, 9.8, -0.25], gyro: [0, 0, 0], t_us: 5000 },
  {
    type: "touch",
    pad: 0,
    touchpad: 0,
    finger: 0,
    state: "down",
    x: 0.25,
    y: 0.5,
    pressure: 1,
  },
  { type: "touch", pad: 0, touchpad: 0, finger: 0, state: "move", x: 0.3, y: 0.5, pressure: 1 },
  {
    type: "touch",
    pad: 0,
    touchpad: 0,
    finger: 1,
    state: "down",
    x: 0.75,
    y: 0.1,
    pressure: 0.5,
  },
  { type: "touch", pad: 0, touchpad: 0, finger: 0, state: "up", x: 0.3, y: 0.5, pressure: 0 },
  { type: "battery", pad: 0, level: "low", state: "battery" },
  { type: "touch", pad: 0, touchpad: 0, finger: 1, state: "up", x: 0.75, y: 0.1, pressure: 0.5 },
  { type: "pad", pad: 0, attached: false },
];

function inputOnly(events: Record<string, unknown>[]) {
  return events
    .filter((e) => !["listening", "connect", "disconnect", "dsu"].includes(e.type as string))
    .map(({ client: _client, ...rest }) => rest);
}

function replayClient(port: number, file: string) {
  return spawnEntrypoint("client.ts", [
    "--port",
    String(port),
    "--name",
    "alice",
    "--replay",
    file,
  ]);
}

Deno.test("--replay carries pad details, motion, touch and battery to the server's JSON, and its capture replays the same", async () => {
  const file = await writeReplay(SESSION);
  const captured: string[] = [];
  {
    await using server = await startServer(["--no-auth"]);
    const client = replayClient(server.port, file);
    assert.equal((await client.exit()).code, 0, client.stderr.text);
    await server.waitEvent({ type: "disconnect" });
    assert.deepEqual(inputOnly(server.events()), EXPECTED);
    captured.push(...server.stdout.lines);
  }
  // The capture is a replay file: played again, the server reports the same.
  const capture = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(capture, captured.join("\n") + "\n");
  await using again = await startServer(["--no-auth"]);
  const client = replayClient(again.port, capture);
  assert.equal((await client.exit()).code, 0, client.stderr.text);
  await again.waitEvent({ type: "disconnect" });
  assert.deepEqual(inputOnly(again.events()), EXPECTED);
  await Deno.remove(file);
  await Deno.remove(capture);
});

Deno.test("--virtual pads with real USB ids: the type SDL gives them reaches the server", async () => {
  const pads = [
    { pad: 0, name: "Virtual DS4", vendor: 0x054c, product: 0x09cc, kind: "ps4" },
    { pad: 1, name: "Virtual Xbox One", vendor: 0x045e, product: 0x02ea, kind: "xboxone" },
    { pad: 2, name: "Virtual Switch Pro", vendor: 0x057e, product: 0x2009, kind: "switchpro" },
  ];
  const file = await writeReplay([
    ...pads.map(({ kind: _kind, ...pad }) => ({ t: 0, type: "pad", attached: true, ...pad })),
    ...pads.map(({ pad }) => ({ t: 300, type: "pad", pad, attached: false })),
  ]);
  await using server = await startServer(["--no-auth"]);
  const client = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "alice",
    "--no-window",
    "--virtual",
    file,
  ], { env: HEADLESS });
  assert.equal((await client.exit(30000)).code, 0, client.stderr.text);
  await server.waitEvent({ type: "disconnect" });
  const attached = server.events().filter((e) => e.type === "pad" && e.attached);
  assert.equal(attached.length, 3, JSON.stringify(attached));
  for (const want of pads) {
    const event = attached.find((e) => e.name === want.name);
    assert.ok(event, want.name);
    assert.equal(event.kind, want.kind);
    assert.equal(event.vendor, want.vendor);
    assert.equal(event.product, want.product);
    // Virtual pads made by padlink have motor and LED callbacks.
    assert.deepEqual(event.capabilities, ["rumble", "trigger_rumble", "led"]);
  }
  await Deno.remove(file);
});

Deno.test("DSU carries a replayed pad's motion, touch and battery to an emulator", async () => {
  await using server = await startServer(["--no-auth", "--dsu", "127.0.0.1:0"]);
  const record = await server.waitEvent({ type: "dsu" });
  await using emulator = await DsuTestClient.open({
    host: "127.0.0.1",
    port: record.event.port as number,
  });
  const file = await writeReplay([
    { t: 0, ...DS4 },
    { t: 0, type: "battery", pad: 0, level: "low", state: "battery" },
    { t: 0, type: "touch", pad: 0, finger: 0, state: "down", x: 1, y: 0.5, pressure: 1 },
    {
      t: 0,
      type: "motion",
      pad: 0,
      accel: [0, 9.80665, 0],
      gyro: [Math.PI / 2, 0, 0],
      t_us: 1,
    },
    { t: 3000, type: "pad", pad: 0, attached: false },
  ]);
  const client = replayClient(server.port, file);
  await server.waitEvent({ type: "motion" });
  await emulator.until(
    () => {
      emulator.padDataAll();
      return emulator.padData().some((p) => p.accel[1]! > 0.99);
    },
    3000,
    "a pad-data packet with the motion",
  );
  const packet = emulator.padData().findLast((p) => p.accel[1]! > 0.99)!;
  assert.equal(packet.model, 2, "full gyro");
  assert.equal(packet.battery, 0x02, "low");
  assert.ok(Math.abs(packet.accel[1]! - 1) < 1e-4, `accel y ${packet.accel[1]} g`);
  assert.ok(Math.abs(packet.gyro[0]! - 90) < 1e-3, `gyro pitch ${packet.gyro[0]} deg/s`);
  assert.equal(packet.touch1[0], 1, "first touch active");
  assert.deepEqual(packet.touch1.slice(2), [1919, 471]);
  client.kill("SIGINT");
  await client.exit();
  await Deno.remove(file);
});
