/**
 * `padlink-client --map FILE` end to end: the keyboard as a pad under Xvfb
 * (keys typed into the real window with xdotool), buttons swapped on an SDL
 * virtual pad, `--record` writing the mapped events, and a bad map file.
 */

import assert from "node:assert/strict";
import {
  assertOneLineError,
  spawnEntrypoint,
  startServer,
  withoutTime,
  writeReplay,
} from "./_util.ts";
import { findWindow, retry, run, withXvfb } from "./_xvfb.ts";

const HEADLESS = { SDL_VIDEODRIVER: "dummy" };

async function writeMap(map: unknown): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "padlink-map-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(map));
  return path;
}

function inputOnly(events: Record<string, unknown>[]) {
  return events
    .filter((e) => ["pad", "button", "axis", "key"].includes(e.type as string))
    .map(({ client: _client, kind: _k, vendor: _v, product: _p, capabilities: _c, ...rest }) =>
      rest
    );
}

Deno.test("--map makes WASD and Space a keyboard pad under Xvfb; other keys stay keys; --record has the mapped events", async () => {
  const map = await writeMap({
    keyboard: {
      pad: 8,
      name: "Keyboard",
      buttons: { Space: "a" },
      axes: { W: "-lefty", S: "+lefty", A: "-leftx", D: "+leftx" },
    },
  });
  const record = await Deno.makeTempFile({ suffix: ".jsonl" });
  await using server = await startServer(["--no-auth"]);
  await withXvfb(async (display) => {
    await using client = spawnEntrypoint("client.ts", [
      "--port",
      String(server.port),
      "--name",
      "typist",
      "--map",
      map,
      "--record",
      record,
    ]);
    await server.waitEvent({ type: "pad", pad: 8, attached: true }, { timeoutMs: 15000 });
    const window = await findWindow(display, "connected to");
    await run("xdotool", ["windowactivate", "--sync", window], display.env)
      .catch(() => run("xdotool", ["windowfocus", "--sync", window], display.env));
    await run("xdotool", ["keydown", "--window", window, "w"], display.env);
    await run("xdotool", ["keydown", "--window", window, "d"], display.env);
    await run("xdotool", ["keyup", "--window", window, "w"], display.env);
    await run("xdotool", ["keyup", "--window", window, "d"], display.env);
    await run("xdotool", ["key", "--window", window, "space", "q"], display.env);
    const want = [
      { type: "pad", pad: 8, attached: true, name: "Keyboard" },
      { type: "axis", pad: 8, axis: "lefty", value: -1 },
      { type: "axis", pad: 8, axis: "leftx", value: 1 },
      { type: "axis", pad: 8, axis: "lefty", value: 0 },
      { type: "axis", pad: 8, axis: "leftx", value: 0 },
      { type: "button", pad: 8, button: "a", pressed: true },
      { type: "button", pad: 8, button: "a", pressed: false },
      { type: "key", key: "Q", scancode: "Q", pressed: true },
      { type: "key", key: "Q", scancode: "Q", pressed: false },
    ];
    const got = () => inputOnly(server.events()).map(withoutTime);
    await retry(
      "the mapped events",
      () => Promise.resolve(got().length >= want.length || undefined),
    )
      .catch((error) => {
        throw new Error(`${error.message}; server printed:\n${server.stdout.text}`);
      });
    assert.deepEqual(got(), want);
    client.kill("SIGTERM");
    assert.equal((await client.exit()).code, 0, client.stderr.text);
    // The record holds what was sent: the keyboard pad, not the keys.
    const recorded = (await Deno.readTextFile(record)).trim().split("\n").map((line) =>
      withoutTime(JSON.parse(line))
    );
    assert.deepEqual(recorded.slice(0, want.length), want);
  });
  await Deno.remove(map);
  await Deno.remove(record);
});

Deno.test("--map swaps buttons and shapes axes of an SDL virtual pad before sending", async () => {
  const map = await writeMap({
    buttons: { a: "b", b: "a" },
    axes: { lefty: { invert: true }, rightx: { deadzone: 0.5, scale: 2 } },
  });
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Virtual Pad" },
    { t: 20, type: "button", pad: 0, button: "a", pressed: true },
    { t: 40, type: "button", pad: 0, button: "a", pressed: false },
    { t: 60, type: "axis", pad: 0, axis: "lefty", value: 0.5 },
    { t: 80, type: "axis", pad: 0, axis: "rightx", value: 0.75 },
    { t: 120, type: "pad", pad: 0, attached: false },
  ]);
  await using server = await startServer(["--no-auth"]);
  const client = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "mapped",
    "--no-window",
    "--deadzone",
    "0",
    "--map",
    map,
    "--virtual",
    file,
  ], { env: HEADLESS });
  assert.equal((await client.exit(30000)).code, 0, client.stderr.text);
  await server.waitEvent({ type: "disconnect" });
  const got = inputOnly(server.events());
  assert.deepEqual(got.slice(1, 4), [
    { type: "button", pad: 0, button: "b", pressed: true },
    { type: "button", pad: 0, button: "b", pressed: false },
    { type: "axis", pad: 0, axis: "lefty", value: -0.5 },
  ]);
  // rightx 0.75: (0.75 - 0.5) / 0.5 = 0.5, times 2 = 1.
  assert.ok(got.some((e) => e.type === "axis" && e.axis === "rightx" && e.value === 1));
  await Deno.remove(map);
  await Deno.remove(file);
});

Deno.test("--map: a bad map file is one line naming the entry, before connecting", async () => {
  const cases: [unknown, RegExp][] = [
    [{ buttons: { a: "jump" } }, /--map .*: buttons\.a: "jump" is not a button to send/],
    [{ keyboard: { axes: { W: "up" } } }, /--map .*: keyboard\.axes\.W: must be "\+AXIS"/],
  ];
  for (const [map, pattern] of cases) {
    const path = await writeMap(map);
    const client = spawnEntrypoint("client.ts", ["--port", "1", "--map", path]);
    const status = await client.exit();
    assert.equal(status.code, 2, client.stderr.text);
    assertOneLineError(client.stderr.text, pattern);
    await Deno.remove(path);
  }
  const notJson = await Deno.makeTempFile();
  await Deno.writeTextFile(notJson, "{buttons");
  const client = spawnEntrypoint("client.ts", ["--port", "1", "--map", notJson]);
  assert.equal((await client.exit()).code, 2);
  assertOneLineError(client.stderr.text, /--map .*: not JSON/);
  await Deno.remove(notJson);
});
