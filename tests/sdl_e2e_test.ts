/**
 * End-to-end through real SDL: the client process reads SDL virtual
 * controllers (`--virtual`) or its own window under Xvfb, and the server
 * process prints what arrives.
 */

import assert from "node:assert/strict";
import { AXIS_NAMES, BUTTON_NAMES } from "../lib/input/model.ts";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { findWindow, retry, run, withXvfb } from "./_xvfb.ts";

const HEADLESS = { SDL_VIDEODRIVER: "dummy" };

/**
 * The input events, without `client` and `t`, and without the details SDL
 * gives an attached pad (`kind`, `vendor`, `product`, `capabilities`: every
 * pad here is an id-less virtual one; controller_e2e_test.ts checks them).
 */
function inputEvents(events: Record<string, unknown>[]) {
  return events
    .filter((e) => ["pad", "button", "axis", "key"].includes(e.type as string))
    .map(({ client: _client, t: _t, ...rest }) => {
      if (rest.type !== "pad" || !rest.attached) return rest;
      assert.equal(rest.kind, "virtual", JSON.stringify(rest));
      const { kind: _k, vendor: _v, product: _p, capabilities: _c, ...plain } = rest;
      return plain;
    });
}

Deno.test("client --virtual: every button and axis name reaches the server's JSON lines", async () => {
  // Distinct times, as a recording has them (same-t changes: the next test).
  const session: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Virtual Xbox Pad" },
  ];
  let t = 20;
  for (const button of BUTTON_NAMES) {
    // A guide press held as long as a person would (SDL reports a shorter one
    // 250 ms after its press: the player waits for that, see the next test).
    const hold = button === "guide" ? 300 : 6;
    session.push({ t, type: "button", pad: 0, button, pressed: true });
    session.push({ t: t + hold, type: "button", pad: 0, button, pressed: false });
    t += hold + 6;
  }
  for (const axis of AXIS_NAMES) {
    const value = axis.endsWith("trigger") ? 0.75 : -0.5;
    session.push({ t, type: "axis", pad: 0, axis, value });
    session.push({ t: t + 6, type: "axis", pad: 0, axis, value: 0 });
    t += 12;
  }
  session.push({ t, type: "key", key: "Up", scancode: "Up", pressed: true });
  session.push({ t: t + 6, type: "key", key: "Up", scancode: "Up", pressed: false });
  session.push({ t: t + 20, type: "pad", pad: 0, attached: false });
  const file = await writeReplay(session);
  await using server = await startServer(["--no-auth"]);
  const client = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "sdl",
    "--no-window",
    "--deadzone",
    "0",
    "--virtual",
    file,
  ], { env: HEADLESS });
  assert.equal((await client.exit(30000)).code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  const got = inputEvents(server.events());
  const want = session.map(({ t: _t, ...rest }) => rest);
  assert.deepEqual(got, want);
  await Deno.remove(file);
});

Deno.test("client --virtual: changes at the same t, axes held back by the rate, and a guide tap shorter than SDL holds it arrive in file order", async () => {
  // SDL makes an event only for a state it sees change, and holds back a guide
  // release sooner than 250 ms after the press: the player must make SDL see
  // every change and wait out the guide, whatever the load.
  const session: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Same-t Pad" },
    { t: 20, type: "button", pad: 0, button: "a", pressed: true },
    { t: 20, type: "button", pad: 0, button: "a", pressed: false },
    { t: 20, type: "button", pad: 0, button: "a", pressed: true },
    { t: 20, type: "axis", pad: 0, axis: "lefttrigger", value: 0.5 },
    { t: 20, type: "axis", pad: 0, axis: "lefttrigger", value: 0 },
    // The client sends an axis at most every ms (--rate): lefty's first value
    // may go at once, leftx's 0 is held back, yet lefty must not overtake it.
    { t: 20, type: "axis", pad: 0, axis: "leftx", value: -0.5 },
    { t: 20, type: "axis", pad: 0, axis: "leftx", value: 0 },
    { t: 20, type: "axis", pad: 0, axis: "lefty", value: -0.5 },
    { t: 20, type: "axis", pad: 0, axis: "lefty", value: 0 },
    { t: 20, type: "button", pad: 0, button: "a", pressed: false },
    { t: 30, type: "button", pad: 0, button: "guide", pressed: true },
    { t: 31, type: "button", pad: 0, button: "guide", pressed: false },
    { t: 31, type: "button", pad: 0, button: "b", pressed: true },
    { t: 32, type: "button", pad: 0, button: "b", pressed: false },
    { t: 32, type: "button", pad: 0, button: "guide", pressed: true },
    { t: 32, type: "button", pad: 0, button: "guide", pressed: false },
    { t: 40, type: "pad", pad: 0, attached: false },
  ];
  const file = await writeReplay(session);
  await using server = await startServer(["--no-auth"]);
  const client = spawnEntrypoint(
    "client.ts",
    ["--port", String(server.port), "--no-window", "--deadzone", "0", "--virtual", file],
    { env: HEADLESS },
  );
  assert.equal((await client.exit(30000)).code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  assert.deepEqual(inputEvents(server.events()), session.map(({ t: _t, ...rest }) => rest));
  await Deno.remove(file);
});

Deno.test("client --virtual: a pad unplugged while held is released, then detached", async () => {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "First" },
    { t: 0, type: "pad", pad: 1, attached: true, name: "Second" },
    { t: 30, type: "button", pad: 1, button: "x", pressed: true },
    { t: 30, type: "axis", pad: 1, axis: "righttrigger", value: 1 },
    { t: 60, type: "pad", pad: 1, attached: false },
    { t: 90, type: "pad", pad: 1, attached: true, name: "Third" },
    { t: 120, type: "pad", pad: 0, attached: false },
    { t: 120, type: "pad", pad: 1, attached: false },
  ]);
  await using server = await startServer(["--no-auth"]);
  const client = spawnEntrypoint(
    "client.ts",
    ["--port", String(server.port), "--no-window", "--virtual", file],
    { env: HEADLESS },
  );
  assert.equal((await client.exit(30000)).code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  const got = inputEvents(server.events());
  const detachAt = got.findIndex((e) => e.type === "pad" && e.pad === 1 && e.attached === false);
  assert.ok(detachAt > 0, JSON.stringify(got));
  // Released and zeroed just before the detach (SDL itself recentres a removed
  // pad, axes first, so the order of these two is SDL's).
  const settled = got.slice(detachAt - 2, detachAt).map((e) => JSON.stringify(e)).sort();
  assert.deepEqual(settled, [
    JSON.stringify({ type: "axis", pad: 1, axis: "righttrigger", value: 0 }),
    JSON.stringify({ type: "button", pad: 1, button: "x", pressed: false }),
  ]);
  // The next pad takes the lowest free number: 1 again.
  assert.deepEqual(got[detachAt + 1], { type: "pad", pad: 1, attached: true, name: "Third" });
  await Deno.remove(file);
});

Deno.test("client window: keys typed into it under Xvfb reach the server", async () => {
  await using server = await startServer(["--no-auth"]);
  await withXvfb(async (display) => {
    await using client = spawnEntrypoint("client.ts", [
      "--port",
      String(server.port),
      "--name",
      "typist",
    ]);
    await server.stdout.waitFor((l) => l.includes('"connect"'), {
      timeoutMs: 15000,
      what: "connect",
    });
    const window = await findWindow(display, "connected to");
    await run("xdotool", ["windowactivate", "--sync", window], display.env)
      .catch(() => run("xdotool", ["windowfocus", "--sync", window], display.env));
    await run("xdotool", ["key", "--window", window, "Up", "q", "space"], display.env);
    const keys = () => inputEvents(server.events()).filter((e) => e.type === "key");
    await retry("six key events", () => Promise.resolve(keys().length >= 6 ? true : undefined))
      .catch((error) => {
        throw new Error(`${error.message}; server printed:\n${server.stdout.text}`);
      });
    assert.deepEqual(keys(), [
      { type: "key", key: "Up", scancode: "Up", pressed: true },
      { type: "key", key: "Up", scancode: "Up", pressed: false },
      { type: "key", key: "Q", scancode: "Q", pressed: true },
      { type: "key", key: "Q", scancode: "Q", pressed: false },
      { type: "key", key: "Space", scancode: "Space", pressed: true },
      { type: "key", key: "Space", scancode: "Space", pressed: false },
    ]);
    // SIGTERM: releases, goodbye, exit 0.
    client.kill("SIGTERM");
    assert.equal((await client.exit()).code, 0, client.stderr.text);
  });
  await server.stdout.waitFor((l) => l.includes('"disconnect"'), {
    timeoutMs: 5000,
    what: "disconnect",
  });
  const last = server.events().at(-1)!;
  assert.equal(last.type, "disconnect");
  assert.match(String(last.reason), /client quit/);
});

Deno.test("client: a missing SDL2 is one line that says how to install it", async () => {
  await using server = await startServer(["--no-auth"]);
  const client = spawnEntrypoint(
    "client.ts",
    ["--port", String(server.port), "--no-window"],
    { env: { ...HEADLESS, PADLINK_SDL2: "/nonexistent/libSDL2.so" } },
  );
  assert.equal((await client.exit()).code, 1);
  const lines = client.stderr.text.trim().split("\n");
  assert.equal(lines.length, 1, client.stderr.text);
  assert.match(lines[0]!, /^padlink-client: .*SDL2/);
  assert.match(lines[0]!, /PADLINK_SDL2|apt-get install libsdl2-2.0-0/);
  assert.equal(server.events().filter((e) => e.type === "connect").length, 0);
});

Deno.test("client --record writes a replay that plays back to the same server output", async () => {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Recorded Pad" },
    { t: 20, type: "button", pad: 0, button: "y", pressed: true },
    { t: 40, type: "axis", pad: 0, axis: "leftx", value: 0.25 },
    { t: 60, type: "key", key: "Left", scancode: "Left", pressed: true },
    { t: 80, type: "key", key: "Left", scancode: "Left", pressed: false },
    { t: 100, type: "button", pad: 0, button: "y", pressed: false },
    { t: 120, type: "pad", pad: 0, attached: false },
  ]);
  const record = await Deno.makeTempFile({ suffix: ".jsonl" });
  await using server = await startServer(["--no-auth"]);
  const live = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "live",
    "--no-window",
    "--virtual",
    file,
    "--record",
    record,
  ], { env: HEADLESS });
  assert.equal((await live.exit(30000)).code, 0, live.stderr.text);
  const replayed = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "again",
    "--replay",
    record,
  ]);
  assert.equal((await replayed.exit()).code, 0, replayed.stderr.text);
  await server.stdout.waitFor(
    () => server.events().filter((e) => e.type === "disconnect").length === 2,
    { timeoutMs: 5000, what: "two disconnects" },
  );
  const of = (client: string) =>
    inputEvents(server.events().filter((e) => e.client === client && e.type !== "disconnect"));
  assert.ok(of("live").length >= 7, JSON.stringify(of("live")));
  assert.deepEqual(of("again"), of("live"));
  // The recording holds what was sent, with times, in the replay format.
  const lines = (await Deno.readTextFile(record)).trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(lines.every((l) => typeof l.t === "number"));
  await Deno.remove(file);
  await Deno.remove(record);
});
