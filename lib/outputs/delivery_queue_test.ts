import assert from "node:assert/strict";
import { DeliveryQueue } from "./delivery_queue.ts";

type Item = number | { gap: number };

/** A consumer that blocks until released, recording every batch. */
class GatedConsumer {
  readonly batches: Item[][] = [];
  #open: Promise<void>;
  #release!: () => void;

  constructor(open = false) {
    this.#open = open ? Promise.resolve() : new Promise((resolve) => this.#release = resolve);
  }

  get items(): Item[] {
    return this.batches.flat();
  }

  release(): void {
    this.#release?.();
    this.#open = Promise.resolve();
  }

  deliver = async (batch: Item[]): Promise<void> => {
    await this.#open;
    this.batches.push(batch);
  };
}

function queueFor(consumer: GatedConsumer, limit: number, maxBatch?: number) {
  return new DeliveryQueue<Item>({
    limit,
    maxBatch,
    deliver: consumer.deliver,
    gap: (dropped) => ({ gap: dropped }),
  });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

Deno.test("DeliveryQueue delivers every item in order, batching a burst", async () => {
  const consumer = new GatedConsumer(true);
  const queue = queueFor(consumer, 100_000, 1000);
  for (const n of range(0, 2500)) assert.equal(queue.push(n), true);
  await queue.idle();
  assert.deepEqual(consumer.items, range(0, 2500));
  assert.deepEqual(consumer.batches.map((b) => b.length), [1000, 1000, 500]);
  assert.equal(queue.dropped, 0);
  assert.deepEqual(await queue.close(1000), { complete: true, abandoned: 0 });
});

Deno.test("DeliveryQueue delivers an item pushed at any moment while its loop winds down", async () => {
  // Whatever the number of microtask turns between the last delivery and
  // the next push, that push is delivered without any further push.
  for (let turns = 0; turns < 30; turns++) {
    const consumer = new GatedConsumer(true);
    const queue = queueFor(consumer, 100);
    queue.push(0);
    let chain = Promise.resolve();
    for (let i = 0; i < turns; i++) chain = chain.then(() => {});
    await chain;
    queue.push(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(consumer.items, [0, 1], `pushed after ${turns} turns`);
    await queue.close(1000);
  }
});

Deno.test("DeliveryQueue holds at most its limit while the consumer is stuck", async () => {
  const consumer = new GatedConsumer();
  const queue = queueFor(consumer, 10);
  const accepted = range(0, 25).filter((n) => queue.push(n));
  assert.deepEqual(accepted, range(0, 10));
  await Promise.resolve(); // The drain loop takes its batch (in flight, still counted).
  assert.equal(queue.length, 10);
  assert.equal(queue.dropped, 15);
  consumer.release();
  await queue.idle();
  assert.deepEqual(consumer.items, [...range(0, 10), { gap: 15 }]);
  await queue.close(1000);
});

Deno.test("DeliveryQueue writes one gap with the exact count, then resumes in order", async () => {
  const consumer = new GatedConsumer();
  const queue = queueFor(consumer, 8, 2);
  for (const n of range(0, 8)) queue.push(n);
  await Promise.resolve();
  // Full: these are dropped, however many there are.
  for (const n of range(8, 108)) assert.equal(queue.push(n), false);
  consumer.release();
  // Still dropping until half the queue has drained, so no gap per batch.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await queue.idle();
  for (const n of range(108, 112)) assert.equal(queue.push(n), true);
  await queue.idle();
  assert.deepEqual(consumer.items, [...range(0, 8), { gap: 100 }, ...range(108, 112)]);
  const gaps = consumer.items.filter((item) => typeof item !== "number");
  assert.equal(gaps.length, 1);
  assert.equal(queue.dropped, 100);
  await queue.close(1000);
});

Deno.test("DeliveryQueue accounts for every item: delivered plus gap counts equal pushed", async () => {
  // A consumer slower than the producer, drained in rounds.
  const consumer = new GatedConsumer(true);
  const slow = new DeliveryQueue<Item>({
    limit: 50,
    maxBatch: 7,
    deliver: async (batch) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await consumer.deliver(batch);
    },
    gap: (dropped) => ({ gap: dropped }),
  });
  let pushed = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 40; i++) slow.push(pushed++);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.deepEqual(await slow.close(5000), { complete: true, abandoned: 0 });
  const numbers = consumer.items.filter((item) => typeof item === "number");
  const gapTotal = consumer.items.reduce<number>(
    (sum, item) => sum + (typeof item === "number" ? 0 : item.gap),
    0,
  );
  assert.ok(gapTotal > 0, "the producer outran the consumer");
  assert.equal(numbers.length + gapTotal, pushed);
  assert.equal(gapTotal, slow.dropped);
  // Order kept, and each gap sits exactly where its items went missing.
  let expected = 0;
  for (const item of consumer.items) {
    if (typeof item === "number") {
      assert.equal(item, expected++);
    } else {
      expected += item.gap;
    }
  }
  assert.equal(expected, pushed);
});

Deno.test("DeliveryQueue.close delivers what is queued and a pending gap", async () => {
  const consumer = new GatedConsumer();
  const queue = queueFor(consumer, 3);
  for (const n of range(0, 5)) queue.push(n);
  const closing = queue.close(1000);
  assert.equal(queue.push(99), false, "closed queues take nothing");
  consumer.release();
  assert.deepEqual(await closing, { complete: true, abandoned: 0 });
  assert.deepEqual(consumer.items, [0, 1, 2, { gap: 2 }]);
});

Deno.test("DeliveryQueue.close gives up at its deadline when the consumer never returns", async () => {
  const consumer = new GatedConsumer(); // Never released.
  const queue = queueFor(consumer, 100, 10);
  for (const n of range(0, 35)) queue.push(n);
  // Returning at all is the point: the consumer never settles its batch.
  const report = await queue.close(150);
  assert.deepEqual(report, { complete: false, abandoned: 35 });
  assert.equal(queue.length, 0);
  assert.equal(queue.push(1), false);
  assert.deepEqual(await queue.close(150), report);
  consumer.release(); // The stuck batch settles late and delivers nothing more.
  await queue.idle();
  assert.deepEqual(consumer.batches.length, 1);
});

Deno.test("DeliveryQueue stops at a failed delivery and reports it once", async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const queue = new DeliveryQueue<number>({
    limit: 100,
    maxBatch: 2,
    deliver: (batch) => {
      calls++;
      return calls === 2 ? Promise.reject(new Error(`broken at ${batch[0]}`)) : Promise.resolve();
    },
    gap: (dropped) => -dropped,
    onError: (error) => errors.push(error),
  });
  for (const n of range(0, 6)) queue.push(n);
  await queue.idle();
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /broken at 2/);
  assert.equal(queue.failed, true);
  assert.equal(queue.push(7), false);
  assert.equal(calls, 2);
  assert.deepEqual(await queue.close(100), { complete: false, abandoned: 4 });
});

Deno.test("DeliveryQueue refuses a limit below 1", () => {
  for (const limit of [0, -1, 1.5, NaN]) {
    assert.throws(
      () => new DeliveryQueue({ limit, deliver: () => Promise.resolve(), gap: (n) => n }),
      RangeError,
    );
  }
});

Deno.test("DeliveryQueue.behind counts what waits and what of the batch is not through yet", async () => {
  let progressed: (done: number) => void = () => {};
  let finish: () => void = () => {};
  const queue = new DeliveryQueue<number>({
    limit: 100, // High-water mark 25.
    deliver: (_batch, report) => {
      progressed = report;
      return new Promise((resolve) => finish = resolve);
    },
    gap: (dropped) => -dropped,
  });
  const before = queue.progressAt;
  for (let i = 0; i < 30; i++) queue.push(i);
  assert.equal(queue.behind, true, "30 waiting");
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(queue.waiting, 0, "all 30 in one batch");
  assert.equal(queue.behind, true, "30 in the batch, none through");
  const next = queue.progress();
  progressed(10);
  await next;
  assert.equal(queue.behind, false, "20 not through");
  assert.ok(queue.progressAt >= before);
  finish();
  await queue.idle();
  // A batch that is done counts nothing, however much of it was reported through.
  for (let i = 0; i < 26; i++) queue.push(i);
  assert.equal(queue.behind, true, "26 waiting after a finished batch");
  finish();
  await Promise.resolve();
  await Promise.resolve();
  finish();
  const report = await queue.close(1000);
  assert.ok(report.complete);
  assert.equal(queue.behind, false, "a closed queue is never behind");
});
