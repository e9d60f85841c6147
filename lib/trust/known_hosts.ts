/**
 * The client's known-hosts file: one line per paired server, keyed by
 * `host:port`, holding the server's CA certificate so later connections
 * trust exactly that certificate and nothing else (like SSH's
 * `known_hosts`).
 *
 * Line format: `host:port FINGERPRINT BASE64-DER`, `#` starts a comment.
 *
 * @module
 */

import { fromBase64, toBase64 } from "../wire/bytes.ts";
import { fingerprintOf } from "./tls.ts";

/** The file name in the config directory. */
export const KNOWN_HOSTS_FILE = "known_hosts";

/** One pinned server. */
export interface KnownHost {
  /** `host:port` as the client was told to connect. */
  where: string;
  /** SHA-256 fingerprint of the certificate, formatted. */
  fingerprint: string;
  /** The pinned CA certificate (DER). */
  der: Uint8Array<ArrayBuffer>;
  /** 1-based line number in the file. */
  line: number;
}

/** A known-hosts file that cannot be read or used. */
export class KnownHostsError extends Error {
  /** Create the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KnownHostsError";
  }
}

const HEADER =
  "# padlink known hosts: servers this client paired with (host:port, SHA-256 fingerprint, certificate)\n";

/**
 * Parse known-hosts text. Lines that cannot be parsed are skipped (a
 * damaged line never grants trust).
 *
 * @example Usage
 * ```ts
 * import { parseKnownHosts } from "./known_hosts.ts";
 * const hosts = parseKnownHosts("# comment\nexample.org:7175 AB:CD AQID\n");
 * if (hosts[0]?.where !== "example.org:7175" || hosts[0].der.join() !== "1,2,3") throw new Error();
 * ```
 */
export function parseKnownHosts(text: string): KnownHost[] {
  const hosts: KnownHost[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [where, fingerprint, base64] = line.split(/\s+/);
    if (!where || !fingerprint || !base64) return;
    try {
      hosts.push({ where, fingerprint, der: fromBase64(base64), line: index + 1 });
    } catch {
      // Not base64: skipped.
    }
  });
  return hosts;
}

/**
 * Find the pin for `where` in the file at `path`.
 *
 * @returns the pin, or null when the file or the line does not exist.
 * @throws {KnownHostsError} when the file exists but cannot be read.
 */
export async function lookupKnownHost(path: string, where: string): Promise<KnownHost | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new KnownHostsError(`cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const host = parseKnownHosts(text).find((h) => h.where === where) ?? null;
  if (host && (await fingerprintOf(host.der)) !== host.fingerprint) {
    throw new KnownHostsError(
      `${path} line ${host.line}: the fingerprint does not match the certificate; delete that line and pair again`,
    );
  }
  return host;
}

/**
 * Pin `der` for `where` in the file at `path`, replacing any earlier pin for
 * it, and creating the file (and its directory) when needed.
 *
 * @returns the fingerprint pinned.
 * @throws {KnownHostsError} when the file cannot be written.
 */
export async function pinKnownHost(path: string, where: string, der: Uint8Array): Promise<string> {
  if (/\s/.test(where)) throw new KnownHostsError(`cannot pin '${where}': it holds a space`);
  const fingerprint = await fingerprintOf(der);
  try {
    let text = HEADER;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      const dir = path.replace(/[\\/][^\\/]*$/, "");
      if (dir !== path && dir !== "") await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    }
    const kept = text.split("\n").filter((line) => line.trim().split(/\s+/)[0] !== where);
    while (kept.length > 0 && kept[kept.length - 1] === "") kept.pop();
    kept.push(`${where} ${fingerprint} ${toBase64(der)}`);
    await Deno.writeTextFile(path, kept.join("\n") + "\n", { mode: 0o600 });
  } catch (error) {
    throw new KnownHostsError(`cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return fingerprint;
}
