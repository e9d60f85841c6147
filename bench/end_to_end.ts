/**
 * Section 7: the whole path through the real client. A `padlink-client
 * --replay` of 1,000,000 button events at `t: 0`, timed from the client
 * process's start to its exit 0 (the server confirmed every event), beside
 * the load generator's figure for the same events (pre-encoded frames,
 * timed from "go" to the ACK) and the tutorial protocol's messages/s
 * (`_tutorial.ts`), all measured in this run.
 *
 * @module
 */

import { type BenchConfig, int, type Row, type Section } from "./_report.ts";
import { readFirstLine, ROOT, startServer } from "./_server.ts";
import { summarise } from "./_stats.ts";
import { throughputRun } from "./throughput.ts";
import { entrypointCommand } from "../tools/_spawn.ts";
import { writeButtonReplay } from "../tools/_bulk_replay.ts";
import { sleep } from "../lib/net/deadline.ts";

/** Issue 16's goal: the real client at ten times the tutorial protocol's messages/s. */
const GOAL_RATIO = 10;

/** Count the lines of `path` that hold `needle`. */
async function countLines(path: string, needle: string): Promise<number> {
  const { stdout } = await new Deno.Command("grep", { args: ["-c", "-F", needle, path] }).output();
  return Number(new TextDecoder().decode(stdout).trim()) || 0;
}

/** Wait (at most `timeoutMs`) until `path` holds a line with `needle`. */
async function waitForLine(path: string, needle: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await countLines(path, needle) > 0) return;
    await sleep(50);
  }
  throw new Error(`no ${needle} line in the server's output within ${timeoutMs} ms`);
}

/** One real-client replay. */
interface ClientRun {
  eventsPerSecond: number;
  /** Button lines missing from the server's output. */
  missing: number;
}

/** Replay `file` (`events` button events) through a real client into a real server. */
async function realClientRun(file: string, events: number): Promise<ClientRun> {
  const output = await Deno.makeTempFile({ prefix: "padlink-bench-e2e-", suffix: ".jsonl" });
  try {
    // The default --output-queue: flow control keeps every line, and the count below checks it.
    await using server = await startServer({ stdout: output, args: ["--timeout", "60000"] });
    const started = performance.now();
    const child = entrypointCommand("client.ts", [
      "--port",
      String(server.port),
      "--name",
      "e2e",
      "--replay",
      file,
    ], { stdout: "null" }).spawn();
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
    const seconds = (performance.now() - started) / 1000;
    if (status.code !== 0) throw new Error(`the client exited ${status.code}: ${stderr.trim()}`);
    await waitForLine(output, '"type":"disconnect"', 60_000);
    await server.stop();
    const lines = await countLines(output, '"type":"button"');
    return { eventsPerSecond: events / seconds, missing: events - lines };
  } finally {
    await Deno.remove(output).catch(() => {});
  }
}

/** The tutorial protocol: `count` sentences from a sender process to a printing receiver. */
async function tutorialRun(count: number): Promise<number> {
  const output = await Deno.makeTempFile({ prefix: "padlink-bench-tutorial-", suffix: ".txt" });
  const script = `${ROOT}bench/_tutorial.ts`;
  const deno = (
    mode: string[],
  ) => [Deno.execPath(), "run", "--quiet", "--allow-net", script, ...mode];
  try {
    // The receiver prints to a file, as `python server.py > log` would.
    const receiver = new Deno.Command("sh", {
      args: ["-c", 'exec "$0" "$@" > "$PADLINK_BENCH_OUT"', ...deno(["receive"])],
      env: { PADLINK_BENCH_OUT: output },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = receiver.stderr.getReader();
    const { line } = await readFirstLine(reader, 15_000);
    const port = Number(/^port (\d+)$/.exec(line)?.[1]);
    const started = performance.now();
    const sender = new Deno.Command(Deno.execPath(), {
      args: deno(["send", String(port), String(count)]).slice(1),
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    await sender.status;
    await receiver.status;
    const seconds = (performance.now() - started) / 1000;
    await reader.cancel().catch(() => {});
    const printed = await countLines(output, "Pressed");
    if (printed !== count) throw new Error(`the tutorial receiver printed ${printed} of ${count}`);
    return count / seconds;
  } finally {
    await Deno.remove(output).catch(() => {});
  }
}

/** Run section 7. */
export async function benchEndToEnd(config: BenchConfig): Promise<Section> {
  const events = config.quick ? 200_000 : 1_000_000;
  const sentences = config.quick ? 50_000 : 200_000;
  const rounds = config.quick ? 1 : 3;
  const file = await writeButtonReplay(events);
  const client: number[] = [];
  const generator: number[] = [];
  const tutorial: number[] = [];
  let missing = 0;
  const rows: Row[] = [];
  try {
    // Interleaved, so that each figure sees the same machine.
    for (let round = 1; round <= rounds; round++) {
      config.log(`end to end: round ${round} of ${rounds}`);
      const run = await realClientRun(file, events);
      client.push(run.eventsPerSecond);
      missing += run.missing;
      generator.push((await throughputRun(1, events, 4, 60_000)).eventsPerSecond);
      tutorial.push(await tutorialRun(sentences));
    }
    const clientRate = summarise(client).p50;
    const generatorRate = summarise(generator).p50;
    const tutorialRate = summarise(tutorial).p50;
    const ratio = clientRate / tutorialRate;
    rows.push({
      measure: `real client, replay of ${int(events)} button events at t 0, ` +
        "client start to confirmed exit: events/s",
      value: int(clientRate) + (missing !== 0 ? ` (${int(missing)} lines missing!)` : ""),
      reference: `load generator, same events (pre-encoded, "go" to ACK): ${int(generatorRate)}`,
      goal: "",
      met: null,
    });
    rows.push({
      measure: "real client's events/s over the tutorial protocol's messages/s",
      value: `${ratio.toFixed(1)}×`,
      reference: `tutorial protocol: ${int(tutorialRate)} messages/s (${int(sentences)} sentences)`,
      goal: `≥ ${GOAL_RATIO}×`,
      met: ratio >= GOAL_RATIO && missing === 0,
    });
  } catch (error) {
    rows.push({
      measure: "real client, replay at t 0: events/s",
      value: `failed: ${(error as Error).message.split("\n")[0]}`,
      reference: "",
      goal: `≥ ${GOAL_RATIO}× the tutorial protocol`,
      met: false,
    });
  } finally {
    await Deno.remove(file).catch(() => {});
  }
  const runs = (samples: number[]) => samples.map((s) => int(s)).join(", ");
  return {
    title: "7. End to end through the real client",
    rows,
    notes: [
      `Medians of ${rounds} interleaved round(s). Real client: \`padlink-client --replay\` of a ` +
      `file of ${int(events)} button events all at t 0, timed from spawning the client process ` +
      "to its exit 0, which it gives only once the server has confirmed every event (so it " +
      "includes Deno's start-up, reading and checking the file, and the wait for the ACK); the " +
      "server writes its JSON lines to a file, and the line count is checked. Runs: " +
      `${runs(client)} events/s.`,
      "Load generator: section 2's 1-client stream of the same number of events, pre-encoded " +
      `frames timed from "go" to the ACK. Runs: ${runs(generator)} events/s.`,
      "Tutorial protocol: bench/_tutorial.ts, written from its description (one TCP " +
      'connection; a sentence such as "No Button is Pressed" after one byte holding its ' +
      "length; the receiver reads the byte, then that many bytes, and prints the sentence, " +
      "buffered as Python's print to a file is). Timed from spawning the sender process " +
      `until the receiver has printed every sentence and exited. Runs: ${runs(tutorial)} ` +
      "messages/s.",
    ],
  };
}
