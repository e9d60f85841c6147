/**
 * The server's command line through the real entrypoint: each mistake is one
 * line and the right exit status, and what it prints reads right (IPv6 in
 * brackets, an unnamed pad, counts in the singular).
 */

import assert from "node:assert/strict";
import { Proc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
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
  assertOneLine(
    { code: status.code, stderr: proc.stderr.lines.filter((l) => l !== "") },
    1,
    /^padlink-server: cannot write to stdout \(No space left on device.*\); stopping$/,
  );
});

Deno.test("server: IPv6 in brackets on the listening line; an unnamed pad is 'pad0 attached'", async () => {
  await using server = spawnEntrypoint("server.ts", ["--host", "::1", "--port", "0", "--no-auth"]);
  const listening = await server.stdout.waitFor((l) => l.startsWith("listening on "), {
    timeoutMs: 15000,
    what: "the listening line",
  });
  const match = /^listening on \[::1\]:(\d+) \(protocol v1, no auth\)$/.exec(listening.text);
  assert.ok(match, listening.text);
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
