/**
 * End-to-end: the real `server.ts` and `client.ts` as processes on loopback,
 * with the permissions the compiled binaries get.
 */

import assert from "node:assert/strict";
import { BUTTON_NAMES } from "../lib/input/model.ts";
import { encodeHello } from "../lib/wire/protocol.ts";
import {
  assertOneLineError,
  compileFlags,
  ROOT,
  spawnEntrypoint,
  startServer,
  writeReplay,
} from "./_util.ts";

/** A session touching every button, every axis, and a few keys. */
function fullSession(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Xbox Series X Controller" },
    { t: 0, type: "pad", pad: 1, attached: true, name: "Second Pad" },
  ];
  let t = 1;
  for (const button of BUTTON_NAMES) {
    events.push({ t, type: "button", pad: 0, button, pressed: true });
    events.push({ t, type: "button", pad: 0, button, pressed: false });
    t++;
  }
  const axes: [string, number][] = [
    ["leftx", 0.52],
    ["lefty", -1],
    ["rightx", 1],
    ["righty", -0.3333],
    ["lefttrigger", 0.75],
    ["righttrigger", 1],
  ];
  for (const [axis, value] of axes) {
    events.push({ t, type: "axis", pad: 1, axis, value });
    events.push({ t: t + 1, type: "axis", pad: 1, axis, value: 0 });
    t += 2;
  }
  for (
    const [key, scancode] of [["Up", "Up"], ["A", "A"], ["Q", "A"], ["Left Shift", "Left Shift"]]
  ) {
    events.push({ t, type: "key", key, scancode, pressed: true });
    events.push({ t: t + 1, type: "key", key, scancode, pressed: false });
    t += 2;
  }
  events.push({ t, type: "button", pad: 1, button: "start", pressed: true });
  events.push({ t, type: "button", pad: 1, button: "start", pressed: false });
  events.push({ t, type: "pad", pad: 1, attached: false });
  events.push({ t, type: "pad", pad: 0, attached: false });
  return events;
}

/** The server's view of a replay event: no `t`, plus the client's name, in contract key order. */
function expected(event: Record<string, unknown>, client: string): Record<string, unknown> {
  const { t: _t, type, ...rest } = event;
  return { type, client, ...rest };
}

function inputEvents(events: Record<string, unknown>[], client: string) {
  return events.filter((e) =>
    e.client === client && ["pad", "button", "axis", "key"].includes(e.type as string)
  );
}

Deno.test("replay: the server's JSON lines match the replay file exactly", async () => {
  const session = fullSession();
  const file = await writeReplay(session);
  await using server = await startServer();
  const client = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "alice",
    "--token",
    server.token!,
    "--replay",
    file,
  ]);
  const status = await client.exit();
  assert.equal(status.code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  const events = server.events();
  const got = inputEvents(events, "alice");
  assert.deepEqual(got, session.map((e) => expected(e, "alice")));
  // Key order on the wire is the contract's, not just the same keys; `t` is ms since connect,
  // `latency_us` last (absent only before the first clock exchange).
  const firstButton = server.stdout.lines.find((l) => l.includes('"button"'))!;
  assert.match(
    firstButton,
    /^\{"type":"button","client":"alice","t":\d+(\.\d)?,"pad":0,"button":"a","pressed":true(,"latency_us":\d+)?\}$/,
  );
  const connect = events.find((e) => e.type === "connect")!;
  assert.equal(connect.client, "alice");
  assert.match(String(connect.addr), /^127\.0\.0\.1:\d+$/);
  const disconnect = events.at(-1)!;
  assert.equal(disconnect.type, "disconnect");
  assert.match(String(disconnect.reason), /client quit/);
  await Deno.remove(file);
});

Deno.test("two clients at once with the same name get distinct names and complete streams", async () => {
  // A late last event keeps both clients connected at the same time, however loaded the machine.
  const session = [...fullSession(), {
    t: 1500,
    type: "pad",
    pad: 2,
    attached: true,
    name: "Late",
  }];
  const file = await writeReplay(session);
  await using server = await startServer(["--no-auth"]);
  const clients = [0, 1].map(() =>
    spawnEntrypoint("client.ts", [
      "--port",
      String(server.port),
      "--name",
      "alice",
      "--replay",
      file,
    ])
  );
  const statuses = await Promise.all(clients.map((c) => c.exit()));
  for (const [i, status] of statuses.entries()) {
    assert.equal(status.code, 0, clients[i]!.stderr.text);
  }
  await server.stdout.waitFor(
    () => server.events().filter((e) => e.type === "disconnect").length === 2,
    { timeoutMs: 5000, what: "two disconnects" },
  );
  const events = server.events();
  const names = events.filter((e) => e.type === "connect").map((e) => e.client).sort();
  assert.deepEqual(names, ["alice", "alice#2"]);
  for (const name of names as string[]) {
    // Everything sent, in order, then the server's own release of the pad left attached.
    assert.deepEqual(inputEvents(events, name), [
      ...session.map((e) => expected(e, name)),
      { type: "pad", client: name, pad: 2, attached: false },
    ]);
  }
  await Deno.remove(file);
});

Deno.test("human output prints one readable line per event", async () => {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 0, type: "axis", pad: 0, axis: "leftx", value: 0.52 },
    { t: 0, type: "key", key: "Up", scancode: "Up", pressed: true },
  ]);
  const server = spawnEntrypoint("server.ts", ["--host", "127.0.0.1", "--port", "0", "--no-auth"]);
  await using _server = server;
  const listening = await server.stdout.waitFor((l) => l.startsWith("listening on"));
  const port = listening.text.match(/:(\d+) /)![1]!;
  const client = spawnEntrypoint("client.ts", [
    "--port",
    port,
    "--name",
    "alice",
    "--replay",
    file,
  ]);
  assert.equal((await client.exit()).code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes("disconnected"));
  for (
    const line of [
      "alice pad0 A pressed",
      "alice pad0 left stick x 0.52",
      "alice key Up pressed",
      "alice key Up released",
      "alice pad0 A released",
    ]
  ) {
    assert.ok(server.stdout.lines.includes(line), `missing "${line}" in:\n${server.stdout.text}`);
  }
  await Deno.remove(file);
});

/** Assert a failed run printed exactly one line, no stack trace, matching `pattern`. */
Deno.test("client: a wrong token is refused with a line that says token", async () => {
  const file = await writeReplay([{ t: 0, type: "pad", pad: 0, attached: true, name: "P" }]);
  await using server = await startServer();
  const client = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--token",
    "wrong-token-0000",
    "--replay",
    file,
  ]);
  const status = await client.exit();
  assert.equal(status.code, 1);
  assertOneLineError(client.stderr.text, /^padlink-client: .*refused the token/);
  const missing = spawnEntrypoint("client.ts", ["--port", String(server.port), "--replay", file]);
  assert.equal((await missing.exit()).code, 1);
  assertOneLineError(missing.stderr.text, /^padlink-client: .*requires a token.*--token/);
  // Nothing from either reached the output.
  assert.equal(server.events().filter((e) => e.type !== "listening").length, 0);
  await Deno.remove(file);
});

Deno.test("client: the token can come from PADLINK_TOKEN", async () => {
  const file = await writeReplay([{ t: 0, type: "pad", pad: 0, attached: true, name: "P" }]);
  await using server = await startServer();
  const client = spawnEntrypoint(
    "client.ts",
    ["--port", String(server.port), "--name", "envy", "--replay", file],
    { env: { PADLINK_TOKEN: server.token! } },
  );
  assert.equal((await client.exit()).code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"connect"'));
  await Deno.remove(file);
});

Deno.test("client: an unreachable server is one clear line and exit 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // Nothing listens there now.
  const client = spawnEntrypoint("client.ts", ["--port", String(port), "--no-window"]);
  assert.equal((await client.exit()).code, 1);
  assertOneLineError(client.stderr.text, /cannot reach 127\.0\.0\.1:\d+: connection refused/);
});

Deno.test("client: a server speaking another protocol version is named as such", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.write(encodeHello({ version: 9, flags: 0, nonce: new Uint8Array(16) }));
    const buffer = new Uint8Array(64);
    await conn.read(buffer).catch(() => null);
    conn.close();
  })();
  const client = spawnEntrypoint("client.ts", ["--port", String(port), "--no-window"]);
  assert.equal((await client.exit()).code, 1);
  assertOneLineError(client.stderr.text, /speaks padlink protocol v9; this client speaks v1/);
  await serving;
  listener.close();
});

Deno.test("client: something that is not a padlink server is named as such", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.write(new TextEncoder().encode("SSH-2.0-OpenSSH_9.2\r\n"));
    await conn.read(new Uint8Array(64)).catch(() => null);
    conn.close();
  })();
  const client = spawnEntrypoint("client.ts", ["--port", String(port), "--no-window"]);
  assert.equal((await client.exit()).code, 1);
  assertOneLineError(
    client.stderr.text,
    /does not speak the padlink protocol|not a padlink server/,
  );
  await serving;
  listener.close();
});

Deno.test("client: a malformed replay line is named and nothing is sent", async () => {
  await using server = await startServer(["--no-auth"]);
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(
    file,
    [
      '{"t":0,"type":"pad","pad":0,"attached":true,"name":"P"}',
      '{"t":1,"type":"button","pad":0,"button":"a","pressed":true}',
      '{"t":2,"type":"button","pad":0,"button":"z","pressed":true}',
    ].join("\n"),
  );
  const client = spawnEntrypoint("client.ts", ["--port", String(server.port), "--replay", file]);
  assert.equal((await client.exit()).code, 2);
  assertOneLineError(client.stderr.text, /--replay .*: line 3: "button" must be one of/);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(server.events().filter((e) => e.type === "connect").length, 0);
  await Deno.remove(file);
});

Deno.test("CLIs: bad flags are one line naming the flag, exit 2", async () => {
  const cases: ["server.ts" | "client.ts", string[], RegExp][] = [
    [
      "server.ts",
      ["--bogus"],
      /^padlink-server: unknown option --bogus; run padlink-server --help/,
    ],
    ["server.ts", ["--port", "70000"], /--port must be a port number from 0 to 65535, got '70000'/],
    ["server.ts", ["--token", "abc"], /token must have at least 8 characters/],
    ["server.ts", ["--token", "abcdefgh", "--no-auth"], /contradict/],
    ["client.ts", ["--port", "x"], /--port must be a port number from 1 to 65535, got 'x'/],
    ["client.ts", ["--deadzone", "2"], /--deadzone must be a number from 0 to 0.95/],
    [
      "client.ts",
      ["--replay", "/nonexistent/file.jsonl"],
      /--replay \/nonexistent\/file.jsonl: no such file/,
    ],
    ["client.ts", ["extra"], /unexpected argument 'extra'/],
  ];
  for (const [entry, args, pattern] of cases) {
    const proc = spawnEntrypoint(entry, args);
    const status = await proc.exit();
    assert.equal(status.code, 2, `${entry} ${args.join(" ")}: ${proc.stderr.text}`);
    const lines = proc.stderr.text.trim().split("\n");
    assert.equal(lines.length, 1, `${entry} ${args.join(" ")}:\n${proc.stderr.text}`);
    assert.match(lines[0]!, pattern);
  }
});

Deno.test("CLIs: --help and --version", async () => {
  const version = (await import("../deno.json", { with: { type: "json" } })).default.version;
  for (const entry of ["server.ts", "client.ts"] as const) {
    const help = spawnEntrypoint(entry, ["--help"]);
    assert.equal((await help.exit()).code, 0);
    assert.match(help.stdout.text, /Usage: padlink-(server|client)/);
    assert.match(help.stdout.text, /--port/);
    const v = spawnEntrypoint(entry, ["--version"]);
    assert.equal((await v.exit()).code, 0);
    assert.equal(v.stdout.text.trim(), `padlink-${entry.replace(".ts", "")} ${version}`);
  }
});

Deno.test("server: PADLINK_TOKEN is its token, an empty one counts as unset, a short one is named", async () => {
  {
    await using server = await startServer([], { env: { PADLINK_TOKEN: "env-token-12345" } });
    assert.equal(server.token, "envt-0ken-1234-5");
  }
  {
    await using server = await startServer([], { env: { PADLINK_TOKEN: "" } });
    assert.match(server.token ?? "", /^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/, "a generated token");
  }
  const short = spawnEntrypoint("server.ts", ["--port", "0"], { env: { PADLINK_TOKEN: "abc" } });
  assert.equal((await short.exit()).code, 2);
  assert.match(
    short.stderr.text.trim(),
    /^padlink-server: PADLINK_TOKEN: the token must have at least 8/,
  );
});

Deno.test("server: a port in use is one clear line, exit 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const server = spawnEntrypoint("server.ts", ["--host", "127.0.0.1", "--port", String(port)]);
  assert.equal((await server.exit()).code, 1);
  assert.match(
    server.stderr.text.trim(),
    /^padlink-server: port \d+ on 127.0.0.1 is already in use/,
  );
  listener.close();
});

Deno.test("server: SIGTERM tells clients and exits 0", async () => {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "P" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 60000, type: "button", pad: 0, button: "a", pressed: false },
  ]);
  await using server = await startServer(["--no-auth"]);
  await using client = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "bob",
    "--no-reconnect",
    "--replay",
    file,
  ]);
  await server.stdout.waitFor((l) => l.includes('"pressed":true'));
  server.kill("SIGTERM");
  assert.equal((await server.exit()).code, 0, server.stderr.text);
  const events = server.events();
  const tail = events.slice(-3).map((e) => [e.type, e.pressed ?? e.attached ?? null]);
  assert.deepEqual(tail, [["button", false], ["pad", false], ["disconnect", null]]);
  const disconnect = events.at(-1)!;
  assert.equal(disconnect.type, "disconnect");
  assert.match(String(disconnect.reason), /server shutting down/);
  const clientStatus = await client.exit();
  assert.notEqual(clientStatus.code, 0);
  assert.match(client.stderr.text, /server shutting down/);
  await Deno.remove(file);
});

Deno.test({
  name: "compile: both binaries build and run (needs DENORT_BIN on this machine)",
  ignore: !Deno.env.get("DENORT_BIN"),
  async fn() {
    const compile = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(compile.code, 0, new TextDecoder().decode(compile.stderr));
    for (const name of ["padlink-server", "padlink-client"]) {
      const run = await new Deno.Command(`${ROOT}dist/${name}`, { args: ["--version"] }).output();
      assert.equal(run.code, 0);
      assert.match(new TextDecoder().decode(run.stdout), new RegExp(`^${name} `));
    }
  },
});

if (!Deno.env.get("DENORT_BIN")) {
  console.log(
    "compile test not run: `deno compile` must download its denort runtime, which this machine cannot reach; set DENORT_BIN to a denort binary to run it",
  );
}

Deno.test("compile tasks grant only the permissions each binary needs", () => {
  const server = compileFlags("compile:server");
  const client = compileFlags("compile:client");
  assert.ok(server.includes("--allow-net"));
  assert.ok(!server.includes("--allow-ffi"), "the server loads no native library");
  assert.ok(!server.includes("--allow-run") && !client.includes("--allow-run"));
  assert.ok(client.includes("--allow-ffi"), "the client loads SDL2");
  assert.ok(client.includes("--allow-net"));
});
