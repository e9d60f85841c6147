import net from "node:net";
import assert from "node:assert/strict";
import { createCa } from "./certificate.ts";
import { pair, PairingError, PairingServer, resolveClientTls } from "./pairing.ts";
import { derToPem, PADLINK_TLS_NAME, sha256 } from "./tls.ts";
import { concatBytes } from "../wire/bytes.ts";

const TOKEN = "abcd-efgh-jkmn-pqrs";

function startPairing(caDer: Uint8Array, options: { timeoutMs?: number } = {}) {
  return PairingServer.start({ hostname: "127.0.0.1", port: 0, token: TOKEN, caDer, ...options });
}

/** Send one raw pairing request and return the raw answer bytes. */
async function rawExchange(port: number, nonceByte: number): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const request = new Uint8Array([
      0,
      46,
      ...new TextEncoder().encode("padlink-pair/1"),
      ...new Uint8Array(32).fill(nonceByte),
    ]);
    await conn.write(request);
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(4096);
    for (let i = 0; i < 100; i++) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    return concatBytes(chunks);
  } finally {
    conn.close();
  }
}

Deno.test("pair returns the server's CA certificate when the token matches", async () => {
  const ca = await createCa("padlink CA test");
  await using server = startPairing(ca.der);
  const der = await pair({ host: "127.0.0.1", port: server.addr.port, token: TOKEN });
  assert.deepEqual(der, ca.der);
  // The token is normalised on both sides: case and dashes do not matter.
  const again = await pair({
    host: "127.0.0.1",
    port: server.addr.port,
    token: "ABCDEFGHJKMNPQRS",
  });
  assert.deepEqual(again, ca.der);
});

Deno.test("pair refuses an answer made with another token, naming the token", async () => {
  const ca = await createCa("padlink CA test");
  await using server = startPairing(ca.der);
  await assert.rejects(
    pair({ host: "127.0.0.1", port: server.addr.port, token: "wxyz-wxyz-wxyz-wxyz" }),
    (error: Error) =>
      error instanceof PairingError && /not signed with the token/.test(error.message) &&
      /token is wrong/.test(error.message),
  );
});

Deno.test("pair refuses a recorded answer replayed to it", async () => {
  const ca = await createCa("padlink CA test");
  let recorded: Uint8Array;
  {
    await using server = startPairing(ca.der);
    recorded = await rawExchange(server.addr.port, 7);
  }
  assert.ok(recorded.length > 100, "the recording holds a whole answer");
  // An impostor that replays the genuine answer, signed for another nonce.
  const impostor = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await impostor.accept();
    try {
      await conn.read(new Uint8Array(256));
      await conn.write(recorded);
    } finally {
      conn.close();
    }
  })();
  try {
    await assert.rejects(
      pair({ host: "127.0.0.1", port: (impostor.addr as Deno.NetAddr).port, token: TOKEN }),
      (error: Error) => error instanceof PairingError && /replayed/.test(error.message),
    );
  } finally {
    await serving;
    impostor.close();
  }
});

Deno.test("PairingServer answers each request with fresh nonces", async () => {
  const ca = await createCa("padlink CA test");
  await using server = startPairing(ca.der);
  const a = await rawExchange(server.addr.port, 1);
  const b = await rawExchange(server.addr.port, 1);
  assert.equal(a.length, b.length);
  assert.notDeepEqual(a, b, "same client nonce, yet a different server nonce and MAC");
});

Deno.test("PairingServer answers every request from an address, however many came before", async () => {
  const ca = await createCa("padlink CA test");
  await using server = startPairing(ca.der);
  // An earlier design refused an address after 10 requests a minute, so anyone
  // sharing it could block pairing there.
  for (let i = 0; i < 15; i++) {
    assert.deepEqual(
      await pair({ host: "127.0.0.1", port: server.addr.port, token: TOKEN }),
      ca.der,
    );
  }
});

/** Open `count` silent connections to `port` from the loopback address `from` (node:net can bind it). */
async function silentFrom(from: string, port: number, count: number): Promise<net.Socket[]> {
  const sockets = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: "127.0.0.1", port, localAddress: from });
        socket.once("connect", () => resolve(socket));
        socket.once("error", reject);
      })),
  );
  for (const socket of sockets) socket.on("error", () => {}); // Reset when dropped.
  return sockets;
}

async function destroyAll(sockets: net.Socket[]): Promise<void> {
  await Promise.all(sockets.map((socket) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once("close", () => resolve());
      socket.destroy();
    })
  ));
}

Deno.test("PairingServer pairs another address while four others hold far more than its slots", async () => {
  const ca = await createCa("padlink CA test");
  const logs: string[] = [];
  await using server = PairingServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: TOKEN,
    caDer: ca.der,
    timeoutMs: 5000,
    onLog: (message) => logs.push(message),
  });
  const flood: net.Socket[] = [];
  try {
    for (const from of ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]) {
      flood.push(...await silentFrom(from, server.addr.port, 20));
    }
    // 80 silent connections for 32 slots, 8 per address: the oldest went.
    for (let i = 0; i < 100 && flood.filter((s) => !s.destroyed).length > 32; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(flood.filter((s) => !s.destroyed).length <= 32);
    assert.deepEqual(
      await pair({ host: "127.0.0.1", port: server.addr.port, token: TOKEN }),
      ca.der,
    );
    assert.ok(logs.some((l) => /dropped the oldest/.test(l)), logs.join("\n"));
  } finally {
    await destroyAll(flood);
  }
});

Deno.test("PairingServer drops a connection that sends no request within its deadline", async () => {
  const ca = await createCa("padlink CA test");
  await using server = startPairing(ca.der, { timeoutMs: 200 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    const started = performance.now();
    assert.equal(await conn.read(new Uint8Array(16)).catch(() => null), null);
    assert.ok(performance.now() - started < 2000);
  } finally {
    conn.close();
  }
});

Deno.test("pair says what to do when nothing listens on the pairing port", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    pair({ host: "127.0.0.1", port, token: TOKEN }),
    (error: Error) => error instanceof PairingError && /--tls/.test(error.message),
  );
});

Deno.test("resolveClientTls trusts --ca, else the pin, else pairs and pins; never nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-trust-" });
  try {
    const padlinkCa = await createCa("padlink CA 1234");
    const otherCa = await createCa("Example Root");
    await Deno.writeTextFile(`${dir}/padlink.pem`, padlinkCa.certPem);
    await Deno.writeTextFile(`${dir}/other.pem`, otherCa.certPem);
    const base = { host: "10.1.2.3", port: 7175, configDir: `${dir}/cfg` };

    const own = await resolveClientTls({ ...base, caFile: `${dir}/padlink.pem` });
    assert.equal(own.hostname, PADLINK_TLS_NAME, "padlink's CA: the fixed name");
    assert.deepEqual(own.channelBinding, await sha256(padlinkCa.der));
    const other = await resolveClientTls({ ...base, caFile: `${dir}/other.pem` });
    assert.equal(other.hostname, "10.1.2.3", "another CA: the host name");
    assert.equal(other.channelBinding.length, 0);
    const named = await resolveClientTls({ ...base, caFile: `${dir}/other.pem`, tlsName: "pc" });
    assert.equal(named.hostname, "pc");

    await assert.rejects(resolveClientTls(base), /no way to trust the server at 10\.1\.2\.3:7175/);
    await assert.rejects(resolveClientTls({ ...base, repair: true }), /--repair .* token/);

    await using server = startPairing(padlinkCa.der);
    const local = { host: "127.0.0.1", port: server.addr.port - 1, configDir: `${dir}/cfg` };
    const messages: string[] = [];
    const paired = await resolveClientTls({
      ...local,
      token: TOKEN,
      onStatus: (m) => messages.push(m),
    });
    assert.deepEqual(paired.caCerts, [derToPem(padlinkCa.der)]);
    assert.equal(paired.source.kind, "pin");
    assert.match(messages.join("\n"), /paired with 127\.0\.0\.1:\d+/);
    // Now pinned: no token needed to decide what to trust.
    const pinned = await resolveClientTls(local);
    assert.deepEqual(pinned.caCerts, paired.caCerts);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PairingServer drops an address's oldest exchange past its share of 8, and still pairs it", async () => {
  const ca = await createCa("padlink CA test");
  const logs: string[] = [];
  await using server = PairingServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: TOKEN,
    caDer: ca.der,
    timeoutMs: 10_000,
    onLog: (message) => logs.push(message),
  });
  const idle: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 9; i++) {
      idle.push(await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
    }
    // The ninth from one address: the first is closed, long before its deadline.
    const started = performance.now();
    assert.equal(await idle[0]!.read(new Uint8Array(16)).catch(() => null), null);
    assert.ok(performance.now() - started < 5000);
    assert.match(logs.join("\n"), /dropped the oldest/);
    // An honest client from the same address still pairs: its turn evicts the next oldest.
    assert.deepEqual(
      await pair({ host: "127.0.0.1", port: server.addr.port, token: TOKEN }),
      ca.der,
    );
  } finally {
    for (const conn of idle) conn.close();
  }
});

Deno.test("PairingServer reads a request split at every byte, and refuses a length over its cap", async () => {
  const ca = await createCa("padlink CA test");
  const logs: string[] = [];
  await using server = PairingServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: TOKEN,
    caDer: ca.der,
    onLog: (message) => logs.push(message),
  });
  const port = server.addr.port;
  const request = new Uint8Array([
    0,
    46,
    ...new TextEncoder().encode("padlink-pair/1"),
    ...new Uint8Array(32).fill(9),
  ]);
  const split = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (const byte of request) {
      await split.write(new Uint8Array([byte]));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const answer = new Uint8Array(4096);
    const n = await split.read(answer);
    assert.ok(n !== null && n > 2 + 14, "an answer came back");
    assert.equal(new TextDecoder().decode(answer.subarray(2, 16)), "padlink-pair/1");
  } finally {
    split.close();
  }
  const oversize = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await oversize.write(new Uint8Array([0xff, 0xff]));
    assert.equal(await oversize.read(new Uint8Array(16)), null, "closed without an answer");
  } finally {
    oversize.close();
  }
  for (let i = 0; i < 200 && !logs.some((l) => /message of 65535 bytes/.test(l)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.ok(logs.some((l) => /pairing failed: message of 65535 bytes/.test(l)), logs.join("\n"));
});
