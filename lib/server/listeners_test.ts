import assert from "node:assert/strict";
import { Listeners, streamEvents } from "./listeners.ts";

Deno.test("streamEvents unsubscribes when the consumer breaks out of for await", async () => {
  const listeners = new Listeners<number>();
  const seen: number[] = [];
  const never = new Promise<void>(() => {});
  const stream = streamEvents(listeners, [0], never);
  setTimeout(() => {
    for (let i = 1; i <= 3; i++) listeners.emit(i);
  }, 0);
  for await (const n of stream) {
    seen.push(n);
    assert.equal(listeners.size, 1);
    if (n === 2) break;
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(listeners.size, 0);
  listeners.emit(4); // Nobody queues it.
  assert.deepEqual(await stream.next(), { done: true, value: undefined });
});

Deno.test("streamEvents unsubscribes when the consumer throws", async () => {
  const listeners = new Listeners<string>();
  await assert.rejects(async () => {
    for await (const _ of streamEvents(listeners, ["a"], new Promise(() => {}))) {
      throw new Error("consumer failed");
    }
  }, /consumer failed/);
  assert.equal(listeners.size, 0);
});

Deno.test("streamEvents delivers what is queued, then ends when finished settles", async () => {
  const listeners = new Listeners<number>();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => finish = resolve);
  const stream = streamEvents(listeners, [], finished);
  const first = stream.next(); // Starts the generator, which subscribes.
  listeners.emit(1);
  listeners.emit(2);
  finish();
  const seen = [(await first).value];
  for await (const n of stream) seen.push(n);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(listeners.size, 0);
});

Deno.test("Listeners calls each in order and removes only the one asked", () => {
  const listeners = new Listeners<number>();
  const calls: string[] = [];
  const log = (n: number) => calls.push(`log${n}`);
  const removeFirst = listeners.add(log);
  listeners.add(log);
  listeners.add((n) => calls.push(`other${n}`));
  listeners.emit(1);
  removeFirst();
  listeners.emit(2);
  assert.deepEqual(calls, ["log1", "log1", "other1", "log2", "other2"]);
  assert.equal(listeners.size, 2);
});
