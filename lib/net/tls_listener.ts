/**
 * A TLS listener whose silent connections can be closed. `Deno.listenTls`
 * cannot: closing a `Deno.TlsConn` whose handshake has not finished leaves
 * its socket open until the peer gives up, so a peer that connects and
 * never sends a byte holds a file descriptor (and 36 KiB) for as long as it
 * likes. This listener runs TLS through `node:tls` instead, where
 * destroying a socket closes it at once, and it enforces two bounds of its
 * own on connections whose TLS handshake has not finished: a deadline, and
 * a cap (past it the oldest of the address holding the most go first).
 *
 * Accepted connections are handed over after their TLS handshake, wrapped
 * as the small part of `Deno.Conn` that `FramedConnection` uses.
 *
 * @module
 */

import tls from "node:tls";
import type net from "node:net";
import { AddressSlots } from "./address_slots.ts";
import { LogThrottle } from "./log_throttle.ts";

/** Options for {@linkcode listenTls}. */
export interface TlsListenerOptions {
  /** Interface to listen on. */
  hostname: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Certificate chain (PEM). */
  cert: string;
  /** Private key (PEM). */
  key: string;
  /** Time a connection has to finish its TLS handshake, in ms. */
  handshakeTimeoutMs: number;
  /** Most connections in their TLS handshake at once. */
  maxPending: number;
  /** Diagnostics (connections dropped for the cap), at most one line a second. */
  onLog?: (message: string) => void;
}

/** Turn a Node socket error into the `Deno.errors` class the rest of padlink checks for. */
function denoError(error: Error & { code?: string }): Error {
  switch (error.code) {
    case "ECONNRESET":
      return new Deno.errors.ConnectionReset(error.message);
    case "EPIPE":
      return new Deno.errors.BrokenPipe(error.message);
    case "ECONNABORTED":
      return new Deno.errors.ConnectionAborted(error.message);
    case "EADDRINUSE":
      return new Deno.errors.AddrInUse(error.message);
    case "EADDRNOTAVAIL":
      return new Deno.errors.AddrNotAvailable(error.message);
    case "EACCES":
      return new Deno.errors.PermissionDenied(error.message);
    default:
      return error;
  }
}

function netAddr(hostname: string | undefined, port: number | undefined): Deno.NetAddr {
  return { transport: "tcp", hostname: (hostname ?? "").replace(/^::ffff:/, ""), port: port ?? 0 };
}

/** Bytes buffered from a peer before its socket is paused until they are read. */
const READ_HIGH_WATER = 64 * 1024;

/** A `node:tls` socket as the part of `Deno.Conn` padlink uses: read, write, close, addresses. */
class NodeTlsConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr;
  readonly #socket: tls.TLSSocket;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | null = null;
  #waiter: (() => void) | null = null;

  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort);
    this.localAddr = netAddr(socket.localAddress, socket.localPort);
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= READ_HIGH_WATER) socket.pause();
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("error", (error: Error) => {
      this.#error ??= denoError(error);
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  setNoDelay(noDelay = true): void {
    this.#socket.setNoDelay(noDelay);
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
    let n = 0;
    while (n < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.length, buffer.length - n);
      buffer.set(chunk.subarray(0, take), n);
      n += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= n;
    if (this.#buffered < READ_HIGH_WATER && this.#socket.isPaused()) this.#socket.resume();
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#socket.destroyed) return Promise.reject(new Deno.errors.BadResource("closed"));
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (error?: Error | null) => {
        if (error) reject(denoError(error));
        else resolve(bytes.length);
      });
    });
  }

  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  close(): void {
    this.#socket.destroy();
    this.#ended = true;
    this.#wake();
  }
}

/**
 * Listen for TLS connections; resolves once listening.
 *
 * @throws {Deno.errors.AddrInUse} (as a rejection) when the port is taken,
 * and the other `Deno.errors` a listen can fail with.
 */
export function listenTls(options: TlsListenerOptions): Promise<TlsListener> {
  return new Promise((resolve, reject) => {
    const server = tls.createServer({ cert: options.cert, key: options.key });
    server.once("error", (error: Error) => reject(denoError(error)));
    server.listen(options.port, options.hostname, () => resolve(new TlsListener(server, options)));
  });
}

/**
 * The listening side: `accept()` and `close()` like a `Deno.Listener`, for
 * `AcceptLoop`.
 */
export class TlsListener {
  readonly #server: tls.Server;
  readonly #options: TlsListenerOptions;
  readonly #pending: AddressSlots<net.Socket>;
  readonly #ready: NodeTlsConn[] = [];
  #waiter: { resolve: (conn: Deno.Conn) => void; reject: (error: Error) => void } | null = null;
  #closed = false;
  readonly #evictionLog = new LogThrottle();
  /** The address listened on. */
  readonly addr: Deno.NetAddr;

  /** Wrap a listening node:tls server. */
  constructor(server: tls.Server, options: TlsListenerOptions) {
    this.#server = server;
    this.#options = options;
    this.#pending = new AddressSlots({ total: options.maxPending, perAddress: options.maxPending });
    const address = server.address() as net.AddressInfo;
    this.addr = netAddr(address.address, address.port);
    server.on("error", () => {}); // Accept errors: node retries on its own.
    server.on("connection", (socket: net.Socket) => this.#onConnection(socket));
    server.on("secureConnection", (socket: tls.TLSSocket) => this.#onSecure(socket));
    server.on("tlsClientError", () => {}); // A failed handshake: node destroys the socket.
  }

  #onConnection(socket: net.Socket): void {
    const ip = netAddr(socket.remoteAddress, socket.remotePort).hostname;
    const evicted = this.#pending.admit(ip, socket);
    if (evicted) {
      evicted.destroy();
      this.#logEviction(`more than ${this.#options.maxPending} were in their TLS handshake`);
    }
    const timer = setTimeout(() => {
      if (!socket.destroyed) socket.destroy();
    }, this.#options.handshakeTimeoutMs);
    const release = () => {
      clearTimeout(timer);
      this.#pending.release(ip, socket);
    };
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    this.#releases.set(key, release);
    socket.once("close", () => {
      release();
      if (this.#releases.get(key) === release) this.#releases.delete(key);
    });
  }

  /** Per raw socket (by peer address and port), what ends its pending state. */
  readonly #releases = new Map<string, () => void>();

  #onSecure(socket: tls.TLSSocket): void {
    // The raw socket underneath finished its handshake: no longer pending.
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    this.#releases.get(key)?.();
    this.#releases.delete(key);
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const conn = new NodeTlsConn(socket);
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      waiter.resolve(conn as unknown as Deno.Conn);
    } else {
      this.#ready.push(conn);
    }
  }

  #logEviction(why: string): void {
    const held = this.#evictionLog.take();
    if (held === null) return;
    this.#options.onLog?.(
      `${held + 1} connection(s) dropped before their TLS handshake, oldest first: ${why}`,
    );
  }

  /** The next connection whose TLS handshake finished. */
  accept(): Promise<Deno.Conn> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("listener closed"));
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready as unknown as Deno.Conn);
    return new Promise((resolve, reject) => this.#waiter = { resolve, reject });
  }

  /** Stop listening, and close the connections not handed over yet. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const conn of this.#ready.splice(0)) conn.close();
    let socket;
    while ((socket = this.#pending.evictOne())) socket.destroy();
    this.#waiter?.reject(new Deno.errors.BadResource("listener closed"));
    this.#waiter = null;
  }
}
