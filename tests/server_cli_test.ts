/**
 * The server's command line through the real entrypoint: each mistake is one
 * line and the right exit status, and what it prints reads right (IPv6 in
 * brackets, an unnamed pad, counts in the singular).
 */

import assert from "node:assert/strict";
import { Proc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { createNetnsPair, ip, netnsUnavailable } from "./_fault_util.ts";
import { entrypointCommand } from "../tools/_spawn.ts";

/** Run the server to its exit; returns the status and its stderr lines. */
async function runServer(args: string[], env: Record<string, string> = {}) {
  const proc = spawnEntrypoint("server.ts", args, { env });
  const status = await proc.exit();
  return {
    code: status.code,
    stdout: proc.stdout.text,
    stderr: proc.stderr.lines.filter((l) => l !== ""),
  };
}

/** Assert one line on stderr, matching `pattern`, no stack trace, and the exit code. */
function assertOneLine(
  result: { code: number; stderr: string[] },
  code: number,
  pattern: RegExp,
): void {
  assert.equal(result.code, code, result.stderr.join("\n"));
  assert.equal(result.stderr.length, 1, result.stderr.join("\n"));
  assert.match(result.stderr[0]!, pattern);
  assert.doesNotMatch(result.stderr[0]!, /Uncaught|\bat \S+:\d+/);
}

Deno.test("server: a bad --host is one line and exit 2, before anything listens", async () => {
  for (
    const [host, pattern] of [
      [
        "999.1.1.1",
        /^padlink-server: --host '999\.1\.1\.1' is not an IPv4 address .*; give an address/,
      ],
      ["", /^padlink-server: --host needs an address; give an address of this machine/],
      [
        "nonexistent.invalid",
        /^padlink-server: cannot listen on nonexistent\.invalid: no such host name; check --host/,
      ],
      [
        "192.0.2.1",
        /^padlink-server: cannot listen on 192\.0\.2\.1: no such address on this machine; check --host/,
      ],
    ] as const
  ) {
    assertOneLine(await runServer([`--host=${host}`, "--port", "0"]), 2, pattern);
  }
});

Deno.test("server: --json=yes, --max-clients 1.5 and a bad PADLINK_TOKEN are one line and exit 2", async () => {
  assertOneLine(
    await runServer(["--json=yes"]),
    2,
    /^padlink-server: --json is a switch and takes no value: write --json alone$/,
  );
  assertOneLine(
    await runServer(["--max-clients", "1.5"]),
    2,
    /^padlink-server: --max-clients must be a whole number from 1 to 100000, got '1\.5'$/,
  );
  assertOneLine(
    await runServer(["--port", "0"], { PADLINK_TOKEN: "abc" }),
    2,
    /^padlink-server: PADLINK_TOKEN: the token must have at least 8 characters/,
  );
});

Deno.test("server: an empty PADLINK_TOKEN counts as unset, with --no-auth and without", async () => {
  await using open = await startServer(["--no-auth"], { env: { PADLINK_TOKEN: "" } });
  assert.equal(open.events()[0]!.auth, false);
  await using guarded = await startServer([], { env: { PADLINK_TOKEN: "" } });
  assert.equal(guarded.events()[0]!.auth, true);
  assert.match(guarded.token!, /^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
});

Deno.test("server: a stdout that fails at start-up (/dev/full) is one line and exit 1", async () => {
  // The shell points stdout at /dev/full and execs deno, as `padlink-server >/dev/full` would.
  const proc = new Proc(
    entrypointCommand("server.ts", ["--host", "127.0.0.1", "--port", "0", "--no-auth"], {
      wrapper: ["sh", "-c", 'exec "$@" >/dev/full', "sh"],
    }).spawn(),
  );
  const status = await proc.exit();
  // The connect hint comes first; then the one line about stdout, and nothing after it.
  const lines = proc.stderr.lines.filter((l) => l !== "");
  assert.match(lines[0]!, /^on the client: padlink-client --host 127\.0\.0\.1 --port \d+$/);
  assertOneLine(
    { code: status.code, stderr: lines.slice(1) },
    1,
    /^padlink-server: cannot write to stdout \(No space left on device.*\); stopping$/,
  );
});

Deno.test("server: IPv6 in brackets on the listening, DSU, web and connect lines; an unnamed pad is 'pad0 attached'", async () => {
  await using server = spawnEntrypoint("server.ts", [
    "--host",
    "::1",
    "--port",
    "0",
    "--no-auth",
    "--dsu",
    "[::1]:0",
    "--web",
    "[::1]:0",
  ]);
  const listening = await server.stdout.waitFor((l) => l.startsWith("listening on "), {
    timeoutMs: 15000,
    what: "the listening line",
  });
  const match = /^listening on \[::1\]:(\d+) \(protocol v1, no auth\)$/.exec(listening.text);
  assert.ok(match, listening.text);
  const web = await server.stdout.waitFor((l) => l.startsWith("web view on "), { what: "web" });
  assert.match(web.text, /^web view on http:\/\/\[::1\]:\d+\/$/);
  assert.ok(
    server.stdout.lines.some((l) => /^DSU \(cemuhook\) for emulators on \[::1\]:\d+$/.test(l)),
    server.stdout.text,
  );
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
  ]);
  try {
    const client = spawnEntrypoint("client.ts", [
      "--host",
      "::1",
      "--port",
      match[1]!,
      "--name",
      "v6",
      "--replay",
      file,
    ]);
    assert.equal((await client.exit()).code, 0, client.stderr.text);
    await server.stdout.waitFor((l) => l === "v6 pad0 A pressed", { what: "the press" });
    assert.ok(server.stdout.lines.includes("v6 pad0 attached"), server.stdout.text);
    assert.ok(
      server.stdout.lines.some((l) => /^v6 connected from \[::1\]:\d+$/.test(l)),
      server.stdout.text,
    );
  } finally {
    await Deno.remove(file);
  }
});

/** A temporary directory removed on dispose. */
async function tempDir(prefix: string) {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** Replay one press into the server at `port` with `env` (PADLINK_TOKEN); returns the client. */
async function replayInto(port: number, name: string, args: string[] = [], env = {}) {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
  ]);
  try {
    const client = spawnEntrypoint("client.ts", [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--name",
      name,
      "--no-reconnect",
      "--replay",
      file,
      ...args,
    ], { env });
    await client.exit(20000);
    return client;
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("server: the generated token is kept (0600) and survives a restart; --new-token rotates it", async () => {
  await using dir = await tempDir("padlink-server-");
  const config = ["--config-dir", dir.path];
  let first: string;
  {
    await using server = await startServer(config);
    first = server.token!;
    assert.match(server.stderr.text, /token: \S+ {2}\(new, kept in .*server-token; --new-token/);
  }
  const file = `${dir.path}/server-token`;
  assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  {
    await using restarted = await startServer(config);
    assert.equal(restarted.token, first, "the same token after a restart");
    assert.match(restarted.stderr.text, /token: \S+ {2}\(kept in /);
    const client = await replayInto(restarted.port, "back", [], { PADLINK_TOKEN: first });
    assert.equal(client.status!.code, 0, client.stderr.text);
    await restarted.waitEvent({ type: "connect", client: "back" });
  }
  let rotated: string;
  {
    await using server = await startServer([...config, "--new-token"]);
    rotated = server.token!;
    assert.notEqual(rotated, first);
    const stale = await replayInto(server.port, "stale", [], { PADLINK_TOKEN: first });
    assert.equal(stale.status!.code, 1);
    assert.match(stale.stderr.text, /wrong token/);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  }
  {
    await using server = await startServer(config);
    assert.equal(server.token, rotated, "the rotated token is the one kept");
  }
  // --token and PADLINK_TOKEN still win, and leave the kept one alone.
  {
    await using server = await startServer([...config, "--token", "abcd-efgh-jkmn"]);
    assert.equal(server.token, "abcd-efgh-jkmn");
    assert.match(server.stderr.text, /\(from --token\)/);
  }
  assert.equal(
    (await Deno.readTextFile(file)).trim().replaceAll("-", ""),
    rotated.replaceAll("-", ""),
  );
  for (
    const [args, env, pattern] of [
      [["--new-token", "--no-auth"], {}, /--new-token and --no-auth contradict/],
      [["--new-token"], { PADLINK_TOKEN: "abcdefghij" }, /unset PADLINK_TOKEN to use the kept one/],
    ] as const
  ) {
    assertOneLine(await runServer([...config, ...args], env), 2, pattern);
  }
});

Deno.test("server: under --tls a restarted server keeps certificate and token, so a paired client reconnects", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using clientDir = await tempDir("padlink-client-");
  const args = ["--tls", "--config-dir", serverDir.path];
  let token: string;
  let port: number;
  {
    await using server = await startServer(args);
    token = server.token!;
    port = server.port;
    const client = await replayInto(port, "tls1", ["--tls", "--config-dir", clientDir.path], {
      PADLINK_TOKEN: token,
    });
    assert.equal(client.status!.code, 0, client.stderr.text);
    assert.match(client.stderr.text, /paired with/);
  }
  // The same port again (it was just freed), so the client's pin applies.
  await using again = await startServer(args, { port });
  assert.equal(again.token, token);
  const client = await replayInto(port, "tls2", ["--tls", "--config-dir", clientDir.path], {
    PADLINK_TOKEN: token,
  });
  assert.equal(client.status!.code, 0, client.stderr.text);
  assert.doesNotMatch(client.stderr.text, /paired with|wrong token/);
  await again.waitEvent({ type: "connect", client: "tls2" });
});

Deno.test("server: in human mode the token and the connect hint go to stderr, PADLINK_TOKEN and --port in it", async () => {
  await using dir = await tempDir("padlink-server-");
  await using server = spawnEntrypoint("server.ts", [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--config-dir",
    dir.path,
  ]);
  const listening = await server.stdout.waitFor((l) => l.startsWith("listening on "), {
    timeoutMs: 15000,
    what: "the listening line",
  });
  const port = /:(\d+) /.exec(listening.text)![1]!;
  const hint = await server.stderr.waitFor((l) => l.startsWith("on the client: "), {
    what: "the connect hint",
  });
  const token = /^token: (\S+)/.exec(
    server.stderr.lines.find((l) => l.startsWith("token: "))!,
  )![1]!;
  assert.equal(
    hint.text,
    `on the client: PADLINK_TOKEN=${token} padlink-client --host 127.0.0.1 --port ${port}`,
  );
  assert.ok(
    !server.stdout.text.includes(token),
    `the token is not on stdout:\n${server.stdout.text}`,
  );
});

const netnsProblem = await netnsUnavailable();
if (netnsProblem) console.log(`server network-address test skipped: ${netnsProblem}`);

Deno.test({
  name:
    "server: on :: it lists the machine's network addresses (IPv6 in brackets), and the hint it prints connects",
  ignore: netnsProblem !== null,
  async fn() {
    // In a namespace of its own, the server's only network addresses are the ones given here,
    // and listening on every interface reaches no other network.
    await using pair = await createNetnsPair(11);
    for (
      const [ns, link, address] of [
        [pair.serverNs, pair.serverLink, "fd00:77::1/64"],
        [pair.clientNs, pair.clientLink, "fd00:77::2/64"],
      ] as const
    ) {
      await ip("-n", ns, "addr", "add", address, "dev", link, "nodad");
    }
    await using dir = await tempDir("padlink-server-");
    // The default port: the hint then needs no --port.
    await using server = spawnEntrypoint(
      "server.ts",
      ["--host", "::", "--config-dir", dir.path],
      { netns: pair.serverNs },
    );
    await server.stdout.waitFor(
      (l) => l === "listening on [::]:7175 (protocol v1, token required)",
      {
        timeoutMs: 15000,
        what: "the listening line",
      },
    );
    const reachable = await server.stderr.waitFor((l) => l.startsWith("reachable on "), {
      what: "the network addresses",
    });
    assert.equal(
      reachable.text,
      `reachable on the network at ${pair.serverAddr}:7175, [fd00:77::1]:7175`,
    );
    const hint = await server.stderr.waitFor((l) => l.startsWith("on the client: "), {
      what: "the connect hint",
    });
    const command = /^on the client: PADLINK_TOKEN=(\S+) padlink-client (.*)$/.exec(hint.text);
    assert.ok(command, hint.text);
    assert.equal(command[2], `--host ${pair.serverAddr}`);
    const file = await writeReplay([{ t: 0, type: "pad", pad: 0, attached: true, name: "Pad" }]);
    try {
      // The hint's command as it is, from the other namespace; then the same over IPv6.
      for (
        const [name, args] of [
          ["hint", command[2].split(" ")],
          ["six", ["--host", "fd00:77::1"]],
        ] as const
      ) {
        const client = spawnEntrypoint(
          "client.ts",
          [...args, "--name", name, "--no-reconnect", "--replay", file],
          { netns: pair.clientNs, env: { PADLINK_TOKEN: command[1]! } },
        );
        assert.equal((await client.exit(20000)).code, 0, client.stderr.text);
      }
      await server.stdout.waitFor((l) => l.startsWith("six disconnected"), { what: "six" });
      assert.ok(
        server.stdout.lines.some((l) => /^hint connected from 169\.254\.77\.2:\d+$/.test(l)),
        server.stdout.text,
      );
      assert.ok(
        server.stdout.lines.some((l) => /^six connected from \[fd00:77::2\]:\d+$/.test(l)),
        server.stdout.text,
      );
    } finally {
      await Deno.remove(file);
    }
  },
});

const EVERY_KIND = [
  { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
  { t: 0, type: "button", pad: 0, button: "a", pressed: true },
  { t: 0, type: "axis", pad: 0, axis: "leftx", value: 0.5 },
  { t: 0, type: "key", key: "Up", pressed: true },
  { t: 0, type: "button", pad: 0, button: "a", pressed: false },
];

/** Run a server with `args`, replay {@linkcode EVERY_KIND} into it; returns its stdout lines. */
async function filteredOutput(args: string[]): Promise<string[]> {
  const file = await writeReplay(EVERY_KIND);
  try {
    await using server = spawnEntrypoint("server.ts", [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--no-auth",
      ...args,
    ]);
    const listening = await server.stdout.waitFor((l) => /listening/.test(l), {
      timeoutMs: 15000,
      what: "listening",
    });
    const port = /"port":(\d+)|:(\d+) \(/.exec(listening.text)!.slice(1).find(Boolean)!;
    const client = spawnEntrypoint("client.ts", [
      "--port",
      port,
      "--name",
      "f",
      "--replay",
      file,
    ]);
    assert.equal((await client.exit()).code, 0, client.stderr.text);
    await server.stdout.waitFor((l) => /disconnect/.test(l), { what: "the disconnect" });
    return server.stdout.lines;
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("server --quiet shows connect and disconnect only; --only buttons,keys those kinds", async () => {
  const quiet = await filteredOutput(["--quiet"]);
  assert.equal(quiet.length, 3, quiet.join("\n"));
  assert.match(quiet[0]!, /^listening on 127\.0\.0\.1:\d+ /);
  assert.match(quiet[1]!, /^f connected from 127\.0\.0\.1:\d+$/);
  assert.match(quiet[2]!, /^f disconnected \(/);

  const only = await filteredOutput(["--json", "--only", "buttons,keys"]);
  const types = only.map((l) => JSON.parse(l).type);
  assert.deepEqual(types.slice(0, 2), ["listening", "connect"]);
  assert.equal(types.at(-1), "disconnect");
  assert.deepEqual(new Set(types.slice(2, -1)), new Set(["button", "key"]), only.join("\n"));
  assert.ok(only.some((l) => l.includes('"key":"Up","scancode":"Up","pressed":true')));
  assert.ok(only.some((l) => l.includes('"button":"a","pressed":false')));

  assertOneLine(
    await runServer(["--only", "buttons,sticks"]),
    2,
    /^padlink-server: --only: unknown kind 'sticks'; the kinds are buttons, axes, keys, pads, motion, touches, battery$/,
  );
});
