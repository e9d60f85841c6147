/**
 * Attacks on the handshake, against the real entrypoints on loopback: an
 * impostor that asks for no token, a session id that is not bound into the
 * proof, and wrong tokens from an address an honest client shares.
 */

import assert from "node:assert/strict";
import { computeProof, newNonce, tokenKey } from "../lib/trust/auth.ts";
import {
  CLIENT_CAPABILITIES,
  decodeHello,
  decodeJoin,
  decodeRefuse,
  encodeGoodbye,
  encodeHello,
  encodeJoin,
  encodeRefuse,
  encodeWelcome,
  GoodbyeCode,
  MessageType,
  PROTOCOL_VERSION,
  RefuseCode,
  SESSION_ID_SIZE,
} from "../lib/wire/protocol.ts";
import { clientArgs, readFrames } from "./_fault_util.ts";
import { spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

const TOKEN = "k7q2-m9xd-3fpa-wz8c";

/**
 * An impostor on loopback: it greets like a padlink server that needs no
 * token, then counts every byte the client sends it until the client hangs up.
 */
function impostor() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received = (async () => {
    const conn = await listener.accept();
    let bytes = 0;
    try {
      await conn.write(encodeHello({ version: PROTOCOL_VERSION, flags: 0, nonce: newNonce() }));
      const buffer = new Uint8Array(4096);
      // Bounded by the client: it hangs up, or the test's exit timeout kills it.
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) bytes += n;
    } catch {
      // Reset by the client.
    } finally {
      conn.close();
      listener.close();
    }
    return bytes;
  })();
  return { port: (listener.addr as Deno.NetAddr).port, received };
}

Deno.test("padlink-client holding a token refuses a server that asks for none and sends it nothing", async () => {
  const fake = impostor();
  const replay = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
    { t: 0, type: "key", key: "P", scancode: "P", pressed: true },
  ]);
  try {
    await using client = spawnEntrypoint("client.ts", [
      "--host",
      "127.0.0.1",
      "--port",
      String(fake.port),
      "--name",
      "bob",
      "--replay",
      replay,
    ], { env: { PADLINK_TOKEN: TOKEN } });
    const status = await client.exit();
    assert.equal(status.code, 1, client.stderr.text);
    assert.equal(client.stderr.lines.length, 1, client.stderr.text);
    assert.match(
      client.stderr.lines[0]!,
      /^padlink-client: the server at 127\.0\.0\.1:\d+ asks for no token, but this client has one.*--allow-no-auth$/,
    );
    assert.equal(await fake.received, 0, "the client sent the impostor nothing, not even a JOIN");
  } finally {
    await Deno.remove(replay);
  }
});

Deno.test("padlink-client --allow-no-auth with a token streams to a --no-auth server", async () => {
  await using server = await startServer(["--no-auth"]);
  const replay = await writeReplay([
    { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 10, type: "button", pad: 0, button: "a", pressed: false },
  ]);
  try {
    await using client = spawnEntrypoint("client.ts", [
      ...clientArgs(server, "bob"),
      "--token",
      TOKEN,
      "--allow-no-auth",
      "--replay",
      replay,
    ]);
    assert.equal((await client.exit()).code, 0, client.stderr.text);
    await server.waitEvent({ type: "disconnect", client: "bob" });
    const presses = server.events().filter((e) => e.type === "button");
    assert.equal(presses.length, 2);
  } finally {
    await Deno.remove(replay);
  }
});

Deno.test("padlink-server refuses a JOIN whose session id its proof does not cover", async () => {
  await using server = await startServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const [helloFrame] = await readFrames(conn, 1);
    const hello = decodeHello(helloFrame!);
    const nonce = newNonce();
    // A proof made for a JOIN without a session id (or with another one), as
    // a man in the middle would relay it after writing in a victim's id.
    const proof = await computeProof(await tokenKey(server.token!), "join", {
      serverNonce: hello.nonce,
      clientNonce: nonce,
      name: "mallory",
    });
    await conn.write(encodeJoin({
      version: PROTOCOL_VERSION,
      flags: 0,
      name: "mallory",
      nonce,
      proof,
      session: new Uint8Array(SESSION_ID_SIZE).fill(7),
      capabilities: CLIENT_CAPABILITIES, // As this release's client sends.
    }));
    const [reply] = await readFrames(conn, 1);
    assert.equal(reply?.[0], MessageType.REFUSE);
    assert.equal(decodeRefuse(reply!).code, RefuseCode.TOKEN_WRONG);
  } finally {
    conn.close();
  }
  assert.deepEqual(server.events().filter((e) => e.type === "connect"), []);
});

Deno.test("padlink-client retries a rate-limited refusal with backoff instead of giving up", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let attempts = 0;
  const served = (async () => {
    // Bounded: the client makes three connections, then the test closes the listener.
    for await (const conn of listener) {
      attempts++;
      try {
        await conn.write(encodeHello({ version: PROTOCOL_VERSION, flags: 0, nonce: newNonce() }));
        const [join] = await readFrames(conn, 1);
        if (!join) continue;
        if (attempts <= 2) {
          await conn.write(encodeRefuse({
            code: RefuseCode.RATE_LIMITED,
            reason: "too many failed handshakes from 127.0.0.1; try again in 1 s",
          }));
          continue;
        }
        const { name } = decodeJoin(join);
        await conn.write(
          encodeWelcome({ name, heartbeatMs: 250, timeoutMs: 5000, proof: new Uint8Array(0) }),
        );
        // Acknowledge the client's GOODBYE, so it exits 0.
        for (let i = 0; i < 20; i++) {
          const frames = await readFrames(conn, 1, 2000);
          if (frames.length === 0) break;
          if (frames.some((f) => f.includes(MessageType.GOODBYE))) {
            await conn.write(encodeGoodbye({ code: GoodbyeCode.ACK, reason: "" }));
            break;
          }
        }
      } catch {
        // The client went away.
      } finally {
        conn.close();
      }
    }
  })();
  const replay = await writeReplay([{ t: 0, type: "pad", pad: 0, attached: true, name: "Pad" }]);
  try {
    await using client = spawnEntrypoint("client.ts", [
      "--host",
      "127.0.0.1",
      "--port",
      String((listener.addr as Deno.NetAddr).port),
      "--name",
      "bob",
      "--replay",
      replay,
    ]);
    const status = await client.exit(20000);
    assert.equal(status.code, 0, client.stderr.text);
    assert.equal(attempts, 3);
    const retries = client.stderr.lines.filter((l) =>
      /too many failed handshakes.*retrying in \d+\.\d s$/.test(l)
    );
    assert.equal(retries.length, 2, client.stderr.text);
  } finally {
    listener.close();
    await served;
    await Deno.remove(replay);
  }
});

Deno.test("padlink-server warns when its private key file can be read by others", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-keymode-" });
  try {
    {
      await using first = await startServer(["--tls", "--config-dir", dir]);
      assert.ok(!first.stderr.text.includes("WARNING"), first.stderr.text);
    }
    await Deno.chmod(`${dir}/server-key.pem`, 0o644);
    await using server = await startServer(["--tls", "--config-dir", dir]);
    const line = await server.stderr.waitFor((l) => l.includes("WARNING"), { what: "the warning" });
    assert.match(
      line.text,
      /^padlink-server: WARNING: the private key .*server-key\.pem can be read by every user on this machine \(mode 644\); .*chmod 600/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("padlink-server refuses a name that is not valid UTF-8, saying so", async () => {
  await using server = await startServer(["--no-auth"]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await readFrames(conn, 1); // HELLO
    const join = encodeJoin({
      version: PROTOCOL_VERSION,
      flags: 0,
      name: "ab",
      nonce: newNonce(),
      proof: new Uint8Array(0),
    });
    // Frame length (2), type, version, flags, name length, then the name.
    join.set([0xff, 0xfe], 6);
    await conn.write(join);
    const [reply] = await readFrames(conn, 1);
    assert.equal(reply?.[0], MessageType.REFUSE, "a REFUSE, not a silent close");
    assert.deepEqual(decodeRefuse(reply!), {
      code: RefuseCode.BAD_NAME,
      reason: "the name is not valid UTF-8",
    });
  } finally {
    conn.close();
  }
  assert.deepEqual(server.events().filter((e) => e.type === "connect"), []);
});

Deno.test("padlink-server accepts a first-release JOIN (no capabilities) whose proof leaves out the session id", async () => {
  await using server = await startServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const [helloFrame] = await readFrames(conn, 1);
    const hello = decodeHello(helloFrame!);
    const nonce = newNonce();
    const proof = await computeProof(await tokenKey(server.token!), "join", {
      serverNonce: hello.nonce,
      clientNonce: nonce,
      name: "oldtimer",
    });
    await conn.write(encodeJoin({
      version: PROTOCOL_VERSION,
      flags: 0,
      name: "oldtimer",
      nonce,
      proof,
      session: new Uint8Array(SESSION_ID_SIZE).fill(9),
    }));
    const [reply] = await readFrames(conn, 1);
    assert.equal(reply?.[0], MessageType.WELCOME, "a first-release client still gets in");
  } finally {
    conn.close();
  }
});
