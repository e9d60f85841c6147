/**
 * Section 2: how many events per second one `padlink-server --json`
 * process decodes and emits, with its output going to a file, while 1, 10,
 * 100 and 1,000 clients stream pre-encoded frames as fast as they can from
 * a separate load-generator process.
 *
 * @module
 */

import { Generator } from "./_generator.ts";
import { FLOOR_LINE_BYTES, withFloor } from "./_floor.ts";
import { cpuSeconds } from "./_proc_stat.ts";
import { type BenchConfig, int, pct, type Row, type Section } from "./_report.ts";
import { sleep } from "../lib/net/deadline.ts";
import { startServer } from "./_server.ts";

/** The goal of issue 6, in events per second for one server. */
const GOAL = 1_000_000;

/** Count the lines of `path` that hold `needle` (grep is faster than reading it here). */
async function countLines(path: string, needle: string): Promise<number> {
  const { stdout } = await new Deno.Command("grep", { args: ["-c", "-F", needle, path] }).output();
  return Number(new TextDecoder().decode(stdout).trim()) || 0;
}

/**
 * Wait until `path` holds `lines` lines with `needle`: polled by size every
 * 5 ms, counted once it has stopped growing for 100 ms.
 *
 * @returns `performance.now()` when it last grew (at most 60 s from now).
 */
async function waitForLines(path: string, needle: string, lines: number): Promise<number> {
  let size = -1;
  let grewAt = performance.now();
  const deadline = grewAt + 60_000;
  while (performance.now() < deadline) {
    const now = (await Deno.stat(path)).size;
    if (now !== size) {
      size = now;
      grewAt = performance.now();
    } else if (performance.now() - grewAt >= 100 && await countLines(path, needle) >= lines) {
      return grewAt;
    }
    await sleep(5);
  }
  return grewAt;
}

/** One throughput measurement. */
export interface ThroughputRun {
  clients: number;
  events: number;
  /** From "go" until the output file held every line (or stopped growing short of that). */
  seconds: number;
  eventsPerSecond: number;
  /** From "go" to the last ACK: everything processed, not all of it written yet. */
  ackedSeconds: number;
  /** Share of a core the server used from "go" to the last ACK. */
  serverCpu: number;
  /** Share of a core the generator used over the same time. */
  generatorCpu: number;
  /** Button lines the server wrote. */
  lines: number;
  /** Bytes the server wrote. */
  outputBytes: number;
}

/**
 * Measure one server with `clients` streaming clients.
 *
 * @param timeoutMs the server's `--timeout`
 */
export async function throughputRun(
  clients: number,
  totalEvents: number,
  seconds: number,
  timeoutMs: number,
  kind: "button" | "axis" = "button",
  denoFlags: string[] = [],
): Promise<ThroughputRun> {
  const output = await Deno.makeTempFile({ prefix: "padlink-bench-", suffix: ".jsonl" });
  try {
    const server = await startServer({
      stdout: output,
      args: [
        "--max-clients",
        String(clients + 16),
        "--timeout",
        String(timeoutMs),
      ],
      denoFlags,
    });
    try {
      await using generator = await Generator.start({
        mode: "stream",
        port: server.port,
        clients,
        eventsPerClient: Math.floor(totalEvents / clients),
        seconds,
        kind,
      });
      const server0 = cpuSeconds(server.pid);
      const generator0 = cpuSeconds(generator.pid);
      const t0 = performance.now();
      const done = await generator.go();
      if (done.acked !== clients) {
        throw new Error(`only ${done.acked} of ${clients} clients were acknowledged`);
      }
      // The ACK says the server processed everything; its stdout is written
      // asynchronously and may still be behind. Like the floor, the run ends
      // when the file holds every line.
      const writtenAt = await waitForLines(output, `"type":"${kind}"`, done.events);
      const elapsed = (writtenAt - t0) / 1000;
      const serverCpu = (cpuSeconds(server.pid) - server0) / elapsed;
      const generatorCpu = (cpuSeconds(generator.pid) - generator0) / elapsed;
      await generator.close();
      await server.stop();
      const lines = await countLines(output, `"type":"${kind}"`);
      return {
        clients,
        events: done.events,
        seconds: elapsed,
        ackedSeconds: done.seconds,
        eventsPerSecond: done.events / elapsed,
        serverCpu,
        generatorCpu,
        lines,
        outputBytes: (await Deno.stat(output)).size,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(output).catch(() => {});
  }
}

/** Self time per function in a V8 `.cpuprofile`, largest first. */
function selfTimes(profile: {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}): [string, number][] {
  const names = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split("/").pop() ?? "";
    names.set(
      node.id,
      `${functionName || "(anonymous)"}${file ? ` ${file}:${lineNumber + 1}` : ""}`,
    );
  }
  const times = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = names.get(id) ?? "?";
    times.set(name, (times.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return [...times].sort((a, b) => b[1] - a[1]);
}

/** Profile the server (`deno run --cpu-prof`) under 10 streaming clients; returns a note. */
async function profileServer(totalEvents: number, seconds: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "padlink-bench-prof-" });
  try {
    const run = await throughputRun(10, totalEvents, seconds, 60_000, "button", [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
    ]);
    const file = [...Deno.readDirSync(dir)].find((entry) => entry.name.endsWith(".cpuprofile"));
    if (!file) return "Profile: the server wrote no .cpuprofile.";
    const times = selfTimes(JSON.parse(await Deno.readTextFile(`${dir}/${file.name}`)));
    const busy = times.filter(([name]) => !name.startsWith("(idle)"));
    const total = busy.reduce((sum, [, t]) => sum + t, 0);
    const top = busy.slice(0, 10).map(([name, t]) => `${name} ${(100 * t / total).toFixed(1)} %`);
    return `Profile of the server's main thread (10 clients, ${int(run.eventsPerSecond)} ` +
      `events/s under --cpu-prof), self time excluding idle: ${top.join("; ")}.`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The same load against the raw Deno floor server, which reads the sockets
 * and writes a 71-byte line per 3 bytes (per button event) to a file, one
 * write per read. Timed from "go" until the file holds every line.
 */
export async function floorThroughput(
  clients: number,
  totalEvents: number,
  seconds: number,
): Promise<number> {
  return await withFloor(60_000, 3, async (_pid, port, output) => {
    await using generator = await Generator.start({
      mode: "stream",
      port,
      clients,
      eventsPerClient: Math.floor(totalEvents / clients),
      seconds,
      rawHeartbeatMs: 250,
    });
    const t0 = performance.now();
    const done = await generator.go();
    // Frame headers count as bytes too, so the floor writes a few more lines than events.
    const want = done.events * FLOOR_LINE_BYTES;
    for (let i = 0; i < 60_000 / 5; i++) {
      if ((await Deno.stat(output)).size >= want) break;
      await sleep(5);
    }
    return done.events / ((performance.now() - t0) / 1000);
  });
}

/** Run section 2. */
export async function benchThroughput(config: BenchConfig): Promise<Section> {
  const totalEvents = config.quick ? 400_000 : 3_000_000;
  const seconds = config.quick ? 1 : 4;
  const rows: Row[] = [];
  const notes: string[] = [];
  const cases: [number, "button" | "axis"][] = [
    [1, "button"],
    [10, "button"],
    [100, "button"],
    [1000, "button"],
    [10, "axis"],
  ];
  for (const [clients, kind] of cases) {
    const label = `${int(clients)} client${clients > 1 ? "s" : ""} streaming ${kind} events`;
    config.log(`throughput: ${label}`);
    try {
      const run = await throughputRun(clients, totalEvents, seconds, 60_000, kind);
      const floor = kind === "button" ? await floorThroughput(clients, totalEvents, seconds) : NaN;
      const missing = run.events - run.lines;
      rows.push({
        measure: `${label}: events/s`,
        value: `${int(run.eventsPerSecond)}` +
          (missing !== 0 ? ` (${int(missing)} lines missing!)` : ""),
        reference: (Number.isNaN(floor)
          ? ""
          : `raw Deno floor: ${int(floor)} (padlink ${pct(run.eventsPerSecond / floor)} of it); `) +
          `server ${pct(run.serverCpu)} of a core (${
            (run.serverCpu * run.seconds / run.events * 1e6).toFixed(2)
          } µs of CPU per event), generator ${pct(run.generatorCpu)}; ` +
          `${int(run.events)} events in ${run.seconds.toFixed(2)} s (all processed after ` +
          `${run.ackedSeconds.toFixed(2)} s), ` +
          `${(run.outputBytes / run.seconds / 1e6).toFixed(0)} MB/s of JSON`,
        goal: `≥ ${int(GOAL)}`,
        met: run.eventsPerSecond >= GOAL && missing === 0,
      });
    } catch (error) {
      rows.push({
        measure: `${label}: events/s`,
        value: `failed: ${(error as Error).message.split("\n")[0]}`,
        reference: "",
        goal: `≥ ${int(GOAL)}`,
        met: false,
      });
    }
  }
  if (config.profile) {
    config.log("throughput: profiling the server under 10 streaming clients");
    notes.push(await profileServer(totalEvents, seconds));
  }
  notes.push(
    "Each client writes batches of up to 5,440 button events (16 KiB) or as many axis " +
      "events, pre-encoded by InputEncoder (frames of about 500 bytes), until it has sent its share of " +
      `${int(totalEvents)} events or ${seconds} s have passed, then GOODBYE. Every event the ` +
      "server emits is one JSON line written to a file; the time runs from the start signal " +
      "until the file holds every line, as for the floor (polled every 5 ms, taken when it " +
      "last grew), and the line count is checked against the events sent. In brackets, when " +
      "the last ACK came, which the server sends once it has processed everything before the " +
      "GOODBYE: stdout is written asynchronously, so the file may still be behind then.",
    "Raw Deno floor: bench/_idle_floor.ts reads the same streams (no handshake) and writes " +
      "one fixed 71-byte line per 3 bytes read to a file, one write per read: the cost of " +
      "moving the bytes with no decoding, state or formatting, timed until the file holds " +
      "every line.",
    "The server runs with --timeout 60000: at full load it reads the sockets in turn, up to " +
      "64 KiB at a time, and with 1,000 clients bursting at once some wait more than the " +
      "default 1 s to be read; at --timeout 1000 the server then drops them as silent (a third " +
      "or more of them, here).",
    "With the default --output-queue (100,000): the flood's burst outruns the file writer, " +
      "and the server's flow control holds back reading the sockets while stdout is behind " +
      "and writing, so TCP slows the generator and no line is dropped (the count is checked).",
  );
  return { title: "2. Throughput, one server", rows, notes };
}
