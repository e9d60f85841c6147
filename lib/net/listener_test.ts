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
