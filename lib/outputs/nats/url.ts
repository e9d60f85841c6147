/**
 * `--nats URL`: where the NATS server is, and the credentials the URL may
 * carry (`nats://user:pass@host:4222`, or `nats://token@host`), checked and
 * split into what the client library takes. `tls://` asks for TLS.
 *
 * @module
 */

/** The port NATS listens on unless the URL says otherwise. */
export const NATS_DEFAULT_PORT = 4222;

/** What a `--nats` URL says. */
export interface NatsAddress {
  /** `host:port` (an IPv6 host in brackets), for the client library. */
  server: string;
  /** Whether the connection must use TLS (`tls://`). */
  tls: boolean;
  /** The user, from `user:pass@`. */
  user?: string;
  /** The password, from `user:pass@`. */
  pass?: string;
  /** The token, from `token@` (a user without a password). */
  token?: string;
  /** The URL without its credentials, safe to print. */
  display: string;
}

/** A `--nats` URL that cannot be used, with what to do instead. */
export class NatsUrlError extends Error {
  /** An error whose message is one line for the user. */
  constructor(message: string) {
    super(message);
    this.name = "NatsUrlError";
  }
}

/**
 * Read a `--nats` URL.
 *
 * @throws {NatsUrlError} when it is not `nats://` or `tls://` with a host,
 * or has a path, a query or a fragment.
 *
 * @example Usage
 * ```ts
 * import { parseNatsUrl } from "./url.ts";
 * const address = parseNatsUrl("nats://ann:secret@127.0.0.1:4333");
 * if (address.server !== "127.0.0.1:4333" || address.user !== "ann" || address.tls) throw new Error();
 * if (address.display !== "nats://127.0.0.1:4333") throw new Error(address.display);
 * ```
 */
export function parseNatsUrl(value: string): NatsAddress {
  const example = "for example nats://127.0.0.1:4222 or tls://user:pass@nats.example.org";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new NatsUrlError(`--nats takes a URL, ${example}; got '${value}'`);
  }
  if (url.protocol !== "nats:" && url.protocol !== "tls:") {
    throw new NatsUrlError(
      `--nats URL must start with nats:// or tls://, ${example}; got '${url.protocol}//'`,
    );
  }
  if (url.hostname === "") throw new NatsUrlError(`--nats URL has no host, ${example}`);
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") {
    throw new NatsUrlError(`--nats URL is only scheme, credentials, host and port, ${example}`);
  }
  const port = url.port === "" ? NATS_DEFAULT_PORT : Number(url.port);
  const server = `${url.hostname}:${port}`;
  const address: NatsAddress = {
    server,
    tls: url.protocol === "tls:",
    display: `${url.protocol}//${server}`,
  };
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  if (user !== "" && pass !== "") {
    address.user = user;
    address.pass = pass;
  } else if (user !== "") {
    address.token = user;
  } else if (pass !== "") {
    throw new NatsUrlError("--nats URL has a password but no user: write nats://user:pass@host");
  }
  return address;
}

/** Whether the address carries credentials of its own. */
export function hasCredentials(address: NatsAddress): boolean {
  return address.user !== undefined || address.token !== undefined;
}
