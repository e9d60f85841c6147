import assert from "node:assert/strict";
import { SocketQueue, WS_CLOSE_TRY_AGAIN_LATER } from "./socket_queue.ts";
import { sleep } from "../../net/deadline.ts";

/** A socket whose send buffer the test fills and drains by hand. */
class SlowSocket {
  readonly sent: string[] = [];
  readonly closes: [number, string][] = [];
  bufferedAmount = 0;
  send(text: string): void {
    this.sent.push(text);
  }
  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }
}

Deno.test("SocketQueue sends a burst in order at the next microtask", async () => {
  const socket = new SlowSocket();
  const queue = new SocketQueue(socket);
  queue.push("one");
  queue.push("two");
  queue.push("three");
  assert.deepEqual(socket.sent, []);
  await Promise.resolve();
  assert.deepEqual(socket.sent, ["one", "two", "three"]);
  assert.equal(queue.length, 0);
});

Deno.test("SocketQueue keeps only the latest value of an axis within one burst", async () => {
  const socket = new SlowSocket();
  const queue = new SocketQueue(socket);
  queue.push("x=0.1", "p0/leftx");
  queue.push("a pressed");
  queue.push("x=0.2", "p0/leftx");
  queue.push("y=0.5", "p0/lefty");
  queue.push("x=0.3", "p0/leftx");
  await Promise.resolve();
  assert.deepEqual(socket.sent, ["x=0.3", "a pressed", "y=0.5"]);
  // Once sent, the next value of the axis is a new message.
  queue.push("x=0.4", "p0/leftx");
  await Promise.resolve();
  assert.deepEqual(socket.sent.slice(3), ["x=0.4"]);
});

Deno.test("SocketQueue holds messages while the socket is full and keeps every button", async () => {
  const socket = new SlowSocket();
  const queue = new SocketQueue(socket, { highWater: 100 });
  socket.bufferedAmount = 100;
  for (let i = 0; i < 50; i++) {
    queue.push(`x=${i}`, "p0/leftx");
    queue.push(`button ${i}`);
  }
  await sleep(40);
  assert.deepEqual(socket.sent, [], "nothing goes out while the buffer is full");
  assert.equal(queue.length, 51);
  socket.bufferedAmount = 0;
  await sleep(40);
  assert.deepEqual(socket.sent, [
    "x=49",
    ...Array.from({ length: 50 }, (_, i) => `button ${i}`),
  ]);
  assert.equal(queue.length, 0);
  assert.deepEqual(socket.closes, []);
});

Deno.test("SocketQueue closes a socket that falls past its bound, and sends nothing more", async () => {
  const socket = new SlowSocket();
  const overflows: number[] = [];
  const queue = new SocketQueue(socket, {
    highWater: 10,
    maxQueued: 20,
    onOverflow: (n) => overflows.push(n),
  });
  socket.bufferedAmount = 10;
  for (let i = 0; i < 20; i++) queue.push(`button ${i}`);
  assert.equal(queue.closed, false);
  queue.push("button 20");
  assert.equal(queue.closed, true);
  assert.deepEqual(overflows, [21]);
  assert.equal(socket.closes.length, 1);
  assert.equal(socket.closes[0]![0], WS_CLOSE_TRY_AGAIN_LATER);
  assert.match(socket.closes[0]![1], /too slow: 21 messages queued/);
  socket.bufferedAmount = 0;
  queue.push("after");
  await sleep(40);
  assert.deepEqual(socket.sent, []);
  assert.equal(queue.length, 0);
});

Deno.test("SocketQueue counts axes that coalesce only once toward its bound", async () => {
  const socket = new SlowSocket();
  const queue = new SocketQueue(socket, { highWater: 10, maxQueued: 4 });
  socket.bufferedAmount = 10;
  for (let i = 0; i < 1000; i++) {
    for (const axis of ["leftx", "lefty", "rightx", "righty"]) queue.push(`${axis}=${i}`, axis);
  }
  assert.equal(queue.closed, false);
  assert.equal(queue.length, 4);
  socket.bufferedAmount = 0;
  await sleep(40);
  assert.deepEqual(socket.sent, ["leftx=999", "lefty=999", "rightx=999", "righty=999"]);
  queue.close();
});

Deno.test("SocketQueue stops when the socket throws on send", async () => {
  const socket = new SlowSocket();
  socket.send = () => {
    throw new DOMException("closed", "InvalidStateError");
  };
  const queue = new SocketQueue(socket);
  queue.push("one");
  await Promise.resolve();
  assert.equal(queue.closed, true);
});
