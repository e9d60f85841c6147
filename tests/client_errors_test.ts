/**
 * The client's user mistakes, through the real entrypoint: each is one line
 * naming the problem and the fix, a non-zero exit, and no stack trace; the
 * ones about local files are refused before the client connects.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { assertOneLineError, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

const HEADLESS = { SDL_VIDEODRIVER: "dummy" };

/** A loopback port nothing listens on. */
function closedPort(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return String(port);
}

/** Run the client to its exit; returns the code and stderr. */
async function client(args: string[], env: Record<string, string> = {}) {
  const proc = spawnEntrypoint("client.ts", args, { env: { ...HEADLESS, ...env } });
  const status = await proc.exit(30000);
  return { code: status.code, stderr: proc.stderr.text };
}

Deno.test("client --host HOST:PORT is refused, suggesting --port", async () => {
  for (
    const [host, fix] of [
      ["192.168.1.10:7175", "--host 192.168.1.10 --port 7175"],
      ["localhost:", "--host localhost --port N"],
      ["[::1]:7000", "--host ::1 --port 7000"],
    ]
  ) {
    const { code, stderr } = await client(["--host", host!, "--no-window"]);
    assert.equal(code, 2, stderr);
    assertOneLineError(stderr, new RegExp(`includes a port; .*${fix!.replace(/[[\]]/g, "\\$&")}`));
  }
  const empty = await client(["--host", "", "--no-window"]);
  assert.equal(empty.code, 2, empty.stderr);
  assertOneLineError(empty.stderr, /--host is empty/);
});

Deno.test("client: a bad PADLINK_TOKEN is named as such; a bad --token as such", async () => {
  const port = closedPort();
  const env = await client(["--port", port, "--no-window"], { PADLINK_TOKEN: "abc" });
  assert.equal(env.code, 2, env.stderr);
  assertOneLineError(env.stderr, /^padlink-client: PADLINK_TOKEN: the token must have at least 8/);
  const flag = await client(["--port", port, "--no-window", "--token", "abc"]);
  assert.equal(flag.code, 2, flag.stderr);
  assertOneLineError(flag.stderr, /^padlink-client: --token: the token must have at least 8/);
  const emptyFlag = await client(["--port", port, "--no-window", "--token", ""]);
  assert.equal(emptyFlag.code, 2, emptyFlag.stderr);
  assertOneLineError(emptyFlag.stderr, /^padlink-client: --token: /);
});

Deno.test("client: an empty PADLINK_TOKEN counts as unset, so a --no-auth server takes it", async () => {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "P" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
  ]);
  try {
    await using server = await startServer(["--no-auth"]);
    const run = await client(["--port", String(server.port), "--replay", file], {
      PADLINK_TOKEN: "",
    });
    assert.equal(run.code, 0, run.stderr);
    await server.stdout.waitFor((l) => l.includes('"button"'), {
      timeoutMs: 5000,
      what: "the button",
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("client --mappings: a directory, garbage or an empty file is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-mappings-" });
  try {
    const garbage = join(dir, "garbage.txt");
    await Deno.writeTextFile(garbage, '{"this": "is json"}\n');
    const empty = join(dir, "empty.txt");
    await Deno.writeTextFile(empty, "");
    const cases: [string, RegExp][] = [
      [dir, /--mappings .*: is a directory; give a gamecontrollerdb.txt file/],
      [garbage, /--mappings .*garbage.txt: line 1 is not an SDL controller mapping/],
      [empty, /--mappings .*empty.txt: it holds no SDL controller mappings/],
      [join(dir, "missing.txt"), /--mappings .*missing.txt: no such file/],
    ];
    for (const [path, pattern] of cases) {
      const { code, stderr } = await client(["--port", closedPort(), "--mappings", path]);
      assert.equal(code, 2, stderr);
      assertOneLineError(stderr, pattern);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client --record: a directory or a missing folder is refused before connecting", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-record-" });
  try {
    await using server = await startServer(["--no-auth"]);
    const port = String(server.port);
    const cases: [string, RegExp][] = [
      [dir, /--record .* is a directory; give a file name/],
      [join(dir, "no", "such", "out.jsonl"), /the folder .*no\/such does not exist; create it/],
    ];
    for (const [path, pattern] of cases) {
      const { code, stderr } = await client(["--port", port, "--no-window", "--record", path]);
      assert.equal(code, 2, stderr);
      assertOneLineError(stderr, pattern);
    }
    assert.deepEqual(server.events().filter((e) => e.type === "connect"), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client --record with --replay is refused with what to do instead", async () => {
  const file = await writeReplay([{ t: 0, type: "pad", pad: 0, attached: true, name: "P" }]);
  try {
    const { code, stderr } = await client([
      "--port",
      closedPort(),
      "--replay",
      file,
      "--record",
      `${file}.out`,
    ]);
    assert.equal(code, 2, stderr);
    assertOneLineError(stderr, /--record .*--replay .*use --virtual FILE --record OUT/);
  } finally {
    await Deno.remove(file);
  }
});
