import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { PadlinkConnection } from "../lib/client/client.ts";
import { PadlinkServer } from "../lib/server/server.ts";
import { formatJson } from "../lib/outputs/format.ts";
import { NatsServer } from "./_nats.ts";
import { sleep, withDeadline } from "../lib/net/deadline.ts";
import { NatsConnectError, NatsOutput, type NatsStatus } from "../lib/outputs/nats/output.ts";
import { parseNatsUrl } from "../lib/outputs/nats/url.ts";

/**
 * Collect messages on `subject` (subscribed before this returns): `count` of
 * them, or up to the first whose subject ends with `last`.
 */
async function collect(nc: NatsConnection, subject: string, count: number, last?: string) {
  const sub = nc.subscribe(subject, { max: last ? undefined : count });
  await nc.flush();
  const got = (async () => {
    const messages: { subject: string; data: string }[] = [];
    for await (const msg of sub) {
      messages.push({ subject: msg.subject, data: msg.string() });
      if (last && msg.subject.endsWith(last)) sub.unsubscribe();
    }
    return messages;
  })();
  return () =>
    withDeadline(got, 10000, () => {
      throw new Error(`fewer than ${count} messages on ${subject}`);
    });
}

Deno.test("NatsOutput publishes each event as its --json line, in order, under its client's subject", async () => {
  await using broker = await NatsServer.start();
  const nc = await connect({ servers: broker.url });
  const server = await PadlinkServer.start({ hostname: "127.0.0.1", port: 0, token: null });
  const output = await NatsOutput.start({ address: parseNatsUrl(broker.url), name: "lab.1" });
  server.addOutput(output);
  const seen: string[] = [];
  server.addListener((event) => {
    if (event.type !== "listening") seen.push(formatJson(event));
  });
  const done = await collect(nc, "padlink.>", 0, ".disconnect");
  const client = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: server.addr.port,
    name: "bob *",
  });
  client.send([
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "a", pressed: true },
    { type: "axis", pad: 0, axis: "leftx", value: 0.5 },
  ]);
  await client.goodbye();
  const messages = await done();
  // The held button and axis are released as the client leaves, before its disconnect.
  assert.deepEqual(messages.slice(0, 4).map((m) => m.subject), [
    "padlink.lab%2E1.bob%20%2A.connect",
    "padlink.lab%2E1.bob%20%2A.pad",
    "padlink.lab%2E1.bob%20%2A.button",
    "padlink.lab%2E1.bob%20%2A.axis",
  ]);
  assert.deepEqual(
    messages.map((m) => m.subject),
    seen.map((line) => `padlink.lab%2E1.bob%20%2A.${JSON.parse(line).type}`),
  );
  assert.deepEqual(messages.map((m) => m.data), seen);
  assert.equal(JSON.parse(messages[2]!.data).client, "bob *");
  await server.close();
  await nc.close();
});

Deno.test("NatsOutput past its bound drops, then publishes a gap record and says so", async () => {
  await using broker = await NatsServer.start();
  const nc = await connect({ servers: broker.url });
  const statuses: NatsStatus[] = [];
  const output = await NatsOutput.start({
    address: parseNatsUrl(broker.url),
    name: "s",
    queueLimit: 10,
    onStatus: (status) => statuses.push(status),
  });
  const done = await collect(nc, "padlink.s.>", 11);
  for (let i = 0; i < 1000; i++) {
    output.push({ type: "button", client: "c", t: i, pad: 0, button: "a", pressed: i % 2 === 0 });
  }
  const messages = await done();
  assert.deepEqual(messages.slice(0, 10).map((m) => JSON.parse(m.data).t), [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
  ]);
  assert.deepEqual(messages[10], {
    subject: "padlink.s.gap",
    data: '{"type":"gap","dropped":990}',
  });
  // The status can come a moment after the gap record reached the subscriber.
  await withDeadline(
    (async () => {
      while (statuses.length === 0) await sleep(10);
    })(),
    5000,
    () => {},
  );
  assert.deepEqual(statuses, [{ state: "gap", dropped: 990 }]);
  await output.close();
  await nc.close();
});

Deno.test("NatsOutput answers commands and state requests", async () => {
  await using broker = await NatsServer.start();
  const nc = await connect({ servers: broker.url });
  const server = await PadlinkServer.start({ hostname: "127.0.0.1", port: 0, token: null });
  const output = await NatsOutput.start({ address: parseNatsUrl(broker.url), name: "lab" });
  server.addOutput(output);
  const connected = await collect(nc, "padlink.lab.*.pad", 1);
  const client = await PadlinkConnection.open({
    host: "127.0.0.1",
    port: server.addr.port,
    name: "a.b",
  });
  client.send([
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "x", pressed: true },
  ]);
  await connected();
  await output.idle();
  const ask = async (subject: string, body: string) =>
    JSON.parse((await nc.request(subject, body, { timeout: 5000 })).string());
  const state = await ask("padlink.lab.state", "");
  assert.equal(state.type, "snapshot");
  assert.equal(state.clients.length, 1);
  assert.equal(state.clients[0].client, "a.b");
  assert.deepEqual(state.clients[0].inputs, [
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "x", pressed: true },
  ]);
  const rumble = { type: "rumble", pad: 0, low: 1, high: 0.5, ms: 100 };
  // Routed to the session, which answers for itself (the client's side of rumble is issue 13).
  const routed = await ask("padlink.lab.a%2Eb.command", JSON.stringify(rumble));
  assert.equal(typeof routed.ok, "boolean");
  if (!routed.ok) assert.match(routed.error, /^a\.b /);
  assert.deepEqual(await ask("padlink.lab.a%2Eb.command", JSON.stringify({ ...rumble, pad: 3 })), {
    ok: false,
    error: "a.b has no pad 3 attached",
  });
  assert.deepEqual(await ask("padlink.lab.nobody.command", JSON.stringify(rumble)), {
    ok: false,
    error: "no client named nobody",
  });
  assert.deepEqual(
    await ask("padlink.lab.a%2Eb.command", JSON.stringify({ ...rumble, client: "other" })),
    { ok: false, error: 'the command names client "other" but came on "a.b"\'s subject' },
  );
  assert.deepEqual(await ask("padlink.lab.a%2Eb.command", "{not json"), {
    ok: false,
    error: "a command is one JSON object",
  });
  // The server's own check answers (lib/server/feedback.ts names the types it takes).
  const beep = await ask("padlink.lab.a%2Eb.command", JSON.stringify({ type: "beep", pad: 0 }));
  assert.equal(beep.ok, false);
  assert.match(beep.error, /^unknown command type "beep"; expected rumble, trigger_rumble/);
  await client.goodbye();
  await server.close();
  await nc.close();
});

Deno.test("NatsOutput.start says in one line when nobody listens", async () => {
  const broker = await NatsServer.start();
  const url = broker.url;
  await broker.kill();
  await assert.rejects(
    NatsOutput.start({ address: parseNatsUrl(url), name: "s", connectTimeoutMs: 2000 }),
    (error) => {
      assert(error instanceof NatsConnectError);
      assert.equal(error.message.includes("\n"), false);
      assert.match(error.message, new RegExp(`^cannot use NATS at ${url}: `));
      return true;
    },
  );
});

Deno.test("NatsOutput: batches on their way when the broker dies go out again after it is back, with no hole, no repeat and in order", async () => {
  let broker = await NatsServer.start();
  const statuses: NatsStatus[] = [];
  const output = await NatsOutput.start({
    address: parseNatsUrl(broker.url),
    name: "s",
    reconnectWaitMs: 1500, // Time for the test's subscriber to come first.
    onStatus: (status) => statuses.push(status),
  });
  try {
    const total = 60_000;
    for (let i = 0; i < total; i++) {
      output.push({ type: "button", client: "c", t: i, pad: 0, button: "a", pressed: i % 2 === 0 });
    }
    await broker.kill(); // While batches are still on their way.
    broker = await broker.restart();
    const nc = await connect({ servers: broker.url });
    try {
      const sub = nc.subscribe("padlink.s.c.button");
      await nc.flush();
      const seen: number[] = [];
      const got = (async () => {
        for await (const msg of sub) {
          seen.push(JSON.parse(msg.string()).t);
          if (seen.at(-1) === total - 1) break;
        }
      })();
      await withDeadline(got, 20000, () => {
        throw new Error(`the last event never came; ${seen.length} did`);
      });
      // A contiguous run up to the last event: what was acknowledged before the broker died is
      // not sent again, and nothing after it is missing or repeated.
      const first = seen[0]!;
      assert.deepEqual(seen, Array.from({ length: total - first }, (_, i) => first + i));
      assert.ok(statuses.some((s) => s.state === "disconnected"));
      assert.ok(statuses.some((s) => s.state === "reconnected"));
      assert.ok(!statuses.some((s) => s.state === "gap"));
    } finally {
      await nc.close();
    }
  } finally {
    await output.close();
    await broker.kill();
  }
});
