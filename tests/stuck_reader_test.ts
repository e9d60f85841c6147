/**
 * End-to-end: `server.ts --json` whose stdout reader stops reading. The
 * server must keep serving (heartbeats, no client dropped), deliver every
 * event once the reader is back (within its queue bound), write one gap
 * record with the exact count past the bound, and still stop on SIGINT
 * within 2 s while nobody reads.
 */

import assert from "node:assert/strict";
import { sleep, withDeadline } from "../lib/net/deadline.ts";
import { entrypointCommand, killQuietly } from "../tools/_spawn.ts";
import { Lines, serverLog, spawnEntrypoint, withoutTime, writeReplay } from "./_util.ts";

/** `server.ts --json` with a stdout the test reads only when it wants to. */
class PausedServer implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stderr: Lines;
  readonly lines: string[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #partial = "";
  #ended = false;
  #pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;

  constructor(args: string[]) {
    this.child = entrypointCommand("server.ts", [
      "--json",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-auth",
      ...args,
    ]).spawn();
    this.stderr = new Lines(this.child.stderr);
    this.#reader = this.child.stdout.getReader();
  }

  /**
   * Read stdout (the reader is back) until `done()` holds, checked after each
   * chunk; false at EOF or timeout. With "eof" it reads to the end.
   */
  async readUntil(done: (() => boolean) | "eof", timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (done === "eof" || !done()) {
      if (this.#ended) return done === "eof";
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // A read that outlives the deadline is kept for the next call, so no chunk is lost.
      this.#pending ??= this.#reader.read();
      const chunk = await withDeadline(this.#pending, left, () => "late" as const);
      if (chunk === "late") return false;
      this.#pending = null;
      if (chunk.done) {
        this.#ended = true;
        if (this.#partial !== "") this.lines.push(this.#partial);
        continue;
      }
      this.#partial += this.#decoder.decode(chunk.value, { stream: true });
      const parts = this.#partial.split("\n");
      this.#partial = parts.pop()!;
      this.lines.push(...parts);
    }
    return true;
  }

  /** The port from the `listening` line (read before the reader pauses). */
  async port(): Promise<number> {
    assert.ok(await this.readUntil(() => this.count('"listening"') > 0, 15000), this.stderr.text);
    return (JSON.parse(this.lines.find((l) => l.includes('"listening"'))!) as { port: number })
      .port;
  }

  /** How many lines so far hold `text`. */
  count(text: string): number {
    let n = 0;
    for (const line of this.lines) if (line.includes(text)) n++;
    return n;
  }

  /** Every stdout line parsed, without `t`. */
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => withoutTime(JSON.parse(line)));
  }

  /** The reader goes away for good: stdout's pipe is closed on this side. */
  async hangUp(): Promise<void> {
    this.#pending = null;
    await this.#reader.cancel();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    killQuietly(this.child, "SIGKILL");
    await this.child.status;
    await this.#reader.cancel().catch(() => {});
    await this.stderr.done;
  }
}

/** Press and release A `presses` times at t = 0, then the given later presses, then detach. */
function buttonStream(presses: number, laterTimes: number[] = []): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
  ];
  for (let i = 0; i < presses; i++) {
    events.push({ t: 0, type: "button", pad: 0, button: i % 2 ? "b" : "a", pressed: true });
    events.push({ t: 0, type: "button", pad: 0, button: i % 2 ? "b" : "a", pressed: false });
  }
  for (const t of laterTimes) {
    events.push({ t, type: "button", pad: 0, button: "x", pressed: true });
    events.push({ t, type: "button", pad: 0, button: "x", pressed: false });
  }
  const end = (laterTimes.at(-1) ?? 0) + 100;
  events.push({ t: end, type: "pad", pad: 0, attached: false });
  return events;
}

/** What the server reports for `replay` from `client`: connect, each input, disconnect. */
function expectedFor(client: string, replay: Record<string, unknown>[]): Record<string, unknown>[] {
  return [
    { type: "connect", client },
    ...replay.map(({ t: _t, type, ...rest }) => ({ type, client, ...rest })),
    { type: "disconnect", client, reason: "client quit: replay finished" },
  ];
}

/** A server record as `expectedFor` spells it: connect and disconnect without their address. */
function comparable(record: Record<string, unknown>): Record<string, unknown> {
  const { addr: _addr, ...rest } = record;
  return rest;
}

function spawnClient(port: number, name: string, file: string) {
  return spawnEntrypoint("client.ts", [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--name",
    name,
    "--no-reconnect",
    "--replay",
    file,
  ]);
}

Deno.test("stuck stdout reader: nobody is dropped, heartbeats go on, every event arrives after", async () => {
  // 40,000 events in all, under the default bound of 100,000; alice stays
  // connected through most of the pause, idle for a second at a time, which
  // only heartbeats from a server that is not stalled survive.
  const aliceReplay = buttonStream(10_000, [1000, 2000, 3000, 4000]);
  const bobReplay = buttonStream(10_000);
  const aliceFile = await writeReplay(aliceReplay);
  const bobFile = await writeReplay(bobReplay);
  await using server = new PausedServer([]);
  const port = await server.port();
  const pausedAt = performance.now();
  // From here the test reads nothing on the server's stdout for 5 s.
  await using alice = spawnClient(port, "alice", aliceFile);
  await using bob = spawnClient(port, "bob", bobFile);
  const [aliceStatus, bobStatus] = await Promise.all([alice.exit(20000), bob.exit(20000)]);
  assert.equal(aliceStatus.code, 0, `alice: ${alice.stderr.text}`);
  assert.equal(bobStatus.code, 0, `bob: ${bob.stderr.text}`);
  const pausedFor = performance.now() - pausedAt;
  assert.ok(pausedFor >= 4000, `alice's replay lasts over 4 s of the pause (${pausedFor} ms)`);
  await sleep(Math.max(0, 5000 - pausedFor));

  // The reader is back.
  assert.ok(
    await server.readUntil(() => server.count('"type":"disconnect"') === 2, 20000),
    `not every event arrived:\n${server.lines.slice(-5).join("\n")}\n${server.stderr.text}`,
  );
  const records = server.records();
  assert.equal(records.filter((r) => r.type === "gap").length, 0, "nothing was dropped");
  for (const [client, replay] of [["alice", aliceReplay], ["bob", bobReplay]] as const) {
    const mine = records.filter((r) => r.client === client).map(comparable);
    assert.deepEqual(mine, expectedFor(client, replay), `${client}'s events`);
  }
  assert.doesNotMatch(server.stderr.text, /timed out|dropped/);

  server.child.kill("SIGINT");
  assert.ok(await server.readUntil("eof", 20000), "stdout ends when the server exits");
  assert.equal((await server.child.status).code, 0, server.stderr.text);
  await Deno.remove(aliceFile);
  await Deno.remove(bobFile);
});

Deno.test("stuck stdout reader: SIGINT stops the server within 2 s and says what was not written", async () => {
  const floodFile = await writeReplay(buttonStream(10_000));
  const holdFile = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 60000, type: "button", pad: 0, button: "a", pressed: false },
  ]);
  await using server = new PausedServer([]);
  const port = await server.port();
  await using holder = spawnClient(port, "holder", holdFile);
  await using flood = spawnClient(port, "flood", floodFile);
  assert.equal((await flood.exit(20000)).code, 0, flood.stderr.text);
  // 20,000 lines are far more than a pipe holds: stdout is stuck now.
  await sleep(300);
  const started = performance.now();
  server.child.kill("SIGINT");
  const status = await server.child.status;
  const took = performance.now() - started;
  await server.stderr.done;
  assert.ok(took < 2000, `SIGINT took ${Math.round(took)} ms to stop the server`);
  assert.equal(status.code, 1, server.stderr.text);
  assert.match(
    server.stderr.text,
    /^padlink-server: stdout was not read in time; \d+ queued lines were not written$/m,
  );
  assert.doesNotMatch(server.stderr.text, /\n\s+at |Uncaught/);
  // The connected client was told why, as on any shutdown.
  assert.notEqual((await holder.exit(10000)).code, 0);
  assert.match(holder.stderr.text, /server shutting down/);
  await Deno.remove(floodFile);
  await Deno.remove(holdFile);
});

Deno.test("stuck stdout reader: past --output-queue a gap record carries the exact dropped count", async () => {
  const replay = buttonStream(10_000);
  const file = await writeReplay(replay);
  await using server = new PausedServer(["--output-queue", "1000"]);
  const port = await server.port();
  await using client = spawnClient(port, "carol", file);
  assert.equal((await client.exit(20000)).code, 0, client.stderr.text);
  await sleep(500);
  // The reader is back: everything still queued, and the gap, arrive; the
  // disconnect may itself be among the dropped. Then stop, reading to the end.
  assert.ok(
    await server.readUntil(() => server.count('"type":"gap"') > 0, 20000),
    `no gap line:\n${server.lines.slice(-5).join("\n")}\n${server.stderr.text}`,
  );
  server.child.kill("SIGINT");
  assert.ok(await server.readUntil("eof", 20000), "stdout ends when the server exits");
  assert.equal((await server.child.status).code, 0, server.stderr.text);
  const records = server.records().slice(1).map(comparable); // After `listening`.
  const expected = expectedFor("carol", replay);
  const gaps = records.filter((r) => r.type === "gap");
  assert.ok(gaps.length >= 1, "20,000 events do not fit a queue of 1,000 and a pipe");
  // Walk the expected events: each gap stands for exactly `dropped` of them, in place.
  let next = 0;
  for (const record of records) {
    if (record.type === "gap") {
      assert.deepEqual(Object.keys(record), ["type", "dropped"]);
      assert.ok(Number.isInteger(record.dropped) && (record.dropped as number) > 0);
      next += record.dropped as number;
    } else {
      assert.deepEqual(record, expected[next], `record ${next}`);
      next++;
    }
  }
  assert.equal(next, expected.length, "delivered plus dropped is everything the server reported");
  const dropped = gaps.reduce((sum, gap) => sum + (gap.dropped as number), 0);
  assert.equal(records.length - gaps.length + dropped, expected.length);
  await Deno.remove(file);
});

Deno.test("stdout reader that goes away: one clear line, exit 1", async () => {
  const file = await writeReplay(buttonStream(2000));
  await using server = new PausedServer([]);
  const port = await server.port();
  await server.hangUp();
  await using client = spawnClient(port, "dave", file);
  await client.exit(20000);
  const status = await withDeadline(server.child.status, 10000, () => {
    throw new Error(`the server kept running:\n${server.stderr.text}`);
  });
  await server.stderr.done;
  assert.equal(status.code, 1);
  assert.deepEqual(serverLog(server.stderr.lines), [
    "padlink-server: cannot write to stdout (the program reading it went away); stopping",
  ]);
  await Deno.remove(file);
});
