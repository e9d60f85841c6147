/**
 * DSU rumble through the output seam: a real {@linkcode PadlinkServer}, a
 * real client connection holding a pad, the real {@linkcode DsuOutput} on a
 * UDP socket, and the conformance client sending 0x110001/0x110002.
 *
 * The host handed to the output is the server's own, seen through a
 * recorder that notes each command before passing it on: the test asserts
 * what the output asked of the server, and that the server delivered it.
 *
 * The second test runs the real entrypoints: an SDL virtual pad in
 * `padlink-client --virtual --json` reports what reached its Rumble
 * callback, a DSU rumble within 50 ms and a stop 5 s after the last update.
 */

import assert from "node:assert/strict";
import { PadlinkConnection } from "../lib/client/client.ts";
import { DsuOutput } from "../lib/outputs/dsu/output.ts";
import { PadlinkServer } from "../lib/server/server.ts";
import type { FeedbackCommand, OutputHost } from "../lib/server/output.ts";
import { DsuTestClient } from "./_dsu_client.ts";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { sleep } from "../lib/net/deadline.ts";

Deno.test("DsuOutput forwards DSU rumble to the server as rumble commands that stop after 5 s", async () => {
  await using server = await PadlinkServer.start({ hostname: "127.0.0.1", port: 0, token: null });
  const dsu = await DsuOutput.start({ hostname: "127.0.0.1", port: 0 });
  const commands: { at: number; command: FeedbackCommand; result: unknown }[] = [];
  server.addOutput({
    push: (event) => dsu.push(event),
    close: () => dsu.close(),
    attach: (host) => {
      const recording: OutputHost = {
        snapshot: () => host.snapshot(),
        telemetry: () => host.telemetry(),
        command: async (command) => {
          const entry = { at: performance.now(), command, result: undefined as unknown };
          commands.push(entry);
          entry.result = await host.command(command);
          return entry.result as Awaited<ReturnType<OutputHost["command"]>>;
        },
      };
      dsu.attach(recording);
    },
  });
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: server.addr.port,
    name: "alice",
  });
  try {
    connection.send([{ type: "pad", pad: 0, attached: true, name: "Rumble Pad" }]);
    await using emulator = await DsuTestClient.open({ host: "127.0.0.1", port: dsu.addr.port });
    await emulator.until(
      () => {
        emulator.motorInfo(0);
        return emulator.packets.some((p) => p.type === "motor_info" && p.info.state === 2);
      },
      3000,
      "the pad in slot 0",
    );
    emulator.motorInfo(1);
    await emulator.until(
      () => emulator.packets.some((p) => p.type === "motor_info" && p.info.slot === 1),
      3000,
      "motor info for the empty slot",
    );
    const motors = emulator.packets.flatMap((p) => p.type === "motor_info" ? [p] : []);
    assert.equal(motors.find((p) => p.info.slot === 0)!.motors, 2);
    assert.equal(motors.find((p) => p.info.slot === 1)!.motors, 0);
    assert.equal(motors.find((p) => p.info.slot === 1)!.info.state, 0);

    // An emulator sets both motors, one datagram each, then stops renewing.
    emulator.rumble(0, 0, 204);
    emulator.rumble(0, 1, 102);
    emulator.rumble(3, 0, 255); // an empty slot: nothing to rumble
    const lastUpdate = performance.now();
    await emulator.until(() => commands.length >= 2, 2000, "two rumble commands");
    assert.deepEqual(commands.slice(0, 2).map((c) => c.command), [
      { type: "rumble", client: "alice", pad: 0, low: 0.8, high: 0, ms: 5000 },
      { type: "rumble", client: "alice", pad: 0, low: 0.8, high: 0.4, ms: 5000 },
    ]);
    assert.ok(commands[1]!.at - commands[0]!.at >= 45, "updates to one pad are spaced");
    await sleep(50);
    assert.deepEqual(commands[0]!.result, { ok: true });
    assert.deepEqual(commands[1]!.result, { ok: true });
    assert.equal(dsu.stats.rumbleRefused, 0);

    // No renewal: 5 s after the last update the output stops the pad itself.
    await emulator.until(() => commands.length >= 3, 7000, "the stop");
    assert.deepEqual(commands[2]!.command, {
      type: "rumble",
      client: "alice",
      pad: 0,
      low: 0,
      high: 0,
      ms: 0,
    });
    const after = commands[2]!.at - lastUpdate;
    assert.ok(after >= 4950, `stopped ${after.toFixed(0)} ms after the last update`);
    assert.equal(commands.length, 3);
  } finally {
    await connection.goodbye();
  }
});

Deno.test("a DSU rumble reaches an SDL virtual pad's Rumble callback within 50 ms and stops 5 s after the last update", async () => {
  await using server = await startServer(["--no-auth", "--dsu", "127.0.0.1:0"]);
  const record = await server.waitEvent({ type: "dsu" });
  const file = await writeReplay([
    {
      t: 0,
      type: "pad",
      pad: 0,
      attached: true,
      name: "Virtual DS4",
      vendor: 0x054c,
      product: 0x09cc,
    },
    { t: 60000, type: "pad", pad: 0, attached: false },
  ]);
  await using client = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "alice",
    "--no-window",
    "--json",
    "--virtual",
    file,
  ], { env: { SDL_VIDEODRIVER: "dummy" } });
  await server.waitEvent({ type: "pad", attached: true }, { timeoutMs: 20000 });
  await using emulator = await DsuTestClient.open({
    host: "127.0.0.1",
    port: record.event.port as number,
  });
  await emulator.until(
    () => {
      emulator.motorInfo(0);
      return emulator.packets.some((p) => p.type === "motor_info" && p.info.state === 2);
    },
    3000,
    "the pad in slot 0",
  );
  const callbackLine = (low: number, from: number) =>
    client.stdout.waitFor((text) => {
      if (!text.startsWith('{"type":"virtual_rumble"')) return false;
      return (JSON.parse(text) as { low: number }).low === low;
    }, { from, timeoutMs: 8000, what: `virtual_rumble low ${low}` });
  // Three updates 120 ms apart (past the 50 ms spacing); the median reaches the
  // callback within 50 ms (the bound is on the median: this machine's CPUs are shared).
  const from = client.stdout.all.length;
  const latencies: number[] = [];
  let lastSent = 0;
  for (const [intensity, low] of [[51, 0.2], [153, 0.6], [255, 1]] as const) {
    const at = client.stdout.all.length;
    lastSent = performance.now();
    emulator.rumble(0, 0, intensity);
    latencies.push((await callbackLine(low, at)).at - lastSent);
    await new Promise((resolve) => setTimeout(resolve, 120));
  }
  const shown = latencies.map((l) => l.toFixed(1)).join(", ");
  assert.ok(
    [...latencies].sort((a, b) => a - b)[1]! < 50,
    `DSU rumble reached it after ${shown} ms`,
  );
  const stopped = await callbackLine(0, from);
  const after = stopped.at - lastSent;
  assert.ok(after >= 4950 && after < 6500, `stopped ${after.toFixed(0)} ms after the last update`);
  client.kill("SIGINT");
  await client.exit(10000);
});
