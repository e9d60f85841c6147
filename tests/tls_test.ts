/**
 * TLS and pairing end to end through the real entrypoints: pairing then a
 * reconnect on the pin, the user's own certificate with `--ca`, and every
 * refusal (plaintext to TLS, TLS to plaintext, wrong token, replayed
 * pairing, man in the middle, changed certificate), plus a capture of the
 * bytes on the wire that must not hold the token.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createCa,
  issueServerCertificate,
  loadOrCreateServerIdentity,
} from "../lib/trust/certificate.ts";
import { KNOWN_HOSTS_FILE, lookupKnownHost, pinKnownHost } from "../lib/trust/known_hosts.ts";
import { derToPem, PADLINK_TLS_NAME, pemToDers } from "../lib/trust/tls.ts";
import { type Proc, type ServerProc, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";
import { closeQuietly } from "../lib/net/close_quietly.ts";
import { concatBytes } from "../lib/wire/bytes.ts";

const REPLAY = [
  { t: 0, type: "pad", pad: 0, attached: true, name: "Pad" },
  { t: 0, type: "button", pad: 0, button: "a", pressed: true },
  { t: 10, type: "button", pad: 0, button: "a", pressed: false },
];

/** A temporary directory removed on dispose. */
async function tempDir(prefix: string) {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** Start `server.ts --tls` with its own config directory; returns the fingerprint it printed. */
async function startTlsServer(configDir: string): Promise<ServerProc & { fingerprint: string }> {
  const server = await startServer(["--tls", "--config-dir", configDir]);
  try {
    const line = await server.stderr.waitFor(
      (l) => l.startsWith("TLS certificate SHA-256 fingerprint: "),
      { timeoutMs: 5000, what: "fingerprint" },
    );
    return Object.assign(server, { fingerprint: line.text.split(/\s+/)[4]! });
  } catch (error) {
    await server[Symbol.asyncDispose]();
    throw error;
  }
}

/** Run `client.ts` to completion and return it with its exit code. */
async function runClient(args: string[], env: Record<string, string> = {}) {
  const replay = await writeReplay(REPLAY);
  const client = spawnEntrypoint("client.ts", [
    "--host",
    "127.0.0.1",
    "--replay",
    replay,
    "--no-reconnect",
    ...args,
  ], { env });
  try {
    const status = await client.exit(20000);
    return { client, code: status.code };
  } finally {
    await Deno.remove(replay);
  }
}

/** The one non-empty stderr line of a refused client. */
function refusal(client: Proc): string {
  const lines = client.stderr.lines.filter((line) => line.trim() !== "");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${client.stderr.text}`);
  assert.doesNotMatch(lines[0]!, /^\s+at /, "no stack trace");
  return lines[0]!;
}

function connects(server: ServerProc): number {
  return server.events().filter((event) => event.type === "connect").length;
}

function inputs(server: ServerProc): Record<string, unknown>[] {
  return server.events().filter((event) => event.type === "button" || event.type === "pad");
}

Deno.test("tls: pairing with the token pins the certificate, and a reconnect uses the pin", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using clientDir = await tempDir("padlink-client-");
  await using server = await startTlsServer(serverDir.path);
  const first = await runClient([
    "--tls",
    "--port",
    String(server.port),
    "--config-dir",
    clientDir.path,
    "--name",
    "alice",
  ], { PADLINK_TOKEN: server.token! });
  assert.equal(first.code, 0, first.client.stderr.text);
  assert.match(first.client.stderr.text, new RegExp(`paired with .*${server.fingerprint}`));
  const pin = await lookupKnownHost(
    `${clientDir.path}/${KNOWN_HOSTS_FILE}`,
    `127.0.0.1:${server.port}`,
  );
  assert.equal(pin?.fingerprint, server.fingerprint, "the pinned certificate is the server's");

  // Again, now without the token for pairing: the pin alone is trusted (the
  // token is still needed for the handshake itself).
  const second = await runClient([
    "--tls",
    "--port",
    String(server.port),
    "--config-dir",
    clientDir.path,
    "--name",
    "bob",
    "--token",
    server.token!,
  ]);
  assert.equal(second.code, 0, second.client.stderr.text);
  assert.doesNotMatch(second.client.stderr.text, /paired with/, "no second pairing");
  await server.stdout.waitFor((l) => l.includes('"client":"bob"') && l.includes('"disconnect"'));
  const pressed = inputs(server).filter((e) => e.type === "button" && e.pressed === true);
  assert.deepEqual(pressed.map((e) => e.client), ["alice", "bob"]);
  // The server restarts with the same config directory and the same certificate.
  server.kill();
  await server.exit();
  await using again = await startTlsServer(serverDir.path);
  assert.equal(again.fingerprint, server.fingerprint, "the certificate is reused");
});

Deno.test("tls: the user's own certificate with --ca", async () => {
  await using dir = await tempDir("padlink-own-");
  const ca = await createCa("Example Test Root");
  const cert = await issueServerCertificate(ca, {
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  await Deno.writeTextFile(`${dir.path}/ca.pem`, ca.certPem);
  await Deno.writeTextFile(`${dir.path}/cert.pem`, cert.certPem);
  await Deno.writeTextFile(`${dir.path}/key.pem`, cert.keyPem);
  await using server = await startServer([
    "--tls-cert",
    `${dir.path}/cert.pem`,
    "--tls-key",
    `${dir.path}/key.pem`,
  ]);
  await server.stderr.waitFor((l) => l.startsWith("TLS with your certificate"));
  const ok = await runClient([
    "--ca",
    `${dir.path}/ca.pem`,
    "--port",
    String(server.port),
    "--token",
    server.token!,
  ]);
  assert.equal(ok.code, 0, ok.client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'));
  assert.equal(inputs(server).filter((e) => e.type === "button").length >= 2, true);

  // Another CA is not trusted: refused before anything is sent.
  const other = await createCa("Other Root");
  await Deno.writeTextFile(`${dir.path}/other.pem`, other.certPem);
  const refused = await runClient([
    "--ca",
    `${dir.path}/other.pem`,
    "--port",
    String(server.port),
    "--token",
    server.token!,
  ]);
  assert.equal(refused.code, 1);
  assert.match(refusal(refused.client), /not trusted by .*other\.pem/);
  assert.equal(connects(server), 1);
});

Deno.test("tls: the server's generated CA works as --ca, and a wrong token is refused", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using server = await startTlsServer(serverDir.path);
  const ca = `${serverDir.path}/server-ca.pem`;
  const ok = await runClient(["--ca", ca, "--port", String(server.port), "--token", server.token!]);
  assert.equal(ok.code, 0, ok.client.stderr.text);
  const wrong = await runClient([
    "--ca",
    ca,
    "--port",
    String(server.port),
    "--token",
    "wxyz-wxyz-wxyz-wxyz",
  ]);
  assert.equal(wrong.code, 1);
  assert.match(refusal(wrong.client), /refused the token/);
  assert.equal(connects(server), 1);
});

Deno.test("tls: 5 wrong tokens from an address do not lock out a client there with the right one", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using server = await startTlsServer(serverDir.path);
  const ca = `${serverDir.path}/server-ca.pem`;
  const port = String(server.port);
  const started = performance.now();
  const wrong = await Promise.all(
    Array.from(
      { length: 5 },
      () => runClient(["--ca", ca, "--port", port, "--token", "wxyz-wxyz-wxyz-wxyz"]),
    ),
  );
  for (const attempt of wrong) assert.match(refusal(attempt.client), /refused the token/);
  // Each wrong token waits a second for its refusal.
  assert.ok(performance.now() - started >= 1000);
  const right = await runClient(["--ca", ca, "--port", port, "--token", server.token!]);
  assert.equal(right.code, 0, right.client.stderr.text);
  // The client's exit can come before the server's lines about it are read.
  await server.waitEvent({ type: "disconnect" });
  assert.equal(connects(server), 1);
});

Deno.test("tls: pairing with a wrong token is refused and pins nothing", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using clientDir = await tempDir("padlink-client-");
  await using server = await startTlsServer(serverDir.path);
  const { client, code } = await runClient([
    "--tls",
    "--port",
    String(server.port),
    "--config-dir",
    clientDir.path,
    "--token",
    "wxyz-wxyz-wxyz-wxyz",
  ]);
  assert.equal(code, 1);
  assert.match(refusal(client), /token is wrong/);
  assert.equal(
    await lookupKnownHost(`${clientDir.path}/${KNOWN_HOSTS_FILE}`, `127.0.0.1:${server.port}`),
    null,
  );
  assert.equal(connects(server), 0);
});

Deno.test("tls: a client with no pin, no --ca and no token is refused", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using clientDir = await tempDir("padlink-client-");
  await using server = await startTlsServer(serverDir.path);
  const { client, code } = await runClient([
    "--tls",
    "--port",
    String(server.port),
    "--config-dir",
    clientDir.path,
  ]);
  assert.equal(code, 1);
  assert.match(refusal(client), /no way to trust the server.*--token.*--ca/);
  assert.equal(connects(server), 0);
});

Deno.test("tls: a plaintext client to a TLS server is refused and told about --tls", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using server = await startTlsServer(serverDir.path);
  const { client, code } = await runClient([
    "--port",
    String(server.port),
    "--token",
    server.token!,
  ]);
  assert.equal(code, 1);
  assert.match(
    refusal(client),
    /speaks TLS \(it answered plain text with a TLS record\).*pass --tls/,
  );
  assert.equal(connects(server), 0);
});

Deno.test("tls: a plaintext client to a server that merely stalls is not told it may use TLS", async () => {
  // A server that accepts and then says nothing: stopped, or overloaded.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const { client, code } = await runClient([
      "--port",
      String((listener.addr as Deno.NetAddr).port),
      "--name",
      "bob",
    ]);
    assert.equal(code, 1);
    const line = refusal(client);
    assert.match(line, /sent no greeting within 5000 ms, so it is stalled or overloaded/);
    assert.doesNotMatch(line, /may use TLS|pass --tls/);
  } finally {
    listener.close();
    await accepting;
    for (const conn of held) conn.close();
  }
});

Deno.test("tls: a TLS client to a plaintext server is refused: the server does not use TLS", async () => {
  await using dir = await tempDir("padlink-own-");
  await using server = await startServer();
  const ca = await createCa("Some Root");
  await Deno.writeTextFile(`${dir.path}/ca.pem`, ca.certPem);
  const { client, code } = await runClient([
    "--ca",
    `${dir.path}/ca.pem`,
    "--port",
    String(server.port),
    "--token",
    server.token!,
  ]);
  assert.equal(code, 1);
  assert.match(refusal(client), /does not use TLS/);
  assert.equal(connects(server), 0);
});

Deno.test("tls: a replayed pairing exchange is refused", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using clientDir = await tempDir("padlink-client-");
  await using server = await startTlsServer(serverDir.path);
  // Record a genuine exchange with the server's pairing port.
  await using recorder = await Proxy.start(server.port + 1);
  await using _ = await runPairOnly(recorder.port, server.token!);
  const answer = recorder.received();
  assert.ok(answer.length > 100, "the recording holds the server's answer");
  // An impostor replays that answer to the next client that pairs.
  await using impostor = ReplayServer.start(answer);
  const { client, code } = await runClient([
    "--tls",
    "--port",
    String(impostor.port - 1),
    "--config-dir",
    clientDir.path,
    "--token",
    server.token!,
  ]);
  assert.equal(code, 1);
  assert.match(refusal(client), /replayed exchange/);
  assert.equal(impostor.served, 1, "the client did ask the impostor");
  assert.equal(
    await lookupKnownHost(
      `${clientDir.path}/${KNOWN_HOSTS_FILE}`,
      `127.0.0.1:${impostor.port - 1}`,
    ),
    null,
  );
});

Deno.test("tls: a man in the middle with another certificate is refused with a warning", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using mitmDir = await tempDir("padlink-mitm-");
  await using clientDir = await tempDir("padlink-client-");
  await using server = await startTlsServer(serverDir.path);
  const realCa = pemToDers(await Deno.readTextFile(`${serverDir.path}/server-ca.pem`))[0]!;
  // The attacker has a padlink certificate of its own (same name, another CA)
  // and relays to the real server, which it can trust: the CA is public.
  const fake = await loadOrCreateServerIdentity(mitmDir.path);
  await using mitm = TlsRelay.start(fake, server.port, derToPem(realCa));
  const knownHosts = `${clientDir.path}/${KNOWN_HOSTS_FILE}`;
  await pinKnownHost(knownHosts, `127.0.0.1:${mitm.port}`, realCa);
  const { client, code } = await runClient([
    "--tls",
    "--port",
    String(mitm.port),
    "--config-dir",
    clientDir.path,
    "--token",
    server.token!,
  ]);
  assert.equal(code, 1);
  const line = refusal(client);
  assert.match(
    line,
    /^padlink-client: WARNING: the TLS certificate of 127\.0\.0\.1:\d+ does not match/,
  );
  assert.match(line, /man in the middle/);
  assert.ok(line.includes(knownHosts), "names the known-hosts file");
  assert.equal(mitm.relayed, 0, "nothing got through the relay");
  assert.equal(connects(server), 0);
});

Deno.test("tls: a pinned certificate that changed is refused; --repair with the token pairs again", async () => {
  await using dirA = await tempDir("padlink-server-a-");
  await using dirB = await tempDir("padlink-server-b-");
  await using clientDir = await tempDir("padlink-client-");
  await using serverA = await startTlsServer(dirA.path);
  await using serverB = await startTlsServer(dirB.path);
  // The client paired with B's address back when it had A's certificate.
  const caA = pemToDers(await Deno.readTextFile(`${dirA.path}/server-ca.pem`))[0]!;
  const knownHosts = `${clientDir.path}/${KNOWN_HOSTS_FILE}`;
  const where = `127.0.0.1:${serverB.port}`;
  await pinKnownHost(knownHosts, where, caA);
  const common = ["--port", String(serverB.port), "--config-dir", clientDir.path];
  const refused = await runClient(["--tls", ...common, "--token", serverB.token!]);
  assert.equal(refused.code, 1);
  const line = refusal(refused.client);
  assert.match(line, /WARNING: the TLS certificate of .* does not match the one pinned/);
  assert.ok(line.includes(serverA.fingerprint), "shows the pinned fingerprint");
  assert.match(line, /--repair/);
  assert.equal(connects(serverB), 0);

  const repaired = await runClient(["--repair", ...common, "--token", serverB.token!]);
  assert.equal(repaired.code, 0, repaired.client.stderr.text);
  assert.equal((await lookupKnownHost(knownHosts, where))?.fingerprint, serverB.fingerprint);
  await serverB.waitEvent({ type: "disconnect" });
  assert.equal(connects(serverB), 1);
});

Deno.test("tls: the token never appears on the wire while pairing and forwarding", async () => {
  await using serverDir = await tempDir("padlink-server-");
  await using clientDir = await tempDir("padlink-client-");
  await using server = await startTlsServer(serverDir.path);
  await using pairingTap = await Proxy.start(server.port + 1, true);
  await using tlsTap = await Proxy.start(server.port, false, pairingTap.port - 1);
  const { client, code } = await runClient([
    "--tls",
    "--port",
    String(tlsTap.port),
    "--config-dir",
    clientDir.path,
  ], { PADLINK_TOKEN: server.token! });
  assert.equal(code, 0, client.stderr.text);
  await server.stdout.waitFor((l) => l.includes('"disconnect"'));
  const wire = concatBytes([...pairingTap.captured(), ...tlsTap.captured()]);
  const caDer = pemToDers(await Deno.readTextFile(`${serverDir.path}/server-ca.pem`))[0]!;
  assert.ok(indexOf(wire, caDer) >= 0, "the capture holds the pairing exchange");
  assert.ok(tlsTap.captured().length > 0, "and the TLS session");
  const token = server.token!;
  for (const form of [token, token.replaceAll("-", ""), token.toUpperCase()]) {
    assert.equal(indexOf(wire, new TextEncoder().encode(form)), -1, `found ${form} on the wire`);
  }
  assert.equal(indexOf(wire, new TextEncoder().encode("button")), -1, "input is encrypted");
  assert.ok(inputs(server).length > 0);
});

// --- helpers: taps, impostors, relays -------------------------------------

/** Pair through `client.ts` against a pairing port; the connection itself fails (no TLS port). */
async function runPairOnly(pairPort: number, token: string) {
  const dir = await tempDir("padlink-client-");
  const { code } = await runClient([
    "--tls",
    "--port",
    String(pairPort - 1),
    "--config-dir",
    dir.path,
    "--token",
    token,
  ]);
  assert.notEqual(code, 0, "nothing listens on the TLS port");
  return dir;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Copy `from` to `to` until either ends, recording what passes. */
async function pump(from: Deno.Conn, to: Deno.Conn, record: Uint8Array[]): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  try {
    for (let i = 0; i < 100_000; i++) {
      const n = await from.read(buffer);
      if (n === null) break;
      const chunk = buffer.slice(0, n);
      record.push(chunk);
      for (let written = 0; written < n;) written += await to.write(chunk.subarray(written));
    }
  } catch {
    // Either side went away.
  } finally {
    for (const conn of [from, to]) closeQuietly(conn);
  }
}

/** A loopback TCP proxy to `target` that records both directions. */
class Proxy implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #toTarget: Uint8Array[] = [];
  readonly #fromTarget: Uint8Array[] = [];
  readonly #tasks = new Set<Promise<void>>();
  readonly #loop: Promise<void>;

  private constructor(listener: Deno.Listener, target: number) {
    this.#listener = listener;
    this.#loop = this.#accept(target);
  }

  /**
   * Start a proxy to `target`. `port` picks its own port (0 = any); with
   * `anyPortWithFreeBelow` it picks a port whose neighbour below is free, so
   * that a second proxy can sit there as the TLS port.
   */
  static async start(target: number, anyPortWithFreeBelow = false, port = 0): Promise<Proxy> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const listener = Deno.listen({ hostname: "127.0.0.1", port });
      if (!anyPortWithFreeBelow) return new Proxy(listener, target);
      const below = (listener.addr as Deno.NetAddr).port - 1;
      try {
        Deno.listen({ hostname: "127.0.0.1", port: below }).close();
        return new Proxy(listener, target);
      } catch {
        listener.close();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    throw new Error("no free pair of ports");
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Bytes that came back from the target. */
  received(): Uint8Array {
    return concatBytes(this.#fromTarget);
  }

  /** Everything that passed, both directions. */
  captured(): Uint8Array[] {
    return [...this.#toTarget, ...this.#fromTarget];
  }

  async #accept(target: number): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      let inbound: Deno.Conn;
      try {
        inbound = await this.#listener.accept();
      } catch {
        return;
      }
      const task = (async () => {
        let outbound: Deno.Conn;
        try {
          outbound = await Deno.connect({ hostname: "127.0.0.1", port: target });
        } catch {
          inbound.close();
          return;
        }
        await Promise.all([
          pump(inbound, outbound, this.#toTarget),
          pump(outbound, inbound, this.#fromTarget),
        ]);
      })();
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#loop;
    await Promise.all([...this.#tasks]);
  }
}

/** A fake pairing port that answers every request with recorded bytes. */
class ReplayServer implements AsyncDisposable {
  readonly #listener: Deno.Listener;
  readonly #loop: Promise<void>;
  served = 0;

  private constructor(answer: Uint8Array) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#serve(answer);
  }

  static start(answer: Uint8Array): ReplayServer {
    return new ReplayServer(answer);
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async #serve(answer: Uint8Array): Promise<void> {
    for (let i = 0; i < 100; i++) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      try {
        await conn.read(new Uint8Array(256));
        await conn.write(answer);
        this.served++;
      } catch {
        // The client went away.
      } finally {
        conn.close();
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#loop;
  }
}

/**
 * A man in the middle: terminates TLS with its own certificate and relays to
 * the real server over TLS (trusting its public CA).
 */
class TlsRelay implements AsyncDisposable {
  readonly #listener: Deno.TlsListener;
  readonly #tasks = new Set<Promise<void>>();
  readonly #loop: Promise<void>;
  relayed = 0;

  private constructor(identity: { certPem: string; keyPem: string }, target: number, ca: string) {
    this.#listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: identity.certPem,
      key: identity.keyPem,
    });
    this.#loop = this.#accept(target, ca);
  }

  static start(identity: { certPem: string; keyPem: string }, target: number, ca: string) {
    return new TlsRelay(identity, target, ca);
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(target: number, ca: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      let inbound: Deno.TlsConn;
      try {
        inbound = await this.#listener.accept();
      } catch {
        return;
      }
      const task = (async () => {
        try {
          await inbound.handshake();
        } catch {
          inbound.close();
          return;
        }
        const tcp = await Deno.connect({ hostname: "127.0.0.1", port: target });
        const outbound = await Deno.startTls(tcp, { hostname: PADLINK_TLS_NAME, caCerts: [ca] });
        this.relayed++;
        await Promise.all([pump(inbound, outbound, []), pump(outbound, inbound, [])]);
      })();
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#loop;
    await Promise.all([...this.#tasks]);
  }
}
