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
    assert.deepEqual(logs, ["pairing: accept failed: Too many open files (os error 24)"]);
  } finally {
    await loop.close();
    for (const conn of [client, ...accepted]) closeQuietly(conn);
  }
});
