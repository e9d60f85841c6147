/**
 * End-to-end: replay files as people write them, through the real
 * `client.ts` and `server.ts` processes: key lines without a scancode, and
 * a server's own `--json` capture replayed into another server.
 */

import assert from "node:assert/strict";
import { spawnEntrypoint, startServer, withoutTime, writeReplay } from "./_util.ts";

const INPUT_TYPES = ["pad", "button", "axis", "key"];

/** The input lines a server printed, parsed, with `t`. */
function inputLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((e) =>
    INPUT_TYPES.includes(e.type)
  );
}

function replayArgs(port: number, name: string, file: string, ...more: string[]): string[] {
  return ["--port", String(port), "--name", name, "--replay", file, ...more];
}

Deno.test("replay: key lines without scancode get SDL's scancode of the same name", async () => {
  const file = await writeReplay([
    { type: "key", key: "Up", pressed: true },
    { type: "key", key: "Left Shift", pressed: true },
    { t: 5, type: "key", key: "Space", pressed: true },
    { t: 5, type: "key", key: "a", pressed: true },
  ]);
  await using server = await startServer(["--no-auth"]);
  const client = spawnEntrypoint("client.ts", replayArgs(server.port, "typist", file));
  assert.equal((await client.exit()).code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  const pressed = server.events().filter((e) => e.type === "key" && e.pressed);
  assert.deepEqual(pressed.map((e) => [e.key, e.scancode]), [
    ["Up", "Up"],
    ["Left Shift", "Left Shift"],
    ["Space", "Space"],
    ["a", "A"],
  ]);
  await Deno.remove(file);
});

Deno.test("replay: a server's --json capture replays into another server as the same events, with its timing", async () => {
  const session: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 3, attached: true, name: "Captured Pad" },
    { t: 10, type: "button", pad: 3, button: "a", pressed: true },
    { t: 40, type: "axis", pad: 3, axis: "leftx", value: -0.25 },
    { t: 40, type: "key", key: "Up", scancode: "Up", pressed: true },
    { t: 80, type: "button", pad: 3, button: "a", pressed: false },
    // Left held: the goodbye's releases end up in the capture too.
    { t: 120, type: "button", pad: 3, button: "dpleft", pressed: true },
  ];
  const file = await writeReplay(session);
  await using first = await startServer(["--no-auth"]);
  const live = spawnEntrypoint("client.ts", replayArgs(first.port, "alice", file));
  assert.equal((await live.exit()).code, 0, live.stderr.text);
  await first.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  // The capture exactly as the server printed it: listening, connect, input with t, disconnect.
  const capture = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(capture, first.stdout.lines.join("\n") + "\n");

  await using second = await startServer(["--no-auth"]);
  const again = spawnEntrypoint("client.ts", replayArgs(second.port, "bob", capture));
  assert.equal((await again.exit()).code, 0, again.stderr.text);
  assert.match(
    again.stderr.text,
    /--replay .*: skipped 3 lines that are not input to replay \(listening 1, connect 1, disconnect 1\)/,
  );
  await second.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  const strip = (e: Record<string, unknown>) => {
    const { client: _client, ...rest } = withoutTime(e);
    return rest;
  };
  const before = inputLines(first.stdout.lines);
  const after = inputLines(second.stdout.lines);
  assert.ok(before.length >= session.length + 2, JSON.stringify(before));
  assert.deepEqual(after.map(strip), before.map(strip));
  // Timing kept: each event is sent no earlier than its capture time after the replay starts,
  // which is after the connect that the second server's t counts from.
  for (const [i, event] of after.entries()) {
    assert.ok(
      (event.t as number) >= (before[i]!.t as number) - 0.2,
      `event ${i}: t ${event.t} in the replay, ${before[i]!.t} in the capture`,
    );
  }
  assert.ok((before.at(-1)!.t as number) >= 120, `capture spans ${before.at(-1)!.t} ms`);
  await Deno.remove(file);
  await Deno.remove(capture);
});

Deno.test("replay: a capture of two clients is refused in one line unless --replay-client picks one", async () => {
  const capture = await writeReplay([
    { type: "listening", host: "127.0.0.1", port: 7175, auth: false, protocol: 1 },
    { type: "connect", client: "alice", addr: "127.0.0.1:5000" },
    { type: "connect", client: "bob", addr: "127.0.0.1:5001" },
    { type: "pad", client: "alice", t: 1, pad: 0, attached: true, name: "A" },
    { type: "pad", client: "bob", t: 2, pad: 5, attached: true, name: "B" },
    { type: "button", client: "bob", t: 3, pad: 5, button: "y", pressed: true },
  ]);
  await using server = await startServer(["--no-auth"]);
  const refused = spawnEntrypoint("client.ts", replayArgs(server.port, "x", capture));
  assert.equal((await refused.exit()).code, 2);
  const lines = refused.stderr.text.trim().split("\n");
  assert.equal(lines.length, 1, refused.stderr.text);
  assert.match(
    lines[0]!,
    /line 5: input of a second client, "bob", after "alice"; .*--replay-client/,
  );

  const picked = spawnEntrypoint(
    "client.ts",
    replayArgs(server.port, "x", capture, "--replay-client", "bob"),
  );
  assert.equal((await picked.exit()).code, 0, picked.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  const got = server.events().filter((e) => INPUT_TYPES.includes(e.type as string));
  assert.deepEqual(got.slice(0, 2), [
    { type: "pad", client: "x", pad: 5, attached: true, name: "B" },
    { type: "button", client: "x", pad: 5, button: "y", pressed: true },
  ]);
  await Deno.remove(capture);
});

Deno.test("replay: the note of skipped lines shows a captured client name's control characters escaped", async () => {
  // A capture of a hostile peer: its name and a line type carry a screen clear and a title set.
  const file = await writeReplay([
    { type: "connect", client: "evil\x1b[2J", addr: "127.0.0.1:1" },
    { type: "note\x1b]0;owned\x07" },
    { t: 0, type: "key", key: "Up", pressed: true },
  ]);
  await using server = await startServer(["--no-auth"]);
  const client = spawnEntrypoint("client.ts", replayArgs(server.port, "typist", file));
  assert.equal((await client.exit()).code, 0, client.stderr.text);
  const stderr = client.stderr.text;
  assert.match(
    stderr,
    /skipped 2 lines that are not input to replay \(connect 1, note\\x1b\]0;owned\\x07 1\)/,
  );
  assert.ok(!stderr.includes("\x1b"), JSON.stringify(stderr));
  await Deno.remove(file);
});
