/**
 * A live server under well over 1,000 hostile connections — garbage, huge
 * length prefixes, half frames, input before any handshake, mutated and
 * badly signed JOINs, connections that never say anything, and peers that
 * never read — while a real client's replay still arrives complete and in
 * order.
 */

import assert from "node:assert/strict";
import { newNonce } from "../lib/trust/auth.ts";
import { encodeFrame } from "../lib/wire/frame.ts";
import {
  decodeRefuse,
  encodeJoin,
  encodePing,
  MessageType,
  PROTOCOL_VERSION,
  RefuseCode,
} from "../lib/wire/protocol.ts";
import { clientArgs, rawJoin, readFrames, waitClosed } from "./_fault_util.ts";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { rssKiB } from "../bench/_proc_stat.ts";
import { mulberry32 } from "../lib/wire/_test_random.ts";

/** Deterministic random numbers, so a failure can be replayed. */
const prng = mulberry32;

const SEED = Number(Deno.env.get("PADLINK_FUZZ_SEED") ?? 0x5eed);
const random = prng(SEED);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => (random() * 256) | 0);

/** A replay of `count` changes, one every `stepMs`: buttons, a stick and a key. */
function busyReplay(count: number, stepMs: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Steady Pad" },
  ];
  for (let i = 0; i < count; i++) {
    const t = i * stepMs;
    const round = Math.floor(i / 3);
    if (i % 3 === 0) {
      events.push({ t, type: "button", pad: 0, button: "x", pressed: round % 2 === 0 });
    } else if (i % 3 === 1) {
      events.push({ t, type: "axis", pad: 0, axis: "lefty", value: ((round % 199) - 99) / 100 });
    } else {
      events.push({ t, type: "key", key: "Space", scancode: "Space", pressed: round % 2 === 0 });
    }
  }
  return events;
}

type Outcome = "eof" | "reset" | "timeout" | "refused";

interface Hostile {
  kind: string;
  /** Longest the server may take to drop it, in ms. */
  limitMs: number;
  run(conn: Deno.TcpConn): Promise<Outcome | string>;
}

/** Write, then half-close so the server sees EOF after the bytes. */
async function writeAndEnd(conn: Deno.TcpConn, bytes: Uint8Array): Promise<Outcome> {
  try {
    await conn.write(bytes);
    await conn.closeWrite();
  } catch {
    return "reset";
  }
  return await waitClosed(conn, 5000);
}

async function joinAndExpectRefusal(
  conn: Deno.TcpConn,
  proof: Uint8Array,
  code: number,
): Promise<Outcome | string> {
  const [hello] = await readFrames(conn, 1);
  if (!hello) return "no HELLO";
  await conn.write(encodeJoin({
    version: PROTOCOL_VERSION,
    flags: 0,
    name: "mallory",
    nonce: newNonce(),
    proof,
  }));
  const [reply] = await readFrames(conn, 1);
  // Past the cap on wrong tokens waiting for their (delayed) REFUSE, the
  // server drops the connection without an answer.
  if (!reply && code === RefuseCode.TOKEN_WRONG) return await waitClosed(conn, 5000);
  if (!reply || reply[0] !== MessageType.REFUSE) return "no REFUSE";
  const refuse = decodeRefuse(reply);
  if (refuse.code !== code) return `REFUSE code ${refuse.code}, wanted ${code}`;
  const end = await waitClosed(conn, 5000);
  return end === "timeout" ? end : "refused";
}

const FAST: Hostile[] = [
  {
    kind: "garbage",
    limitMs: 5000,
    run: (conn) => writeAndEnd(conn, randomBytes(1 + Math.floor(random() * 600))),
  },
  {
    kind: "huge length prefix",
    limitMs: 5000,
    run: async (conn) => {
      try {
        await conn.write(new Uint8Array([0xff, 0xff, ...randomBytes(30)]));
      } catch {
        return "reset";
      }
      return await waitClosed(conn, 5000); // No half-close: the server must act on its own.
    },
  },
  {
    kind: "half frame",
    limitMs: 5000,
    run: (conn) => writeAndEnd(conn, new Uint8Array([0x01, 0x00, ...randomBytes(40)])),
  },
  {
    kind: "input before the handshake",
    limitMs: 5000,
    run: (conn) =>
      writeAndEnd(
        conn,
        encodeFrame(
          new Uint8Array([MessageType.PAD_ATTACH, 0, 0, MessageType.BUTTON_DOWN, 0, 0]),
        ),
      ),
  },
  {
    kind: "JOIN with a wrong token",
    limitMs: 5000,
    run: (conn) => joinAndExpectRefusal(conn, randomBytes(32), RefuseCode.TOKEN_WRONG),
  },
  {
    kind: "JOIN without a token",
    limitMs: 5000,
    run: (conn) => joinAndExpectRefusal(conn, new Uint8Array(0), RefuseCode.TOKEN_REQUIRED),
  },
  {
    kind: "mutated JOIN",
    limitMs: 5000,
    run: (conn) => {
      const join = encodeJoin({
        version: PROTOCOL_VERSION,
        flags: 0,
        name: "mallory",
        nonce: newNonce(),
        proof: randomBytes(32),
      });
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        join[2 + Math.floor(random() * (join.length - 2))]! ^= 1 << Math.floor(random() * 8);
      }
      return writeAndEnd(conn, join);
    },
  },
];

const IDLE: Hostile[] = [
  { kind: "idle", limitMs: 6000, run: (conn) => waitClosed(conn, 6000) },
  {
    kind: "half frame, then idle",
    limitMs: 6000,
    run: async (conn) => {
      await conn.write(new Uint8Array([0x00, 0x30, MessageType.JOIN, 1]));
      return await waitClosed(conn, 6000);
    },
  },
];

/** Open one hostile connection; returns a problem, or null when it ended as it should. */
async function attack(port: number, hostile: Hostile): Promise<string | null> {
  const start = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const outcome = await hostile.run(conn);
    const elapsed = performance.now() - start;
    if (!["eof", "reset", "refused"].includes(outcome)) return `${hostile.kind}: ${outcome}`;
    if (elapsed > hostile.limitMs) return `${hostile.kind}: dropped only after ${elapsed} ms`;
    return null;
  } catch (error) {
    return `${hostile.kind}: ${(error as Error).message}`;
  } finally {
    conn.close();
  }
}

/** A joined peer that floods PINGs and never reads the PONGs. */
async function sink(conn: Deno.TcpConn, name: string): Promise<string | null> {
  const frame = new Uint8Array(2 + 819 * 5);
  frame.set([0x0f, 0xff]);
  for (let i = 0; i < 819; i++) frame.set(encodePing(MessageType.PING, i).subarray(2), 2 + i * 5);
  let sent = 0;
  try {
    while (sent < 256 * 1024 * 1024) sent += await conn.write(frame);
    return `${name}: never dropped after ${sent} bytes`;
  } catch {
    return null;
  } finally {
    conn.close();
  }
}

Deno.test("1,100 hostile connections against a live server; a real client's replay arrives complete and in order", async () => {
  const replay = busyReplay(900, 8); // About 7 s of input.
  const file = await writeReplay(replay);
  try {
    await using server = await startServer();
    const rssBefore = rssKiB(server.pid);
    await using client = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "steady"),
      "--replay",
      file,
    ]);
    await server.waitEvent({ type: "connect", client: "steady" });
    const sinkConns = [];
    for (let i = 0; i < 4; i++) {
      sinkConns.push(await rawJoin(server.port, `sink${i}`, server.token));
    }

    const problems: string[] = [];
    let attacks = 0;
    const fast = (async () => {
      // 900 quick ones, 50 at a time.
      for (let batch = 0; batch < 18; batch++) {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => attack(server.port, FAST[(batch * 50 + i) % 7]!)),
        );
        attacks += results.length;
        problems.push(...results.filter((p) => p !== null));
      }
    })();
    const idle = (async () => {
      // 200 that never finish a handshake, 100 at a time (each waits out the deadline).
      for (let batch = 0; batch < 2; batch++) {
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => attack(server.port, IDLE[i % 2]!)),
        );
        attacks += results.length;
        problems.push(...results.filter((p) => p !== null));
      }
    })();
    // All at once: a sink left waiting would (rightly) be timed out for silence instead.
    const sinks = Promise.all(sinkConns.map(async ({ conn, name }) => {
      const problem = await sink(conn, name);
      attacks++;
      if (problem) problems.push(problem);
    }));
    await Promise.all([fast, idle, sinks]);
    const rssAfter = rssKiB(server.pid);
    console.log(
      `measured: ${attacks} hostile connections; server RSS ${
        (rssBefore / 1024).toFixed(0)
      } MiB before, ${(rssAfter / 1024).toFixed(0)} MiB after`,
    );
    assert.deepEqual(problems, []);
    assert.ok(attacks >= 1000, `only ${attacks} hostile connections`);

    const status = await client.exit(30000);
    assert.equal(
      status.code,
      0,
      `${client.stderr.text}\n${
        server.stdout.lines.filter((l) => l.includes("disconnect")).join("\n")
      }`,
    );
    await server.waitEvent({ type: "disconnect", client: "steady" });
    const got = server.events().filter((e) => e.client === "steady" && e.type !== "connect")
      .filter((e) => e.type !== "disconnect")
      .map(({ client: _, ...e }) => e);
    const want = replay.map(({ t: _, ...e }) => e);
    // The client releases nothing at the end: the replay ends with x up, space up.
    assert.deepEqual(got.slice(0, want.length), want);
    assert.deepEqual(got.slice(want.length), [
      { type: "axis", pad: 0, axis: "lefty", value: 0 },
      { type: "pad", pad: 0, attached: false },
    ]);

    // Nothing from any hostile connection was reported but the sinks' own sessions.
    const others = server.events().filter((e) =>
      e.type !== "listening" && e.client !== "steady" && !/^sink\d$/.test(String(e.client))
    );
    assert.deepEqual(others, []);
    const sinkEnds = server.events().filter((e) =>
      e.type === "disconnect" && e.client !== "steady"
    );
    assert.equal(sinkEnds.length, 4);
    for (const end of sinkEnds) {
      assert.match(String(end.reason), /more than \d+ control messages a second/);
    }
    // Bad frames were logged with the peer and the reason.
    const logged = server.stderr.lines.filter((l) =>
      /^padlink-server: 127\.0\.0\.1:\d+: .*(frame|protocol error|handshake|refused|wrong token)/
        .test(l)
    );
    assert.ok(logged.length >= 500, `only ${logged.length} log lines:\n${server.stderr.text}`);
  } finally {
    await Deno.remove(file);
  }
});
