/**
 * `padlink-server --nats` end to end: the real server process, a real
 * `nats-server` on a free loopback port (`_nats.ts`), subscribers made with
 * the NATS client library, and clients that are the real `padlink-client`
 * or the client library over real sockets.
 */

import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { PadlinkConnection } from "../lib/client/client.ts";
import { sleep, withDeadline } from "../lib/net/deadline.ts";
import { nameFromToken, subjectToken } from "../lib/outputs/nats/subjects.ts";
import { NatsServer } from "./_nats.ts";
import { Proc, ROOT, type ServerProc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import type { FeedbackMessage } from "../lib/wire/protocol.ts";
import { loadOrCreateServerIdentity } from "../lib/trust/certificate.ts";

const HEADLESS = { SDL_VIDEODRIVER: "dummy" };

/** A NATS message as a test sees it. */
interface Seen {
  subject: string;
  data: string;
}

/** Every message on a subject, collected from the moment the broker has the subscription. */
class Collector {
  readonly messages: Seen[] = [];
  #wake: (() => void)[] = [];

  private constructor() {}

  /** Subscribe `nc` to `subject` (with a queue group when given). */
  static async on(nc: NatsConnection, subject: string, queue?: string): Promise<Collector> {
    const collector = new Collector();
    nc.subscribe(subject, {
      queue,
      callback: (_, msg) => {
        collector.messages.push({ subject: msg.subject, data: msg.string() });
        for (const wake of collector.#wake.splice(0)) wake();
      },
    });
    await nc.flush();
    return collector;
  }

  /** Wait until `test` holds for the messages so far. */
  async until(test: (messages: Seen[]) => boolean, what: string, timeoutMs = 10000) {
    const deadline = performance.now() + timeoutMs;
    while (!test(this.messages)) {
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `no ${what} within ${timeoutMs} ms; got:\n${
            this.messages.map((m) => `${m.subject} ${m.data}`).join("\n")
          }`,
        );
      }
      await withDeadline(new Promise<void>((resolve) => this.#wake.push(resolve)), left, () => {});
    }
  }
}

/** The event lines (not `listening`, not the program's own records) of a server's stdout. */
function eventLines(server: ServerProc): string[] {
  return server.stdout.lines.filter((line) =>
    line.startsWith("{") && !/^\{"type":"(listening|nats|web|dsu|gap)"/.test(line)
  );
}

/** Wait for the `n`th stdout line that starts with `prefix`. */
function nthLine(server: ServerProc, prefix: string, n: number, what: string) {
  let seen = 0;
  return server.stdout.waitFor((text) => text.startsWith(prefix) && ++seen === n, {
    what,
    timeoutMs: 30000,
  });
}

/** Start `padlink-server --json --nats URL …` and wait for its `nats` record. */
async function startNatsServer(url: string, args: string[]): Promise<ServerProc> {
  const server = await startServer(["--nats", url, ...args]);
  await server.waitEvent({ type: "nats", state: "connected" });
  return server;
}

/** A replay that attaches a pad, presses and releases two buttons, moves a stick, and ends. */
function session(offset: number) {
  return [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Replay Pad" },
    { t: 5 + offset, type: "button", pad: 0, button: "a", pressed: true },
    { t: 10 + offset, type: "axis", pad: 0, axis: "leftx", value: 0.5 },
    { t: 15 + offset, type: "button", pad: 0, button: "a", pressed: false },
    { t: 20 + offset, type: "button", pad: 0, button: "b", pressed: true },
    { t: 25 + offset, type: "key", key: "Space", scancode: "SPACE", pressed: true },
    { t: 30 + offset, type: "pad", pad: 0, attached: false },
  ];
}

async function runClient(port: number, name: string, file: string, token?: string) {
  const client = spawnEntrypoint("client.ts", [
    "--port",
    String(port),
    "--name",
    name,
    ...(token ? ["--token", token] : []),
    "--replay",
    file,
  ], { env: HEADLESS });
  const status = await client.exit(30000);
  assert.equal(status.code, 0, client.stderr.text);
}

Deno.test("NATS: two clients' events, in order, on padlink.<server>.<client>.<type>, as the --json lines; names with dots, stars and spaces; nothing before a handshake", async () => {
  await using broker = await NatsServer.start();
  await using server = await startNatsServer(broker.url, ["--nats-name", "lab 1.*"]);
  const nc = await connect({ servers: broker.url });
  try {
    const all = await Collector.on(nc, "padlink.>");
    // A client with the wrong token never completes its handshake: nothing of it reaches NATS.
    await assert.rejects(PadlinkConnection.open({
      host: "127.0.0.1",
      port: server.port,
      name: "intruder",
      token: "wrong-token-0000",
    }));
    const names = ["alice", "bob.pc 2 *>"];
    const files = await Promise.all([writeReplay(session(0)), writeReplay(session(3))]);
    await Promise.all(
      names.map((name, i) => runClient(server.port, name, files[i]!, server.token!)),
    );
    await all.until(
      (m) => m.filter((x) => x.subject.endsWith(".disconnect")).length === 2,
      "both disconnects",
    );
    // NATS can be ahead of the test's read of stdout: wait for stdout's disconnects too.
    for (const name of names) await server.waitEvent({ type: "disconnect", client: name });
    // Exactly what --json printed, in the same order, each on its own client's subject.
    assert.deepEqual(all.messages.map((m) => m.data), eventLines(server));
    assert.equal(JSON.parse(all.messages[0]!.data).type, "connect");
    for (const message of all.messages) {
      const event = JSON.parse(message.data);
      assert.equal(
        message.subject,
        `padlink.lab%201%2E%2A.${subjectToken(event.client)}.${event.type}`,
      );
      const [, serverToken, clientToken] = message.subject.split(".");
      assert.equal(nameFromToken(serverToken!), "lab 1.*");
      assert.equal(nameFromToken(clientToken!), event.client);
    }
    assert.ok(
      all.messages.some((m) => m.subject === "padlink.lab%201%2E%2A.bob%2Epc%202%20%2A%3E.key"),
    );
    assert.ok(all.messages.every((m) => !m.data.includes("intruder")));
    for (const name of names) {
      const types = all.messages.map((m) => JSON.parse(m.data)).filter((e) => e.client === name)
        .map((e) => e.type);
      assert.equal(types[0], "connect");
      assert.equal(types.at(-1), "disconnect");
      assert.ok(types.includes("button") && types.includes("axis") && types.includes("key"));
    }
  } finally {
    await nc.close();
  }
});

Deno.test("NATS: two padlink servers into one broker; a padlink.*.*.button consumer sees both", async () => {
  await using broker = await NatsServer.start();
  await using east = await startNatsServer(broker.url, ["--no-auth", "--nats-name", "east"]);
  await using west = await startNatsServer(broker.url, ["--no-auth", "--nats-name", "west"]);
  const nc = await connect({ servers: broker.url });
  try {
    const buttons = await Collector.on(nc, "padlink.*.*.button");
    const files = await Promise.all([writeReplay(session(0)), writeReplay(session(1))]);
    await Promise.all([
      runClient(east.port, "alice", files[0]!),
      runClient(west.port, "bob", files[1]!),
    ]);
    const expected = [east, west].map((s) =>
      eventLines(s).filter((line) => line.startsWith('{"type":"button"'))
    );
    await buttons.until(
      (m) => m.length >= expected[0]!.length + expected[1]!.length,
      "every button event of both servers",
    );
    for (const [i, name] of ["east", "west"].entries()) {
      const own = buttons.messages.filter((m) => m.subject.startsWith(`padlink.${name}.`));
      assert.deepEqual(own.map((m) => m.data), expected[i]);
      assert.ok(own.every((m) => /^padlink\.\w+\.(alice|bob)\.button$/.test(m.subject)));
    }
    assert.equal(buttons.messages.length, expected[0]!.length + expected[1]!.length);
  } finally {
    await nc.close();
  }
});

Deno.test("NATS: a command reaches the client's pad (its SDL virtual pad's callback) and is answered; the state request returns a snapshot", async () => {
  await using broker = await NatsServer.start();
  await using server = await startNatsServer(broker.url, ["--no-auth", "--nats-name", "lab"]);
  const file = await writeReplay([
    {
      t: 0,
      type: "pad",
      pad: 0,
      attached: true,
      name: "Virtual DualShock 4",
      vendor: 0x054c,
      product: 0x09cc,
    },
    { t: 60000, type: "pad", pad: 0, attached: false },
  ]);
  await using client = spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    "ali.ce",
    "--no-window",
    "--json",
    "--virtual",
    file,
  ], { env: HEADLESS });
  await server.waitEvent({ type: "pad", attached: true }, { timeoutMs: 20000 });
  const nc = await connect({ servers: broker.url });
  try {
    const ask = async (subject: string, body: unknown) =>
      JSON.parse(
        (await nc.request(subject, typeof body === "string" ? body : JSON.stringify(body), {
          timeout: 5000,
        })).string(),
      );
    const subject = "padlink.lab.ali%2Ece.command";
    // The subject names the client; the command need not.
    assert.deepEqual(await ask(subject, { type: "rumble", pad: 0, low: 0.6, high: 0.3, ms: 300 }), {
      ok: true,
    });
    await client.stdout.waitFor((line) => {
      if (!line.startsWith("{")) return false;
      const event = JSON.parse(line);
      return event.type === "virtual_rumble" && event.low === 0.6 && event.high === 0.3;
    }, { what: "the rumble at the virtual pad's callback" });
    assert.deepEqual(
      await ask(subject, { type: "led", client: "ali.ce", pad: 0, rgb: "#00FF88" }),
      {
        ok: true,
      },
    );
    await client.stdout.waitFor(
      (line) => line.includes('"type":"virtual_led"') && line.includes("#00ff88"),
      {
        what: "the LED at the virtual pad's callback",
      },
    );
    assert.deepEqual(await ask(subject, { type: "rumble", pad: 0, low: 2, high: 0, ms: 100 }), {
      ok: false,
      error: 'rumble: "low" must be a strength from 0 to 1, got 2',
    });
    assert.deepEqual(await ask(subject, "not json"), {
      ok: false,
      error: "a command is one JSON object",
    });
    assert.deepEqual(
      await ask("padlink.lab.nobody.command", { type: "led", pad: 0, rgb: "#000000" }),
      {
        ok: false,
        error: "no client named nobody",
      },
    );

    const state = await ask("padlink.lab.state", "");
    assert.equal(state.type, "snapshot");
    assert.deepEqual(state.clients.map((c: { client: string }) => c.client), ["ali.ce"]);
    assert.equal(state.clients[0].inputs[0].type, "pad");
    assert.equal(state.clients[0].inputs[0].name, "Virtual DualShock 4");
  } finally {
    await nc.close();
  }
});

/** `count` button events that alternate a's state, starting pressed. */
function presses(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    type: "button" as const,
    pad: 0,
    button: "a" as const,
    pressed: i % 2 === 0,
  }));
}

Deno.test("NATS: the broker killed mid-stream and restarted: stdout goes on, padlink says nats disconnected, holds --nats-queue events, reports the gap, reconnects and publishes again", async () => {
  let broker = await NatsServer.start();
  try {
    await using server = await startNatsServer(broker.url, ["--no-auth", "--nats-queue", "50"]);
    const first = await connect({ servers: broker.url, reconnect: false });
    const before = await Collector.on(first, "padlink.*.alice.button");
    const client = await PadlinkConnection.open({
      host: "127.0.0.1",
      port: server.port,
      name: "alice",
    });
    client.send([{ type: "pad", pad: 0, attached: true, name: "Pad" }, ...presses(20)]);
    await before.until((m) => m.length === 20, "the first 20 presses");
    await first.close();

    await broker.kill();
    await server.stderr.waitFor((line) => /^padlink-server: nats disconnected from /.test(line), {
      what: "nats disconnected on stderr",
    });
    await server.waitEvent({ type: "nats", state: "disconnected" });
    // 200 presses while the broker is away: stdout shows each at once; NATS holds 50.
    for (let i = 0; i < 10; i++) client.send(presses(20));
    await nthLine(
      server,
      '{"type":"button"',
      220,
      "every press on stdout while the broker is away",
    );

    broker = await broker.restart();
    const after = await connect({ servers: broker.url });
    try {
      await server.stderr.waitFor((line) => /^padlink-server: nats reconnected to /.test(line), {
        what: "nats reconnected on stderr",
      });
      await server.waitEvent({ type: "nats", state: "reconnected" });
      const gap = await server.waitEvent({ type: "nats", state: "gap" });
      assert.equal(gap.event.dropped, 150);
      await server.stderr.waitFor((line) => /nats: 150 events dropped/.test(line), {
        what: "the gap on stderr",
      });
      // Published again once both ends are back.
      const later = await Collector.on(after, "padlink.*.alice.>");
      client.send([{ type: "button", pad: 0, button: "y", pressed: true }]);
      await later.until(
        (m) => m.some((x) => x.data.includes('"button":"y"')),
        "a press after the reconnect",
      );
      await client.goodbye();
      await later.until((m) => m.some((x) => x.subject.endsWith(".disconnect")), "the disconnect");
    } finally {
      await after.close();
    }
    // stdout lost nothing: every event, in order, and no gap line of its own.
    await server.waitEvent({ type: "disconnect", client: "alice" });
    const lines = eventLines(server);
    assert.equal(lines.filter((l) => l.startsWith('{"type":"button"')).length, 220 + 1 + 1);
    assert.ok(!server.stdout.lines.some((l) => l.startsWith('{"type":"gap"')));
  } finally {
    await broker.kill();
  }
});

Deno.test("NATS: a subscriber that stalls does not hold up stdout or the other subscribers", async () => {
  await using broker = await NatsServer.start();
  await using server = await startNatsServer(broker.url, ["--no-auth"]);
  // A subscriber that never reads: the broker's buffers for it fill, and it is the broker's problem.
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port: broker.port });
  try {
    await stalled.write(
      new TextEncoder().encode(
        'CONNECT {"verbose":false,"name":"stalled"}\r\nSUB padlink.> 1\r\nPING\r\n',
      ),
    );
    const nc = await connect({ servers: broker.url });
    try {
      const healthy = await Collector.on(nc, "padlink.*.alice.button");
      const client = await PadlinkConnection.open({
        host: "127.0.0.1",
        port: server.port,
        name: "alice",
      });
      client.send([{ type: "pad", pad: 0, attached: true, name: "Pad" }]);
      // About 45 MB for the stalled subscriber: more than the kernel's socket buffers take.
      const total = 300_000;
      // In steps the client's send queue (256 KiB) takes, each on stdout before the next.
      for (let sent = 0; sent < total;) {
        for (let i = 0; i < 50; i++, sent += 1000) client.send(presses(1000));
        await nthLine(server, '{"type":"button"', sent, `${sent} presses on stdout`);
      }
      await healthy.until(
        (m) => m.length === total,
        "every press at the healthy subscriber",
        30000,
      );
      assert.deepEqual(
        healthy.messages.map((m) => m.data),
        eventLines(server).filter((l) => l.startsWith('{"type":"button"')),
      );
      assert.ok(!server.stdout.lines.some((l) => /"state":"gap"|^\{"type":"gap"/.test(l)));
      // The stall was real: the broker holds bytes it could not write to that subscriber
      // (or dropped it as a slow consumer).
      const held = (await broker.connections()).find((c) => c.name === "stalled");
      if (held) {
        assert.ok((held.pending_bytes as number) > 0, JSON.stringify(held));
      } else {
        assert.match(broker.log, /Slow Consumer/);
      }
      await client.goodbye();
    } finally {
      await nc.close();
    }
  } finally {
    stalled.close();
  }
});

Deno.test("NATS: unreachable at start-up is one line and exit 1; with --nats-optional the server runs without it", async () => {
  const broker = await NatsServer.start();
  const url = broker.url;
  await broker.kill();
  const refused = spawnEntrypoint("server.ts", ["--port", "0", "--no-auth", "--nats", url]);
  const status = await refused.exit(20000);
  assert.equal(status.code, 1);
  const lines = refused.stderr.lines.filter((l) => l !== "");
  assert.equal(lines.length, 1, refused.stderr.text);
  assert.match(
    lines[0]!,
    new RegExp(
      `^padlink-server: cannot use NATS at ${url}: .*; start the NATS server or check the URL, or pass --nats-optional$`,
    ),
  );
  assert.equal(refused.stdout.text, "");

  await using optional = await startServer(["--no-auth", "--nats", url, "--nats-optional"]);
  await optional.stderr.waitFor((l) => l.includes("running without NATS (--nats-optional)"));
  await runClient(optional.port, "alice", await writeReplay(session(0)));
  await optional.waitEvent({ type: "disconnect", client: "alice" });
});

Deno.test("examples/crowd.ts: presses from clients of two servers are tallied in a queue group, and the winner's pad rumbles", async () => {
  await using broker = await NatsServer.start();
  await using east = await startNatsServer(broker.url, ["--no-auth", "--nats-name", "east"]);
  await using west = await startNatsServer(broker.url, ["--no-auth", "--nats-name", "west"]);
  await using crowd = new Proc(
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-net",
        `${ROOT}examples/crowd.ts`,
        broker.url,
        "--round-ms",
        "2000",
        "--rounds",
        "1",
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  await crowd.stdout.waitFor((line) => line.startsWith("counting presses on "), {
    what: "the crowd's first line",
  });
  const feedback: FeedbackMessage[] = [];
  const alice = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: east.port,
    name: "alice",
    onFeedback: (message) => feedback.push(message),
  });
  const bob = await PadlinkConnection.open({ host: "127.0.0.1", port: west.port, name: "bob" });
  alice.send([{ type: "pad", pad: 0, attached: true, name: "Pad" }, ...presses(10)]); // 5 votes
  bob.send([{ type: "pad", pad: 0, attached: true, name: "Pad" }, ...presses(6)]); // 3 votes
  const result = await crowd.stdout.waitFor((line) => line.startsWith("round 1"), {
    what: "the round's result",
  });
  assert.equal(result.text, "round 1: alice wins with 5 votes; rumble sent");
  assert.equal((await crowd.exit()).code, 0, crowd.stderr.text);
  // The rumble reaches alice through NATS and her server: up to 10 s on a loaded machine.
  for (let i = 0; i < 500 && feedback.length === 0; i++) await sleep(20);
  // On the wire, strength 1 is 0xffff.
  assert.deepEqual(feedback, [{
    type: "rumble",
    pad: 0,
    low: 65535,
    high: 32768,
    durationMs: 500,
  }]);
  await alice.goodbye();
  await bob.goodbye();
});

Deno.test("NATS over TLS: tls:// with the broker's CA trusted (DENO_CERT) publishes; an untrusted certificate or a broker without TLS is one line and exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-nats-tls-" });
  try {
    // padlink's own certificate maker: a CA, and a certificate it signs for localhost.
    const identity = await loadOrCreateServerIdentity(dir);
    await Deno.writeTextFile(`${dir}/broker.pem`, identity.certPem);
    await Deno.writeTextFile(`${dir}/broker.key`, identity.keyPem);
    await using broker = await NatsServer.start(-1, [
      "--tls",
      "--tlscert",
      `${dir}/broker.pem`,
      "--tlskey",
      `${dir}/broker.key`,
    ]);
    const url = `tls://localhost:${broker.port}`;
    await using server = await startServer(["--no-auth", "--nats", url], {
      env: { DENO_CERT: identity.caFile! },
    });
    await server.waitEvent({ type: "nats", state: "connected", url });
    const nc = await connect({ servers: url, tls: { caFile: identity.caFile! } });
    try {
      const all = await Collector.on(nc, "padlink.>");
      await runClient(server.port, "alice", await writeReplay(session(0)));
      await all.until(
        (m) => m.some((x) => x.subject.endsWith(".alice.disconnect")),
        "alice's events",
      );
      await server.waitEvent({ type: "disconnect", client: "alice" });
      assert.deepEqual(all.messages.map((m) => m.data), eventLines(server));
    } finally {
      await nc.close();
    }

    const untrusted = spawnEntrypoint("server.ts", ["--port", "0", "--no-auth", "--nats", url]);
    assert.equal((await untrusted.exit(20000)).code, 1);
    assert.match(
      untrusted.stderr.lines.filter((l) => l.startsWith("padlink-server: cannot use NATS")).join(
        "\n",
      ),
      new RegExp(
        `^padlink-server: cannot use NATS at ${url}: .*certificate.*; trust the broker's CA`,
      ),
    );

    await using plain = await NatsServer.start();
    const noTls = spawnEntrypoint("server.ts", [
      "--port",
      "0",
      "--no-auth",
      "--nats",
      `tls://127.0.0.1:${plain.port}`,
    ]);
    assert.equal((await noTls.exit(20000)).code, 1);
    assert.match(noTls.stderr.text, /cannot use NATS at tls:\/\/127\.0\.0\.1:\d+: .*tls/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("NATS credentials in the URL: the right ones connect, wrong ones are one line and exit 1 that never shows the password", async () => {
  await using broker = await NatsServer.start(-1, ["--user", "ann", "--pass", "s3cret-pass"]);
  const good = `nats://ann:s3cret-pass@127.0.0.1:${broker.port}`;
  await using server = await startNatsServer(good, ["--no-auth", "--nats-name", "lab"]);
  const nc = await connect({ servers: broker.url, user: "ann", pass: "s3cret-pass" });
  try {
    const state = await nc.request("padlink.lab.state", "", { timeout: 5000 });
    assert.equal(state.json<{ type: string }>().type, "snapshot");
  } finally {
    await nc.close();
  }
  assert.doesNotMatch(server.stdout.text + server.stderr.text, /s3cret/);
  const refused = spawnEntrypoint("server.ts", [
    "--port",
    "0",
    "--no-auth",
    "--nats",
    `nats://ann:wrong-pass@127.0.0.1:${broker.port}`,
  ]);
  assert.equal((await refused.exit(20000)).code, 1);
  const lines = refused.stderr.lines.filter((l) => l.startsWith("padlink-server: cannot use NATS"));
  assert.equal(lines.length, 1, refused.stderr.text);
  assert.match(lines[0]!, /: .*(Authorization|authorization).*; check the credentials/);
  assert.doesNotMatch(refused.stderr.text, /wrong-pass/);
});
