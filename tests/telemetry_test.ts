/**
 * End-to-end: latency telemetry through the real server process. Each
 * input's `latency_us`, the `stats` records (round trip, clock offset,
 * latency percentiles) and the human stats lines, on loopback, through a
 * proxy that delays each direction by 20 ms, and from a client whose clock
 * is 10 s ahead (the library's injectable clock).
 */

import assert from "node:assert/strict";
import { Forwarder } from "../lib/client/forwarder.ts";
import { wallClockMicros } from "../lib/net/clock_sync.ts";
import { sleep } from "../lib/net/deadline.ts";
import { DelayProxy } from "./_delay_proxy.ts";
import { type ServerProc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

type Json = Record<string, unknown>;

/** A pad, then `presses` press/release pairs of A every `everyMs`, from `startMs`. */
function pressingReplay(presses: number, startMs: number, everyMs: number): Json[] {
  const lines: Json[] = [{ t: 0, type: "pad", pad: 0, attached: true, name: "Telemetry Pad" }];
  for (let i = 0; i < presses; i++) {
    const t = startMs + i * everyMs;
    lines.push({ t, type: "button", pad: 0, button: "a", pressed: true });
    lines.push({ t: t + everyMs / 2, type: "button", pad: 0, button: "a", pressed: false });
  }
  return lines;
}

/** The JSON lines of `type` a server printed. */
function records(server: ServerProc, type: string, client?: string): Json[] {
  return server.stdout.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Json)
    .filter((e) => e.type === type && (client === undefined || e.client === client));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Run the real client on `file` against `port` as `name`; resolves once it exited 0. */
async function replay(port: number, name: string, file: string): Promise<void> {
  const client = spawnEntrypoint("client.ts", [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--name",
    name,
    "--replay",
    file,
  ]);
  assert.equal((await client.exit(30000)).code, 0, client.stderr.text);
}

Deno.test("telemetry: on loopback every input after the first clock exchange has latency_us, 0 ≤ it < 5 ms", async () => {
  const file = await writeReplay(pressingReplay(10, 300, 60));
  await using server = await startServer(["--no-auth", "--stats", "0.5"]);
  await replay(server.port, "alice", file);
  await server.waitEvent({ type: "disconnect", client: "alice" });
  const buttons = records(server, "button", "alice");
  assert.ok(buttons.length >= 20, server.stdout.text);
  for (const event of buttons) {
    assert.equal(typeof event.latency_us, "number", JSON.stringify(event));
  }
  // Below 5 ms typically; on a machine shared with other work the client's timer or either event
  // loop is now and then a few ms late, so single events are only held to 100 ms.
  const latencies = buttons.map((e) => e.latency_us as number);
  for (const latency of latencies) {
    assert.ok(latency >= 0 && latency < 100_000, `latency ${latency} µs: ${latencies}`);
  }
  assert.ok(median(latencies) < 5000, `median latency ${median(latencies)} µs: ${latencies}`);
  const stats = records(server, "stats", "alice").filter((s) => s.latency_us !== null);
  assert.ok(stats.length >= 1, server.stdout.text);
  const first = stats[0]!;
  assert.deepEqual(Object.keys(first), [
    "type",
    "client",
    "rtt_us",
    "offset_us",
    "latency_us",
    "events",
    "bytes",
  ]);
  const latency = first.latency_us as Json;
  assert.deepEqual(Object.keys(latency), ["p50", "p99", "max"]);
  const record = JSON.stringify(first);
  assert.ok((latency.p50 as number) <= (latency.p99 as number), record);
  assert.ok((latency.p99 as number) <= (latency.max as number), record);
  assert.ok((latency.p50 as number) < 5000, record);
  // Loopback; the bound is loose for the same reason as above.
  assert.ok((first.rtt_us as number) >= 0 && (first.rtt_us as number) < 50_000, record);
  // One machine, one clock: the offset is within half the round trip (and 1 ms for the two
  // processes reading the wall clock at their start).
  assert.ok(Math.abs(first.offset_us as number) <= (first.rtt_us as number) / 2 + 1000, record);
  assert.ok((first.events as number) > 0 && (first.bytes as number) > 0, record);
  await Deno.remove(file);
});

Deno.test("telemetry: through a proxy delaying each direction by 20 ms, latency_us is 20 ms ± 3 ms and rtt_us about 40 ms", async () => {
  const file = await writeReplay(pressingReplay(12, 600, 100));
  await using server = await startServer(["--no-auth", "--stats", "0.5"]);
  await using proxy = new DelayProxy(server.port, 20);
  await replay(proxy.port, "far", file);
  await server.waitEvent({ type: "disconnect", client: "far" });
  const latencies = records(server, "button", "far").map((e) => e.latency_us as number);
  assert.ok(latencies.length >= 24, server.stdout.text);
  assert.ok(latencies.every((us) => typeof us === "number"), server.stdout.text);
  // The lower quartile: under load (this machine's load average reaches 10 on 2 cores) the
  // proxy's own timers, in this process, and both event loops are now and then late, and a
  // late event is rightly reported late (one run: median 24.7 ms, lower quartile 21.6 ms).
  // Nothing can be early: a latency under the delay would be a wrong offset.
  const sorted = [...latencies].sort((a, b) => a - b);
  const quartile = sorted[Math.floor(sorted.length / 4)]!;
  assert.ok(Math.abs(quartile - 20_000) <= 3000, `lower quartile ${quartile} µs of ${sorted}`);
  assert.ok(sorted[0]! >= 17_000, `a latency below the delay: ${sorted}`);
  const rtts = records(server, "stats", "far").map((s) => s.rtt_us).filter((us) => us !== null);
  assert.ok(rtts.length >= 2, server.stdout.text);
  const rtt = rtts.at(-1) as number;
  assert.ok(rtt >= 38_000 && rtt <= 46_000, `rtt ${rtt} µs`);
  await Deno.remove(file);
});

Deno.test("telemetry: a client clock 10 s ahead (injected in the library) is measured within 3 s and latency stays right", async () => {
  await using server = await startServer(["--no-auth", "--stats", "0.5"]);
  const aheadUs = 10_000_000;
  const forwarder = new Forwarder({
    host: "127.0.0.1",
    port: server.port,
    name: "ahead",
    reconnect: false,
    clock: () => wallClockMicros() + aheadUs,
  });
  await forwarder.start();
  const connectedAt = performance.now();
  try {
    forwarder.push([{ type: "pad", pad: 0, attached: true, name: "Ahead Pad" }]);
    for (let i = 0; i < 30 && performance.now() - connectedAt < 3000; i++) {
      await sleep(50);
      forwarder.push([{ type: "button", pad: 0, button: "b", pressed: i % 2 === 0 }]);
    }
    const measured = await server.stdout.waitFor((line) => {
      if (!line.startsWith('{"type":"stats"')) return false;
      const stats = JSON.parse(line) as Json;
      return stats.client === "ahead" && stats.offset_us !== null &&
        Math.abs((stats.offset_us as number) + aheadUs) < 5000;
    }, { timeoutMs: 3000, what: "a stats record with the offset near -10 s" });
    assert.ok(measured.at - connectedAt <= 3000, `took ${measured.at - connectedAt} ms`);
    // The client's view of it, from the server's clock requests.
    assert.ok(
      Math.abs(forwarder.connection!.clock!.offsetUs + aheadUs) < 5000,
      JSON.stringify(forwarder.connection!.clock),
    );
  } finally {
    await forwarder.stop();
  }
  await server.waitEvent({ type: "disconnect", client: "ahead" });
  const buttons = records(server, "button", "ahead");
  assert.ok(buttons.length >= 10, server.stdout.text);
  const stamped = buttons.filter((e) => e.latency_us !== undefined);
  // Every press after the first exchange (one round trip after the handshake) is stamped.
  assert.ok(stamped.length >= buttons.length - 1, server.stdout.text);
  // Right, not 10 s: every one well under a second, the typical one under 5 ms (on a machine
  // shared with other work one event loop or the other is now and then a few ms late).
  const latencies = stamped.map((e) => e.latency_us as number);
  for (const latency of latencies) {
    assert.ok(latency >= 0 && latency < 100_000, `latency ${latency} µs: ${latencies}`);
  }
  assert.ok(median(latencies) < 5000, `median latency ${median(latencies)} µs: ${latencies}`);
});

Deno.test("telemetry: stats records come at the asked interval; human stats lines for clients that sent input", async () => {
  const file = await writeReplay(pressingReplay(25, 100, 100));
  await using server = await startServer(["--no-auth", "--stats", "0.5"]);
  const human = spawnEntrypoint("server.ts", [
    "--no-auth",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--stats",
    "1",
  ]);
  await using _human = human;
  const listening = await human.stdout.waitFor((l) => l.startsWith("listening on "), {
    what: "the listening line",
  });
  const humanPort = Number(/:(\d+) /.exec(listening.text)![1]);
  await Promise.all([replay(server.port, "steady", file), replay(humanPort, "steady", file)]);
  await server.waitEvent({ type: "disconnect", client: "steady" });
  const arrivals = server.stdout.all.filter((l) => l.text.startsWith('{"type":"stats"'))
    .filter((l) => (JSON.parse(l.text) as Json).client === "steady").map((l) => l.at);
  assert.ok(arrivals.length >= 4, server.stdout.text);
  const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
  const typical = median(gaps);
  assert.ok(typical >= 400 && typical <= 650, `stats every ${typical} ms: ${gaps}`);
  await human.stdout.waitFor((l) => l.includes("steady disconnected"), { what: "disconnect" });
  const lines = human.stdout.lines.filter((l) => l.startsWith("steady: "));
  assert.ok(lines.length >= 1, human.stdout.text);
  for (const line of lines) {
    assert.match(
      line,
      /^steady: \d+(\.\d+)?k? ev\/s, latency p50 [\d.]+ ms p99 [\d.]+ ms, rtt [\d.]+ ms$/,
    );
  }
  await Deno.remove(file);
});
