import assert from "node:assert/strict";
import { AcceptLoop } from "./listener.ts";
import { closeQuietly } from "./close_quietly.ts";

Deno.test("AcceptLoop hands every connection over, in order, until closed", async () => {
  const accepted: Deno.Conn[] = [];
  const loop = new AcceptLoop(Deno.listen({ hostname: "127.0.0.1", port: 0 }), {
    onConnection: (conn) => accepted.push(conn),
  });
  const clients: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const client = await Deno.connect({ hostname: "127.0.0.1", port: loop.addr.port });
      clients.push(client);
      await client.write(new Uint8Array([i]));
    }
    for (let i = 0; i < 400 && accepted.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(accepted.length, 3);
    const firsts: number[] = [];
    for (const conn of accepted) {
      const byte = new Uint8Array(1);
      assert.equal(await conn.read(byte), 1);
      firsts.push(byte[0]!);
    }
    assert.deepEqual(firsts, [0, 1, 2]);
  } finally {
    await loop.close();
    for (const conn of [...clients, ...accepted]) closeQuietly(conn);
  }
  await assert.rejects(
    () => Deno.connect({ hostname: "127.0.0.1", port: loop.addr.port }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("AcceptLoop.close ends the loop quietly, and may be called twice", async () => {
  const logs: string[] = [];
  const loop = new AcceptLoop(Deno.listen({ hostname: "127.0.0.1", port: 0 }), {
    onConnection: closeQuietly,
    onLog: (message) => logs.push(message),
  });
  await loop.close();
  await loop.close();
  await loop.done;
  assert.deepEqual(logs, [], "closing is not an accept error");
});

Deno.test("AcceptLoop logs an accept error with its prefix and goes on accepting", async () => {
  // A failing accept (EMFILE, say) cannot be caused on demand, so this edge is
  // a stand-in listener: it fails once, then hands over the real listener's
  // connections.
  const real = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let failed = false;
  const flaky = {
    get addr() {
      return real.addr;
    },
    accept(): Promise<Deno.Conn> {
      if (!failed) {
        failed = true;
        return Promise.reject(new Error("Too many open files (os error 24)"));
      }
      return real.accept();
    },
    close: () => real.close(),
  } as unknown as Deno.Listener;
  const logs: string[] = [];
  const accepted: Deno.Conn[] = [];
  const loop = new AcceptLoop(flaky, {
    onConnection: (conn) => accepted.push(conn),
    onLog: (message) => logs.push(message),
    logPrefix: "pairing: ",
  });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: loop.addr.port });
  try {
    for (let i = 0; i < 400 && accepted.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(accepted.length, 1, "accepting went on after the error");
    assert.deepEqual(logs, [
      "pairing: accept failed: Too many open files (os error 24); retrying in 5 ms",
    ]);
  } finally {
    await loop.close();
    for (const conn of [client, ...accepted]) closeQuietly(conn);
  }
});

/** A listener whose accept fails with EMFILE's message `failures` times, then waits forever. */
function failingListener(failures: number) {
  let calls = 0;
  let closed = false;
  let release: (() => void) | null = null;
  const listener = {
    addr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    accept(): Promise<Deno.Conn> {
      calls++;
      if (closed) return Promise.reject(new Deno.errors.BadResource("closed"));
      if (calls <= failures) return Promise.reject(new Error("Too many open files (os error 24)"));
      return new Promise((_, reject) => {
        release = () => reject(new Deno.errors.BadResource("closed"));
      });
    },
    close() {
      closed = true;
      release?.();
    },
  };
  return { listener: listener as unknown as Deno.Listener, calls: () => calls };
}

Deno.test("AcceptLoop backs off on repeated accept errors and logs them at most once a second", async () => {
  const { listener, calls } = failingListener(Infinity);
  const logs: string[] = [];
  const loop = new AcceptLoop(listener, { onConnection: () => {}, onLog: (m) => logs.push(m) });
  await new Promise((resolve) => setTimeout(resolve, 700));
  await loop.close();
  // Without the backoff this would be hundreds of thousands of calls and lines.
  assert.ok(calls() <= 10, `${calls()} accept calls in 700 ms`);
  assert.equal(logs.length, 1, logs.join("\n"));
  assert.match(logs[0]!, /^accept failed: Too many open files \(os error 24\); retrying in 5 ms$/);
});

Deno.test("AcceptLoop goes back to accepting at once after errors pass", async () => {
  const { listener, calls } = failingListener(3);
  const loop = new AcceptLoop(listener, { onConnection: () => {} });
  for (let i = 0; i < 100 && calls() < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(calls(), 4);
  await loop.close();
});

Deno.test("AcceptLoop retries at once when onAcceptFailure freed something", async () => {
  const { listener, calls } = failingListener(Infinity);
  let freed = 0;
  const loop = new AcceptLoop(listener, {
    onConnection: () => {},
    onAcceptFailure: () => freed++ < 1000,
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await loop.close();
  // Every pause is the shortest (5 ms) while something is freed.
  assert.ok(calls() >= 20, `${calls()} accept calls in 300 ms`);
});
