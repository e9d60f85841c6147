import assert from "node:assert/strict";
import { ConnectError, PadlinkConnection } from "../client/client.ts";
import { createCa, issueServerCertificate, loadOrCreateServerIdentity } from "./certificate.ts";
import { PadlinkServer, type ServerEvent } from "../server/server.ts";
import { type ClientTlsOptions, derToPem, PADLINK_TLS_NAME, sha256 } from "./tls.ts";
import type { FailureThrottleOptions } from "./failure_throttle.ts";

const TOKEN = "abcd-efgh-jkmn-pqrs";

async function tlsServer(options: { failures?: FailureThrottleOptions } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "padlink-tls-" });
  const identity = await loadOrCreateServerIdentity(dir);
  await Deno.remove(dir, { recursive: true });
  const events: ServerEvent[] = [];
  const logs: string[] = [];
  const server = await PadlinkServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: TOKEN,
    handshakeTimeoutMs: 500,
    tls: {
      cert: identity.certPem,
      key: identity.keyPem,
      channelBinding: await sha256(identity.caDer!),
    },
    failures: options.failures ?? { delayMs: 50 },
    onEvent: (event) => events.push(event),
    onLog: (message) => logs.push(message),
  });
  const trust: ClientTlsOptions = {
    hostname: PADLINK_TLS_NAME,
    caCerts: [derToPem(identity.caDer!)],
    channelBinding: await sha256(identity.caDer!),
    source: { kind: "pin", file: "known_hosts", fingerprint: identity.fingerprint },
  };
  return { server, events, logs, trust };
}

function open(port: number, extra: Partial<Parameters<typeof PadlinkConnection.open>[0]>) {
  return PadlinkConnection.open({
    host: "127.0.0.1",
    port,
    name: "alice",
    token: TOKEN,
    timeoutMs: 3000,
    ...extra,
  });
}

Deno.test("PadlinkServer over TLS carries input from a client that trusts its CA", async () => {
  const { server, events, trust } = await tlsServer();
  await using _ = server;
  const connection = await open(server.addr.port, { tls: trust });
  connection.send([
    { type: "pad", pad: 0, attached: true, name: "Pad" },
    { type: "button", pad: 0, button: "a", pressed: true },
  ]);
  assert.equal(await connection.goodbye(), true);
  const inputs = events.filter((e) => e.type === "pad" || e.type === "button");
  assert.deepEqual(inputs.slice(0, 2).map((e) => e.type), ["pad", "button"]);
  assert.equal(events.filter((e) => e.type === "connect").length, 1);
});

Deno.test("PadlinkServer over TLS refuses a proof bound to another channel", async () => {
  const { server, events, trust } = await tlsServer();
  await using _ = server;
  await assert.rejects(
    open(server.addr.port, { tls: { ...trust, channelBinding: new Uint8Array(32) } }),
    (error: Error) => error instanceof ConnectError && error.kind === "token-wrong",
  );
  assert.equal(events.filter((e) => e.type === "connect").length, 0);
});

Deno.test("PadlinkServer refuses wrong tokens only after a delay and never locks out the right one", async () => {
  const delayMs = 300;
  const { server, events, trust } = await tlsServer({ failures: { delayMs } });
  await using _ = server;
  const started = performance.now();
  const wrong = await Promise.allSettled(
    Array.from(
      { length: 6 },
      () => open(server.addr.port, { tls: trust, token: "wxyz-wxyz-wxyz-wxyz" }),
    ),
  );
  const wrongMs = performance.now() - started;
  for (const result of wrong) {
    assert.equal(result.status, "rejected");
    const error = (result as PromiseRejectedResult).reason;
    assert.ok(error instanceof ConnectError && error.kind === "token-wrong", String(error));
  }
  assert.ok(wrongMs >= delayMs, `wrong tokens refused after ${wrongMs} ms, before the delay`);
  // The same address, the right token, straight after six failures: accepted at once.
  const connection = await open(server.addr.port, { tls: trust });
  connection.close();
  assert.equal(events.filter((e) => e.type === "connect").length, 1);
});

Deno.test("PadlinkServer drops wrong tokens past its cap in flight without an answer", async () => {
  const { server, logs, trust } = await tlsServer({
    failures: { delayMs: 300, maxInFlightPerAddress: 2 },
  });
  await using _ = server;
  const results = await Promise.allSettled(
    Array.from(
      { length: 4 },
      () => open(server.addr.port, { tls: trust, token: "wxyz-wxyz-wxyz-wxyz" }),
    ),
  );
  const kinds = results.map((r) => ((r as PromiseRejectedResult).reason as ConnectError).kind)
    .sort();
  assert.deepEqual(kinds, ["closed", "closed", "token-wrong", "token-wrong"]);
  assert.equal(logs.filter((l) => /dropped without an answer/.test(l)).length, 2);
  // Still no lock-out for the right token.
  (await open(server.addr.port, { tls: trust })).close();
});

Deno.test("PadlinkConnection with TLS refuses a server whose certificate is not the pinned one", async () => {
  const { server, events, trust } = await tlsServer();
  await using _ = server;
  const other = await createCa("padlink CA other");
  await assert.rejects(
    open(server.addr.port, {
      tls: { ...trust, caCerts: [other.certPem], channelBinding: await sha256(other.der) },
    }),
    (error: Error) =>
      error instanceof ConnectError && error.kind === "tls-untrusted" &&
      /^WARNING: the TLS certificate of .* does not match the one pinned in known_hosts/.test(
        error.message,
      ) && /--repair/.test(error.message),
  );
  assert.equal(events.filter((e) => e.type === "connect").length, 0);
});

Deno.test("PadlinkConnection with TLS says a plaintext server does not use TLS", async () => {
  await using server = await PadlinkServer.start({ hostname: "127.0.0.1", port: 0, token: TOKEN });
  const ca = await createCa("padlink CA x");
  await assert.rejects(
    open(server.addr.port, {
      tls: {
        hostname: PADLINK_TLS_NAME,
        caCerts: [ca.certPem],
        channelBinding: new Uint8Array(0),
        source: { kind: "ca", file: "ca.pem" },
      },
    }),
    (error: Error) =>
      error instanceof ConnectError && error.kind === "not-tls" &&
      /does not use TLS/.test(error.message),
  );
});

Deno.test("PadlinkConnection without TLS suggests --tls when a TLS server does not greet it", async () => {
  const { server, events } = await tlsServer();
  await using _ = server;
  await assert.rejects(
    open(server.addr.port, { timeoutMs: 1000 }),
    (error: Error) => error instanceof ConnectError && /pass --tls/.test(error.message),
  );
  assert.equal(events.filter((e) => e.type === "connect").length, 0);
});

Deno.test("PadlinkServer with the user's own certificate serves a client that trusts its CA by name", async () => {
  const ca = await createCa("Example Root");
  const cert = await issueServerCertificate(ca, {
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  const events: ServerEvent[] = [];
  await using server = await PadlinkServer.start({
    hostname: "127.0.0.1",
    port: 0,
    token: TOKEN,
    tls: { cert: cert.certPem, key: cert.keyPem },
    onEvent: (event) => events.push(event),
  });
  const tls: ClientTlsOptions = {
    hostname: "127.0.0.1",
    caCerts: [ca.certPem],
    channelBinding: new Uint8Array(0),
    source: { kind: "ca", file: "ca.pem" },
  };
  const connection = await open(server.addr.port, { tls });
  assert.equal(await connection.goodbye(), true);
  assert.equal(events.filter((e) => e.type === "connect").length, 1);
  await assert.rejects(
    open(server.addr.port, { tls: { ...tls, hostname: "elsewhere.example" } }),
    (error: Error) => error instanceof ConnectError && error.kind === "tls-untrusted",
  );
});
