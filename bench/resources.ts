/**
 * Section 4: CPU and memory of a client and of the server, read from
 * `/proc/<pid>/stat` (user + system time of all threads) and
 * `/proc/<pid>/status` (VmRSS) while the load runs in other processes.
 *
 * @module
 */

import { Generator } from "./_generator.ts";
import type { LoadConfig } from "./_load.ts";
import { withFloor } from "./_floor.ts";
import { cpuSeconds, cpuShare, rssKiB } from "./_proc_stat.ts";
import { type BenchConfig, int, pct, type Row, type Section } from "./_report.ts";
import { sleep, withDeadline } from "../lib/net/deadline.ts";
import { readFirstLine, ROOT, startServer } from "./_server.ts";
import { killQuietly } from "../tools/_spawn.ts";

/** CPU share and RSS of an idle `_client.ts` process in `mode`. */
async function idleClient(
  port: number,
  mode: "sdl" | "plain",
  ms: number,
): Promise<{ cpu: number; rss: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", `${ROOT}bench/_client.ts`, String(port), mode],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdout = child.stdout.getReader();
  const stdin = child.stdin.getWriter();
  try {
    const { line } = await readFirstLine(stdout, 30_000);
    if (line !== "ready") throw new Error(`client said ${line}`);
    // Let start-up work (JIT, GC) settle, and the SDL worker leave its 1 kHz
    // polling, which lasts a second after the pad's arrival.
    await sleep(2000);
    const cpu = await cpuShare(child.pid, ms);
    return { cpu, rss: rssKiB(child.pid) };
  } finally {
    await stdin.close().catch(() => {});
    await stdout.cancel().catch(() => {});
    await withDeadline(child.status, 10_000, () => killQuietly(child, "SIGKILL"));
    await child.status;
  }
}

async function withServer<T>(
  args: string[],
  run: (server: { pid: number; port: number }) => Promise<T>,
): Promise<T> {
  const output = await Deno.makeTempFile({ prefix: "padlink-bench-", suffix: ".jsonl" });
  const server = await startServer({ stdout: output, args });
  try {
    return await run(server);
  } finally {
    await server.stop();
    await Deno.remove(output).catch(() => {});
  }
}

/** CPU and RSS of process `pid` while a load generator holds idle connections to it. */
async function idleLoad(
  pid: number,
  load: LoadConfig,
  settleMs: number,
  windowMs: number,
): Promise<{ cpu: number; rss0: number; rss1: number; perConnection: number }> {
  const rss0 = rssKiB(pid);
  await using _clients = await Generator.start(load);
  await sleep(settleMs);
  const cpu = await cpuShare(pid, windowMs);
  const rss1 = rssKiB(pid);
  return { cpu, rss0, rss1, perConnection: (rss1 - rss0) / load.clients };
}

/** Run section 4. */
export async function benchResources(config: BenchConfig): Promise<Section> {
  const ms = config.quick ? 2000 : 5000;
  const rows: Row[] = [];
  const notes: string[] = [];

  config.log(`resources: idle clients, ${ms} ms each`);
  await withServer([], async (server) => {
    // 10 ms CPU ticks: a 10 s window resolves 0.1 % of a core.
    const clientMs = config.quick ? ms : 10_000;
    const plain = await idleClient(server.port, "plain", clientMs);
    let sdl: { cpu: number; rss: number } | null = null;
    let why = "";
    try {
      sdl = await idleClient(server.port, "sdl", clientMs);
    } catch (error) {
      why = (error as Error).message.split("\n")[0]!;
    }
    rows.push({
      measure: "client idle, one SDL virtual pad attached: CPU",
      value: sdl
        ? `${pct(sdl.cpu)} of a core (RSS ${int(sdl.rss / 1024)} MiB)`
        : `not available: ${why}`,
      reference: `same client without SDL: ${pct(plain.cpu)} (RSS ${int(plain.rss / 1024)} MiB)`,
      goal: "≤ 2 % of a core",
      met: sdl ? sdl.cpu <= 0.02 : null,
    });
  });

  const idleClients = config.quick ? 200 : 1000;
  for (const timeoutMs of [1000, 10000]) {
    const hb = Math.max(20, Math.floor(timeoutMs / 4));
    // Past the connection burst, then at least four heartbeat intervals in a full run.
    const settleMs = config.quick ? 500 : 2000;
    const windowMs = config.quick ? ms : Math.max(10_000, timeoutMs);
    config.log(`resources: raw Deno floor with ${idleClients} idle sockets, heartbeats ${hb} ms`);
    const floor = await withFloor(
      hb,
      0,
      (pid, port) =>
        idleLoad(
          pid,
          { mode: "idle", port, clients: idleClients, rawHeartbeatMs: hb },
          settleMs,
          windowMs,
        ),
    );
    config.log(`resources: server with ${idleClients} idle clients, --timeout ${timeoutMs}`);
    await withServer(
      ["--max-clients", String(idleClients + 16), "--timeout", String(timeoutMs)],
      async (server) => {
        await sleep(500);
        const emptyCpu = await cpuShare(server.pid, Math.min(ms, 2000));
        const run = await idleLoad(
          server.pid,
          { mode: "idle", port: server.port, clients: idleClients },
          settleMs,
          windowMs,
        );
        rows.push({
          measure: `server, ${int(idleClients)} idle clients, --timeout ${timeoutMs} ` +
            `(heartbeats every ${hb} ms each way): CPU`,
          value: `${pct(run.cpu)} of a core`,
          reference: `raw Deno floor, same sockets and heartbeats: ${pct(floor.cpu)}; ` +
            `server with no clients: ${pct(emptyCpu)}`,
          goal: "≤ 1 % of a core",
          met: run.cpu <= 0.01,
        }, {
          measure: `server, ${int(idleClients)} idle clients, --timeout ${timeoutMs}: RSS`,
          value: `${run.perConnection.toFixed(1)} KiB per connection ` +
            `(${int(run.rss0 / 1024)} → ${int(run.rss1 / 1024)} MiB)`,
          reference: `raw Deno floor: ${floor.perConnection.toFixed(1)} KiB per connection`,
          goal: "≤ 64 KiB per connection",
          met: run.perConnection <= 64,
        });
      },
    );
  }

  const pacedSeconds = config.quick ? 2 : 5;
  config.log(`resources: server taking 1,000 events/s from each of 10 clients`);
  const paced = (port: number, raw: boolean): LoadConfig => ({
    mode: "paced",
    port,
    clients: 10,
    rateHz: 1000,
    seconds: pacedSeconds,
    rawHeartbeatMs: raw ? 250 : undefined,
  });
  const pacedCpu = async (pid: number, load: LoadConfig) => {
    await using generator = await Generator.start(load);
    const cpu0 = cpuSeconds(pid);
    const done = await generator.go();
    return { cpu: (cpuSeconds(pid) - cpu0) / done.seconds, rate: done.events / done.seconds };
  };
  const pacedFloor = await withFloor(250, 5, (pid, port) => pacedCpu(pid, paced(port, true)));
  await withServer([], async (server) => {
    const run = await pacedCpu(server.pid, paced(server.port, false));
    rows.push({
      measure: "server taking 1,000 events/s from each of 10 clients: CPU",
      value: `${pct(run.cpu)} of a core (${(run.cpu * 1e6 / run.rate).toFixed(1)} µs per event)`,
      reference: `raw Deno floor (read, write a line per event to a file): ${pct(pacedFloor.cpu)}` +
        `; ${int(run.rate)} events/s arrived, each in its own write`,
      goal: "",
      met: null,
    });
  });
  notes.push(
    "CPU is user + system time of all the process's threads from /proc/<pid>/stat " +
      "(10 ms ticks) over 10 s in a full run (the --timeout 10000 rows too), after 2 s to " +
      "settle; the 10 × 1,000 events/s row over its 5 s of load. RSS is VmRSS. The idle " +
      "clients are raw sockets in a separate load-generator process that complete the " +
      "handshake, attach a " +
      "pad, and then send only a heartbeat (a 2-byte empty frame) at the interval the server " +
      "asked for. RSS per connection is the growth of VmRSS over the idle clients' arrival, " +
      "divided by their number; it includes V8 heap growth, which depends on how much garbage " +
      "the traffic makes.",
    "Raw Deno floor: bench/_idle_floor.ts, a plain Deno TCP server with no padlink code, " +
      "measured in the same run with the same clients (without the handshake) and the same " +
      "heartbeats both ways; for the 10 × 1,000 events/s row it also writes a 71-byte line " +
      "per event to a file, one write per read, as --json does.",
    "The idle client is lib/client/forwarder.ts fed by lib/sdl2's SdlInput (headless, one virtual " +
      "controller): the same wiring as padlink-client. Its SDL worker polls every 1 ms while " +
      "input arrives and every 2 ms after a quiet second, since SDL2 must poll joysticks.",
  );
  return { title: "4. CPU and memory", rows, notes };
}
