/**
 * Connection floods against the real server on loopback: thousands of
 * connections that never say anything, past the process's file limit. The
 * server caps the connections waiting for their handshake (oldest first),
 * so it never runs out of file descriptors, does not spin or flood its
 * log, and a real client still connects and streams.
 */

import assert from "node:assert/strict";
import { clientArgs, holdingReplay } from "./_fault_util.ts";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { cpuSeconds, rssKiB } from "../bench/_proc_stat.ts";
import { closeQuietly } from "../lib/net/close_quietly.ts";
import { withDeadline } from "../lib/net/deadline.ts";

/** Open `count` connections that never send a byte, 100 at a time; a refused one is skipped. */
async function silentFlood(port: number, count: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  for (let opened = 0; opened < count; opened += 100) {
    const batch = await Promise.allSettled(
      Array.from({ length: 100 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    for (const result of batch) if (result.status === "fulfilled") conns.push(result.value);
  }
  return conns;
}

Deno.test("2,000 silent connections past the server's file limit: no spin, no log flood, a real client still streams", async () => {
  // 256 open files: 64 connections may wait for their handshake at once.
  await using server = await startServer(["--timeout", "5000"], {
    wrapper: ["prlimit", "--nofile=256"],
  });
  const replay = await writeReplay(holdingReplay(1500));
  let flood: Deno.TcpConn[] = [];
  try {
    const logBefore = server.stderr.lines.length;
    flood = await silentFlood(server.port, 2000);
    const cpuBefore = cpuSeconds(server.pid) * 1000;
    const windowStart = performance.now();
    // A real client, while the flood's connections are all still open.
    await using client = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "honest"),
      "--replay",
      replay,
    ]);
    const status = await client.exit(20000);
    assert.equal(status.code, 0, client.stderr.text);
    // The client's exit can come before the server has printed its disconnect.
    await server.waitEvent({ type: "disconnect", client: "honest" });
    const windowMs = performance.now() - windowStart;
    const cpu = cpuSeconds(server.pid) * 1000 - cpuBefore;
    const logLines = server.stderr.lines.length - logBefore;
    console.log(
      `measured: ${flood.length} silent connections; server CPU ${cpu} ms in ${
        windowMs.toFixed(0)
      } ms; ${logLines} log lines; RSS ${rssKiB(server.pid)} KiB`,
    );
    const honest = server.events().filter((e) => e.client === "honest");
    assert.deepEqual(honest.map((e) => e.type), [
      "connect",
      "pad",
      "button",
      "axis",
      "key",
      "button",
      "key",
      "axis",
      "pad",
      "disconnect",
    ]);
    // Spinning on EMFILE took a whole core; allow half of one, for a loaded machine.
    assert.ok(cpu < windowMs / 2, `server used ${cpu} ms of CPU in ${windowMs} ms`);
    // Accept errors and evictions are logged at most once a second each, plus the
    // handshake timeouts of the connections it kept (at most the 64 it holds).
    assert.ok(logLines < 200, `${logLines} log lines:\n${server.stderr.text.slice(-2000)}`);
    assert.ok(rssKiB(server.pid) < 300 * 1024);
    assert.equal(server.status, null, "the server is still running");
  } finally {
    for (const conn of flood) closeQuietly(conn);
    await Deno.remove(replay);
  }
});

function openFiles(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

Deno.test("1,000 silent connections to a TLS server are closed by the deadline and the cap; a real client pairs and streams", async () => {
  const serverDir = await Deno.makeTempDir({ prefix: "padlink-server-" });
  const clientDir = await Deno.makeTempDir({ prefix: "padlink-client-" });
  const replay = await writeReplay(holdingReplay(200));
  let flood: Deno.TcpConn[] = [];
  try {
    await using server = await startServer(["--tls", "--config-dir", serverDir]);
    const filesBefore = openFiles(server.pid);
    const started = performance.now();
    flood = await silentFlood(server.port, 1000);
    // Past 512 waiting, the oldest went at once; the rest go at the 3 s deadline.
    const ended = await Promise.all(flood.map(async (conn) => {
      const buffer = new Uint8Array(64);
      return await withDeadline(
        conn.read(buffer).then(() => performance.now(), () => performance.now()),
        8000,
        () => null,
      );
    }));
    const stillOpen = ended.filter((at) => at === null).length;
    const lastClosedMs = Math.max(...ended.map((at) => (at ?? Infinity) - started));
    const filesAfter = openFiles(server.pid);
    console.log(
      `measured: ${flood.length} silent TLS connections; all closed within ${
        lastClosedMs.toFixed(0)
      } ms; server open files ${filesBefore} before, ${filesAfter} after`,
    );
    assert.equal(stillOpen, 0, `${stillOpen} silent TLS connections still open after 8 s`);
    assert.ok(filesAfter < filesBefore + 50, `${filesAfter} open files, ${filesBefore} before`);
    await using client = spawnEntrypoint("client.ts", [
      "--tls",
      ...clientArgs(server, "honest"),
      "--config-dir",
      clientDir,
      "--replay",
      replay,
    ]);
    assert.equal((await client.exit(20000)).code, 0, client.stderr.text);
    await server.waitEvent({ type: "disconnect", client: "honest" });
    const honest = server.events().filter((e) => e.client === "honest");
    assert.equal(honest.at(-1)?.type, "disconnect");
    assert.equal(honest.filter((e) => e.type === "button").length, 2);
  } finally {
    for (const conn of flood) closeQuietly(conn);
    await Deno.remove(replay);
    await Deno.remove(serverDir, { recursive: true });
    await Deno.remove(clientDir, { recursive: true });
  }
});
