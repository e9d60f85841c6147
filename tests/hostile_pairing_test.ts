/**
 * Pairing under attack, against the real server on loopback: peers on four
 * other loopback addresses hold far more pairing connections than there are
 * slots (they never send a request), and keep opening more, while a real
 * client pairs, pins the certificate and streams over TLS.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { clientArgs } from "./_fault_util.ts";

const FLOOD_ADDRESSES = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"];

/** Keep opening silent connections to `port` from `from` until `stop`; returns the sockets. */
function floodFrom(from: string, port: number, stop: () => boolean): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  return (async () => {
    // Bounded: at most 400 connections per address, and `stop`.
    for (let i = 0; i < 400 && !stop(); i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port, localAddress: from });
        socket.on("error", () => {}); // Reset when the server drops it.
        socket.once("connect", () => resolve());
        socket.once("close", () => resolve());
        sockets.push(socket);
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return sockets;
  })();
}

async function destroyAll(sockets: net.Socket[]): Promise<void> {
  await Promise.all(sockets.map((socket) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once("close", () => resolve());
      socket.destroy();
    })
  ));
}

Deno.test("a real client pairs and streams over TLS while four addresses flood the pairing port", async () => {
  const serverDir = await Deno.makeTempDir({ prefix: "padlink-server-" });
  const clientDir = await Deno.makeTempDir({ prefix: "padlink-client-" });
  const replay = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 20, type: "button", pad: 0, button: "a", pressed: false },
  ]);
  let stopped = false;
  const floods: Promise<net.Socket[]>[] = [];
  try {
    await using server = await startServer(["--tls", "--config-dir", serverDir]);
    const pairingPort = server.port + 1;
    for (const from of FLOOD_ADDRESSES) floods.push(floodFrom(from, pairingPort, () => stopped));
    // Every slot is taken once the server starts dropping the oldest exchange.
    await server.stderr.waitFor(
      (l) => l.includes("exchanges in progress") && l.includes("dropped the oldest"),
      {
        timeoutMs: 20000,
        what: "the pairing slots full",
      },
    );
    await using client = spawnEntrypoint("client.ts", [
      "--tls",
      ...clientArgs(server, "honest"),
      "--config-dir",
      clientDir,
      "--replay",
      replay,
    ]);
    const status = await client.exit(20000);
    assert.equal(status.code, 0, client.stderr.text);
    assert.match(client.stderr.text, /paired with 127\.0\.0\.1:\d+: certificate SHA-256/);
    // The client's exit can come before the server has printed its disconnect.
    await server.waitEvent({ type: "disconnect", client: "honest" });
    const presses = server.events().filter((e) => e.client === "honest" && e.type === "button");
    assert.equal(presses.length, 2);
    // The pairing log is bounded too: at most 10 lines a second, the rest counted.
    const pairingLines = server.stderr.lines.filter((l) => l.includes("pairing"));
    assert.ok(pairingLines.length < 100, `${pairingLines.length} pairing log lines`);
    assert.equal(server.status, null, "the server is still running");
  } finally {
    stopped = true;
    for (const sockets of await Promise.all(floods)) await destroyAll(sockets);
    await Deno.remove(replay);
    await Deno.remove(serverDir, { recursive: true });
    await Deno.remove(clientDir, { recursive: true });
  }
});
