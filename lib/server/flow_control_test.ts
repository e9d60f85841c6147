import assert from "node:assert/strict";
import { withDeadline } from "../net/deadline.ts";
import { type ByteWriter, StreamOutput } from "../outputs/stream_output.ts";
import type { ServerEvent } from "./events.ts";
import { ReadFlowControl } from "./flow_control.ts";
import type { OutputFlow } from "./output.ts";

/**
 * Stands in for stdout: each write takes `msPerLine` for each line in it
 * (a reader slower than the reads below), or waits until released when held.
 */
class Writer implements ByteWriter {
  lines = 0;
  writes = 0;
  #release: (() => void) | null = null;
  #held: Promise<void> | null = null;

  constructor(readonly msPerLine: number) {}

  hold(): void {
    this.#held = new Promise((resolve) => this.#release = resolve);
  }

  release(): void {
    this.#release?.();
    this.#held = null;
  }

  async write(bytes: Uint8Array): Promise<number> {
    if (this.#held) await this.#held;
    let lines = 0;
    for (const byte of bytes) if (byte === 10) lines++;
    await new Promise((resolve) => setTimeout(resolve, lines * this.msPerLine));
    this.lines += lines;
    this.writes++;
    return bytes.length;
  }
}

function press(n: number): ServerEvent {
  return { type: "button", client: "c", pad: 0, button: "a", pressed: n % 2 === 0, t: 0 };
}

/**
 * What a session's read loop does: before each read's events are reported,
 * wait while `control` holds; then report them all at once.
 *
 * @returns how many reads had to wait
 */
async function readLoop(
  control: ReadFlowControl,
  output: StreamOutput,
  reads: number,
  eventsPerRead: number,
): Promise<number> {
  let held = 0;
  let n = 0;
  for (let read = 0; read < reads; read++) {
    let wait = control.hold();
    if (wait) held++;
    while (wait) {
      await wait;
      wait = control.hold();
    }
    for (let i = 0; i < eventsPerRead; i++) output.push(press(n++));
    await new Promise((resolve) => setTimeout(resolve, 0)); // The next read, a turn later.
  }
  return held;
}

Deno.test("flow control: reads wait for a slow writer that progresses, and nothing is dropped", async () => {
  const writer = new Writer(0.05);
  const output = new StreamOutput({ json: true, writer, queueLimit: 1000 });
  const control = new ReadFlowControl();
  control.add(output.flow);
  const held = await readLoop(control, output, 50, 200); // 10,000 events, ten times the bound.
  const report = await output.finish();
  assert.ok(held > 0, "the reads had to wait for the writer");
  assert.equal(output.dropped, 0);
  assert.ok(report.complete);
  assert.equal(writer.lines, 10_000);
});

Deno.test("flow control: an output idle for longer than the stall time still holds a burst from many sessions", async () => {
  const writer = new Writer(0.05);
  const output = new StreamOutput({ json: true, writer, queueLimit: 1000 });
  const control = new ReadFlowControl();
  control.add(output.flow);
  output.push(press(0));
  await output.idle();
  await new Promise((resolve) => setTimeout(resolve, 300)); // Nothing to write for 300 ms.
  // Five sessions at once, 2,000 events each: every one checks before it reports.
  const held = await Promise.all([0, 1, 2, 3, 4].map(() => readLoop(control, output, 10, 200)));
  await output.finish();
  assert.ok(held.some((n) => n > 0), "the burst had to wait for the writer");
  assert.equal(output.dropped, 0);
  assert.equal(writer.lines, 10_001);
});

Deno.test("flow control: without it, the same reads overrun the same writer (the test above can fail)", async () => {
  const writer = new Writer(0.05);
  const output = new StreamOutput({ json: true, writer, queueLimit: 1000 });
  const control = new ReadFlowControl(); // No flow added: reads never wait.
  assert.equal(await readLoop(control, output, 50, 200), 0);
  await output.finish();
  assert.ok(output.dropped > 0);
});

Deno.test("flow control: a stuck writer holds reads for at most the stall time, then the output drops with a gap", async () => {
  const writer = new Writer(0);
  const output = new StreamOutput({ json: true, writer, queueLimit: 1000 });
  const control = new ReadFlowControl({ waitMs: 10, stallMs: 100 });
  control.add(output.flow);
  output.push(press(0));
  await output.idle(); // One write completed: the writer has made progress lately.
  writer.hold(); // From here no write completes.
  for (let i = 1; i <= 600; i++) output.push(press(i)); // One batch stuck in flight…
  await Promise.resolve();
  await Promise.resolve();
  for (let i = 601; i <= 900; i++) output.push(press(i)); // …and 300 waiting, over 250.
  assert.ok(output.flow.behind);
  const first = control.hold();
  assert.ok(first !== null, "recent progress: reads wait");
  assert.equal(control.hold(), first, "every session shares the one wait");
  const started = performance.now();
  await withDeadline(
    (async () => {
      for (let wait = control.hold(); wait; wait = control.hold()) await wait;
    })(),
    5000,
    () => assert.fail("the stuck writer held reads for 5 s"),
  );
  const heldFor = performance.now() - started;
  assert.ok(output.flow.behind, "still behind: reads go on because the writer is stuck");
  console.log(`measured: a stuck writer held reads for ${heldFor.toFixed(0)} ms (stall time 100)`);
  for (let i = 901; i < 2000; i++) output.push(press(i));
  assert.ok(output.dropped > 0, "past its bound the output drops");
  writer.release();
  await output.finish();
  assert.equal(writer.lines, 2000 - output.dropped + 1, "the lines kept and one gap line");
});

Deno.test("flow control: holds nothing while no output is behind, or once an output closed", async () => {
  let waiters = 0;
  const flow: OutputFlow = {
    behind: false,
    progressAt: performance.now(),
    progress: () => {
      waiters++;
      return new Promise(() => {}); // Never progresses: only the wait's bound ends a hold.
    },
  };
  const control = new ReadFlowControl({ waitMs: 5 });
  assert.equal(control.hold(), null, "no flows");
  control.add(flow);
  assert.equal(control.hold(), null, "not behind");
  (flow as { behind: boolean }).behind = true;
  const wait = control.hold();
  assert.ok(wait !== null);
  await withDeadline(wait, 2000, () => assert.fail("a hold outlived its bound"));
  assert.equal(waiters, 1);
  const output = new StreamOutput({ json: true, writer: new Writer(0) });
  await output.finish();
  assert.equal(output.flow.behind, false, "a closed output is never behind");
  await withDeadline(output.flow.progress(), 1000, () => assert.fail("waited for a closed output"));
});
