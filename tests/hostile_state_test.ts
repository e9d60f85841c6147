/**
 * Bounded per-connection state, against the real server on loopback: a
 * client that redefines one key id over and over, pressing each new key,
 * never holds more than one key, the server's memory stays bounded, and
 * another client's held input is still released when it goes.
 */

import assert from "node:assert/strict";
import { MessageType } from "../lib/wire/protocol.ts";
import { encodeFrame } from "../lib/wire/frame.ts";
import { clientArgs, holdingReplay, rawJoin } from "./_fault_util.ts";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { rssKiB } from "../bench/_proc_stat.ts";

/** One frame of `rounds` × (KEY_DEFINE id 5 as a fresh name, KEY_DOWN 5). */
function redefineFrame(start: number, rounds: number): Uint8Array {
  const body: number[] = [];
  for (let i = start; i < start + rounds; i++) {
    const name = [...new TextEncoder().encode(`k${i}`)];
    body.push(MessageType.KEY_DEFINE, 0, 5, name.length, ...name, name.length, ...name);
    body.push(MessageType.KEY_DOWN, 0, 5);
  }
  return encodeFrame(new Uint8Array(body));
}

Deno.test("a client redefining a held key id 100,000 times holds one key; memory stays bounded", async () => {
  await using server = await startServer(["--timeout", "10000", "--output-queue", "1000000"]);
  const replay = await writeReplay(holdingReplay());
  try {
    await using honest = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "honest"),
      "--replay",
      replay,
    ]);
    await server.waitEvent({ type: "key", client: "honest", pressed: true });
    const rssBefore = rssKiB(server.pid);
    const { conn } = await rawJoin(server.port, "mallory", server.token);
    const ROUNDS = 100_000;
    const PER_FRAME = 100; // At most about 2.2 KiB a frame.
    try {
      for (let sent = 0; sent < ROUNDS; sent += PER_FRAME) {
        await conn.write(redefineFrame(sent, PER_FRAME));
      }
    } finally {
      conn.close(); // The server reads everything sent before the close.
    }
    // Scan only new lines, and without parsing them: 200,000 lines arrive.
    let scanned = 0;
    const deadline = performance.now() + 60000;
    while (
      !server.stdout.lines.slice(scanned).some((l) => l.includes('"disconnect","client":"mallory"'))
    ) {
      scanned = server.stdout.all.length;
      assert.ok(performance.now() < deadline, "mallory's disconnect within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const rssAfter = rssKiB(server.pid);
    console.log(`measured: server RSS ${rssBefore} KiB before, ${rssAfter} KiB after`);
    // Only the last key was still held when mallory went: one release.
    const tail = server.events().filter((e) => e.client === "mallory");
    const [lastRelease, end] = tail.slice(-2);
    assert.equal(end?.type, "disconnect", JSON.stringify(end));
    assert.deepEqual([lastRelease?.key, lastRelease?.pressed], [`k${ROUNDS - 1}`, false]);
    const presses = tail.filter((e) => e.type === "key" && e.pressed).length;
    const releases = tail.filter((e) => e.type === "key" && !e.pressed).length;
    assert.equal(presses, ROUNDS);
    assert.equal(releases, ROUNDS, "every key pressed was released");
    // Each released when its id was redefined: one press, one release, in turn.
    for (let i = 1; i < tail.length - 1; i++) {
      assert.equal(tail[i]!.pressed, i % 2 === 1, `event ${i}: ${JSON.stringify(tail[i])}`);
    }
    // The alternation above is the bound on held keys (one per id). Memory:
    // most of the growth is the stdout queue, which this test lets hold up to
    // 1,000,000 events so that none is dropped; 256 MiB is generous for it.
    assert.ok(rssAfter - rssBefore < 256 * 1024, `RSS grew by ${rssAfter - rssBefore} KiB`);
    // The other client still holds its input, and it is released when it goes.
    honest.kill("SIGKILL");
    await server.waitEvent({ type: "disconnect", client: "honest" });
    const honestEnd = server.events().filter((e) => e.client === "honest").slice(-5);
    assert.deepEqual(honestEnd.map((e) => e.type), ["key", "button", "axis", "pad", "disconnect"]);
  } finally {
    await Deno.remove(replay);
  }
});
