/**
 * End-to-end for `padlink-server --web`: the real server and client
 * processes, and Debian's Chromium (headless, driven over the DevTools
 * protocol by tests/_chromium.ts) showing the dashboard and the overlay.
 */

import assert from "node:assert/strict";
import { decode as decodePng } from "fast-png";
import { Chromium, type Page } from "./_chromium.ts";
import { withDeadline } from "../lib/net/deadline.ts";
import denoJson from "../deno.json" with { type: "json" };
import { STATIC_DIR, STATIC_FILES } from "../lib/outputs/web/static_files.ts";
import { Proc, ROOT, type ServerProc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

const HEADLESS = { SDL_VIDEODRIVER: "dummy" };

/** Start the server with `--web 127.0.0.1:0`; returns it with the web view's URL. */
async function startWebServer(args: string[] = []): Promise<ServerProc & { url: string }> {
  const server = await startServer(["--web", "127.0.0.1:0", ...args]);
  const line = await server.stdout.waitFor((l) => l.includes('"type":"web"'), {
    timeoutMs: 5000,
    what: "web",
  });
  return Object.assign(server, { url: JSON.parse(line.text).url as string });
}

function clientArgs(server: ServerProc, name: string): string[] {
  const args = ["--port", String(server.port), "--name", name];
  if (server.token) args.push("--token", server.token);
  return args;
}

/**
 * Record, in the page, every change the dashboard makes to a pad: a button
 * lit or un-lit, a stick dot's offset from its well's centre (in pixels, as
 * laid out), a trigger's fill (as a fraction of its frame), a pad drawn or
 * removed. Read back with `window.padlinkLog`.
 */
const RECORDER = `
window.padlinkLog = [];
new MutationObserver((records) => {
  for (const record of records) {
    const node = record.target;
    const pad = node.closest?.("[data-pad]")?.dataset.pad;
    if (record.type === "childList") {
      for (const added of record.addedNodes) {
        if (added.matches?.("figure[data-pad]")) padlinkLog.push({ kind: "pad", pad: added.dataset.pad, attached: true });
      }
      for (const removed of record.removedNodes) {
        if (removed.matches?.("figure[data-pad]")) padlinkLog.push({ kind: "pad", pad: removed.dataset.pad, attached: false });
      }
    } else if (node.dataset.stickDot && record.attributeName === "transform") {
      const well = node.parentNode.querySelector(".well").getBoundingClientRect();
      const dot = node.getBoundingClientRect();
      padlinkLog.push({
        kind: "stick", pad, stick: node.dataset.stickDot,
        dx: dot.x + dot.width / 2 - (well.x + well.width / 2),
        dy: dot.y + dot.height / 2 - (well.y + well.height / 2),
        wellRadius: well.width / 2,
        range: Number(node.closest("[data-range]").dataset.range),
        wellR: Number(node.parentNode.querySelector(".well").getAttribute("r")),
      });
    } else if (node.dataset.trigger && record.attributeName === "style") {
      const frame = node.parentNode.querySelector(".frame").getBoundingClientRect();
      padlinkLog.push({ kind: "trigger", pad, trigger: node.dataset.trigger, fill: node.getBoundingClientRect().height / frame.height });
    } else if (node.dataset.button && record.attributeName === "class") {
      padlinkLog.push({ kind: "button", pad, button: node.dataset.button, on: !/\\bon\\b/.test(record.oldValue ?? "") });
    }
  }
}).observe(document.body, { subtree: true, childList: true, attributes: true, attributeOldValue: true, attributeFilter: ["class", "transform", "style"] });
true`;

type LogEntry = Record<string, string | number | boolean>;

Deno.test("web: the dashboard lights A, moves the left stick, fills a trigger and follows hot-plug (SDL virtual pads)", async () => {
  await using server = await startWebServer(["--no-auth"]);
  await using chromium = await Chromium.launch();
  const page = await chromium.newPage(server.url);
  await page.waitFor(`document.getElementById("status").dataset.status === "live"`);
  assert.equal(await page.evaluate(RECORDER), true);
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Virtual Xbox Pad" },
    { t: 400, type: "button", pad: 0, button: "a", pressed: true },
    { t: 700, type: "axis", pad: 0, axis: "leftx", value: 0.5 },
    { t: 1000, type: "axis", pad: 0, axis: "righttrigger", value: 0.75 },
    { t: 1300, type: "pad", pad: 1, attached: true, name: "Hot-plugged Pad" },
    { t: 1600, type: "pad", pad: 1, attached: false },
    { t: 1900, type: "button", pad: 0, button: "a", pressed: false },
    { t: 2200, type: "axis", pad: 0, axis: "leftx", value: 0 },
  ]);
  const client = spawnEntrypoint("client.ts", [
    ...clientArgs(server, "sdl"),
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
  // The page has seen the disconnect once the client's card is gone.
  await page.waitFor(`!document.querySelector("[data-client]")`, 5000, "the card removed");
  const log = await page.evaluate<LogEntry[]>("padlinkLog");
  const index = (test: (e: LogEntry) => boolean) => log.findIndex(test);

  const lit = index((e) =>
    e.kind === "button" && e.pad === "0" && e.button === "a" && e.on === true
  );
  const unlit = index((e) => e.kind === "button" && e.pad === "0" && e.button === "a" && !e.on);
  assert.ok(lit >= 0, `A never lit: ${JSON.stringify(log)}`);
  assert.ok(unlit > lit, `A did not un-light after lighting: ${JSON.stringify(log)}`);

  const moved = log.find((e) =>
    e.kind === "stick" && e.stick === "left" && Math.abs(e.dx as number) > 1
  );
  assert.ok(moved, `the left stick never moved: ${JSON.stringify(log)}`);
  // 0.5 of the stick's range, in the well's own scale as drawn on screen.
  const expected = 0.5 * (moved.range as number) / (moved.wellR as number) *
    (moved.wellRadius as number);
  assert.ok(
    Math.abs((moved.dx as number) - expected) < 0.5 && Math.abs(moved.dy as number) < 0.5,
    `dot at (${moved.dx}, ${moved.dy}), expected (${expected}, 0)`,
  );
  const back = log.findLast((e) => e.kind === "stick" && e.stick === "left");
  assert.ok(back && Math.abs(back.dx as number) < 0.5, "the stick went back to the centre");

  const filled = log.find((e) => e.kind === "trigger" && e.trigger === "righttrigger" && e.fill);
  assert.ok(filled, `the right trigger never filled: ${JSON.stringify(log)}`);
  assert.ok(Math.abs((filled.fill as number) - 0.75) < 0.02, `filled ${filled.fill}`);

  const plugged = index((e) => e.kind === "pad" && e.pad === "1" && e.attached === true);
  const unplugged = index((e) => e.kind === "pad" && e.pad === "1" && !e.attached);
  assert.ok(plugged >= 0, `pad 1 never appeared: ${JSON.stringify(log)}`);
  assert.ok(unplugged > plugged, `pad 1 did not disappear: ${JSON.stringify(log)}`);
  await Deno.remove(file);
});

/** A client that attaches a pad, holds A, the right trigger and W, and waits a minute. */
async function holdingClient(server: ServerProc, name: string, padName: string): Promise<Proc> {
  const file = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: padName },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 0, type: "axis", pad: 0, axis: "righttrigger", value: 1 },
    { t: 0, type: "key", key: "W", scancode: "W", pressed: true },
    { t: 60000, type: "button", pad: 0, button: "a", pressed: false },
  ]);
  const client = spawnEntrypoint("client.ts", [...clientArgs(server, name), "--replay", file]);
  await server.stdout.waitFor(
    (l) => l.includes('"type":"key"') && l.includes(JSON.stringify(name)),
    { timeoutMs: 10000, what: "the held key" },
  );
  await Deno.remove(file);
  return client;
}

const SCRIPT_NAME = "<script>window.pwned=1</script>";
const IMG_NAME = '<img src="x" onerror="window.pwned=2">';

Deno.test("web: a page opened mid-session shows held inputs from the snapshot, and names as text", async () => {
  await using server = await startWebServer(["--no-auth"]);
  await using _client = await holdingClient(server, SCRIPT_NAME, IMG_NAME);
  await using chromium = await Chromium.launch();
  const page = await chromium.newPage(server.url);
  const card = `document.querySelector("[data-client]")`;
  await page.waitFor(`${card}?.querySelector('[data-button="a"].on')`, 10000, "A lit");
  assert.equal(
    await page.evaluate(`${card}.querySelector('[data-trigger="righttrigger"]').style.transform`),
    "scaleY(1)",
  );
  assert.deepEqual(
    await page.evaluate(`[...${card}.querySelectorAll("kbd.on")].map((k) => k.textContent)`),
    ["W"],
  );
  // Names are text: the exact string shows, and nothing it spells was made.
  assert.equal(await page.evaluate(`${card}.querySelector("h2").textContent`), SCRIPT_NAME);
  assert.equal(await page.evaluate(`${card}.querySelector("h2").childElementCount`), 0);
  assert.equal(
    await page.evaluate(`${card}.querySelector("figcaption").textContent`),
    `pad 0: ${IMG_NAME}`,
  );
  assert.equal(await page.evaluate(`document.querySelectorAll("main script, main img").length`), 0);
  assert.equal(await page.evaluate(`window.pwned`), undefined);
  // The figures of the server's stats line, once a second.
  await page.waitFor(
    `/rtt [0-9.]+ ms/.test(${card}.querySelector(".latency").textContent)`,
    10000,
    "the round trip shown",
  );
});

Deno.test("web: the overlay draws one pad and the chosen keys on a transparent background", async () => {
  await using server = await startWebServer(["--no-auth"]);
  await using chromium = await Chromium.launch();
  // Opened before its client exists: it shows the pad once the client connects.
  const name = "streamer";
  const page = await chromium.newPage(
    `${server.url}overlay?client=${name}&pad=0&skin=playstation&keys=w,a,s,d,space`,
    { width: 460, height: 360 },
  );
  await using _client = await holdingClient(server, name, "Some Pad");
  await page.waitFor(`document.querySelector('.overlay-pad [data-button="a"].on')`, 10000, "A lit");
  assert.equal(
    await page.evaluate(`!!document.querySelector(".overlay-pad .skin-playstation")`),
    true,
  );
  assert.deepEqual(
    await page.evaluate(
      `[...document.querySelectorAll("kbd")].map((k) => [k.textContent, k.classList.contains("on")])`,
    ),
    [["W", true], ["A", false], ["S", false], ["D", false], ["space", false]],
  );
  const png = decodePng(await page.screenshot(true));
  assert.equal(png.channels, 4, "the screenshot has an alpha channel");
  const alpha = (x: number, y: number) => png.data[(y * png.width + x) * 4 + 3];
  const box = await page.evaluate<{ x: number; y: number; width: number; height: number }>(
    `(() => { const r = document.querySelector(".overlay-pad svg").getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; })()`,
  );
  // Every corner and the whole bottom row are see-through; the pad's body is opaque.
  for (
    const [x, y] of [[0, 0], [png.width - 1, 0], [0, png.height - 1], [
      png.width - 1,
      png.height - 1,
    ]]
  ) {
    assert.equal(alpha(x!, y!), 0, `pixel ${x},${y} is not transparent`);
  }
  for (let x = 0; x < png.width; x++) assert.equal(alpha(x, png.height - 1), 0);
  const bodyX = Math.round(box.x + box.width / 2);
  const bodyY = Math.round(box.y + box.height * 0.6);
  assert.equal(alpha(bodyX, bodyY), 255, `the pad's body at ${bodyX},${bodyY} is not opaque`);

  // scale= sizes it: 400 px wide at scale 1, 200 at 0.5.
  assert.equal(box.width, 400);
  await page.goto(`${server.url}overlay?client=${name}&pad=0&scale=0.5`);
  await page.waitFor(
    `document.querySelector('.overlay-pad [data-button="a"].on')`,
    10000,
    "A lit at scale 0.5",
  );
  assert.equal(
    await page.evaluate(`document.querySelector(".overlay-pad svg").getBoundingClientRect().width`),
    200,
  );
});

Deno.test("web: a WebSocket upgrade from another site's page is refused, the page's own is not", async () => {
  await using server = await startWebServer(["--no-auth"]);
  await using other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response("<!doctype html><title>another site</title>", {
        headers: { "content-type": "text/html" },
      }),
  );
  await using chromium = await Chromium.launch();
  const events = server.url.replace("http", "ws") + "events";
  const tryOpen = (page: Page) =>
    page.evaluate<string>(`new Promise((resolve) => {
      const socket = new WebSocket(${JSON.stringify(events)});
      socket.onopen = () => { resolve("open"); socket.close(); };
      socket.onclose = (event) => resolve("closed " + event.code);
    })`);
  const foreign = await chromium.newPage(`http://127.0.0.1:${other.addr.port}/`);
  assert.equal(await tryOpen(foreign), "closed 1006");
  await server.stderr.waitFor((l) =>
    l.includes(
      `refused a WebSocket from another site's page (Origin "http://127.0.0.1:${other.addr.port}")`,
    ), { timeoutMs: 5000, what: "the refusal logged" });
  const own = await chromium.newPage(server.url);
  assert.equal(await tryOpen(own), "open");
});

/** Read WebSocket frames from a raw connection until a close frame; returns its status code. */
async function readUntilClose(conn: Deno.Conn, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  let buffer = new Uint8Array(0);
  const chunk = new Uint8Array(256 * 1024);
  let headDone = false;
  while (performance.now() < deadline) {
    // A server that neither sends nor closes must not hold the read past the deadline.
    const n = await withDeadline(conn.read(chunk), deadline - performance.now(), () => null);
    if (n === null) return null;
    const joined = new Uint8Array(buffer.length + n);
    joined.set(buffer);
    joined.set(chunk.subarray(0, n), buffer.length);
    buffer = joined;
    if (!headDone) {
      const end = new TextDecoder().decode(buffer.subarray(0, 2048)).indexOf("\r\n\r\n");
      if (end < 0) continue;
      buffer = buffer.subarray(end + 4);
      headDone = true;
    }
    // Server frames are unmasked: opcode, length (7, 16 or 64 bits), payload.
    while (buffer.length >= 2) {
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) break;
        length = (buffer[2]! << 8) | buffer[3]!;
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) break;
        length = Number(new DataView(buffer.buffer, buffer.byteOffset + 2, 8).getBigUint64(0));
        offset = 10;
      }
      if (buffer.length < offset + length) break;
      if ((buffer[0]! & 0x0f) === 0x8) return (buffer[offset]! << 8) | buffer[offset + 1]!;
      buffer = buffer.subarray(offset + length);
    }
  }
  throw new Error(`no close frame within ${timeoutMs} ms`);
}

Deno.test("web: a WebSocket consumer that stops reading is closed and does not hold back stdout or other pages", async () => {
  await using server = await startWebServer(["--no-auth"]);
  const port = Number(new URL(server.url).port);
  // A consumer that upgrades and then never reads.
  const stuck = await Deno.connect({ hostname: "127.0.0.1", port });
  await stuck.write(new TextEncoder().encode(
    `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  ));
  // A page that keeps up (or, when it falls behind, reconnects and resyncs).
  await using chromium = await Chromium.launch();
  const page = await chromium.newPage(server.url);
  await page.waitFor(`document.getElementById("status").dataset.status === "live"`);

  // A flood of button changes, more than the kernel's socket buffers and the queue's bound hold.
  const flood: Record<string, unknown>[] = [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Flood" },
  ];
  const presses = 60000;
  for (let i = 0; i < presses; i++) {
    flood.push({ type: "button", pad: 0, button: "a", pressed: i % 2 === 0 });
  }
  const file = await writeReplay(flood);
  const flooder = spawnEntrypoint("client.ts", [...clientArgs(server, "flood"), "--replay", file]);
  assert.equal((await flooder.exit(60000)).code, 0, flooder.stderr.text);
  await server.stderr.waitFor(
    (l) => /web: the page at .* fell \d+ messages behind; closed it/.test(l),
    { timeoutMs: 30000, what: "the stuck page closed" },
  );

  const closedLine = server.stderr.lines.find((l) => l.includes("fell"))!;
  assert.ok(
    closedLine.includes(`127.0.0.1:${(stuck.localAddr as Deno.NetAddr).port} fell`),
    closedLine,
  );

  // Another client's event still reaches stdout, and the page that reads shows it.
  const bob = await holdingClient(server, "bob", "Bob's Pad");
  await using _bob = bob;
  // Every flood event reached stdout.
  const floodLines = server.stdout.lines.filter((l) =>
    l.includes('"client":"flood"') && l.includes('"type":"button"')
  );
  assert.equal(floodLines.length, presses);
  await page.waitFor(
    `document.querySelector('[data-client="bob"] [data-button="a"].on')`,
    15000,
    "bob's A lit on the dashboard",
  );
  // The flood client has gone, and the dashboard agrees.
  assert.equal(await page.evaluate(`document.querySelector('[data-client="flood"]')`), null);

  // Only now does the stuck consumer read: its backlog ends with "too slow" (1013).
  assert.equal(await readUntilClose(stuck, 20000), 1013);
  stuck.close();
  await Deno.remove(file);
});

Deno.test("web: --json announces the URL right after listening; the human output prints it", async () => {
  await using server = await startWebServer(["--no-auth"]);
  const records = server.stdout.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.equal(records[0].type, "listening");
  assert.deepEqual(records[1], { type: "web", url: server.url });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await fetch(server.url);
  assert.equal(page.status, 200);
  await page.body?.cancel();

  await using human = spawnEntrypoint("server.ts", [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-auth",
    "--web",
    "127.0.0.1:0",
  ]);
  const line = await human.stdout.waitFor((l) => l.startsWith("web view on "), {
    timeoutMs: 15000,
    what: "the URL",
  });
  assert.match(line.text, /^web view on http:\/\/127\.0\.0\.1:\d+\/$/);
});

Deno.test("web: bad --web values and --web off loopback without a token are one-line usage errors", async () => {
  for (
    const [args, message] of [
      [["--web", "nonsense"], "--web takes [ADDR:]PORT"],
      [["--web", "127.0.0.1:99999"], "--web must be a port number"],
      [["--web", "0.0.0.0:0", "--no-auth"], "is reachable from the network"],
    ] as const
  ) {
    const proc = spawnEntrypoint("server.ts", ["--port", "0", ...args]);
    const status = await proc.exit();
    assert.equal(status.code, 2, proc.stderr.text);
    assert.equal(proc.stderr.lines.filter((l) => l !== "").length, 1, proc.stderr.text);
    assert.ok(proc.stderr.text.includes(message), proc.stderr.text);
  }
});

Deno.test("web: a --web port already taken is one line and exit 1, before clients could connect", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const proc = spawnEntrypoint("server.ts", [
    "--json",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--web",
    `127.0.0.1:${port}`,
  ]);
  const status = await proc.exit();
  assert.equal(status.code, 1, proc.stderr.text);
  assert.deepEqual(proc.stderr.lines.filter((l) => l !== ""), [
    `padlink-server: --web 127.0.0.1:${port}: the port is already in use; pick another`,
  ]);
  // The web view failed before the server listened: nothing on stdout.
  assert.equal(proc.stdout.text, "");
});

Deno.test({
  name: "web: the compiled server serves the page files from inside the binary (needs DENORT_BIN)",
  ignore: !Deno.env.get("DENORT_BIN"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "padlink-web-compile-" });
    try {
      // The compile:server task as deno.json has it, writing into a scratch folder.
      const task = (denoJson.tasks as Record<string, string>)["compile:server"]!;
      const words = task.split(/\s+/).slice(1);
      words[words.indexOf("--output") + 1] = `${dir}/padlink-server`;
      const compile = await new Deno.Command(Deno.execPath(), { args: words, cwd: ROOT })
        .output();
      assert.equal(compile.code, 0, new TextDecoder().decode(compile.stderr));
      // Run it away from the checkout, so only the embedded files can be found.
      await using server = new Proc(
        new Deno.Command(`${dir}/padlink-server`, {
          args: [
            "--json",
            "--no-auth",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--web",
            "127.0.0.1:0",
          ],
          cwd: dir,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn(),
      );
      const line = await server.stdout.waitFor((l) => l.includes('"type":"web"'), {
        timeoutMs: 15000,
        what: "the web record",
      });
      const url = JSON.parse(line.text).url as string;
      for (const name of STATIC_FILES) {
        const response = await fetch(`${url}static/${name}`);
        assert.equal(response.status, 200, name);
        assert.deepEqual(
          new Uint8Array(await response.arrayBuffer()),
          await Deno.readFile(new URL(name, STATIC_DIR)),
          name,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
