/**
 * End-to-end through real SDL virtual controllers: `--virtual` keeps the
 * file's pad numbers and the order of events that share a `t`.
 */

import assert from "node:assert/strict";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

const HEADLESS = { SDL_VIDEODRIVER: "dummy" };

Deno.test("client --virtual: pad numbers stay the file's, and events sharing a t keep their order", async () => {
  const session: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 3, attached: true, name: "Third" },
    { t: 0, type: "pad", pad: 7, attached: true, name: "Seventh" },
    // One t, in an order SDL would not report them in (by pad, then by index).
    { t: 30, type: "button", pad: 7, button: "y", pressed: true },
    { t: 30, type: "button", pad: 3, button: "start", pressed: true },
    { t: 30, type: "key", key: "Up", scancode: "Up", pressed: true },
    { t: 30, type: "button", pad: 3, button: "a", pressed: true },
    { t: 30, type: "axis", pad: 7, axis: "righttrigger", value: 1 },
    { t: 30, type: "button", pad: 7, button: "b", pressed: true },
    { t: 60, type: "button", pad: 3, button: "a", pressed: false },
    { t: 60, type: "key", key: "Up", scancode: "Up", pressed: false },
    { t: 60, type: "button", pad: 7, button: "b", pressed: false },
    { t: 60, type: "button", pad: 3, button: "start", pressed: false },
    { t: 60, type: "axis", pad: 7, axis: "righttrigger", value: 0 },
    { t: 60, type: "button", pad: 7, button: "y", pressed: false },
    { t: 90, type: "pad", pad: 7, attached: false },
    { t: 90, type: "pad", pad: 3, attached: false },
  ];
  const file = await writeReplay(session);
  try {
    await using server = await startServer(["--no-auth"]);
    const client = spawnEntrypoint("client.ts", [
      "--port",
      String(server.port),
      "--name",
      "ordered",
      "--no-window",
      "--deadzone",
      "0",
      "--virtual",
      file,
    ], { env: HEADLESS });
    assert.equal((await client.exit(30000)).code, 0, client.stderr.text);
    await server.waitEvent({ type: "disconnect", client: "ordered" });
    const got = server.events()
      .filter((e) => ["pad", "button", "axis", "key"].includes(e.type as string))
      .map(({ client: _client, ...rest }) => {
        // SDL's pad attach carries more than a replay line (type, USB ids, capabilities).
        if (rest.type !== "pad") return rest;
        const { type, pad, attached, name } = rest;
        return attached ? { type, pad, attached, name } : { type, pad, attached };
      });
    assert.deepEqual(got, session.map(({ t: _t, ...rest }) => rest));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("client --virtual: Ctrl-C (SIGINT) releases, says goodbye and exits 130", async () => {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 2, attached: true, name: "Held" },
    { t: 20, type: "button", pad: 2, button: "x", pressed: true },
    { t: 60_000, type: "button", pad: 2, button: "x", pressed: false },
  ]);
  try {
    await using server = await startServer(["--no-auth"]);
    await using client = spawnEntrypoint("client.ts", [
      "--port",
      String(server.port),
      "--name",
      "held",
      "--no-window",
      "--virtual",
      file,
    ], { env: HEADLESS });
    await server.waitEvent({ type: "button", pressed: true }, { timeoutMs: 20_000 });
    client.kill("SIGINT");
    assert.equal((await client.exit()).code, 130, client.stderr.text);
    const end = await server.waitEvent({ type: "disconnect", client: "held" });
    assert.match(String(end.event.reason), /^client quit/);
    const released = server.events().filter((e) => e.type === "button").map((e) => e.pressed);
    assert.deepEqual(released, [true, false]);
  } finally {
    await Deno.remove(file);
  }
});
