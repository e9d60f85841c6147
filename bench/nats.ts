/**
 * Section 9: the NATS output, beside the stdout path of the same run.
 *
 * - Throughput: the real `padlink-server --json --nats URL` process, its
 *   stdout to a file, takes the load generator's stream of button events
 *   (section 2's, 10 clients); one subscriber in this process counts what
 *   reaches it on `padlink.*.*.button`. Events per second run from "go" to
 *   the subscriber's last message, beside the server's own rate (from "go"
 *   to the last client's ACK, with stdout behind it).
 * - Latency: section 1's press sequence at 1 kHz from a
 *   {@linkcode Forwarder} into the server; each press is stamped when handed
 *   to the forwarder, when its JSON line arrives on stdout, and when its
 *   message arrives at a NATS subscriber in this process.
 *
 * Both run against a real `nats-server` on loopback (Debian's package, as
 * the tests use), started with room for the subscriber to fall behind
 * (`max_pending` 1 GiB) so that it is measured, not dropped.
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import { Forwarder } from "../lib/client/forwarder.ts";
import { sleep, withDeadline } from "../lib/net/deadline.ts";
import { NatsServer } from "../tests/_nats.ts";
import { Generator } from "./_generator.ts";
import { Pacer } from "./_pacer.ts";
import { cpuSeconds } from "./_proc_stat.ts";
import { type BenchConfig, int, pct, type Row, type Section, us } from "./_report.ts";
import { startServer } from "./_server.ts";
import { summarise } from "./_stats.ts";
import { Matcher, pacedRun, readLines, sequence } from "./latency.ts";

/** Issue 15's goals. */
const GOAL_EVENTS_PER_SECOND = 500_000;
const GOAL_ADDED_MS = 0.3;

/** Queues big enough that the whole burst waits rather than drops, so the counts stay a check. */
const QUEUE = "10000000";

/** A nats-server that lets a subscriber fall far behind before it counts as slow. */
async function startBroker(): Promise<{ broker: NatsServer; config: string }> {
  const config = await Deno.makeTempFile({ prefix: "padlink-bench-nats-", suffix: ".conf" });
  await Deno.writeTextFile(config, "max_pending: 1073741824\n");
  return { broker: await NatsServer.start(-1, ["-c", config]), config };
}

/** One throughput run: events/s at the subscriber, and the server's own rate. */
async function throughputRun(totalEvents: number, seconds: number) {
  const { broker, config } = await startBroker();
  const output = await Deno.makeTempFile({ prefix: "padlink-bench-", suffix: ".jsonl" });
  try {
    const nc = await connect({ servers: broker.url });
    const subscriber = { received: 0, last: 0 };
    nc.subscribe("padlink.*.*.button", {
      callback: () => {
        subscriber.received++;
        subscriber.last = performance.now();
      },
    });
    await nc.flush();
    const server = await startServer({
      stdout: output,
      args: ["--nats", broker.url, "--nats-queue", QUEUE, "--output-queue", QUEUE],
    });
    try {
      const clients = 10;
      await using generator = await Generator.start({
        mode: "stream",
        port: server.port,
        clients,
        eventsPerClient: Math.floor(totalEvents / clients),
        seconds,
      });
      const cpu0 = cpuSeconds(server.pid);
      const t0 = performance.now();
      const done = await generator.go();
      // The subscriber is done when every event has come, or nothing more for 5 s.
      for (
        let quiet = 0, i = 0;
        i < 12_000 && quiet < 500 && subscriber.received < done.events;
        i++
      ) {
        const before = subscriber.received;
        await sleep(10);
        quiet = subscriber.received === before ? quiet + 1 : 0;
      }
      const received = subscriber.received;
      const natsSeconds = (subscriber.last - t0) / 1000;
      const serverCpu = (cpuSeconds(server.pid) - cpu0) / natsSeconds;
      await generator.close();
      return {
        events: done.events,
        received,
        natsPerSecond: received / natsSeconds,
        serverPerSecond: done.events / done.seconds,
        natsSeconds,
        serverCpu,
      };
    } finally {
      await server.stop();
      await nc.close();
    }
  } finally {
    await broker.kill();
    await Deno.remove(output).catch(() => {});
    await Deno.remove(config).catch(() => {});
  }
}

/** One latency run: stdout and NATS latencies of the same presses. */
async function latencyRun(pacer: Pacer, warmup: number, count: number) {
  const { broker, config } = await startBroker();
  const server = await startServer({ stdout: "piped", args: ["--nats", broker.url] });
  const nc = await connect({ servers: broker.url });
  const forwarder = new Forwarder({
    host: "127.0.0.1",
    port: server.port,
    name: "bench",
    reconnect: false,
  });
  const total = warmup + count;
  const stamps: number[] = [];
  const natsArrivals = new Float64Array(total).fill(NaN);
  const natsMatcher = new Matcher();
  nc.subscribe("padlink.*.*.button", {
    callback: (_, msg) => {
      const t = performance.now();
      const k = natsMatcher.match(JSON.parse(msg.string()));
      if (k >= 0) natsArrivals[k] = t;
    },
  });
  await nc.flush();
  let arrived: (k: number, t: number) => void = () => {};
  let ready: () => void = () => {};
  const padLine = new Promise<void>((resolve) => ready = resolve);
  const outputs = new Matcher();
  const reading = readLines(server.stdout!, server.leftover, (line, t) => {
    if (line.includes('"type":"button"')) {
      const k = outputs.match(JSON.parse(line));
      if (k >= 0) arrived(k, t);
    } else if (line.includes('"type":"pad"')) {
      ready();
    }
  });
  try {
    await forwarder.start();
    forwarder.push([{ type: "pad", pad: 0, attached: true, name: "bench pad" }]);
    await withDeadline(padLine, 5000, () => {
      throw new Error("no pad");
    });
    const run = await pacedRun(pacer, warmup, count, (k) => {
      outputs.sent(k);
      natsMatcher.sent(k);
      forwarder.push([{ type: "button", pad: 0, ...sequence(k) }]);
    }, (fn) => arrived = fn);
    for (let k = 0; k < total; k++) stamps.push(run.stamps[k]!);
    await sleep(200); // The last messages' way through the broker.
    const nats: number[] = [];
    let natsLost = 0;
    for (let k = warmup; k < total; k++) {
      const t = natsArrivals[k]!;
      if (Number.isNaN(t)) natsLost++;
      else nats.push(t - stamps[k]!);
    }
    return { stdout: run.samples, stdoutLost: run.lost, nats, natsLost };
  } finally {
    await forwarder.stop();
    await server.stop();
    await reading;
    await nc.close();
    await broker.kill();
    await Deno.remove(config).catch(() => {});
  }
}

/** Run section 9. */
export async function benchNats(config: BenchConfig): Promise<Section> {
  const totalEvents = config.quick ? 200_000 : 1_000_000;
  const seconds = config.quick ? 1 : 4;
  config.log(`nats: ${int(totalEvents)} button events from 10 clients → --nats → one subscriber`);
  const flow = await throughputRun(totalEvents, seconds);
  const warmup = config.quick ? 200 : 500;
  const count = config.quick ? 1000 : 5000;
  config.log(`nats: ${count} presses at 1 kHz → stdout and a NATS subscriber`);
  using pacer = new Pacer();
  const run = await latencyRun(pacer, warmup, count);
  const stdout = summarise(run.stdout);
  const nats = summarise(run.nats);
  const lost = (n: number) => n > 0 ? ` (${n} lost)` : "";
  const added = nats.p50 - stdout.p50;
  const rows: Row[] = [
    {
      measure: "NATS: button events/s delivered to one subscriber (10 clients streaming)",
      value: int(flow.natsPerSecond),
      reference: `same run, the server taking them with stdout to a file: ${
        int(flow.serverPerSecond)
      }/s; ${int(flow.received)} of ${int(flow.events)} events in ${
        flow.natsSeconds.toFixed(2)
      } s; server ${pct(flow.serverCpu)} of a core`,
      goal: `≥ ${int(GOAL_EVENTS_PER_SECOND)}`,
      met: flow.natsPerSecond >= GOAL_EVENTS_PER_SECOND && flow.received === flow.events,
    },
    {
      measure: "NATS: press → subscriber, p50 / p99",
      value: `${us(nats.p50)} / ${us(nats.p99)}${lost(run.natsLost)}`,
      reference: `same run, stdout: ${us(stdout.p50)} / ${us(stdout.p99)}${lost(run.stdoutLost)} (${
        added >= 0 ? "+" : "−"
      }${us(Math.abs(added))} at p50)`,
      goal: "≤ stdout + 300 µs at p50",
      met: added <= GOAL_ADDED_MS,
    },
  ];
  return {
    title: "9. NATS output",
    rows,
    notes: [
      "A real nats-server 2.9.10 on loopback (max_pending 1 GiB). Throughput: the load " +
      "generator of section 2 (10 clients) into padlink-server --json --nats, stdout to a file, " +
      "one subscriber on padlink.*.*.button in the bench process counting messages; from go " +
      "to its last message. Latency: section 1's sequence at 1 kHz from a Forwarder, stamped " +
      "at the forwarder, at the JSON line on stdout and at the NATS subscriber; every process " +
      "(server, broker, bench) shares the machine's 2 cores.",
    ],
  };
}
