import assert from "node:assert/strict";
import { ConnectError, PadlinkConnection } from "../client/client.ts";
import { FrameDecoder } from "../wire/frame.ts";
import { withDeadline } from "../net/deadline.ts";
import {
  CLIENT_CAPABILITIES,
  decodeHello,
  decodeRefuse,
  encodeJoin,
  encodeRumble,
  MessageType,
  PROTOCOL_VERSION,
  RefuseCode,
} from "../wire/protocol.ts";
import { TokenError } from "../trust/auth.ts";
import { PadlinkServer, type ServerEvent } from "./server.ts";

async function startServer(options: Parameters<typeof PadlinkServer.start>[0] = {}) {
  const events: ServerEvent[] = [];
  const server = await PadlinkServer.start({
    hostname: "127.0.0.1",
    port: 0,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { server, events, port: server.addr.port };
}

/** Read frames from a raw connection until `count` have arrived or EOF. */
async function readFrames(conn: Deno.Conn, count: number): Promise<Uint8Array[]> {
  const decoder = new FrameDecoder();
  const frames: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  while (frames.length < count) {
    const n = await conn.read(buffer);
    if (n === null) break;
    decoder.push(buffer.subarray(0, n), (payload) => frames.push(payload.slice()));
  }
  return frames;
}

Deno.test("PadlinkServer accepts a client with the right token and reports its input", async () => {
  const { server, events, port } = await startServer({ token: "test-token-1234" });
  await using _ = server;
  assert.equal(server.token, "test-t0ke-n123-4");
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port,
    name: "alice",
    token: "TEST-TOKEN-1234",
  });
  assert.equal(connection.name, "alice");
  connection.send([
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "b", pressed: true },
  ]);
  assert.equal(await connection.goodbye(), true);
  await server.close();
  assert.deepEqual(events.map((e) => e.type), [
    "listening",
    "connect",
    "pad",
    "button",
    "button",
    "pad",
    "disconnect",
  ]);
  const release = events[4] as ServerEvent & { pressed: boolean };
  assert.equal(release.pressed, false);
});

Deno.test("PadlinkServer refuses a wrong token and a missing one, reporting no input", async () => {
  const { server, events, port } = await startServer({ token: "right-token-123" });
  await using _ = server;
  await assert.rejects(
    PadlinkConnection.open({ host: "127.0.0.1", port, name: "eve", token: "wrong-token-123" }),
    (error: unknown) => error instanceof ConnectError && error.kind === "token-wrong",
  );
  await assert.rejects(
    PadlinkConnection.open({ host: "127.0.0.1", port, name: "eve" }),
    (error: unknown) => error instanceof ConnectError && error.kind === "token-required",
  );
  assert.deepEqual(events.map((e) => e.type), ["listening"]);
});

Deno.test("PadlinkServer refuses a JOIN with another protocol version, with a reason", async () => {
  const { server, port } = await startServer({ token: null });
  await using _ = server;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const [hello] = await readFrames(conn, 1);
    assert.equal(decodeHello(hello!).version, PROTOCOL_VERSION);
    await conn.write(encodeJoin({
      version: PROTOCOL_VERSION + 1,
      flags: 0,
      name: "future",
      nonce: new Uint8Array(16),
      proof: new Uint8Array(0),
    }));
    const [refuse] = await readFrames(conn, 1);
    assert.equal(refuse![0], MessageType.REFUSE);
    const decoded = decodeRefuse(refuse!);
    assert.equal(decoded.code, RefuseCode.VERSION);
    assert.match(decoded.reason, /protocol v1, client sent v2/);
  } finally {
    conn.close();
  }
});

Deno.test("PadlinkServer gives colliding names distinct suffixes and frees them", async () => {
  const { server, port } = await startServer({ token: null });
  await using _ = server;
  const open = () => PadlinkConnection.open({ host: "127.0.0.1", port, name: "alice" });
  const first = await open();
  const second = await open();
  const third = await open();
  assert.deepEqual([first.name, second.name, third.name], ["alice", "alice#2", "alice#3"]);
  await second.goodbye();
  const fourth = await open();
  assert.equal(fourth.name, "alice#2");
  for (const c of [first, third, fourth]) await c.goodbye();
});

Deno.test("PadlinkServer refuses clients past --max-clients and says why", async () => {
  const { server, port } = await startServer({ token: null, maxClients: 1 });
  await using _ = server;
  const first = await PadlinkConnection.open({ host: "127.0.0.1", port, name: "a" });
  await assert.rejects(
    PadlinkConnection.open({ host: "127.0.0.1", port, name: "b" }),
    (error: unknown) =>
      error instanceof ConnectError && error.kind === "refused" &&
      /server is full/.test(error.message),
  );
  await first.goodbye();
});

Deno.test("PadlinkServer.events yields listening first, then events in order", async () => {
  const server = await PadlinkServer.start({ hostname: "127.0.0.1", port: 0, token: null });
  const seen: string[] = [];
  const consuming = (async () => {
    for await (const event of server.events()) seen.push(event.type);
  })();
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: server.addr.port,
    name: "it",
  });
  connection.send([{ type: "key", key: "A", scancode: "A", pressed: true }]);
  await connection.goodbye();
  await server.close();
  await consuming;
  assert.deepEqual(seen, ["listening", "connect", "key", "key", "disconnect"]);
});

Deno.test("PadlinkServer reports nothing from a connection that never completes its handshake", async () => {
  const { server, events, port } = await startServer({ token: null, handshakeTimeoutMs: 200 });
  await using _ = server;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    // Input frames without a JOIN: a button press, pad attach.
    await conn.write(new Uint8Array([0, 3, MessageType.PAD_ATTACH, 0, 0]));
    const frames = await readFrames(conn, 10); // HELLO, REFUSE, then EOF.
    assert.equal(frames.length, 2);
    const refuse = decodeRefuse(frames[1]!);
    assert.equal(refuse.code, RefuseCode.PROTOCOL);
    assert.match(refuse.reason, /^malformed JOIN: expected JOIN/);
  } finally {
    conn.close();
  }
  assert.deepEqual(events.map((e) => e.type), ["listening"]);
});

Deno.test("PadlinkServer.start rejects, never throws, when the port is in use", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let starting: Promise<PadlinkServer> | undefined;
  assert.doesNotThrow(() => {
    starting = PadlinkServer.start({ hostname: "127.0.0.1", port: taken.addr.port });
  });
  await assert.rejects(starting!, Deno.errors.AddrInUse);
});

Deno.test("PadlinkServer.start rejects a too-short token and leaves nothing listening", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  await assert.rejects(
    PadlinkServer.start({ hostname: "127.0.0.1", port, token: "short" }),
    TokenError,
  );
  using again = Deno.listen({ hostname: "127.0.0.1", port });
  assert.equal(again.addr.port, port);
});

Deno.test("PadlinkServer.events ends at break while other consumers keep every event", async () => {
  const { server, events, port } = await startServer({ token: null });
  await using _ = server;
  const first: string[] = [];
  for await (const event of server.events()) {
    first.push(event.type);
    break;
  }
  const second: string[] = [];
  const consuming = (async () => {
    for await (const event of server.events()) second.push(event.type);
  })();
  const connection = await PadlinkConnection.open({ host: "127.0.0.1", port, name: "it" });
  connection.send([{ type: "key", key: "A", scancode: "A", pressed: true }]);
  await connection.goodbye();
  await server.close();
  await consuming;
  assert.deepEqual(first, ["listening"]);
  assert.deepEqual(second, ["listening", "connect", "key", "key", "disconnect"]);
  assert.deepEqual(events.map((e) => e.type), second);
});

Deno.test("PadlinkServer drops a client that sends RUMBLE (a server-to-client message)", async () => {
  const logs: string[] = [];
  const { server, events, port } = await startServer({
    token: null,
    onLog: (message) => logs.push(message),
  });
  await using _ = server;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await readFrames(conn, 1); // HELLO
    await conn.write(encodeJoin({
      version: PROTOCOL_VERSION,
      flags: 0,
      name: "rogue",
      nonce: new Uint8Array(16),
      proof: new Uint8Array(0),
    }));
    const [welcome] = await readFrames(conn, 1);
    assert.equal(welcome![0], MessageType.WELCOME);
    await conn.write(encodeRumble(0, 1000, 1000, 100));
    await readFrames(conn, 100); // Until the server closes the connection.
  } finally {
    conn.close();
  }
  await server.close();
  const disconnect = events.find((e) => e.type === "disconnect");
  assert.ok(disconnect && disconnect.type === "disconnect");
  assert.equal(disconnect.reason, "protocol error: unexpected message type 0x20");
  assert.ok(logs.some((line) => line.includes("unexpected message type 0x20")), logs.join("\n"));
});

Deno.test("PadlinkServer drops the oldest connections past its cap on those waiting for a handshake", async () => {
  const logs: string[] = [];
  const { server, port } = await startServer({
    token: null,
    maxPendingConnections: 4,
    onLog: (message) => logs.push(message),
  });
  await using _ = server;
  const silent: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await readFrames(conn, 1); // HELLO: the server has taken it in.
      silent.push(conn);
    }
    // The six oldest are closed (HELLO was their only frame); the four newest stay.
    for (const [i, conn] of silent.entries()) {
      const ended = await withDeadline(
        conn.read(new Uint8Array(16)).then((n) => n === null ? "closed" : "data", () => "closed"),
        i < 6 ? 2000 : 100,
        () => "open",
      );
      assert.equal(ended, i < 6 ? "closed" : "open", `connection ${i}`);
    }
    assert.ok(
      logs.some((l) => /dropped before their handshake, oldest first/.test(l)),
      logs.join("\n"),
    );
    // A real client still gets in, and evicts the oldest of the four.
    const connection = await PadlinkConnection.open({ host: "127.0.0.1", port, name: "alice" });
    assert.equal(connection.name, "alice");
    await connection.goodbye();
  } finally {
    for (const conn of silent) conn.close();
  }
});

Deno.test("PadlinkServer.rumble, triggerRumble and led reach the client; bad commands are refused with a reason", async () => {
  const { server, port } = await startServer({ token: null });
  await using _ = server;
  const received: unknown[] = [];
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port,
    name: "dave",
    onFeedback: (message) => received.push(message),
    onMotionRequest: (pad, enable) => received.push({ type: "motion_request", pad, enable }),
  });
  try {
    connection.send([{ type: "pad", pad: 0, attached: true, name: "Pad" }]);
    const deadline = performance.now() + 3000;
    while (server.snapshot().clients[0]?.inputs.length !== 1 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(await server.rumble("dave", 0, { low: 0.25, high: 1, ms: 100 }), { ok: true });
    assert.deepEqual(await server.triggerRumble("dave", 0, { left: 1, right: 0, ms: 50 }), {
      ok: true,
    });
    assert.deepEqual(await server.led("dave", 0, "#102030"), { ok: true });
    assert.deepEqual(await server.requestMotion("dave", 0), { ok: true });
    assert.deepEqual(await server.led("dave", 1, "#102030"), {
      ok: false,
      error: "dave has no pad 1 attached",
    });
    assert.deepEqual(await server.rumble("erin", 0, { low: 0, high: 0, ms: 0 }), {
      ok: false,
      error: "no client named erin",
    });
    const tooLong = await server.rumble("dave", 0, { low: 1, high: 1, ms: 10001 });
    assert.equal(tooLong.ok, false);
    const waitUntil = performance.now() + 3000;
    while (received.length < 4 && performance.now() < waitUntil) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(received, [
      { type: "rumble", pad: 0, low: 16384, high: 65535, durationMs: 100 },
      { type: "trigger_rumble", pad: 0, left: 65535, right: 0, durationMs: 50 },
      { type: "led", pad: 0, red: 0x10, green: 0x20, blue: 0x30 },
      { type: "motion_request", pad: 0, enable: true },
    ]);
  } finally {
    await connection.goodbye();
  }
});

Deno.test("PadlinkServer drops a client that does not read its feedback, with a log line", async () => {
  const logs: string[] = [];
  const { server, events, port } = await startServer({
    token: null,
    onLog: (message) => logs.push(message),
  });
  await using _ = server;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await readFrames(conn, 1); // HELLO
    await conn.write(encodeJoin({
      version: PROTOCOL_VERSION,
      flags: 0,
      name: "sponge",
      nonce: new Uint8Array(16),
      proof: new Uint8Array(0),
      capabilities: CLIENT_CAPABILITIES,
    }));
    await readFrames(conn, 1); // WELCOME
    await conn.write(new Uint8Array([0, 3, MessageType.PAD_ATTACH, 0, 0]));
    while (!events.some((e) => e.type === "pad")) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // Never read again: rumble until the server gives up (bounded by the queue and the kernel).
    let result = { ok: true } as Awaited<ReturnType<typeof server.command>>;
    for (let i = 0; i < 2_000_000 && result.ok; i++) {
      result = await server.command({
        type: "rumble",
        client: "sponge",
        pad: 0,
        low: 1,
        high: 1,
        ms: 100,
      });
    }
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.error : "", /peer is not reading/);
    assert.ok(
      logs.some((l) => /^sponge \(127\.0\.0\.1:\d+\): peer is not reading/.test(l)),
      logs.join("\n"),
    );
  } finally {
    conn.close();
  }
});
