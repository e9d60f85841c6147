/**
 * Section 3: bytes on the wire per event, framing included, and per second
 * on an idle connection; counted by `PadlinkConnection.bytesSent` and
 * `bytesReceived` (TCP payload bytes) against a real server process.
 *
 * @module
 */

import { PadlinkConnection } from "../lib/client/client.ts";
import type { InputEvent } from "../lib/input/model.ts";
import type { BenchConfig, Row, Section } from "./_report.ts";
import { sleep } from "../lib/net/deadline.ts";
import { CLOCK_BURST_EXCHANGES } from "../lib/server/session.ts";
import { startServer } from "./_server.ts";

/** Wire sizes of other tools per state update, as quoted in the project reference. */
const QUOTED = "quoted, per state: tutorial ~21 B (sent continuously), XInput 12 B, " +
  "Moonlight 34 + 16 B, DSU 100 B";

/** Send `events` in one batch and return the bytes that went out for it. */
async function sentFor(connection: PadlinkConnection, events: InputEvent[]): Promise<number> {
  const before = connection.bytesSent;
  connection.send(events);
  // bytesSent counts a write once the OS has taken it.
  for (let i = 0; i < 100 && connection.bytesSent === before; i++) await sleep(2);
  return connection.bytesSent - before;
}

/** Bytes per second, both ways, over `ms` of an idle connection. */
async function idleRate(timeoutMs: number, ms: number): Promise<{ rate: number; hb: number }> {
  const output = await Deno.makeTempFile({ prefix: "padlink-bench-", suffix: ".jsonl" });
  const server = await startServer({ stdout: output, args: ["--timeout", String(timeoutMs)] });
  try {
    const connection = await PadlinkConnection.open({
      host: "127.0.0.1",
      port: server.port,
      name: "idle",
    });
    try {
      await sentFor(connection, [{ type: "pad", pad: 0, attached: true, name: "pad" }]);
      // Past the first clock exchanges, made at every liveness tick (an eighth of the
      // timeout) right after the handshake: idle is what comes after.
      await sleep(100 + (CLOCK_BURST_EXCHANGES + 1) * timeoutMs / 8);
      const sent = connection.bytesSent;
      const received = connection.bytesReceived;
      const t0 = performance.now();
      await sleep(ms);
      const seconds = (performance.now() - t0) / 1000;
      const rate = (connection.bytesSent - sent + connection.bytesReceived - received) / seconds;
      return { rate, hb: Math.max(20, Math.floor(timeoutMs / 4)) };
    } finally {
      await connection.goodbye();
    }
  } finally {
    await server.stop();
    await Deno.remove(output).catch(() => {});
  }
}

/** Run section 3. */
export async function benchWire(config: BenchConfig): Promise<Section> {
  config.log("wire: bytes per event");
  const output = await Deno.makeTempFile({ prefix: "padlink-bench-", suffix: ".jsonl" });
  const server = await startServer({ stdout: output });
  const rows: Row[] = [];
  try {
    const connection = await PadlinkConnection.open({
      host: "127.0.0.1",
      port: server.port,
      name: "wire",
    });
    try {
      const attach = await sentFor(connection, [
        { type: "pad", pad: 0, attached: true, name: "Xbox Series X Controller" },
      ]);
      const button = await sentFor(connection, [
        { type: "button", pad: 0, button: "a", pressed: true },
      ]);
      const axis = await sentFor(connection, [
        { type: "axis", pad: 0, axis: "leftx", value: 0.52 },
      ]);
      const keyFirst = await sentFor(connection, [
        { type: "key", key: "Up", scancode: "Up", pressed: true },
      ]);
      const key = await sentFor(connection, [
        { type: "key", key: "Up", scancode: "Up", pressed: false },
      ]);
      const batch: InputEvent[] = [];
      for (let i = 0; i < 100; i++) {
        batch.push({ type: "button", pad: 0, button: "b", pressed: i % 2 === 0 });
      }
      const buttonBatch = (await sentFor(connection, batch)) / 100;
      const axisBatch = (await sentFor(
        connection,
        Array.from({ length: 100 }, (_, i) => ({
          type: "axis" as const,
          pad: 0,
          axis: "lefty" as const,
          value: i % 2 === 0 ? 0.25 : -0.25,
        })),
      )) / 100;
      rows.push(
        {
          measure: "button event, alone in a frame / in a batch of 100",
          value: `${button} B / ${buttonBatch.toFixed(2)} B`,
          reference: QUOTED,
          goal: "≤ 8 B",
          met: button <= 8,
        },
        {
          measure: "axis event, alone in a frame / in a batch of 100",
          value: `${axis} B / ${axisBatch.toFixed(2)} B`,
          reference: QUOTED,
          goal: "≤ 10 B",
          met: axis <= 10,
        },
        {
          measure: "key event, alone in a frame (first use of a key / after)",
          value: `${keyFirst} B / ${key} B`,
          reference: "the first use carries the key and scancode names once",
          goal: "≤ 8 B",
          met: key <= 8,
        },
        {
          measure: 'pad attach (named "Xbox Series X Controller")',
          value: `${attach} B`,
          reference: "",
          goal: "",
          met: null,
        },
      );
    } finally {
      await connection.goodbye();
    }
  } finally {
    await server.stop();
    await Deno.remove(output).catch(() => {});
  }
  for (const timeoutMs of [1000, 10000]) {
    // A full run waits at least four heartbeat intervals, so the rate is not a rounding of one.
    const idleMs = config.quick ? 3000 : Math.max(5000, timeoutMs);
    config.log(`wire: idle connection, --timeout ${timeoutMs}, ${idleMs} ms`);
    const { rate, hb } = await idleRate(timeoutMs, idleMs);
    rows.push({
      measure: `idle connection, both directions (server --timeout ${timeoutMs}: ` +
        `heartbeats every ${hb} ms each way)`,
      value: `${rate.toFixed(1)} B/s`,
      reference: "tutorial: ~21 B × its send rate, continuously (quoted)",
      goal: "≤ 50 B/s",
      met: rate <= 50,
    });
  }
  return {
    title: "3. Bytes on the wire",
    rows,
    notes: [
      "TCP payload bytes as counted by PadlinkConnection.bytesSent/bytesReceived, so the " +
      "2-byte frame length is included. A frame holds as many events as the client has at " +
      "once (about 500 bytes at most), so a batch costs 3 B per button and 5 B per axis event.",
      "Idle: an empty frame (2 B) each way per heartbeat interval, which the server sets to " +
      "a quarter of its --timeout, and a clock exchange (a 29-byte CLOCK_REQUEST and a 33-byte " +
      "CLOCK_REPLY) every 4 s; the first exchanges, one per liveness tick right after the " +
      "handshake, come before the measured window. On a real link each heartbeat is also a " +
      "TCP segment with about 66 B of Ethernet, IP and TCP headers, not counted here.",
    ],
  };
}
