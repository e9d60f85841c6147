/**
 * Section 4: CPU and memory of a client and of the server, read from
 * `/proc/<pid>/stat` (user + system time of all threads) and
 * `/proc/<pid>/status` (VmRSS) while the load runs in other processes.
 *
 * @module
 */

import { Generator } from "./_generator.ts";
import {
  type BenchConfig,
  cpuSeconds,
  cpuShare,
  int,
  pct,
  readFirstLine,
  ROOT,
  type Row,
  rssKiB,
  type Section,
  sleep,
  startServer,
} from "./_util.ts";

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
    await sleep(1000); // Let start-up work (JIT, GC) settle.
    const cpu = await cpuShare(child.pid, ms);
    return { cpu, rss: rssKiB(child.pid) };
  } finally {
    await stdin.close().catch(() => {});
    await stdout.cancel().catch(() => {});
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await child.status;
    clearTimeout(timer);
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

/** Run section 4. */
export async function benchResources(config: BenchConfig): Promise<Section> {
  const ms = config.quick ? 2000 : 5000;
  const rows: Row[] = [];
  const notes: string[] = [];

  config.log(`resources: idle clients, ${ms} ms each`);
  await withServer([], async (server) => {
    const plain = await idleClient(server.port, "plain", ms);
    let sdl: { cpu: number; rss: number } | null = null;
    let why = "";
    try {
      sdl = await idleClient(server.port, "sdl", ms);
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
    config.log(`resources: server with ${idleClients} idle clients, --timeout ${timeoutMs}`);
    await withServer(
      ["--max-clients", String(idleClients + 16), "--timeout", String(timeoutMs)],
      async (server) => {
        await sleep(500);
        const emptyCpu = await cpuShare(server.pid, Math.min(ms, 2000));
        const rss0 = rssKiB(server.pid);
        await using _clients = await Generator.start({
          mode: "idle",
          port: server.port,
          clients: idleClients,
        });
        await sleep(config.quick ? 500 : 2000); // Past the connection burst.
        // At least four heartbeat intervals in a full run.
        const cpu = await cpuShare(server.pid, config.quick ? ms : Math.max(ms, timeoutMs));
        const rss1 = rssKiB(server.pid);
        const perConnection = (rss1 - rss0) / idleClients;
        const hb = Math.max(20, Math.floor(timeoutMs / 4));
        rows.push({
          measure: `server, ${int(idleClients)} idle clients, --timeout ${timeoutMs} ` +
            `(heartbeats every ${hb} ms each way): CPU`,
          value: `${pct(cpu)} of a core`,
          reference: `same server with no clients: ${pct(emptyCpu)}`,
          goal: "≤ 1 % of a core",
          met: cpu <= 0.01,
        }, {
          measure: `server, ${int(idleClients)} idle clients, --timeout ${timeoutMs}: RSS`,
          value: `${perConnection.toFixed(1)} KiB per connection`,
          reference: `${int(rss0 / 1024)} MiB with no clients → ${int(rss1 / 1024)} MiB`,
          goal: "≤ 64 KiB per connection",
          met: perConnection <= 64,
        });
      },
    );
  }

  const pacedSeconds = config.quick ? 2 : 5;
  config.log(`resources: server taking 1,000 events/s from each of 10 clients`);
  await withServer([], async (server) => {
    await using generator = await Generator.start({
      mode: "paced",
      port: server.port,
      clients: 10,
      rateHz: 1000,
      seconds: pacedSeconds,
    });
    const cpu0 = cpuSeconds(server.pid);
    const done = await generator.go();
    const cpu = (cpuSeconds(server.pid) - cpu0) / done.seconds;
    rows.push({
      measure: "server taking 1,000 events/s from each of 10 clients: CPU",
      value: `${pct(cpu)} of a core`,
      reference: `${int(done.events / done.seconds)} events/s arrived, each in its own write; ` +
        `${(cpu * 1e6 / (done.events / done.seconds)).toFixed(1)} µs of CPU per event`,
      goal: "",
      met: null,
    });
  });
  notes.push(
    "CPU is user + system time of all the process's threads from /proc/<pid>/stat " +
      "(10 ms resolution) over the stated window; RSS is VmRSS. The idle clients are raw " +
      "sockets in a separate load-generator process that complete the handshake, attach a " +
      "pad, and then send only a heartbeat (a 2-byte empty frame) at the interval the server " +
      "asked for.",
    "The idle client is lib/forwarder.ts fed by lib/sdl2's SdlInput (headless, one virtual " +
      "controller): the same wiring as padlink-client. Its SDL worker polls every 1 ms while " +
      "a controller is open, since SDL2 must poll joysticks.",
  );
  return { title: "4. CPU and memory", rows, notes };
}
