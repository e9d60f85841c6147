import assert from "node:assert/strict";
import type { ServerEvent } from "../server/events.ts";
import { type ByteWriter, StreamOutput } from "./stream_output.ts";

/**
 * A byte sink standing in for stdout: it can be held shut (a reader that
 * stopped reading), take few bytes per call, or fail like a closed pipe.
 */
class TestWriter implements ByteWriter {
  readonly calls: Uint8Array[] = [];
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => {};

  constructor(readonly bytesPerCall = Infinity, readonly failAfterCalls = Infinity) {}

  hold(): void {
    this.#gate = new Promise((resolve) => this.#open = resolve);
  }

  release(): void {
    this.#open();
    this.#gate = Promise.resolve();
  }

  async write(bytes: Uint8Array): Promise<number> {
    await this.#gate;
    if (this.calls.length >= this.failAfterCalls) throw new Deno.errors.BrokenPipe("gone");
    const n = Math.min(bytes.length, this.bytesPerCall);
    this.calls.push(bytes.slice(0, n));
    return n;
  }

  lines(): string[] {
    const text = new TextDecoder().decode(new Uint8Array(this.calls.flatMap((c) => [...c])));
    assert.ok(text === "" || text.endsWith("\n"), "only whole lines are written");
    return text === "" ? [] : text.slice(0, -1).split("\n");
  }
}

function key(n: number): ServerEvent {
  return { type: "key", client: "alice", t: n, key: `K${n}`, scancode: "A", pressed: n % 2 === 0 };
}

Deno.test("StreamOutput writes JSON lines and the program's records in one order", async () => {
  const writer = new TestWriter();
  const messages: string[] = [];
  const output = new StreamOutput({ json: true, writer, onMessage: (m) => messages.push(m) });
  output.push({ type: "listening", host: "::", port: 7175, auth: false, protocol: 1 });
  output.note({ text: "web view on http://[::1]:8080/", json: { type: "web", url: "http://x/" } });
  output.note("token: abcd-efgh (for people only)");
  output.push(key(0));
  assert.equal(writer.calls.length, 0, "nothing is written synchronously");
  await output.close();
  assert.deepEqual(writer.lines(), [
    '{"type":"listening","host":"::","port":7175,"auth":false,"protocol":1}',
    '{"type":"web","url":"http://x/"}',
    '{"type":"key","client":"alice","t":0,"key":"K0","scancode":"A","pressed":true}',
  ]);
  assert.deepEqual(messages, ["token: abcd-efgh (for people only)"]);
  assert.equal(writer.calls.length, 1, "one burst, one write");
});

Deno.test("StreamOutput writes a note's JSON record with a peer's control characters escaped", async () => {
  const writer = new TestWriter();
  const output = new StreamOutput({ json: true, writer });
  // An error as a hostile NATS server might word it: a one-byte CSI and a line separator.
  const error = "-ERR \u009b2J\u2028forged";
  output.note({ text: "nats closed", json: { type: "nats", state: "closed", error } });
  await output.close();
  const [line] = writer.lines();
  assert.equal(line, '{"type":"nats","state":"closed","error":"-ERR \\u009b2J\\u2028forged"}');
  assert.equal(JSON.parse(line!).error, error);
});

Deno.test("StreamOutput in text mode puts notes on the stream between events", async () => {
  const writer = new TestWriter();
  const output = new StreamOutput({ json: false, writer });
  output.push(key(0));
  output.note({ text: "nats disconnected", json: { type: "nats", connected: false } });
  output.push(key(1));
  await output.close();
  assert.deepEqual(writer.lines(), [
    "alice key K0 pressed",
    "nats disconnected",
    "alice key K1 released",
  ]);
});

Deno.test("StreamOutput drops past its queue limit and writes one gap line with the count", async () => {
  for (const json of [true, false]) {
    const writer = new TestWriter();
    writer.hold();
    const output = new StreamOutput({ json, writer, queueLimit: 5 });
    for (let n = 0; n < 20; n++) output.push(key(n));
    assert.equal(output.dropped, 15);
    writer.release();
    await output.idle();
    for (let n = 20; n < 22; n++) output.push(key(n));
    await output.close();
    const lines = writer.lines();
    assert.equal(lines.length, 5 + 1 + 2);
    assert.equal(
      lines[5],
      json ? '{"type":"gap","dropped":15}' : "gap: 15 events dropped (output too slow)",
    );
    assert.match(lines[4]!, /K4/);
    assert.match(lines[6]!, /K20/);
  }
});

Deno.test("StreamOutput finishes partial writes in order, multibyte text included", async () => {
  const writer = new TestWriter(7);
  const output = new StreamOutput({ json: false, writer });
  const names = ["ジョイパッド", "🎮🎮🎮", "plain"];
  for (const name of names) output.note(name);
  await output.close();
  assert.ok(writer.calls.length > 3);
  assert.deepEqual(writer.lines(), names);
});

Deno.test("StreamOutput writes a flood in few large writes", async () => {
  const writer = new TestWriter();
  const output = new StreamOutput({ json: true, writer });
  for (let n = 0; n < 10_000; n++) output.push(key(n));
  await output.close();
  assert.equal(writer.lines().length, 10_000);
  assert.ok(writer.calls.length <= 3, `${writer.calls.length} writes`);
});

Deno.test("StreamOutput reports a failed write once and takes nothing after", async () => {
  const writer = new TestWriter(Infinity, 1);
  const errors: unknown[] = [];
  const output = new StreamOutput({ json: true, writer, onError: (e) => errors.push(e) });
  output.push(key(0));
  await output.idle();
  output.push(key(1));
  await output.idle();
  output.push(key(2));
  const report = await output.finish();
  assert.equal(writer.lines().length, 1);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof Deno.errors.BrokenPipe);
  assert.deepEqual(report, { complete: false, abandoned: 1 });
});

Deno.test("StreamOutput.close gives up on a reader that never reads, counting what is lost", async () => {
  const writer = new TestWriter();
  writer.hold();
  const output = new StreamOutput({ json: true, writer, closeTimeoutMs: 100 });
  for (let n = 0; n < 30; n++) output.push(key(n));
  assert.deepEqual(await output.finish(), { complete: false, abandoned: 30 });
  assert.equal(output.finish(), output.finish());
  await output.close();
  writer.release();
});
