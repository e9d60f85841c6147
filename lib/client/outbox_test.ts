import assert from "node:assert/strict";
import { FrameDecoder } from "../wire/frame.ts";
import { InputEncoder, MessageType } from "../wire/protocol.ts";
import type { InputEvent } from "../input/model.ts";
import { CONFIRM_MIN_INTERVAL_MS, Outbox, WRITE_CHUNK_BYTES } from "./outbox.ts";

/** A link that keeps every write and finishes each after a turn of the event loop. */
class RecordingLink {
  readonly writes: Uint8Array[] = [];
  async write(bytes: Uint8Array): Promise<void> {
    this.writes.push(bytes.slice());
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  /** The payload of every frame written, in order. */
  frames(): Uint8Array[] {
    const decoder = new FrameDecoder({ maxFrameSize: 4096 });
    const out: Uint8Array[] = [];
    for (const bytes of this.writes) decoder.push(bytes, (payload) => out.push(payload.slice()));
    return out;
  }
}

function presses(count: number): InputEvent[] {
  const events: InputEvent[] = [{ type: "pad", pad: 0, attached: true, name: "P" }];
  for (let i = 0; i < count; i++) {
    events.push({ type: "button", pad: 0, button: "a", pressed: i % 2 === 0 });
  }
  return events;
}

Deno.test("Outbox writes a big batch in chunks, in order, with PINGs the server's PONGs confirm", async () => {
  const link = new RecordingLink();
  const errors: unknown[] = [];
  const outbox = new Outbox(link, new InputEncoder(), (error) => errors.push(error));
  await new Promise((resolve) => setTimeout(resolve, CONFIRM_MIN_INTERVAL_MS + 5));
  const events = presses(100_000);
  outbox.add(events);
  assert.equal(outbox.queuedEvents, events.length);
  assert.equal(outbox.confirmedEvents, 0);
  await outbox.idle();
  assert.deepEqual(errors, []);
  assert.ok(link.writes.length > 1, `${link.writes.length} writes`);
  for (const bytes of link.writes) assert.ok(bytes.length <= WRITE_CHUNK_BYTES + 1024);
  const frames = link.frames();
  const pings = frames.filter((f) => f[0] === MessageType.PING);
  assert.equal(pings.length, 1, "one PING after the batch");
  assert.equal(frames.at(-1)![0], MessageType.PING, "the PING comes after all the input");
  const id = new DataView(pings[0]!.buffer).getUint32(1);
  assert.equal(outbox.pong(id + 1000), false, "a PONG to someone else's PING confirms nothing");
  assert.equal(outbox.pong(id), true);
  assert.equal(outbox.confirmedEvents, events.length);
  assert.equal(outbox.unconfirmedEvents, 0);
  outbox.add(presses(10));
  assert.equal(outbox.unconfirmedEvents, 11);
  outbox.confirmAll();
  assert.equal(outbox.unconfirmedEvents, 0);
  await outbox.idle();
});

Deno.test("Outbox drops what is queued and reports once when a write fails", async () => {
  const errors: unknown[] = [];
  const failing = { write: () => Promise.reject(new Deno.errors.BrokenPipe("gone")) };
  const outbox = new Outbox(failing, new InputEncoder(), (error) => errors.push(error));
  outbox.add(presses(10));
  await outbox.idle();
  outbox.add(presses(10));
  await outbox.idle();
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof Deno.errors.BrokenPipe);
  assert.equal(outbox.confirmedEvents, 0);
});
