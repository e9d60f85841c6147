/**
 * `deno task server -- …` and `deno task client -- …`, as the README shows
 * them: Deno passes the `--` through, and both programs must take it.
 */

import assert from "node:assert/strict";
import { ROOT, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { outputText, type TextOutput } from "../tools/_spawn.ts";

/** Run `deno task <args>` in the repository, as a user would; returns status and output. */
function denoTask(args: string[]): Promise<TextOutput> {
  return outputText(
    new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
    }),
  );
}

Deno.test("deno task server -- --help and deno task client -- --help print the help, exit 0", async () => {
  for (const program of ["server", "client"]) {
    const { code, stdout, stderr } = await denoTask([program, "--", "--help"]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`Usage: padlink-${program}`));
  }
});

Deno.test("server -- --json: a leading -- is skipped, the flags after it apply", async () => {
  await using server = spawnEntrypoint("server.ts", [
    "--",
    "--json",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-auth",
  ]);
  const line = await server.stdout.waitFor((l) => l.includes('"listening"'), {
    timeoutMs: 15000,
    what: "listening",
  });
  const listening = JSON.parse(line.text);
  assert.equal(listening.auth, false);
  assert.notEqual(listening.port, 0);
});

Deno.test("deno task client -- --host …: the client connects and delivers its replay", async () => {
  await using server = await startServer();
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Test Pad" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
  ]);
  try {
    const { code, stderr } = await denoTask([
      "client",
      "--",
      "--host",
      "127.0.0.1",
      "--port",
      String(server.port),
      "--token",
      server.token!,
      "--name",
      "dashdash",
      "--replay",
      file,
    ]);
    assert.equal(code, 0, stderr);
    await server.stdout.waitFor((line) => line.includes('"disconnect"'), {
      timeoutMs: 5000,
      what: "disconnect",
    });
    const pressed = server.events().find((e) => e.type === "button" && e.pressed === true);
    assert.equal(pressed?.client, "dashdash");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a -- anywhere but first is still refused as an unexpected argument", async () => {
  const proc = spawnEntrypoint("server.ts", ["--json", "--", "--help"]);
  assert.equal((await proc.exit()).code, 2);
  assert.match(proc.stderr.text, /^padlink-server: unexpected argument/);
});
