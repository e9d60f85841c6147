/**
 * Control-message floods against the real server on loopback: 40 peers
 * that know the token flood PINGs (from another process,
 * `_ping_flooder.ts`), get dropped for it, and come back, over and over,
 * while an honest client presses a button every 10 ms. Every
 * press arrives, in order, quickly; every flooder's drop is logged.
 */

import assert from "node:assert/strict";
import { encodeFrame } from "../lib/wire/frame.ts";
import { MessageType } from "../lib/wire/protocol.ts";
import { rawJoin } from "./_fault_util.ts";
import { closeQuietly } from "../lib/net/close_quietly.ts";
import { ROOT, startServer } from "./_util.ts";
import { rssKiB } from "../bench/_proc_stat.ts";

const FLOODERS = Number(Deno.env.get("FLOODERS") ?? 40);
const PRESSES = 300;
const STEP_MS = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

Deno.test("40 peers flooding PINGs are dropped and an honest client's presses all arrive promptly", async () => {
  // A long timeout: the honest peer here is raw and sends no heartbeats.
  await using server = await startServer(["--timeout", "20000"]);
  const token = server.token!;
  const { conn: honest } = await rawJoin(server.port, "honest", token);
  // As the real client does: without it, Nagle's algorithm and delayed ACKs
  // hold a small write back for up to 40 ms.
  honest.setNoDelay(true);
  try {
    await honest.write(encodeFrame(new Uint8Array([MessageType.PAD_ATTACH, 0, 0])));
    await server.waitEvent({ type: "pad", client: "honest" });
    // The flooders run in a process of their own for the whole measurement.
    const floodMs = 300 + PRESSES * STEP_MS + 1000;
    const flood = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-net",
        `${ROOT}tests/_ping_flooder.ts`,
        String(server.port),
        token,
        String(FLOODERS),
        String(floodMs),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    // The flood is on once the server drops its first flooder (the flooders' own process may
    // take a while to start on a loaded machine).
    await server.stderr.waitFor((l) => /more than \d+ control messages a second/.test(l), {
      timeoutMs: 20000,
      what: "the first flooder dropped",
    });
    const sentAt: number[] = [];
    const from = server.stdout.all.length;
    for (let i = 0; i < PRESSES; i++) {
      const type = i % 2 === 0 ? MessageType.BUTTON_DOWN : MessageType.BUTTON_UP;
      sentAt.push(performance.now());
      await honest.write(encodeFrame(new Uint8Array([type, 0, 0])));
      await new Promise((resolve) => setTimeout(resolve, STEP_MS));
    }
    await server.waitEvent({ type: "button", client: "honest", pressed: false }, {
      from: from + 0,
    });
    // Wait for the last press to arrive, then stop the flood.
    const last = PRESSES - 1;
    let arrived: { at: number; text: string }[] = [];
    for (let i = 0; i < 200 && arrived.length < PRESSES; i++) {
      arrived = server.stdout.all.slice(from).filter((l) =>
        l.text.includes('"client":"honest"') && l.text.includes('"type":"button"')
      );
      if (arrived.length < PRESSES) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const flooded = await flood;
    const drops = Number(/dropped (\d+)/.exec(new TextDecoder().decode(flooded.stdout))?.[1] ?? 0);
    assert.equal(arrived.length, PRESSES, `only ${arrived.length} of ${PRESSES} presses arrived`);
    for (const [i, line] of arrived.entries()) {
      assert.equal(JSON.parse(line.text).pressed, i % 2 === 0, `press ${i} of ${last} in order`);
    }
    const unsorted = arrived.map((line, i) => line.at - sentAt[i]!);
    const latencies = [...unsorted].sort((a, b) => a - b);
    const p50 = percentile(latencies, 0.5);
    const p99 = percentile(latencies, 0.99);
    const dropLogs = server.stderr.lines.filter((l) =>
      /more than \d+ control messages a second/.test(l)
    );
    console.log(
      `measured: ${FLOODERS} flooders dropped ${drops} times (${dropLogs.length} log lines); honest press latency p50 ${
        p50.toFixed(1)
      } ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );
    assert.ok(drops >= FLOODERS, `flooders were dropped only ${drops} times`);
    assert.ok(dropLogs.length >= FLOODERS, "every drop is logged with its reason");
    // The target is p99 < 20 ms (met on an idle 2-core machine, see the
    // measured line); this bound is generous for a loaded one, where the test's
    // own 40 flooders compete with the server for the 2 cores.
    assert.ok(p99 < 100, `p99 ${p99} ms`);
    assert.equal(server.status, null, "the server is still running");
    const honestEnd = server.events().find((e) => e.type === "disconnect" && e.client === "honest");
    assert.equal(
      honestEnd,
      undefined,
      `the honest client was dropped: ${JSON.stringify(honestEnd)}`,
    );
    assert.ok(rssKiB(server.pid) < 300 * 1024, `server RSS ${rssKiB(server.pid)} KiB`);
    // What the honest client holds is released when it goes.
    await honest.write(encodeFrame(new Uint8Array([MessageType.BUTTON_DOWN, 0, 1])));
    await server.waitEvent({ type: "button", client: "honest", button: "b", pressed: true });
    honest.close();
    await server.waitEvent({ type: "disconnect", client: "honest" });
    const tail = server.events().filter((e) => e.client === "honest").slice(-3);
    assert.deepEqual(tail.map((e) => [e.type, e.pressed ?? e.attached]), [
      ["button", false],
      ["pad", false],
      ["disconnect", undefined],
    ]);
  } finally {
    closeQuietly(honest);
  }
});
