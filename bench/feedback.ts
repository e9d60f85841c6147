/**
 * Section 8: a rumble command on the server to the SDL call on the client's
 * pad.
 *
 * The library's {@linkcode PadlinkServer} runs in this process; the real
 * `padlink-client --virtual --json` runs as a process with one SDL virtual
 * pad, whose Rumble callback reports each call as a `virtual_rumble` line.
 * Each command is stamped when handed to `server.rumble()` and when its line
 * arrives on the client's stdout, so the figure includes the TCP hop, the
 * client's main thread, the hand-over to the SDL worker, SDL's own call and
 * a pipe write back. Commands are 120 ms apart, past the client's 50 ms
 * spacing, so none waits for it.
 *
 * @module
 */

import { PadlinkServer } from "../lib/server/server.ts";
import { sleep } from "../lib/net/deadline.ts";
import { entrypointCommand, killQuietly } from "../tools/_spawn.ts";
import { type BenchConfig, type Row, type Section, us } from "./_report.ts";
import { summarise } from "./_stats.ts";

/** Read `stream` as lines, calling `onLine` with each and when it arrived. */
async function lines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string, at: number) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    const at = performance.now();
    partial += decoder.decode(chunk, { stream: true });
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) onLine(line, at);
  }
}

/** Run section 8. */
export async function benchFeedback(config: BenchConfig): Promise<Section> {
  const count = config.quick ? 30 : 150;
  config.log(`feedback: server.rumble() → SDL virtual pad's Rumble callback, ${count} commands`);
  await using server = await PadlinkServer.start({ hostname: "127.0.0.1", port: 0, token: null });
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(
    file,
    JSON.stringify({ t: 0, type: "pad", pad: 0, attached: true, name: "Bench Pad" }) + "\n" +
      JSON.stringify({ t: 600000, type: "pad", pad: 0, attached: false }) + "\n",
  );
  const client = entrypointCommand("client.ts", [
    "--port",
    String(server.addr.port),
    "--name",
    "bench",
    "--no-window",
    "--json",
    "--virtual",
    file,
  ], { env: { SDL_VIDEODRIVER: "dummy" }, stderr: "null" }).spawn();
  const arrivals: { low: number; at: number }[] = [];
  const reading = lines(client.stdout, (line, at) => {
    if (!line.startsWith('{"type":"virtual_rumble"')) return;
    arrivals.push({ low: (JSON.parse(line) as { low: number }).low, at });
  });
  const samples: number[] = [];
  let lost = 0;
  try {
    const attachDeadline = performance.now() + 20000;
    while (!server.snapshot().clients[0]?.inputs.length) {
      if (performance.now() > attachDeadline) throw new Error("the bench client never attached");
      await sleep(20);
    }
    for (let i = 0; i < count + 5; i++) {
      // A new strength each time: SDL calls the driver only when it changes.
      const low = Math.round((0.1 + (i % 80) / 100) * 100) / 100;
      const from = arrivals.length;
      const sentAt = performance.now();
      await server.rumble("bench", 0, { low, high: 0, ms: 5000 });
      const deadline = sentAt + 1000;
      while (!arrivals.slice(from).some((a) => a.low === low) && performance.now() < deadline) {
        await sleep(1);
      }
      const hit = arrivals.slice(from).find((a) => a.low === low);
      if (i >= 5) { // the first few warm both sides up
        if (hit) samples.push(hit.at - sentAt);
        else lost++;
      }
      await sleep(120);
    }
  } finally {
    killQuietly(client, "SIGTERM");
    await client.status;
    await reading.catch(() => {});
    await Deno.remove(file);
  }
  const s = summarise(samples);
  const rows: Row[] = [
    {
      measure: "server.rumble() → SDL Rumble callback (seen on stdout), p50",
      value: us(s.p50) + (lost > 0 ? ` (${lost} lost)` : ""),
      reference: "",
      goal: "≤ 50 ms",
      met: s.p50 <= 50,
    },
    {
      measure: "server.rumble() → SDL Rumble callback, p99 / max",
      value: `${us(s.p99)} / ${us(s.max)}`,
      reference: "",
      goal: "≤ 50 ms",
      met: s.p99 <= 50,
    },
  ];
  return {
    title: "8. Feedback: a rumble command to the pad's SDL call",
    rows,
    notes: [
      `${samples.length} commands 120 ms apart (past the client's 50 ms spacing) from the library's ` +
      "server to a `padlink-client --virtual --json` process; the time includes the SDL worker's " +
      "hand-over and the callback's line back through a pipe.",
    ],
  };
}
