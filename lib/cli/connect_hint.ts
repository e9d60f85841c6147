/**
 * What `padlink-server` tells the user at start so that the client side is
 * easy to type: the machine's network addresses when it listens on every
 * interface, and the client's command line, with the token in
 * `PADLINK_TOKEN` (out of the process list) and `--port` only when it is
 * not the default.
 *
 * @module
 */

import { formatHostPort } from "../net/host_port.ts";
import { DEFAULT_PORT } from "../server/server.ts";
import { TOKEN_ENV } from "./common.ts";

/** The addresses that mean "every interface": IPv4 `0.0.0.0` and IPv6 `::`. */
export function isWildcardHost(hostname: string): boolean {
  return hostname === "0.0.0.0" || hostname === "::" || hostname === "[::]";
}

/**
 * Whether another machine cannot use the address as it is: loopback, and
 * IPv6 link-local (it needs the interface's zone, `%eth0`, which differs on
 * each machine). IPv4 link-local (169.254/16, two machines cabled directly)
 * works as it is.
 */
function isLocalOnly(address: string, family: "IPv4" | "IPv6"): boolean {
  if (family === "IPv4") return address.startsWith("127.");
  const lower = address.toLowerCase();
  return lower === "::1" || /^fe[89ab]/.test(lower);
}

/**
 * The addresses other machines can reach a server on that listens on
 * `hostname` (`0.0.0.0`: the IPv4 ones; `::`: IPv6 and, where sockets are
 * dual-stack as on Linux and macOS, IPv4 too), loopback and IPv6
 * link-local left out, IPv4 first. Empty for any other `hostname`.
 *
 * @param hostname The address listened on.
 * @param interfaces The machine's interfaces (default `Deno.networkInterfaces()`).
 * @returns the addresses, or null when the interfaces cannot be read.
 *
 * @example Usage
 * ```ts
 * import { networkAddresses } from "./connect_hint.ts";
 * const interfaces = [
 *   { family: "IPv4", name: "lo", address: "127.0.0.1" },
 *   { family: "IPv4", name: "eth0", address: "192.168.1.20" },
 *   { family: "IPv6", name: "eth0", address: "fd00::20" },
 * ] as Deno.NetworkInterfaceInfo[];
 * if (networkAddresses("0.0.0.0", interfaces)!.join() !== "192.168.1.20") throw new Error();
 * ```
 */
export function networkAddresses(
  hostname: string,
  interfaces?: Deno.NetworkInterfaceInfo[],
): string[] | null {
  if (!isWildcardHost(hostname)) return [];
  let all: Deno.NetworkInterfaceInfo[];
  try {
    all = interfaces ?? Deno.networkInterfaces();
  } catch {
    return null; // Not allowed (--allow-sys=networkInterfaces) or not supported.
  }
  const families = hostname === "0.0.0.0"
    ? ["IPv4"]
    : Deno.build.os === "windows"
    ? ["IPv6"]
    : ["IPv4", "IPv6"];
  const found: string[] = [];
  for (const family of families) {
    for (const info of all) {
      if (info.family !== family || isLocalOnly(info.address, info.family)) continue;
      if (!found.includes(info.address)) found.push(info.address);
    }
  }
  return found;
}

/**
 * The line that lists where clients on other machines can connect, or
 * null when the server listens on one address only.
 *
 * @param hostname The address listened on.
 * @param port The port listened on.
 * @param addresses From {@linkcode networkAddresses}.
 */
export function reachableLine(
  hostname: string,
  port: number,
  addresses: string[] | null,
): string | null {
  if (!isWildcardHost(hostname)) return null;
  if (addresses === null) {
    return "cannot list this machine's network addresses (no permission); clients connect to one of them";
  }
  if (addresses.length === 0) {
    return "this machine has no network address besides loopback: only clients on this machine can connect";
  }
  return `reachable on the network at ${
    addresses.map((address) => formatHostPort(address, port)).join(", ")
  }`;
}

/** What {@linkcode clientCommand} needs. */
export interface ClientCommandOptions {
  /** The address listened on. */
  hostname: string;
  /** The port listened on. */
  port: number;
  /** From {@linkcode networkAddresses}: the first is suggested for a wildcard address. */
  addresses: string[] | null;
  /** The token (grouped for reading), or null without auth. */
  token: string | null;
  /**
   * How the client trusts the server under TLS: `["--tls"]` (pairing),
   * `["--ca", FILE]` (a CA it must be given), or none without TLS.
   */
  tls: string[];
}

/**
 * The client's command line: `PADLINK_TOKEN=… padlink-client --host H`,
 * with the TLS flags and `--port` when they are needed. An IPv6 `--host` is
 * written bare (`--host fd00::20`), which the client takes as it is and no
 * shell reads as a pattern.
 *
 * @example Usage
 * ```ts
 * import { clientCommand } from "./connect_hint.ts";
 * const line = clientCommand({
 *   hostname: "0.0.0.0",
 *   port: 9000,
 *   addresses: ["192.168.1.20"],
 *   token: "k7q2-m9xd-3fpa-wz8c",
 *   tls: [],
 * });
 * if (line !== "PADLINK_TOKEN=k7q2-m9xd-3fpa-wz8c padlink-client --host 192.168.1.20 --port 9000") {
 *   throw new Error(line);
 * }
 * ```
 */
export function clientCommand(options: ClientCommandOptions): string {
  const host = isWildcardHost(options.hostname)
    ? options.addresses?.[0] ?? "<this machine>"
    : options.hostname;
  return [
    ...(options.token === null ? [] : [`${TOKEN_ENV}=${options.token}`]),
    "padlink-client",
    ...options.tls,
    "--host",
    host.startsWith("[") ? host.slice(1, -1) : host,
    ...(options.port === DEFAULT_PORT ? [] : ["--port", String(options.port)]),
  ].join(" ");
}
