/**
 * Section 6: a button press to the DSU datagram, beside the stdout line of
 * the same press in the same run.
 *
 * The real `padlink-server --json --dsu 127.0.0.1:0` process gets the
 * latency sequence of section 1 from a {@linkcode Forwarder} at 1 kHz; this
 * process reads its stdout and, on a UDP socket subscribed to all pads (and
 * renewing every second, as yuzu does), its DSU packets. Each press or
 * release is stamped when handed to the forwarder, when its JSON line
 * arrives, and when the first DSU packet with the new button state arrives.
 * Both paths carry the same TCP hop into the server; they differ in what
 * leaves it (a pipe write, or a UDP datagram).
 *
 * @module
 */

import dgram from "node:dgram";
import { Forwarder } from "../lib/client/forwarder.ts";
import { applyButton } from "../lib/outputs/dsu/mapping.ts";
import { neutralReport } from "../lib/outputs/dsu/protocol.ts";
import { Pacer } from "./_pacer.ts";
import { type BenchConfig, type Row, type Section, us } from "./_report.ts";
import { summarise } from "./_stats.ts";
import { sleep, withDeadline } from "../lib/net/deadline.ts";
import { startServer } from "./_server.ts";
import { Matcher, pacedRun, readLines, sequence } from "./latency.ts";

/** A DSU client request: header, CRC, type, body (the bench's own, from the spec). */
function request(type: number, body: number[]): Uint8Array {
  const packet = new Uint8Array(20 + body.length);
  const v = new DataView(packet.buffer);
  packet.set([0x44, 0x53, 0x55, 0x43], 0); // DSUC
  v.setUint16(4, 1001, true);
  v.setUint16(6, packet.length - 16, true);
  v.setUint32(16, type, true);
  packet.set(body, 20);
  let crc = 0xffffffff;
  for (const byte of packet) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  v.setUint32(8, (crc ^ 0xffffffff) >>> 0, true);
  return packet;
}

/** The DSU button bytes 36–39 after each event of one cycle, or null when DSU has no field. */
function dsuStates(cycle: number): (string | null)[] {
  const report = neutralReport();
  const keys: (string | null)[] = [];
  for (let k = 0; k < cycle; k++) {
    const { button, pressed } = sequence(k);
    const mapped = applyButton(report, button, pressed);
    keys.push(
      mapped ? [report.buttons1, report.buttons2, report.home, report.touchButton].join(",") : null,
    );
  }
  return keys;
}

/**
 * One run; returns stdout and DSU latencies of the same events. An event
 * whose datagram also carries a later event's change counts as arriving
 * with it.
 */
async function dsuRun(pacer: Pacer, warmup: number, count: number) {
  const server = await startServer({ stdout: "piped", args: ["--dsu", "127.0.0.1:0"] });
  const forwarder = new Forwarder({
    host: "127.0.0.1",
    port: server.port,
    name: "bench",
    reconnect: false,
  });
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const total = warmup + count;
  const cycle = 32;
  const states = dsuStates(cycle);
  const dsuArrivals = new Float64Array(total).fill(NaN);
  // Events sent so far, and the first not yet seen in a datagram.
  let sent = -1;
  let unseen = 0;
  let lastKey = "";
  let padPackets = 0;
  socket.on("message", (packet: Uint8Array) => {
    const t = performance.now();
    if (packet.length !== 100) return;
    padPackets++;
    const key = [packet[36], packet[37], packet[38], packet[39]].join(",");
    if (key === lastKey) return; // A keepalive, or a change DSU cannot show.
    lastKey = key;
    // The newest event with this state; it and every event before it have
    // now left the server (several in one burst share one datagram).
    for (let k = sent; k >= unseen; k--) {
      if (states[k % cycle] !== key) continue;
      for (let j = unseen; j <= k; j++) dsuArrivals[j] = t;
      unseen = k + 1;
      break;
    }
  });
  let dsuPort = 0;
  let arrived: (k: number, t: number) => void = () => {};
  let ready: () => void = () => {};
  const padLine = new Promise<void>((resolve) => ready = resolve);
  const outputs = new Matcher();
  const reading = readLines(server.stdout!, server.leftover, (line, t) => {
    if (line.includes('"type":"button"')) {
      const k = outputs.match(JSON.parse(line));
      if (k >= 0) arrived(k, t);
    } else if (line.includes('"type":"dsu"')) {
      dsuPort = (JSON.parse(line) as { port: number }).port;
    } else if (line.includes('"type":"pad"')) {
      ready();
    }
  });
  const subscribe = () => {
    if (dsuPort) socket.send(request(0x100002, [0, 0, 0, 0, 0, 0, 0, 0]), dsuPort, "127.0.0.1");
  };
  const renew = setInterval(subscribe, 1000);
  try {
    await forwarder.start();
    forwarder.push([{ type: "pad", pad: 0, attached: true, name: "bench pad" }]);
    await withDeadline(padLine, 5000, () => {
      throw new Error("no pad");
    });
    subscribe();
    for (let i = 0; i < 100 && padPackets === 0; i++) await sleep(20);
    if (padPackets === 0) throw new Error("no DSU packet");
    const run = await pacedRun(pacer, warmup, count, (k) => {
      outputs.sent(k);
      sent = k;
      forwarder.push([{ type: "button", pad: 0, ...sequence(k) }]);
    }, (fn) => arrived = fn);
    const dsu: number[] = [];
    let dsuLost = 0;
    for (let k = warmup; k < total; k++) {
      if (!states[k % cycle]) continue;
      const t = dsuArrivals[k]!;
      if (Number.isNaN(t)) dsuLost++;
      else dsu.push(t - run.stamps[k]!);
    }
    return { stdout: run.samples, stdoutLost: run.lost, dsu, dsuLost };
  } finally {
    clearInterval(renew);
    await forwarder.stop();
    await server.stop();
    await reading;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/** Run section 6. */
export async function benchDsu(config: BenchConfig): Promise<Section> {
  const warmup = config.quick ? 200 : 500;
  const count = config.quick ? 1000 : 5000;
  using pacer = new Pacer();
  config.log(`dsu: replay source → padlink-server --dsu, ${count} events at 1 kHz`);
  const run = await dsuRun(pacer, warmup, count);
  const stdout = summarise(run.stdout);
  const dsu = summarise(run.dsu);
  const lost = (n: number) => n > 0 ? ` (${n} lost)` : "";
  const rows: Row[] = [
    {
      measure: "same run, stdout: press → JSON line, p50 / p99",
      value: "",
      reference: `${us(stdout.p50)} / ${us(stdout.p99)}${lost(run.stdoutLost)}`,
      goal: "",
      met: null,
    },
    {
      measure: "DSU: press → 100-byte datagram, p50",
      value: us(dsu.p50) + lost(run.dsuLost),
      reference: `${us(stdout.p50)} (${dsu.p50 >= stdout.p50 ? "+" : "−"}${
        us(Math.abs(dsu.p50 - stdout.p50))
      })`,
      goal: "≤ stdout + 300 µs",
      met: dsu.p50 - stdout.p50 <= 0.3,
    },
    {
      measure: "DSU: press → 100-byte datagram, p99",
      value: us(dsu.p99),
      reference: us(stdout.p99),
      goal: "",
      met: null,
    },
  ];
  return {
    title: "6. DSU output (emulators)",
    rows,
    notes: [
      `${count} presses and releases at 1 kHz after ${warmup} warm-up events, from a Forwarder ` +
      "into the real server started with --json --dsu; the bench reads its stdout and a UDP " +
      "socket subscribed to all pads. DSU samples leave out the buttons DSU has no field for " +
      "(misc1, paddle1), whose events send no packet.",
    ],
  };
}
