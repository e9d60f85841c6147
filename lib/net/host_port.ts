/**
 * Writing an address as people type it: `host:port`, with an IPv6 address
 * in brackets (`[::1]:7175`) so that its port can be told from it.
 *
 * @module
 */

/**
 * A host as it is written before `:port` or in a URL: an IPv6 address in
 * brackets (`[::1]`), anything else as it is.
 *
 * @example Usage
 * ```ts
 * import { bracketHost } from "./host_port.ts";
 * if (bracketHost("::1") !== "[::1]" || bracketHost("10.0.0.2") !== "10.0.0.2") throw new Error();
 * ```
 */
export function bracketHost(hostname: string): string {
  return hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
}

/**
 * Format a host and a port as `host:port`, an IPv6 host in brackets
 * (`[::1]:7175`), so that the port can be told from the address.
 *
 * @example Usage
 * ```ts
 * import { formatHostPort } from "./host_port.ts";
 * if (formatHostPort("::", 7175) !== "[::]:7175") throw new Error();
 * ```
 */
export function formatHostPort(hostname: string, port: number): string {
  return `${bracketHost(hostname)}:${port}`;
}

/**
 * An IPv4 peer of a dual-stack IPv6 socket as the IPv4 address it is:
 * `::ffff:192.168.1.20` reads `192.168.1.20`; anything else is unchanged.
 *
 * @example Usage
 * ```ts
 * import { unmapIpv4 } from "./host_port.ts";
 * if (unmapIpv4("::ffff:10.0.0.2") !== "10.0.0.2" || unmapIpv4("fd00::2") !== "fd00::2") {
 *   throw new Error();
 * }
 * ```
 */
export function unmapIpv4(hostname: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(hostname);
  return mapped ? mapped[1]! : hostname;
}
