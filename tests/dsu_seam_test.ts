/**
 * DSU rumble through the output seam: a real {@linkcode PadlinkServer}, a
 * real client connection holding a pad, the real {@linkcode DsuOutput} on a
 * UDP socket, and the conformance client sending 0x110001/0x110002.
 *
 * The client side of rumble is issue 13; until it lands the server answers
 * every rumble command with an error. So the host handed to the output is
 * the server's own, seen through a recorder that notes each command before
 * passing it on: the test asserts what the output asked of the server, and
 * that the server's answer (a refusal for now) is counted.
 *
 * Once issue 13 lands, add the end-to-end check: an SDL virtual pad's
 * Rumble callback sees the DSU rumble within 50 ms and a stop 5 s later.
 */

import assert from "node:assert/strict";
import { PadlinkConnection } from "../lib/client/client.ts";
import { DsuOutput } from "../lib/outputs/dsu/output.ts";
import { PadlinkServer } from "../lib/server/server.ts";
import type { FeedbackCommand, OutputHost } from "../lib/server/output.ts";
import { DsuTestClient } from "./_dsu_client.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    assert.deepEqual(commands[0]!.result, {
      ok: false,
      error: "alice does not take rumble commands",
    });
    assert.equal(dsu.stats.rumbleRefused, 2);

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
