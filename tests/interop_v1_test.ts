/**
 * Interoperation with a peer of the protocol's first release, both ways, over
 * real loopback sockets: the first-release side is played with frozen bytes
 * (`lib/wire/_test_v1.ts`), the current side is the library's real server and
 * client.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PadlinkConnection } from "../lib/client/client.ts";
import { PadlinkServer, type ServerEvent } from "../lib/server/server.ts";
import { withDeadline } from "../lib/net/deadline.ts";
import { RecordingSink } from "../lib/wire/_test_sink.ts";
import {
  V1_GOODBYE_FRAME,
  V1_HELLO_FRAME,
  V1_INPUT_FRAME,
  V1_JOIN_FRAME,
  V1_WELCOME_FRAME,
} from "../lib/wire/_test_v1.ts";
import {
  decodeHello,
  decodeJoin,
  encodeJoin,
  EXTENDED_TYPE_MIN,
  HELLO_FLAG_AUTH,
  JOIN_FLAG_CAPABILITIES,
  MessageType,
  SERVER_CAPABILITIES,
  SessionDecoder,
  V1_CLIENT_CAPABILITIES,
  V1_SERVER_CAPABILITIES,
} from "../lib/wire/protocol.ts";
import { readFrames } from "./_fault_util.ts";

/** The session types a first-release client accepted (it took RUMBLE and dropped it). */
const V1_CLIENT_ACCEPTED = [MessageType.GOODBYE, MessageType.PING, MessageType.PONG, 0x20];

async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 3000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("a first-release client joins a current server, sends input and gets only first-release messages", async () => {
  const events: ServerEvent[] = [];
  await using server = await PadlinkServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: null,
    onEvent: (event) => events.push(event),
  });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const [hello] = await readFrames(conn, 1);
  assert.ok(hello, "a HELLO");
  // What a first-release client checked: the magic, version 1, and only the auth bit.
  const greeting = decodeHello(hello);
  assert.equal(greeting.version, 1);
  assert.equal(greeting.flags & HELLO_FLAG_AUTH, 0);
  await conn.write(V1_JOIN_FRAME);
  const [welcome] = await readFrames(conn, 1);
  // Byte for byte the first release's WELCOME: nothing after the proof.
  assert.deepEqual(welcome, V1_WELCOME_FRAME.subarray(2));
  await conn.write(V1_INPUT_FRAME);
  await waitFor("the axis event", () => events.find((e) => e.type === "axis"));
  assert.deepEqual(
    events.filter((e) => e.type !== "listening" && e.type !== "connect").map((e) => {
      const { t: _t, ...rest } = e as ServerEvent & { t: number };
      return rest;
    }),
    [
      { type: "pad", client: "alice", pad: 0, attached: true, name: "Pad" },
      { type: "button", client: "alice", pad: 0, button: "a", pressed: true },
      { type: "axis", client: "alice", pad: 0, axis: "leftx", value: 0.5 },
    ],
  );
  // Feedback for a first-release client is refused, not sent to be dropped.
  for (
    const command of [
      { type: "rumble", client: "alice", pad: 0, low: 0.5, high: 0.5, ms: 100 },
      { type: "trigger_rumble", client: "alice", pad: 0, left: 0.5, right: 0.5, ms: 100 },
      { type: "led", client: "alice", pad: 0, rgb: "#ff8800" },
    ] as const
  ) {
    const result = await server.command(command);
    assert.ok(!result.ok);
    assert.match(result.error, /alice does not take .* commands \(its padlink-client is older/);
  }
  // Wait past two heartbeat intervals, then say goodbye: everything the server
  // sent meanwhile (heartbeats, pings) and its ACK must suit a first-release decoder.
  await new Promise((resolve) => setTimeout(resolve, 600));
  await conn.write(V1_GOODBYE_FRAME);
  const rest = await readFrames(conn, 1000, 3000); // until the server closes
  const decoder = new SessionDecoder(V1_CLIENT_ACCEPTED);
  const sink = new RecordingSink();
  for (const payload of rest) decoder.decode(payload, sink);
  assert.equal(decoder.skipped, 0, "no extended message reached a first-release client");
  assert.deepEqual(sink.events.at(-1), { type: "goodbye", code: 2, reason: "" });
  assert.ok(sink.events.every((e) => e.type === "ping" || e.type === "goodbye"));
});

Deno.test("a current client joins a first-release server and sends only first-release messages", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serverSide = (async () => {
    const conn = await listener.accept();
    try {
      await conn.write(V1_HELLO_FRAME);
      const [join] = await readFrames(conn, 1);
      assert.ok(join, "a JOIN");
      // The first release's layout: no capability flag, nothing after the proof.
      assert.equal(join[2]! & JOIN_FLAG_CAPABILITIES, 0);
      const decoded = decodeJoin(join);
      assert.equal(decoded.capabilities, undefined);
      assert.deepEqual(encodeJoin(decoded).subarray(2), join);
      await conn.write(V1_WELCOME_FRAME);
      // A first-release server took only first-release client messages.
      const decoder = new SessionDecoder(V1_CLIENT_CAPABILITIES.sends);
      const sink = new RecordingSink();
      while (!sink.events.some((e) => e.type === "goodbye")) {
        const frames = await readFrames(conn, 1, 3000);
        if (frames.length === 0) throw new Error("the client stopped before its GOODBYE");
        for (const payload of frames) {
          assert.ok(payload[0]! < EXTENDED_TYPE_MIN);
          decoder.decode(payload, sink);
        }
      }
      assert.equal(decoder.skipped, 0);
      await conn.write(Uint8Array.of(0, 3, MessageType.GOODBYE, 2, 0));
      return sink.events;
    } finally {
      conn.close();
    }
  })();
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
    name: "alice",
  });
  assert.equal(connection.name, "alice");
  assert.deepEqual(connection.serverCapabilities, V1_SERVER_CAPABILITIES);
  connection.send([
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "a", pressed: true },
    { type: "axis", pad: 0, axis: "leftx", value: 0.5 },
  ]);
  assert.equal(await connection.goodbye(), true);
  const received = await withDeadline(serverSide, 5000, () => {
    throw new Error("the first-release server did not finish");
  });
  // PINGs (a first-release type) may come between, depending on timing.
  assert.deepEqual(received.filter((e) => e.type !== "ping" && e.type !== "pong"), [
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "a", pressed: true },
    { type: "axis", pad: 0, axis: "leftx", value: 0.5 },
    { type: "goodbye", code: 0, reason: "" },
  ]);
});

Deno.test("a current client and server exchange capabilities in JOIN and WELCOME", async () => {
  await using server = await PadlinkServer.start({ hostname: "127.0.0.1", port: 0, token: null });
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: server.addr.port,
    name: "bob",
  });
  try {
    assert.deepEqual(connection.serverCapabilities, SERVER_CAPABILITIES);
  } finally {
    await connection.goodbye();
  }
});
