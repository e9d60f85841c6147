/**
 * End-to-end: replays of any size arrive complete and in order, and the
 * client's exit status says whether they did, through the real `client.ts`
 * and `server.ts` processes.
 */

import assert from "node:assert/strict";
import { checkButtonOutput, startServerToFile, waitForLines, writeButtonReplay } from "./_bulk.ts";
import { Lines, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { entrypointCommand, killQuietly } from "../tools/_spawn.ts";
import { withDeadline } from "../lib/net/deadline.ts";

const MILLION = 1_000_000;

Deno.test("replay: 1,000,000 button events at t 0 arrive complete and in order, exit 0", async () => {
  const file = await writeButtonReplay(MILLION);
  const output = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await using server = await startServerToFile(output);
    const started = performance.now();
    const client = spawnEntrypoint("client.ts", [
      "--port",
      String(server.port),
      "--name",
      "bulk",
      "--replay",
      file,
    ]);
    const status = await client.exit(120_000);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(status.code, 0, client.stderr.text);
    // The server's stdout writer may still be catching up: stop it once the disconnect is out.
    assert.equal(await waitForLines(output, '"type":"disconnect"', 1), 1);
    await server.stop();
    console.log(
      `measured: 1,000,000-event replay, client start to confirmed exit: ${seconds.toFixed(2)} s`,
    );
    const results = await checkButtonOutput(output, ["bulk"], MILLION);
    assert.deepEqual(results.get("bulk"), { inOrder: MILLION, firstWrong: null });
  } finally {
    await Deno.remove(file);
    await Deno.remove(output);
  }
});

Deno.test("replay: a stdout pipe read slowly but steadily sets the pace; 300,000 events arrive, no gap", async () => {
  const count = 300_000;
  const file = await writeButtonReplay(count);
  const output = await Deno.makeTempFile({ suffix: ".jsonl" });
  const server = entrypointCommand("server.ts", [
    "--json",
    "--no-auth",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
  ], { stdout: "piped" }).spawn();
  const stderr = new Lines(server.stderr);
  const reader = server.stdout.getReader();
  const sink = await Deno.open(output, { write: true });
  let client: ReturnType<typeof spawnEntrypoint> | null = null;
  try {
    // The reader takes a pipe's worth at a time and then pauses 5 ms: some 10 MB/s, a
    // tenth of what the server can write, so without flow control the default queue of
    // 100,000 would overflow within the burst.
    const decoder = new TextDecoder();
    let tail = "";
    let port = 0;
    const deadline = performance.now() + 60_000;
    let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
    while (performance.now() < deadline) {
      // A read that outlives the deadline is kept for the drain below, so no chunk is lost.
      pending ??= reader.read();
      const chunk = await withDeadline(pending, deadline - performance.now(), () => null);
      if (chunk === null) break;
      pending = null;
      if (chunk.done) break;
      await sink.write(chunk.value);
      tail = (tail + decoder.decode(chunk.value, { stream: true })).slice(-4096);
      if (port === 0) {
        port = Number(/"port":(\d+)/.exec(tail)?.[1] ?? 0);
        if (port !== 0) {
          client = spawnEntrypoint("client.ts", [
            "--port",
            String(port),
            "--name",
            "paced",
            "--replay",
            file,
          ]);
        }
      }
      if (tail.includes('"type":"disconnect"')) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(client, `the server printed no listening line:\n${stderr.text}`);
    const status = await client.exit(60_000);
    assert.equal(status.code, 0, client.stderr.text);
    killQuietly(server, "SIGTERM");
    // The server exits within 2 s of SIGTERM, whatever is queued, and its stdout ends.
    for (let chunk = await (pending ?? reader.read()); !chunk.done; chunk = await reader.read()) {
      await sink.write(chunk.value);
    }
    assert.equal((await server.status).code, 0, stderr.text);
    const text = await Deno.readTextFile(output);
    assert.ok(!text.includes('"type":"gap"'), "a reader that keeps reading loses nothing");
    const results = await checkButtonOutput(output, ["paced"], count);
    assert.deepEqual(results.get("paced"), { inOrder: count, firstWrong: null });
  } finally {
    await client?.[Symbol.asyncDispose]();
    killQuietly(server, "SIGKILL");
    await server.status;
    await reader.cancel().catch(() => {});
    await stderr.done;
    sink.close();
    await Deno.remove(file);
    await Deno.remove(output);
  }
});

Deno.test("replay: 20 clients of 200,000 events each at once all complete, in order, exit 0", async () => {
  const clients = 20;
  const each = 200_000;
  // Each client bursts 3 s after it connected, so that every handshake is done before the
  // bursts (which then all overlap): the server gives a handshake 3 s, and on a saturated
  // 2-core machine a late JOIN can wait that long behind 19 bursts.
  const file = await writeButtonReplay(each, 3000);
  const output = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    // --timeout 10000, as the bench's throughput rows use a long one: a server reading 20
    // bursts in turn at full load, on a shared 2-core machine, can leave one client's socket
    // unread for over the default second and then drop that client as silent. That is the
    // server's timeout at saturation, not what this test is about: the clients' own waits.
    await using server = await startServerToFile(output, [
      "--max-clients",
      String(clients),
      "--timeout",
      "10000",
    ]);
    const names = Array.from({ length: clients }, (_, i) => `c${i}`);
    const started = performance.now();
    const procs = names.map((name) =>
      spawnEntrypoint("client.ts", [
        "--port",
        String(server.port),
        "--name",
        name,
        "--replay",
        file,
      ])
    );
    const statuses = await Promise.all(procs.map((p) => p.exit(180_000)));
    const seconds = (performance.now() - started) / 1000;
    for (const [i, status] of statuses.entries()) {
      assert.equal(
        status.code,
        0,
        `${names[i]}: ${procs[i]!.stderr.text}\nserver: ${server.stderr.text}`,
      );
    }
    assert.equal(await waitForLines(output, '"type":"disconnect"', clients), clients);
    await server.stop();
    console.log(`measured: 20 × 200,000-event replays at once: ${seconds.toFixed(2)} s`);
    const results = await checkButtonOutput(output, names, each);
    for (const name of names) {
      assert.deepEqual(results.get(name), { inOrder: each, firstWrong: null }, name);
    }
  } finally {
    await Deno.remove(file);
    await Deno.remove(output);
  }
});

Deno.test("replay: events lost across a server restart give exit 1 and their count in one line; each reconnect attempt is one short line", async () => {
  // One event every 5 ms for 3 s; the server dies early on and is back 600 ms later.
  const events: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 0, attached: true, name: "P" },
  ];
  for (let k = 0; k < 600; k++) {
    events.push({ t: 5 * k + 1, type: "button", pad: 0, button: "a", pressed: k % 2 === 0 });
  }
  const file = await writeReplay(events);
  try {
    const first = await startServer(["--no-auth"]);
    const port = first.port;
    const client = spawnEntrypoint("client.ts", [
      "--port",
      String(port),
      "--name",
      "restart",
      "--replay",
      file,
    ]);
    await first.stdout.waitFor((l) => l.includes('"button"'), {
      timeoutMs: 10_000,
      what: "the first button",
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    first.kill("SIGKILL");
    await first.exit();
    await client.stderr.waitFor((l) => l.includes("connection lost"), {
      timeoutMs: 5000,
      what: "the lost line",
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    const second = spawnEntrypoint("server.ts", [
      "--json",
      "--no-auth",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
    ]);
    await using _second = second;
    const status = await client.exit(30_000);
    assert.equal(status.code, 1, client.stderr.text);
    const lines = client.stderr.lines.filter((l) => l !== "");
    const lost = lines.filter((l) => / lost across reconnects/.test(l));
    assert.equal(lost.length, 1, client.stderr.text);
    const count = Number(
      /^padlink-client: (\d+) events? lost across reconnects/.exec(lost[0]!)?.[1],
    );
    assert.ok(count >= 1 && count <= events.length, lost[0]);
    assert.match(lines.find((l) => l.includes("connection lost"))!, /; reconnecting in \d+\.\d s$/);
    const attempts = lines.filter((l) => l.includes("reconnect attempt"));
    assert.ok(attempts.length >= 1, client.stderr.text);
    for (const line of attempts) {
      assert.match(
        line,
        /^padlink-client: reconnect attempt \d+ failed \([^)]+\); next in \d+\.\d s$/,
      );
      assert.ok(line.length <= 100, `too long: ${line}`);
    }
    assert.ok(lines.some((l) => /reconnected to .* as restart/.test(l)), client.stderr.text);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("replay -: stdin is a stream, each line sent as it arrives; exit 0 at its end", async () => {
  await using server = await startServer(["--no-auth"]);
  await using client = spawnEntrypoint(
    "client.ts",
    ["--port", String(server.port), "--name", "live", "--replay", "-"],
    { stdin: "piped" },
  );
  const writer = client.child.stdin.getWriter();
  const encoder = new TextEncoder();
  await writer.write(encoder.encode('{"type":"pad","pad":2,"attached":true,"name":"Live"}\n'));
  await server.stdout.waitFor((l) => l.includes('"pad"'), {
    timeoutMs: 10_000,
    what: "the pad, before stdin ends",
  });
  // A line in two pieces, the key without its scancode.
  await writer.write(encoder.encode('{"type":"key","key":"Up",'));
  await writer.write(encoder.encode('"pressed":true}\n'));
  await server.stdout.waitFor((l) => l.includes('"key"'), {
    timeoutMs: 10_000,
    what: "the key, before stdin ends",
  });
  await writer.write(encoder.encode('{"type":"button","pad":2,"button":"x","pressed":true}\n'));
  await writer.close();
  assert.equal((await client.exit()).code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  const got = server.events().filter((e) => ["pad", "button", "key"].includes(e.type as string));
  assert.deepEqual(got.slice(0, 3), [
    { type: "pad", client: "live", pad: 2, attached: true, name: "Live" },
    { type: "key", client: "live", key: "Up", scancode: "Up", pressed: true },
    { type: "button", client: "live", pad: 2, button: "x", pressed: true },
  ]);
});

Deno.test("replay -: a bad line stops the stream with its line number, after the lines before it", async () => {
  await using server = await startServer(["--no-auth"]);
  await using client = spawnEntrypoint(
    "client.ts",
    ["--port", String(server.port), "--name", "oops", "--replay", "-"],
    { stdin: "piped" },
  );
  const writer = client.child.stdin.getWriter();
  const encoder = new TextEncoder();
  await writer.write(encoder.encode('{"type":"pad","pad":0,"attached":true}\n\n'));
  await writer.write(encoder.encode('{"type":"button","pad":0,"button":"a","pressed":true}\n'));
  await server.stdout.waitFor((l) => l.includes('"button"'), {
    timeoutMs: 10_000,
    what: "the press",
  });
  await writer.write(encoder.encode('{"type":"button","pad":0,"button":"q","pressed":true}\n'));
  const status = await client.exit();
  await writer.close().catch(() => {});
  assert.equal(status.code, 2, client.stderr.text);
  const errors = client.stderr.lines.filter((l) => l.startsWith("padlink-client: --replay"));
  assert.equal(errors.length, 1, client.stderr.text);
  assert.match(errors[0]!, /^padlink-client: --replay -: line 4: "button" must be one of a b x/);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  // The press that was sent is released by the goodbye.
  const buttons = server.events().filter((e) => e.type === "button");
  assert.deepEqual(buttons.map((e) => e.pressed), [true, false]);
});

Deno.test("replay -: Ctrl-C while standard input is silent releases, says goodbye, exits 130", async () => {
  await using server = await startServer(["--no-auth"]);
  await using client = spawnEntrypoint(
    "client.ts",
    ["--port", String(server.port), "--name", "quiet", "--replay", "-"],
    { stdin: "piped" },
  );
  await client.writeLine('{"type":"pad","pad":0,"attached":true}');
  await client.writeLine('{"type":"button","pad":0,"button":"b","pressed":true}');
  await server.waitEvent({ type: "button", pressed: true });
  // Standard input stays open and says nothing more.
  client.kill("SIGINT");
  assert.equal((await client.exit()).code, 130, client.stderr.text);
  const end = await server.waitEvent({ type: "disconnect", client: "quiet" });
  assert.equal(end.event.reason, "client quit: interrupted");
  const buttons = server.events().filter((e) => e.type === "button").map((e) => e.pressed);
  assert.deepEqual(buttons, [true, false]);
});
