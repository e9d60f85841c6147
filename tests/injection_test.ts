/**
 * Terminal injection: every string a peer chooses reaches a person only
 * with its control characters, bidi controls and line separators shown as
 * visible escapes, on the server (human output, --json, logs) and on the
 * client (the server's refusal and goodbye reasons).
 */

import assert from "node:assert/strict";
import { newNonce } from "../lib/trust/auth.ts";
import {
  decodeJoin,
  encodeGoodbye,
  encodeHello,
  encodeRefuse,
  encodeWelcome,
  GoodbyeCode,
  InputEncoder,
  PROTOCOL_VERSION,
  RefuseCode,
} from "../lib/wire/protocol.ts";
import { rawJoin, readFrames } from "./_fault_util.ts";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

/** Forged lines, screen clearing, line erasing, the title, OSC 52 (clipboard), bidi, C1 CSI. */
const HOSTILE = "x\nbob pad0 A pressed\r\x1b[2J\x1b[H\x1b[1A\x1b[2K\x1b]0;owned\x07" +
  "\x1b]52;c;cm0gLXJmIH4=\x07\u202egpj.exe\u2028\u2029\u009b2J";

/** Anything a terminal acts on, other than the newline that ends each line. */
const RAW_CONTROL =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function assertNoControls(lines: string[], where: string): void {
  for (const line of lines) {
    assert.doesNotMatch(line, RAW_CONTROL, `${where}: ${JSON.stringify(line)}`);
  }
}

/** A hostile client's session: a pad, a key and a goodbye, each named with HOSTILE. */
function hostileSession(): Uint8Array {
  const encoder = new InputEncoder();
  encoder.add({ type: "pad", pad: 0, attached: true, name: HOSTILE });
  encoder.add({ type: "key", key: HOSTILE, scancode: HOSTILE, pressed: true });
  encoder.add({ type: "button", pad: 0, button: "a", pressed: true });
  encoder.goodbye({ code: GoodbyeCode.NORMAL, reason: HOSTILE });
  return encoder.take();
}

Deno.test("padlink-server prints a hostile client's pad name, key name and goodbye reason escaped", async () => {
  await using server = spawnEntrypoint("server.ts", [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-auth",
  ]);
  const listening = await server.stdout.waitFor((l) => l.startsWith("listening on "));
  const port = Number(/:(\d+) /.exec(listening.text)![1]);
  const { conn } = await rawJoin(port, "eve", null);
  try {
    await conn.write(hostileSession());
    await server.stdout.waitFor((l) => l.startsWith("eve disconnected"), {
      what: "eve's disconnect",
    });
  } finally {
    conn.close();
  }
  server.kill("SIGTERM");
  await server.exit();
  assertNoControls(server.stdout.lines, "stdout");
  assertNoControls(server.stderr.lines, "stderr");
  // Every line is the server's own: none forged by the client.
  for (const line of server.stdout.lines.slice(1)) assert.match(line, /^eve /, line);
  assert.ok(
    server.stdout.lines.includes(
      "eve pad0 attached: x\\x0abob pad0 A pressed\\x0d\\x1b[2J" +
        "\\x1b[H\\x1b[1A\\x1b[2K\\x1b]0;owned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07\\u202egpj.exe" +
        "\\u2028\\u2029\\x9b2J",
    ),
    server.stdout.text,
  );
  assert.ok(server.stdout.lines.some((l) => l.startsWith("eve key x\\x0abob pad0")));
  assert.ok(server.stdout.lines.some((l) => l.startsWith("eve disconnected (client quit: x\\x0a")));
});

Deno.test("padlink-server --json escapes U+2028 and U+2029 from a client", async () => {
  await using server = await startServer(["--no-auth"]);
  const { conn } = await rawJoin(server.port, "eve", null);
  try {
    await conn.write(hostileSession());
    await server.waitEvent({ type: "disconnect", client: "eve" });
  } finally {
    conn.close();
  }
  assertNoControls(server.stdout.lines, "stdout");
  const pad = server.events().find((e) => e.type === "pad" && e.attached);
  assert.equal(pad?.name, HOSTILE, "the JSON still carries the exact string");
});

/** A fake server on loopback that greets each client and lets `answer` reply to its JOIN. */
function fakeServer(answer: (conn: Deno.TcpConn, join: Uint8Array) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    for await (const conn of listener) {
      try {
        await conn.write(encodeHello({ version: PROTOCOL_VERSION, flags: 0, nonce: newNonce() }));
        const [join] = await readFrames(conn, 1);
        if (join) await answer(conn, join);
      } catch {
        // The client went away.
      } finally {
        conn.close();
      }
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await served;
    },
  };
}

Deno.test("padlink-client prints a hostile server's refusal reason escaped", async () => {
  const server = fakeServer(async (conn) => {
    await conn.write(encodeRefuse({ code: RefuseCode.SERVER_FULL, reason: HOSTILE }));
  });
  const replay = await writeReplay([{ t: 0, type: "pad", pad: 0, attached: true }]);
  try {
    await using client = spawnEntrypoint("client.ts", [
      "--host",
      "127.0.0.1",
      "--port",
      String(server.port),
      "--name",
      "bob",
      "--no-reconnect",
      "--replay",
      replay,
    ]);
    const status = await client.exit();
    assert.equal(status.code, 1);
    assertNoControls(client.stderr.lines, "client stderr");
    assert.equal(client.stderr.lines.length, 1, client.stderr.text);
    assert.match(client.stderr.lines[0]!, /refused the connection: x\\x0abob pad0 A pressed/);
  } finally {
    await server.close();
    await Deno.remove(replay);
  }
});

Deno.test("padlink-client prints a hostile server's goodbye reason escaped", async () => {
  const server = fakeServer(async (conn, join) => {
    const { name } = decodeJoin(join);
    await conn.write(
      encodeWelcome({ name, heartbeatMs: 250, timeoutMs: 5000, proof: new Uint8Array(0) }),
    );
    await conn.write(encodeGoodbye({ code: GoodbyeCode.NORMAL, reason: HOSTILE }));
  });
  const replay = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true },
    { t: 3000, type: "pad", pad: 0, attached: false },
  ]);
  try {
    await using client = spawnEntrypoint("client.ts", [
      "--host",
      "127.0.0.1",
      "--port",
      String(server.port),
      "--name",
      "bob",
      "--no-reconnect",
      "--replay",
      replay,
    ]);
    const status = await client.exit();
    assert.equal(status.code, 1);
    assertNoControls(client.stderr.lines, "client stderr");
    assert.ok(
      client.stderr.lines.some((l) => l.includes("the server said: x\\x0abob pad0 A pressed")),
      client.stderr.text,
    );
  } finally {
    await server.close();
    await Deno.remove(replay);
  }
});
