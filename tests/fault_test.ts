/**
 * Fault tolerance through the real entrypoints (and, for the session
 * takeover, the library on real sockets): neutral state on loss, graceful
 * stops, a dead server, a server restart, and the per-connection limits.
 *
 * Measured times are printed as `measured: …` lines; the only time asserts
 * are the generous bounds the issue states.
 */

import assert from "node:assert/strict";
import { PadlinkConnection } from "../lib/client/client.ts";
import { encodeFrame } from "../lib/wire/frame.ts";
import { encodePing, MessageType, SESSION_ID_SIZE } from "../lib/wire/protocol.ts";
import { PadlinkServer, type ServerEvent } from "../lib/server/server.ts";
import { sleep } from "../lib/net/deadline.ts";
import { clientArgs, holdingReplay, rawJoin, readFrames, waitClosed } from "./_fault_util.ts";
import { type ServerProc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

/** The server's events for `client` from line `from` on, without `addr`. */
function eventsOf(server: ServerProc, client: string, from = 0): Record<string, unknown>[] {
  return server.events(from).filter((e) => e.client === client).map(({ addr: _, ...e }) => e);
}

/** What the server reports when the holding client's inputs are released. */
function releases(client: string): Record<string, unknown>[] {
  return [
    { type: "key", client, key: "Left Shift", scancode: "Left Shift", pressed: false },
    { type: "button", client, pad: 0, button: "a", pressed: false },
    { type: "axis", client, pad: 0, axis: "leftx", value: 0 },
    { type: "pad", client, pad: 0, attached: false },
  ];
}

/** What the server reports when the holding client (re)sends its state. */
function holding(client: string): Record<string, unknown>[] {
  return [
    { type: "pad", client, pad: 0, attached: true, name: "Test Pad" },
    { type: "button", client, pad: 0, button: "a", pressed: true },
    { type: "axis", client, pad: 0, axis: "leftx", value: 0.5 },
    { type: "key", client, key: "Left Shift", scancode: "Left Shift", pressed: true },
  ];
}

const HELD_KEY = { type: "key", key: "Left Shift", pressed: true };

Deno.test("kill -9 of a client holding a button, a stick and a key: releases, then disconnect, within 1 s", async () => {
  const file = await writeReplay(holdingReplay());
  try {
    await using server = await startServer();
    await using client = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "alice"),
      "--replay",
      file,
    ]);
    const held = await server.waitEvent(HELD_KEY);
    const killedAt = performance.now();
    client.kill("SIGKILL");
    const gone = await server.waitEvent({ type: "disconnect", client: "alice" }, {
      from: held.index,
    });
    const elapsed = gone.at - killedAt;
    console.log(`measured: kill -9 → disconnect line read by the test: ${elapsed.toFixed(1)} ms`);
    const after = eventsOf(server, "alice", held.index + 1);
    assert.deepEqual(after.slice(0, -1), releases("alice"));
    assert.equal(after.at(-1)!.type, "disconnect");
    assert.match(String(after.at(-1)!.reason), /connection (closed by client|reset)/);
    assert.ok(elapsed < 1000, `the disconnect took ${elapsed} ms`);
    assert.equal((await client.exit()).signal, "SIGKILL");
  } finally {
    await Deno.remove(file);
  }
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`${signal} to the client mid-replay: releases, goodbye, exit ${code}`, async () => {
    const file = await writeReplay(holdingReplay());
    try {
      await using server = await startServer();
      await using client = spawnEntrypoint("client.ts", [
        ...clientArgs(server, "carol"),
        "--replay",
        file,
      ]);
      const held = await server.waitEvent(HELD_KEY);
      client.kill(signal);
      const status = await client.exit();
      assert.equal(status.code, code, client.stderr.text);
      await server.waitEvent({ type: "disconnect", client: "carol" }, { from: held.index });
      const after = eventsOf(server, "carol", held.index + 1);
      assert.deepEqual(after, [
        ...releases("carol"),
        { type: "disconnect", client: "carol", reason: "client quit: interrupted" },
      ]);
    } finally {
      await Deno.remove(file);
    }
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`${signal} to the server: every client is told "server shutting down", exit 0`, async () => {
    const file = await writeReplay(holdingReplay());
    try {
      await using server = await startServer();
      await using one = spawnEntrypoint("client.ts", [
        ...clientArgs(server, "one"),
        "--no-reconnect",
        "--replay",
        file,
      ]);
      await using two = spawnEntrypoint("client.ts", [
        ...clientArgs(server, "two"),
        "--no-reconnect",
        "--replay",
        file,
      ]);
      await server.waitEvent({ ...HELD_KEY, client: "one" });
      await server.waitEvent({ ...HELD_KEY, client: "two" });
      server.kill(signal);
      assert.equal((await server.exit()).code, 0, server.stderr.text);
      for (const [name, client] of [["one", one], ["two", two]] as const) {
        const after = eventsOf(server, name).slice(1 + holding(name).length);
        assert.deepEqual(after, [
          ...releases(name),
          { type: "disconnect", client: name, reason: "server shutting down" },
        ]);
        await client.exit();
        assert.match(client.stderr.text, /the server said: server shutting down/);
      }
    } finally {
      await Deno.remove(file);
    }
  });
}

for (const signal of ["SIGTERM", "SIGKILL"] as const) {
  Deno.test(`server restart (${signal}) while a client holds a button: the new server sees it held`, async () => {
    const file = await writeReplay(holdingReplay());
    const token = "restart-token-2468";
    try {
      const first = await startServer(["--token", token]);
      let port: number;
      let stoppedAt: number;
      await using client = spawnEntrypoint("client.ts", [
        ...clientArgs(first, "dave"),
        "--replay",
        file,
      ]);
      {
        await using _first = first;
        port = first.port;
        await first.waitEvent(HELD_KEY);
        first.kill(signal);
        await first.exit();
        stoppedAt = performance.now();
      }
      await client.stderr.waitFor((l) => /connection lost \(.*\); reconnecting/.test(l), {
        what: "the lost-connection line",
      });
      await using second = await startServer(["--token", token], { port });
      const listeningAt = performance.now();
      const connect = await second.waitEvent({ type: "connect" }, { timeoutMs: 15000 });
      await second.waitEvent(HELD_KEY);
      console.log(
        `measured: server back (${signal}) → client reconnected: ${
          (connect.at - listeningAt).toFixed(0)
        } ms after the new server listened, ${
          (connect.at - stoppedAt).toFixed(0)
        } ms after the old one died`,
      );
      assert.equal(connect.event.client, "dave", "the client keeps its name");
      assert.deepEqual(eventsOf(second, "dave").slice(1), holding("dave"));
      await client.stderr.waitFor((l) => /reconnected to .* as dave/.test(l));
      // Stopping now is an ordinary graceful stop on the new server (143: the replay is cut short).
      client.kill("SIGTERM");
      assert.equal((await client.exit()).code, 143, client.stderr.text);
      await second.waitEvent({ type: "disconnect", client: "dave" });
      assert.deepEqual(eventsOf(second, "dave").slice(5, -1), releases("dave"));
    } finally {
      await Deno.remove(file);
    }
  });
}

Deno.test("a server that stops responding: the client says so on stderr, reconnects, resyncs", async () => {
  const file = await writeReplay(holdingReplay());
  try {
    await using server = await startServer(["--timeout", "1000"]);
    await using client = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "erin"),
      "--replay",
      file,
    ]);
    const held = await server.waitEvent(HELD_KEY);
    server.kill("SIGSTOP");
    const stoppedAt = performance.now();
    const noticed = await client.stderr.waitFor(
      (l) => l.includes("connection lost (no traffic from the server for 1000 ms); reconnecting"),
      { timeoutMs: 5000, what: "the dead-server line" },
    );
    console.log(
      `measured: server frozen → client reports it: ${(noticed.at - stoppedAt).toFixed(0)} ms`,
    );
    server.kill("SIGCONT");
    // The server drops the old session (releases first), then takes the
    // reconnect under the same name and sees the button held again.
    const gone = await server.waitEvent({ type: "disconnect", client: "erin" }, {
      from: held.index,
    });
    const back = await server.waitEvent({ ...HELD_KEY, client: "erin" }, {
      from: gone.index,
      timeoutMs: 15000,
    });
    assert.deepEqual(eventsOf(server, "erin", held.index + 1).slice(0, 4), releases("erin"));
    const connect = server.events(gone.index).find((e) => e.type === "connect")!;
    assert.equal(connect.client, "erin");
    assert.deepEqual(
      eventsOf(server, "erin", gone.index + 1).slice(0, 5),
      [{ type: "connect", client: "erin" }, ...holding("erin")],
      `resync up to line ${back.index}`,
    );
    await client.stderr.waitFor((l) => l.includes("reconnected to"));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a server that stops responding, with --no-reconnect: the client exits 1 with one clear line", async () => {
  const file = await writeReplay(holdingReplay());
  try {
    await using server = await startServer(["--timeout", "1000"]);
    await using client = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "frank"),
      "--no-reconnect",
      "--replay",
      file,
    ]);
    await server.waitEvent(HELD_KEY);
    server.kill("SIGSTOP");
    const status = await client.exit(5000);
    server.kill("SIGCONT");
    assert.equal(status.code, 1);
    const lines = client.stderr.lines.filter((l) => !l.includes(": connected to"));
    assert.deepEqual(lines, [
      "padlink-client: stopped: no traffic from the server for 1000 ms",
    ]);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a client reconnecting with its session id takes its name back and the old session is neutralised", async () => {
  const events: ServerEvent[] = [];
  const logs: string[] = [];
  // A long timeout: the old connection is not noticed dead on its own.
  await using server = await PadlinkServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: "session-token-1357",
    timeoutMs: 60000,
    onEvent: (event) => events.push(event),
    onLog: (message) => logs.push(message),
  });
  const base = {
    host: "127.0.0.1",
    port: server.addr.port,
    name: "gina",
    token: "session-token-1357",
  };
  const session = crypto.getRandomValues(new Uint8Array(SESSION_ID_SIZE));
  const old = await PadlinkConnection.open({ ...base, session });
  old.send([
    { type: "pad", pad: 2, attached: true, name: "Old Pad" },
    { type: "button", pad: 2, button: "b", pressed: true },
  ]);
  await waitUntil(() => events.some((e) => e.type === "button"));
  const fresh = await PadlinkConnection.open({ ...base, session });
  assert.equal(fresh.name, "gina");
  const info = await old.closed;
  assert.match(info.reason, /closed/);
  const strip = (e: ServerEvent) => {
    const { addr: _, t: _t, ...rest } = e as ServerEvent & { addr?: string; t?: number };
    return rest;
  };
  const tail = events.slice(4).map(strip); // After listening, connect, pad, button.
  assert.equal(tail.length, 4, JSON.stringify(tail));
  assert.deepEqual(tail.slice(0, 2), [
    { type: "button", client: "gina", pad: 2, button: "b", pressed: false },
    { type: "pad", client: "gina", pad: 2, attached: false },
  ]);
  assert.equal(tail[2]!.type, "disconnect");
  assert.match(
    String((tail[2] as { reason: string }).reason),
    /^replaced by a new connection from /,
  );
  assert.deepEqual(tail[3], { type: "connect", client: "gina" });
  assert.ok(logs.some((l) => /^gina \(127\.0\.0\.1:\d+\): replaced by a new connection/.test(l)));
  // Another process (another session id) asking for the name gets a suffix.
  const other = await PadlinkConnection.open({
    ...base,
    session: crypto.getRandomValues(new Uint8Array(SESSION_ID_SIZE)),
  });
  assert.equal(other.name, "gina#2");
  // No session id at all: also a suffix, and nothing is replaced.
  const anonymous = await PadlinkConnection.open(base);
  assert.equal(anonymous.name, "gina#3");
  assert.equal(events.filter((e) => e.type === "disconnect").length, 1);
  for (const c of [fresh, other, anonymous]) assert.equal(await c.goodbye(), true);
});

Deno.test("a stall of the server's own event loop is not taken for a silent client", async () => {
  const events: ServerEvent[] = [];
  await using server = await PadlinkServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: null,
    timeoutMs: 300,
    heartbeatMs: 50,
    onEvent: (event) => events.push(event),
  });
  // Another process joins and sends a heartbeat every 20 ms, whatever happens.
  const code = `
    import { rawJoin } from ${JSON.stringify(new URL("./_fault_util.ts", import.meta.url).href)};
    const { conn } = await rawJoin(${server.addr.port}, "busy", null);
    console.log("joined");
    for (let i = 0; i < 500; i++) {
      await conn.write(new Uint8Array([0, 0]));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }`;
  const peer = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = peer.stdout.getReader();
    await reader.read(); // "joined"
    reader.releaseLock();
    await waitUntil(() => events.some((e) => e.type === "connect"));
    // Block this process for three timeouts while the peer keeps talking.
    const until = performance.now() + 1000;
    while (performance.now() < until) { /* busy */ }
    await sleep(400);
    assert.deepEqual(events.filter((e) => e.type === "disconnect"), []);
  } finally {
    peer.kill("SIGKILL");
    await peer.status;
    await peer.stdout.cancel();
  }
  await waitUntil(() => events.some((e) => e.type === "disconnect"));
});

async function waitUntil(test: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await sleep(5);
  }
}

Deno.test("limits: an oversize length prefix or a bad frame closes only that connection, with a log line naming the peer", async () => {
  // A long timeout: the well-behaved raw connection below sends no heartbeats.
  await using server = await startServer(["--no-auth", "--timeout", "60000"]);
  // Before any handshake: a length prefix over the 4096-byte maximum.
  const raw = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const rawPeer = `127.0.0.1:${(raw.localAddr as Deno.NetAddr).port}`;
  try {
    await raw.write(new Uint8Array([0xff, 0xff, 1, 2, 3]));
    assert.notEqual(await waitClosed(raw, 5000), "timeout");
  } finally {
    raw.close();
  }
  await server.stderr.waitFor(
    (l) => l.includes(rawPeer) && /frame of 65535 bytes .*4096/i.test(l),
    { what: `a log line naming ${rawPeer} and the oversize frame` },
  );
  // After the handshake: an unknown message type, and an oversize frame.
  const good = await rawJoin(server.port, "steady", null);
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "badtype",
      encodeFrame(new Uint8Array([0x3f])),
      /protocol error: unexpected message type 0x3f/,
    ],
    ["huge", new Uint8Array([0x10, 0x01]), /framing error: .*4097.*4096/],
    [
      "nopad",
      encodeFrame(new Uint8Array([MessageType.BUTTON_DOWN, 0, 0])),
      /protocol error: input for pad 0, which is not attached/,
    ],
  ];
  try {
    for (const [name, bytes, reason] of cases) {
      const bad = await rawJoin(server.port, name, null);
      const peer = `127.0.0.1:${(bad.conn.localAddr as Deno.NetAddr).port}`;
      try {
        await bad.conn.write(bytes);
        assert.notEqual(await waitClosed(bad.conn, 5000), "timeout", name);
      } finally {
        bad.conn.close();
      }
      const gone = await server.waitEvent({ type: "disconnect", client: name });
      assert.match(String(gone.event.reason), reason);
      const log = await server.stderr.waitFor((l) => l.includes(`${name} (${peer})`), {
        what: `a log line for ${name}`,
      });
      assert.match(log.text, reason);
    }
    // The well-behaved connection is still served: it answers a ping.
    await good.conn.write(encodePing(MessageType.PING, 77));
    const frames = await readFrames(good.conn, 1);
    assert.deepEqual([...frames[0]!], [MessageType.PONG, 0, 0, 0, 77]);
    assert.equal(server.events().filter((e) => e.type === "disconnect").length, 3);
  } finally {
    good.conn.close();
  }
});

Deno.test("limits: --max-clients refuses the next client and tells it why", async () => {
  const file = await writeReplay(holdingReplay());
  try {
    await using server = await startServer(["--max-clients", "1"]);
    await using first = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "first"),
      "--replay",
      file,
    ]);
    await server.waitEvent(HELD_KEY);
    const second = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "second"),
      "--replay",
      file,
    ]);
    const status = await second.exit();
    assert.equal(status.code, 1);
    assert.match(
      second.stderr.text.trim(),
      /^padlink-client: the server at 127\.0\.0\.1:\d+ refused the connection: server is full \(1 client\)$/,
    );
    await server.stderr.waitFor((l) => /refused: server is full \(1 client\)/.test(l));
    assert.ok(!server.events().some((e) => e.client === "second"));
    first.kill("SIGTERM");
    assert.equal((await first.exit()).code, 143);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("limits: a connection that never completes its handshake is dropped within a few seconds", async () => {
  await using server = await startServer();
  const conns = await Promise.all(
    Array.from({ length: 5 }, () => Deno.connect({ hostname: "127.0.0.1", port: server.port })),
  );
  const start = performance.now();
  try {
    // One sends nothing, one half a frame, one heartbeats only, one a JOIN cut short.
    await conns[1]!.write(new Uint8Array([0, 40, 2, 1]));
    await conns[2]!.write(new Uint8Array([0, 0, 0, 0]));
    await conns[3]!.write(new Uint8Array([0, 20, MessageType.JOIN, 1, 0, 3, 0x61]));
    const ends = await Promise.all(conns.map((c) => waitClosed(c, 6000)));
    const elapsed = performance.now() - start;
    console.log(
      `measured: idle connection dropped by the 3000 ms deadline after ${elapsed.toFixed(0)} ms`,
    );
    assert.ok(ends.every((e) => e !== "timeout"), ends.join());
  } finally {
    for (const c of conns) c.close();
  }
  await server.stderr.waitFor(
    () =>
      server.stderr.lines.filter((l) => l.includes("handshake not completed within 3000 ms"))
        .length === 5,
    { what: "five handshake-deadline log lines" },
  );
  assert.equal(server.events().length, 1, "nothing but listening is reported");
});

Deno.test("limits: a peer that floods pings and never reads is dropped, not buffered", async () => {
  await using server = await startServer(["--no-auth"]);
  const { conn } = await rawJoin(server.port, "sponge", null);
  // 16 frames of 819 PINGs each: every PING asks for a 7-byte PONG.
  const frame = new Uint8Array(2 + 819 * 5);
  frame[0] = 0x0f;
  frame[1] = 0xff;
  for (let i = 0; i < 819; i++) frame.set(encodePing(MessageType.PING, i).subarray(2), 2 + i * 5);
  const chunk = new Uint8Array(frame.length * 16);
  for (let i = 0; i < 16; i++) chunk.set(frame, i * frame.length);
  let sent = 0;
  let ended: string | null = null;
  const deadline = performance.now() + 20000;
  try {
    // Bounded: at most 512 MiB or 20 s; the server must give up long before.
    while (sent < 512 * 1024 * 1024 && performance.now() < deadline) {
      try {
        sent += await conn.write(chunk);
      } catch (error) {
        ended = (error as Error).name;
        break;
      }
    }
  } finally {
    conn.close();
  }
  console.log(
    `measured: a non-reading peer was dropped after it sent ${(sent / 1e6).toFixed(1)} MB`,
  );
  assert.ok(ended !== null, `still connected after sending ${sent} bytes`);
  const gone = await server.waitEvent({ type: "disconnect", client: "sponge" });
  // The control-message budget (100 a second, bursts of 50) ends it long
  // before the queue for the PONGs it never reads could fill.
  assert.match(
    String(gone.event.reason),
    /^protocol error: more than 100 control messages a second \(PING, PONG, heartbeats, clock replies\)$/,
  );
  // The server is still fine for others.
  const next = await rawJoin(server.port, "next", null);
  next.conn.close();
});

Deno.test("a client refused at reconnect time because of a wrong token stops with a clear line", async () => {
  // The first server accepts; the restarted one has another token.
  const file = await writeReplay(holdingReplay());
  try {
    const first = await startServer(["--token", "first-token-1111"]);
    const port = first.port;
    await using client = spawnEntrypoint("client.ts", [
      ...clientArgs(first, "hank"),
      "--replay",
      file,
    ]);
    {
      await using _first = first;
      await first.waitEvent(HELD_KEY);
      first.kill("SIGKILL");
      await first.exit();
    }
    await using _second = await startServer(["--token", "other-token-2222"], { port });
    const status = await client.exit(15000);
    assert.equal(status.code, 1);
    assert.match(client.stderr.text, /stopped: .*refused the token/);
  } finally {
    await Deno.remove(file);
  }
});
