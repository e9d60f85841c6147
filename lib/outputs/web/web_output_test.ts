import assert from "node:assert/strict";
import { PadlinkConnection } from "../../client/client.ts";
import { PadlinkServer } from "../../server/server.ts";
import { formatJson } from "../format.ts";
import denoJson from "../../../deno.json" with { type: "json" };
import { STATIC_DIR, STATIC_FILES } from "./static_files.ts";
import { WebAccessError, WebOutput } from "./web_output.ts";
import { withDeadline } from "../../net/deadline.ts";

const TOKEN = "k7q2-m9xd-3fpa-wz8c";

async function start(statsMs?: number) {
  const lines: string[] = [];
  const server = await PadlinkServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: TOKEN,
    onEvent: (event) => lines.push(formatJson(event)),
  });
  const web = await WebOutput.start({
    hostname: "127.0.0.1",
    port: 0,
    token: "k7q2m9xd3fpawz8c",
    statsMs,
  });
  server.addOutput(web);
  return { server, web, lines };
}

/** Wait (at most 5 s) until `test` holds. */
async function until(test: () => boolean): Promise<void> {
  const deadline = performance.now() + 5000;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${test}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A WebSocket on /events that collects its messages. */
async function viewer(web: WebOutput) {
  const socket = new WebSocket(`${web.url.replace("http", "ws")}events`);
  const messages: string[] = [];
  const waiters: (() => void)[] = [];
  socket.onmessage = (message) => {
    messages.push(message.data as string);
    waiters.splice(0).forEach((wake) => wake());
  };
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("WebSocket failed"));
  });
  return {
    socket,
    messages,
    closed,
    async waitFor(count: number, timeoutMs = 5000): Promise<string[]> {
      const deadline = performance.now() + timeoutMs;
      while (messages.length < count) {
        if (performance.now() > deadline) {
          throw new Error(`only ${messages.length} of ${count} messages: ${messages.join("\n")}`);
        }
        await withDeadline(new Promise<void>((wake) => waiters.push(wake)), 50, () => {});
      }
      return messages;
    },
  };
}

Deno.test("WebOutput: /events sends the snapshot first, then each event exactly as --json", async () => {
  const { server, web, lines } = await start();
  await using _ = server;
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: server.addr.port,
    name: "alice",
    token: TOKEN,
  });
  connection.send([
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "a", pressed: true },
  ]);
  // A page opened mid-session: the held button comes in the snapshot.
  const deadline = performance.now() + 5000;
  while (!lines.some((l) => l.includes('"button"')) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const page = await viewer(web);
  const [first] = await page.waitFor(1);
  const snapshot = JSON.parse(first!);
  assert.equal(snapshot.type, "snapshot");
  assert.equal(snapshot.clients.length, 1);
  assert.equal(snapshot.clients[0].client, "alice");
  assert.deepEqual(snapshot.clients[0].inputs, [
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "a", pressed: true },
  ]);

  const before = lines.length;
  connection.send([
    { type: "key", key: "<script>", scancode: "A", pressed: true },
    { type: "button", pad: 0, button: "a", pressed: false },
  ]);
  assert.equal(await connection.goodbye(), true);
  await page.waitFor(5);
  // key, button, then the key's release and the disconnect the server
  // reports (with a stats record between them if a second passed).
  const messages = page.messages.filter((m) => !m.startsWith('{"type":"stats"'));
  assert.deepEqual(messages.slice(1), lines.slice(before, before + messages.length - 1));
  assert.equal(JSON.parse(messages[1]!).key, "<script>");
  page.socket.close();
  await page.closed;
  await until(() => web.viewers === 0);
});

Deno.test("WebOutput: pages get a stats record per client at the interval, as --json --stats writes it", async () => {
  const { server, web } = await start(100);
  await using _ = server;
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: server.addr.port,
    name: "alice",
    token: TOKEN,
  });
  const page = await viewer(web);
  connection.send([
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "a", pressed: true },
  ]);
  const deadline = performance.now() + 5000;
  const stats = () =>
    page.messages.filter((m) => m.startsWith('{"type":"stats"')).map((m) => JSON.parse(m));
  while (!stats().some((s) => s.rtt_us !== null) && performance.now() < deadline) {
    await page.waitFor(page.messages.length + 1).catch(() => {});
  }
  const record = stats().find((s) => s.rtt_us !== null);
  assert.ok(record, page.messages.join("\n"));
  assert.equal(record.client, "alice");
  assert.ok(record.rtt_us >= 0 && record.rtt_us < 50_000);
  assert.equal(typeof record.offset_us, "number");
  assert.equal(await connection.goodbye(), true);
  page.socket.close();
  await page.closed;
  await until(() => web.viewers === 0);
});

Deno.test("WebOutput: a command gets the server's answer as {ok:false,error}", async () => {
  const { server, web } = await start();
  await using _ = server;
  const page = await viewer(web);
  await page.waitFor(1);
  page.socket.send(
    JSON.stringify({ type: "rumble", client: "bob", pad: 0, low: 1, high: 1, ms: 100, id: 7 }),
  );
  page.socket.send(JSON.stringify({ type: "explode", client: "bob", pad: 0 }));
  page.socket.send("not json");
  const messages = await page.waitFor(4);
  // Answers come in the order the commands were sent.
  assert.deepEqual(messages.slice(1).map((m) => JSON.parse(m)), [
    { id: 7, ok: false, error: "no client named bob" },
    {
      ok: false,
      error: 'unknown command type "explode"; expected rumble, trigger_rumble, led or motion',
    },
    { ok: false, error: "a command is one JSON object" },
  ]);
  page.socket.close();
  await page.closed;
});

Deno.test("WebOutput: a page's rumble and LED commands reach the client's pad", async () => {
  const { server, web } = await start();
  await using _ = server;
  const feedback: unknown[] = [];
  const connection = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: server.addr.port,
    name: "carol",
    token: TOKEN,
    onFeedback: (message) => feedback.push(message),
  });
  try {
    connection.send([{ type: "pad", pad: 1, attached: true, name: "Pad" }]);
    const page = await viewer(web);
    await until(() => server.snapshot().clients[0]?.inputs.length === 1);
    await page.waitFor(1);
    page.socket.send(
      JSON.stringify({
        type: "rumble",
        client: "carol",
        pad: 1,
        low: 1,
        high: 0.5,
        ms: 250,
        id: 1,
      }),
    );
    page.socket.send(
      JSON.stringify({ type: "led", client: "carol", pad: 1, rgb: "#00ff7f", id: 2 }),
    );
    page.socket.send(JSON.stringify({ type: "led", client: "carol", pad: 1, rgb: "green", id: 3 }));
    await until(() => feedback.length >= 2);
    assert.deepEqual(feedback, [
      { type: "rumble", pad: 1, low: 65535, high: 32768, durationMs: 250 },
      { type: "led", pad: 1, red: 0, green: 255, blue: 127 },
    ]);
    // The snapshot (which holds the pad already), then the three answers.
    const answers = (await page.waitFor(4)).slice(1).map((m) => JSON.parse(m));
    assert.deepEqual(
      answers,
      [
        { id: 1, ok: true },
        { id: 2, ok: true },
        { id: 3, ok: false, error: 'led: "rgb" must be a colour as #rrggbb, got "green"' },
      ],
    );
    page.socket.close();
    await page.closed;
  } finally {
    await connection.goodbye();
  }
});

/** Send a raw HTTP request and return the start of the response. */
async function rawRequest(port: number, head: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(head));
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}

Deno.test("WebOutput refuses a WebSocket upgrade from another origin", async () => {
  const { server, web } = await start();
  await using _ = server;
  const upgrade = (origin: string) =>
    rawRequest(
      web.addr.port,
      `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${web.addr.port}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  assert.match(await upgrade("http://evil.example"), /^HTTP\/1\.1 403/);
  assert.match(await upgrade(`http://127.0.0.1:${web.addr.port}`), /^HTTP\/1\.1 101/);
  await until(() => web.viewers === 0);
});

Deno.test("WebOutput logs refused upgrades from other sites at most once a second, counting the rest", async () => {
  const logs: string[] = [];
  const web = await WebOutput.start({
    hostname: "127.0.0.1",
    port: 0,
    token: null,
    onLog: (m) => logs.push(m),
  });
  try {
    const started = performance.now();
    for (let i = 0; i < 30; i++) {
      const reply = await rawRequest(
        web.addr.port,
        `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${web.addr.port}\r\nOrigin: http://evil${i}.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      assert.match(reply, /^HTTP\/1\.1 403/, `attempt ${i}`);
    }
    const seconds = Math.ceil((performance.now() - started) / 1000);
    assert.ok(logs.length >= 1 && logs.length <= 1 + seconds, logs.join("\n"));
    assert.match(
      logs[0]!,
      /^web: refused a WebSocket from another site's page \(Origin "http:\/\/evil0\.example"\)$/,
    );
  } finally {
    await web.close();
  }
});

Deno.test("WebOutput on loopback answers only to loopback names in Host (DNS rebinding)", async () => {
  const { server, web } = await start();
  await using _ = server;
  const get = (host: string) =>
    rawRequest(web.addr.port, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  assert.match(await get("rebound.example:7176"), /^HTTP\/1\.1 403/);
  assert.match(await get(`localhost:${web.addr.port}`), /^HTTP\/1\.1 200/);
  assert.match(await get(`127.0.0.1:${web.addr.port}`), /^HTTP\/1\.1 200/);
});

Deno.test("WebOutput serves the pages and their files, with a CSP and no sniffing", async () => {
  const { server, web } = await start();
  await using _ = server;
  for (const path of ["", "overlay?pad=1"]) {
    const response = await fetch(web.url + path);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/html/);
    assert.match(response.headers.get("content-security-policy")!, /script-src 'self'/);
    await response.body?.cancel();
  }
  for (const name of STATIC_FILES) {
    const response = await fetch(`${web.url}static/${name}`);
    assert.equal(response.status, 200, name);
    assert.deepEqual(
      new Uint8Array(await response.arrayBuffer()),
      await Deno.readFile(new URL(name, STATIC_DIR)),
    );
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  }
  for (const path of ["static/../web_output.ts", "static/nope.js", "nope"]) {
    const response = await fetch(web.url + path);
    assert.equal(response.status, 404, path);
    await response.body?.cancel();
  }
  // Loopback: no token asked for.
  assert.equal(web.requiresToken, false);
});

Deno.test("WebOutput.start refuses a network address without a token", async () => {
  await assert.rejects(
    () => WebOutput.start({ hostname: "0.0.0.0", port: 0, token: null }),
    WebAccessError,
  );
});

Deno.test("the compile:server task includes every static file, and the folder holds no other", async () => {
  const task = denoJson.tasks["compile:server"];
  const includes = [...task.matchAll(/--include[= ](\S+)/g)].map((m) => m[1]!.replace(/\/$/, ""));
  const root = new URL("../../../", import.meta.url);
  for (const name of STATIC_FILES) {
    const path = new URL(name, STATIC_DIR).pathname.slice(root.pathname.length);
    assert.ok(
      includes.some((include) => path === include || path.startsWith(include + "/")),
      `${path} is not in compile:server's --include (${includes.join(", ")})`,
    );
  }
  const found: string[] = [];
  const walk = async (dir: URL, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) await walk(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`);
      else found.push(prefix + entry.name);
    }
  };
  await walk(STATIC_DIR, "");
  assert.deepEqual(found.sort(), [...STATIC_FILES].sort());
});
