/**
 * A silent link: the server and the client run in two network namespaces
 * joined by a veth pair, and the test takes the client's end down — no FIN,
 * no RST, just silence, like a pulled cable. Needs root (or CAP_NET_ADMIN);
 * where namespaces cannot be created the tests are skipped with the reason
 * printed.
 */

import assert from "node:assert/strict";
import { sleep } from "../lib/net/deadline.ts";
import { clientArgs, createNetnsPair, holdingReplay, netnsUnavailable } from "./_fault_util.ts";
import { type ServerProc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

const unavailable = await netnsUnavailable();
if (unavailable) console.log(`silent-link tests skipped: ${unavailable}`);

const HELD_KEY = { type: "key", key: "Left Shift", pressed: true };

function eventsOf(server: ServerProc, client: string, from = 0): Record<string, unknown>[] {
  return server.events(from).filter((e) => e.client === client).map(({ addr: _, ...e }) => e);
}

Deno.test({
  name:
    "silent link: the server times the client out and releases its inputs; after link up the client reconnects and resyncs",
  ignore: unavailable !== null,
  async fn() {
    const file = await writeReplay(holdingReplay());
    try {
      await using pair = await createNetnsPair(1);
      await using server = await startServer(["--timeout", "1000"], {
        netns: pair.serverNs,
        host: pair.serverAddr,
      });
      await using client = spawnEntrypoint(
        "client.ts",
        [...clientArgs(server, "ivy", pair.serverAddr), "--replay", file],
        { netns: pair.clientNs },
      );
      const held = await server.waitEvent(HELD_KEY);

      await pair.setLink(false);
      const downAt = performance.now();
      const gone = await server.waitEvent({ type: "disconnect", client: "ivy" }, {
        from: held.index,
        timeoutMs: 5000,
      });
      assert.equal(gone.event.reason, "timed out (no traffic for 1000 ms)");
      assert.deepEqual(eventsOf(server, "ivy", held.index + 1), [
        { type: "key", client: "ivy", key: "Left Shift", scancode: "Left Shift", pressed: false },
        { type: "button", client: "ivy", pad: 0, button: "a", pressed: false },
        { type: "axis", client: "ivy", pad: 0, axis: "leftx", value: 0 },
        { type: "pad", client: "ivy", pad: 0, attached: false },
        { type: "disconnect", client: "ivy", reason: "timed out (no traffic for 1000 ms)" },
      ]);
      const noticed = await client.stderr.waitFor(
        (l) =>
          /^padlink-client: connection lost \(no traffic from the server for 1000 ms\); reconnecting in \d+\.\d s$/
            .test(l),
        { timeoutMs: 5000, what: "the client's dead-server line" },
      );
      // Let at least one reconnect attempt fail while the link is down.
      await client.stderr.waitFor((l) => /reconnect attempt \d+ failed/.test(l), {
        timeoutMs: 10000,
        what: "a failed reconnect attempt",
      });
      await sleep(200);

      await pair.setLink(true);
      const upAt = performance.now();
      const connect = await server.waitEvent({ type: "connect" }, {
        from: gone.index,
        timeoutMs: 15000,
      });
      const resynced = await server.waitEvent(HELD_KEY, { from: connect.index });
      console.log(
        [
          `measured: link down → server timeout ${(gone.at - downAt).toFixed(0)} ms`,
          `link down → client notices ${(noticed.at - downAt).toFixed(0)} ms`,
          `link up → reconnected ${(connect.at - upAt).toFixed(0)} ms`,
          `link up → resynced ${(resynced.at - upAt).toFixed(0)} ms`,
        ].join(", "),
      );
      assert.equal(connect.event.client, "ivy", "the client keeps its name");
      assert.deepEqual(eventsOf(server, "ivy", connect.index), [
        { type: "connect", client: "ivy" },
        { type: "pad", client: "ivy", pad: 0, attached: true, name: "Test Pad" },
        { type: "button", client: "ivy", pad: 0, button: "a", pressed: true },
        { type: "axis", client: "ivy", pad: 0, axis: "leftx", value: 0.5 },
        { type: "key", client: "ivy", key: "Left Shift", scancode: "Left Shift", pressed: true },
      ]);
      await client.stderr.waitFor((l) => l.includes("reconnected to 169.254.77.1:"));

      client.kill("SIGTERM");
      assert.equal((await client.exit()).code, 143, client.stderr.text);
      const end = await server.waitEvent({ type: "disconnect", client: "ivy" }, {
        from: resynced.index,
      });
      assert.equal(end.event.reason, "client quit: interrupted");
    } finally {
      await Deno.remove(file);
    }
  },
});

Deno.test({
  name: "silent link with --no-reconnect: the client exits 1 saying the server went silent",
  ignore: unavailable !== null,
  async fn() {
    const file = await writeReplay(holdingReplay());
    try {
      await using pair = await createNetnsPair(2);
      await using server = await startServer(["--timeout", "1000"], {
        netns: pair.serverNs,
        host: pair.serverAddr,
      });
      await using client = spawnEntrypoint(
        "client.ts",
        [...clientArgs(server, "jay", pair.serverAddr), "--no-reconnect", "--replay", file],
        { netns: pair.clientNs },
      );
      await server.waitEvent(HELD_KEY);
      await pair.setLink(false);
      const status = await client.exit(5000);
      assert.equal(status.code, 1);
      assert.deepEqual(
        client.stderr.lines.filter((l) => !l.includes(": connected to")),
        ["padlink-client: stopped: no traffic from the server for 1000 ms"],
      );
      const gone = await server.waitEvent({ type: "disconnect", client: "jay" }, {
        timeoutMs: 5000,
      });
      assert.equal(gone.event.reason, "timed out (no traffic for 1000 ms)");
    } finally {
      await Deno.remove(file);
    }
  },
});
