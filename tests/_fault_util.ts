/**
 * Helpers for the fault-tolerance tests, on top of the harness in
 * `_util.ts`: a replay that holds inputs, the client's flags for a server,
 * just enough raw protocol to play a hostile peer, and network namespaces.
 *
 * @module
 */

import { withDeadline } from "../lib/net/deadline.ts";
import type { ServerProc } from "./_util.ts";
import { computeProof, newNonce, tokenKey } from "../lib/trust/auth.ts";
import { FrameDecoder } from "../lib/wire/frame.ts";
import {
  decodeHello,
  decodeRefuse,
  decodeWelcome,
  encodeJoin,
  HELLO_FLAG_AUTH,
  MessageType,
  messageTypeOf,
  PROTOCOL_VERSION,
} from "../lib/wire/protocol.ts";

/**
 * A replay that attaches pad 0, holds A, pushes the left stick to 0.5 and
 * holds the Left Shift key, then waits `holdMs` before letting go (so the
 * client holds them until it is killed or stopped).
 */
export function holdingReplay(holdMs = 60000): Record<string, unknown>[] {
  return [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Test Pad" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 0, type: "axis", pad: 0, axis: "leftx", value: 0.5 },
    { t: 0, type: "key", key: "Left Shift", scancode: "Left Shift", pressed: true },
    { t: holdMs, type: "button", pad: 0, button: "a", pressed: false },
  ];
}

/** The client's flags to reach `server` as `name`. */
export function clientArgs(server: ServerProc, name: string, host = "127.0.0.1"): string[] {
  const args = ["--host", host, "--port", String(server.port), "--name", name];
  if (server.token !== null) args.push("--token", server.token);
  return args;
}

/** Read frames from a raw connection until `count` arrived, EOF, or `timeoutMs`. */
export async function readFrames(
  conn: Deno.Conn,
  count: number,
  timeoutMs = 5000,
): Promise<Uint8Array[]> {
  const decoder = new FrameDecoder({ maxFrameSize: 0xffff });
  const frames: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  const deadline = performance.now() + timeoutMs;
  while (frames.length < count) {
    const left = deadline - performance.now();
    const n = left <= 0 ? null : await withDeadline(conn.read(buffer), left, () => null);
    if (n === null) break;
    decoder.push(buffer.subarray(0, n), (payload) => {
      if (payload.length > 0) frames.push(payload.slice());
    });
  }
  return frames;
}

/**
 * Wait until the peer closes `conn` (EOF or reset), reading and discarding.
 *
 * @returns how it ended: "eof", "reset", or "timeout".
 */
export async function waitClosed(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<"eof" | "reset" | "timeout"> {
  const buffer = new Uint8Array(4096);
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const left = deadline - performance.now();
    if (left <= 0) return "timeout";
    const result = await withDeadline(
      conn.read(buffer).then((n) => n === null ? "eof" as const : n, () => "reset" as const),
      left,
      () => "timeout" as const,
    );
    if (typeof result === "string") return result;
  }
}

/**
 * Connect and complete a real handshake as `name` (proving `token` when the
 * server asks for one). Returns the open connection and the assigned name.
 */
export async function rawJoin(
  port: number,
  name: string,
  token: string | null,
  options: { session?: Uint8Array; hostname?: string } = {},
): Promise<{ conn: Deno.TcpConn; name: string }> {
  const conn = await Deno.connect({ hostname: options.hostname ?? "127.0.0.1", port });
  try {
    const [helloFrame] = await readFrames(conn, 1);
    if (!helloFrame) throw new Error("no HELLO from the server");
    const hello = decodeHello(helloFrame);
    const nonce = newNonce();
    let proof = new Uint8Array(0);
    if ((hello.flags & HELLO_FLAG_AUTH) !== 0) {
      if (token === null) throw new Error("the server wants a token");
      proof = await computeProof(await tokenKey(token), "join", {
        serverNonce: hello.nonce,
        clientNonce: nonce,
        name,
        session: options.session,
      }) as Uint8Array<ArrayBuffer>;
    }
    await conn.write(encodeJoin({
      version: PROTOCOL_VERSION,
      flags: 0,
      name,
      nonce,
      proof,
      session: options.session,
    }));
    const [reply] = await readFrames(conn, 1);
    if (!reply) throw new Error(`no answer to the JOIN of ${name}`);
    if (messageTypeOf(reply) === MessageType.REFUSE) {
      throw new Error(`${name} refused: ${decodeRefuse(reply).reason}`);
    }
    if (messageTypeOf(reply) !== MessageType.WELCOME) {
      throw new Error(`${name}: expected WELCOME, got type ${reply[0]}`);
    }
    return { conn, name: decodeWelcome(reply).name };
  } catch (error) {
    conn.close();
    throw error;
  }
}

/** Run `ip …` and throw with its stderr when it fails. */
export async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/**
 * Why network namespaces cannot be used here, or null when they can: this
 * tries to create and delete one.
 */
export async function netnsUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return `network namespaces are Linux-only (${Deno.build.os})`;
  const probe = `pl-probe-${Deno.pid}`;
  try {
    await ip("netns", "add", probe);
  } catch (error) {
    return `cannot create a network namespace: ${(error as Error).message}`;
  }
  await ip("netns", "del", probe).catch(() => {});
  return null;
}

/** Two network namespaces joined by a veth pair, with addresses on each end. */
export interface NetnsPair extends AsyncDisposable {
  /** Namespace of the server. */
  serverNs: string;
  /** Namespace of the client. */
  clientNs: string;
  /** Address of the server's end. */
  serverAddr: string;
  /** Veth interface in the server's namespace. */
  serverLink: string;
  /** Veth interface in the client's namespace. */
  clientLink: string;
  /** Take the client's link down (no FIN, no RST: silence) or bring it up. */
  setLink(up: boolean): Promise<void>;
}

/**
 * Create `pl-s-<pid>-<n>` and `pl-c-<pid>-<n>` joined by a veth pair with
 * link-local addresses (169.254.77.1 and .2) that exist only inside them.
 * Dispose to delete both (which also deletes the veth pair).
 */
export async function createNetnsPair(n: number): Promise<NetnsPair> {
  const serverNs = `pl-s-${Deno.pid}-${n}`;
  const clientNs = `pl-c-${Deno.pid}-${n}`;
  // Interface names are limited to 15 bytes.
  const id = `${Deno.pid % 100000}${n}`;
  const serverLink = `pls${id}`;
  const clientLink = `plc${id}`;
  const dispose = async () => {
    await ip("netns", "del", clientNs).catch(() => {});
    await ip("netns", "del", serverNs).catch(() => {});
  };
  try {
    await ip("netns", "add", serverNs);
    await ip("netns", "add", clientNs);
    await ip("link", "add", serverLink, "type", "veth", "peer", "name", clientLink);
    await ip("link", "set", serverLink, "netns", serverNs);
    await ip("link", "set", clientLink, "netns", clientNs);
    await ip("-n", serverNs, "addr", "add", "169.254.77.1/30", "dev", serverLink);
    await ip("-n", clientNs, "addr", "add", "169.254.77.2/30", "dev", clientLink);
    for (const [ns, link] of [[serverNs, serverLink], [clientNs, clientLink]] as const) {
      await ip("-n", ns, "link", "set", "lo", "up");
      await ip("-n", ns, "link", "set", link, "up");
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    serverNs,
    clientNs,
    serverAddr: "169.254.77.1",
    serverLink,
    clientLink,
    setLink: (up) => ip("-n", clientNs, "link", "set", clientLink, up ? "up" : "down"),
    [Symbol.asyncDispose]: dispose,
  };
}
