import assert from "node:assert/strict";
import { createCa } from "./certificate.ts";
import { pair, PairingError, PairingServer, resolveClientTls } from "./pairing.ts";
import { derToPem, PADLINK_TLS_NAME, sha256 } from "./tls.ts";
import { concatBytes } from "../wire/bytes.ts";

const TOKEN = "abcd-efgh-jkmn-pqrs";

function startPairing(caDer: Uint8Array, options: { maxRequestsPerMinute?: number } = {}) {
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

Deno.test("PairingServer limits pairing requests per address", async () => {
  const ca = await createCa("padlink CA test");
  await using server = startPairing(ca.der, { maxRequestsPerMinute: 2 });
  await pair({ host: "127.0.0.1", port: server.addr.port, token: TOKEN });
  await pair({ host: "127.0.0.1", port: server.addr.port, token: TOKEN });
  await assert.rejects(
    pair({ host: "127.0.0.1", port: server.addr.port, token: TOKEN }),
    /refused to pair: too many pairing requests/,
  );
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

Deno.test("PairingServer drops connections beyond 32 exchanges in progress", async () => {
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
    for (let i = 0; i < 32; i++) {
      idle.push(await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
    }
    // Accepted in order, so this one is the 33rd: closed at once, with no answer.
    const extra = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    try {
      assert.equal(await extra.read(new Uint8Array(16)).catch(() => null), null);
    } finally {
      extra.close();
    }
    assert.match(logs.join("\n"), /32 exchanges in progress/);
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
