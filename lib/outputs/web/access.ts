/**
 * Who may see the web view: on a loopback listener everyone on this machine;
 * on any other address only a browser holding the server's token (from the
 * login form's cookie or `?token=`). WebSocket upgrades from another site's
 * page are refused whatever the listener (cross-site WebSocket hijacking).
 *
 * @module
 */

import { normalizeToken, TokenError } from "../../trust/auth.ts";

/**
 * Whether a listen address only accepts connections from this machine:
 * `127.0.0.0/8`, `::1` and `localhost`. Every other address, `0.0.0.0` and
 * `::` included, is reachable from the network and needs the token.
 *
 * @example Usage
 * ```ts
 * import { isLoopbackHost } from "./access.ts";
 * if (!isLoopbackHost("127.0.0.2") || isLoopbackHost("0.0.0.0")) throw new Error();
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((part) => Number(part) <= 255) && v4[1] === "127";
}

/**
 * Whether a request's `Origin` is this server itself. A request without an
 * `Origin` (a program, not a page) passes: only pages of other sites are the
 * danger, and browsers always send `Origin` on WebSocket upgrades.
 */
export function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const host = request.headers.get("host");
  if (host === null) return false;
  try {
    const url = new URL(origin);
    return url.protocol === "http:" && url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false; // "null" (a sandboxed or file page) or garbage
  }
}

/**
 * Whether a request names this machine in its `Host` header: a loopback
 * address or `localhost`, with any port. A loopback listener without a token
 * answers only such requests, so that a site whose name was made to resolve
 * to 127.0.0.1 (DNS rebinding) cannot read it from a browser.
 */
export function hasLoopbackHost(request: Request): boolean {
  const host = request.headers.get("host");
  if (host === null) return false;
  const hostname = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host)?.[1];
  return hostname !== undefined && isLoopbackHost(hostname);
}

/** The name of the cookie that holds the token for the web listener on `port`. */
export function tokenCookieName(port: number): string {
  return `padlink_token_${port}`;
}

/** The token a request carries: `?token=` first, else the cookie; null when neither. */
export function requestToken(request: Request, url: URL, cookieName: string): string | null {
  const query = url.searchParams.get("token");
  if (query !== null) return query;
  const cookies = request.headers.get("cookie") ?? "";
  for (const part of cookies.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === cookieName) return decodeURIComponent(value.join("="));
  }
  return null;
}

/**
 * Whether `given` is the server's token, read as people type it (any case,
 * dashes and spaces ignored). Compared in constant time.
 *
 * @param given what the browser sent
 * @param expected the server's token, normalised
 */
export function tokenMatches(given: string, expected: string): boolean {
  let normalized: string;
  try {
    normalized = normalizeToken(given);
  } catch (error) {
    if (error instanceof TokenError) return false;
    throw error;
  }
  if (normalized.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) {
    difference |= normalized.charCodeAt(i) ^ expected.charCodeAt(i);
  }
  return difference === 0;
}

/**
 * Controls, space and DEL: a browser drops tab, CR and LF from a URL
 * (WHATWG URL), so `/\t/evil.example` would leave as `//evil.example`; a
 * path this server made is percent-encoded and holds none of them.
 */
// deno-lint-ignore no-control-regex
const NOT_IN_A_PATH = /[\u0000-\u0020\u007f]/;

/**
 * A `next=` target that stays on this server: a path starting with one `/`,
 * with no backslash and no control character or space. Anything else
 * becomes `/`.
 */
export function safeNext(next: string | null): string {
  if (
    next === null || !next.startsWith("/") || next.startsWith("//") || next.includes("\\") ||
    NOT_IN_A_PATH.test(next)
  ) {
    return "/";
  }
  return next;
}
