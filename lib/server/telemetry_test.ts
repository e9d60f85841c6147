import assert from "node:assert/strict";
import { ClientTelemetry, StatsWindow, summarise, type TelemetrySource } from "./telemetry.ts";
import { RTT_UNKNOWN } from "../wire/protocol.ts";

/** One clock exchange with a client whose clock reads `clientAheadUs` more, `oneWayUs` each way. */
function exchangeWith(
  telemetry: ClientTelemetry,
  serverNowUs: number,
  clientAheadUs: number,
  oneWayUs: number,
) {
  const request = telemetry.request(serverNowUs);
  const arrived = serverNowUs + oneWayUs + clientAheadUs;
  return telemetry.reply(
    { id: request.id, sentUs: request.sentUs, receivedUs: arrived, repliedUs: arrived + 50 },
    serverNowUs + 2 * oneWayUs + 50,
  );
}

Deno.test("ClientTelemetry: offset and round trip from its clock exchanges; latency on the server's clock", () => {
  const telemetry = new ClientTelemetry();
  assert.equal(telemetry.latency(1000, 2000), null, "no latency before an exchange");
  const first = telemetry.request(1_000_000);
  assert.equal(first.rttUs, RTT_UNKNOWN);
  assert.ok(exchangeWith(telemetry, 1_000_000, 10_000_000, 20_000));
  assert.equal(telemetry.rttUs, 40_000);
  assert.equal(telemetry.offsetUs, -10_000_000, "server − client");
  const next = telemetry.request(2_000_000);
  assert.equal(next.rttUs, 40_000, "the next request tells the client");
  assert.equal(next.offsetUs, -10_000_000);
  // Captured at client time 12 s (server 2 s), emitted at server 2.02 s: 20 ms.
  assert.equal(telemetry.latency(12_000_000, 2_020_000), 20_000);
  // Never negative, whatever the estimate's error.
  assert.equal(telemetry.latency(12_000_000, 1_990_000), 0);
  assert.equal(telemetry.maxLatencyUs, 20_000);
});

Deno.test("ClientTelemetry ignores a reply to no request of its own", () => {
  const telemetry = new ClientTelemetry();
  const request = telemetry.request(1000);
  assert.equal(
    telemetry.reply({ id: request.id + 1, sentUs: 1000, receivedUs: 1, repliedUs: 1 }, 2000),
    false,
  );
  assert.equal(
    telemetry.reply({ id: request.id, sentUs: 999, receivedUs: 1, repliedUs: 1 }, 2000),
    false,
  );
  assert.equal(telemetry.exchanges, 0);
  assert.ok(
    telemetry.reply({ id: request.id, sentUs: 1000, receivedUs: 1500, repliedUs: 1500 }, 2000),
  );
  assert.equal(
    telemetry.reply({ id: request.id, sentUs: 1000, receivedUs: 1500, repliedUs: 1500 }, 2000),
    false,
    "a reply counts once",
  );
  assert.equal(telemetry.exchanges, 1);
});

Deno.test("summarise: percentiles within 1/32 of the value, max never above the largest seen", () => {
  const telemetry = new ClientTelemetry();
  exchangeWith(telemetry, 0, 0, 0);
  // 1..1000 µs once each.
  for (let us = 1; us <= 1000; us++) telemetry.latency(0, us);
  const summary = summarise(telemetry.histogram!, telemetry.maxLatencyUs)!;
  assert.ok(Math.abs(summary.p50 - 500) <= 500 / 32, `p50 ${summary.p50}`);
  assert.ok(Math.abs(summary.p99 - 990) <= 990 / 32, `p99 ${summary.p99}`);
  assert.equal(summary.max, 1000);
  assert.equal(summarise(new Uint32Array(10), 0), null);
  // Small values are exact.
  const small = new ClientTelemetry();
  exchangeWith(small, 0, 0, 0);
  for (let i = 0; i < 100; i++) small.latency(0, 7);
  assert.deepEqual(summarise(small.histogram!, small.maxLatencyUs), { p50: 7, p99: 7, max: 7 });
});

Deno.test("StatsWindow reports each interval on its own, per client; two windows do not disturb each other", () => {
  const telemetry = new ClientTelemetry();
  exchangeWith(telemetry, 0, 0, 200);
  const source = { client: "alice", telemetry, bytesReceived: 0, startedAt: 0 } as {
    client: string;
    telemetry: ClientTelemetry;
    bytesReceived: number;
    startedAt: number;
  } satisfies TelemetrySource;
  const fast = new StatsWindow();
  const slow = new StatsWindow();
  for (let i = 0; i < 10; i++) telemetry.latency(0, 5_000);
  telemetry.events += 10;
  source.bytesReceived += 50;
  const [first] = fast.read([source], 1000);
  assert.deepEqual(first, {
    client: "alice",
    rttUs: 400,
    offsetUs: 0,
    latencyUs: { p50: 4991, p99: 4991, max: 5000 },
    events: 10,
    bytes: 50,
    seconds: 1,
  });
  for (let i = 0; i < 4; i++) telemetry.latency(0, 100);
  telemetry.events += 4;
  source.bytesReceived += 20;
  const [second] = fast.read([source], 1500);
  assert.equal(second!.events, 4);
  assert.equal(second!.bytes, 20);
  assert.equal(second!.seconds, 0.5);
  assert.ok(
    Math.abs(second!.latencyUs!.p99 - 100) <= 100 / 32,
    `the earlier 5 ms are not in this interval: ${second!.latencyUs!.p99}`,
  );
  const [third] = fast.read([source], 2000);
  assert.equal(third!.latencyUs, null, "nothing in the interval");
  assert.equal(third!.events, 0);
  const [whole] = slow.read([source], 2000);
  assert.equal(whole!.events, 14, "the other window saw all of it");
  assert.equal(whole!.seconds, 2);
});
