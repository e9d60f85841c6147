/**
 * The NATS subjects padlink uses, and the rule that turns a name (a server's
 * or a client's) into one subject token and back.
 *
 * A NATS subject is tokens joined by `.`; `*` and `>` are wildcards, and
 * white space ends a subject. So a name is written as a token by escaping,
 * as `%` and two upper-case hex digits for each byte of its UTF-8 form:
 * `%` itself, `.`, `*`, `>`, every ASCII control character, space and DEL,
 * and every non-ASCII character. Every other printable ASCII character
 * stands for itself. The rule is reversible ({@linkcode nameFromToken}), and
 * the payload of every message carries the real name anyway.
 *
 * | name          | token               |
 * | ------------- | ------------------- |
 * | `alice`       | `alice`             |
 * | `lab.pc 3`    | `lab%2Epc%203`      |
 * | `*>`          | `%2A%3E`            |
 * | `José`        | `Jos%C3%A9`         |
 *
 * @module
 */

/** The first token of every subject padlink publishes or listens on. */
export const SUBJECT_ROOT = "padlink";

const HEX = "0123456789ABCDEF";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Whether a byte of UTF-8 stands for itself in a token. */
function isPlain(byte: number): boolean {
  return byte > 0x20 && byte < 0x7f && byte !== 0x25 && byte !== 0x2e && byte !== 0x2a &&
    byte !== 0x3e;
}

/**
 * A name as one subject token, by the rule in the module doc.
 *
 * @param name Any non-empty string.
 * @returns the token, never empty for a non-empty name.
 *
 * @example Usage
 * ```ts
 * import { subjectToken } from "./subjects.ts";
 * if (subjectToken("lab.pc 3") !== "lab%2Epc%203") throw new Error();
 * ```
 */
export function subjectToken(name: string): string {
  let token = "";
  for (const byte of encoder.encode(name)) {
    token += isPlain(byte) ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 0xf]}`;
  }
  return token;
}

/**
 * The name a token stands for: the inverse of {@linkcode subjectToken}.
 *
 * @returns the name, or null when `token` is not one that rule makes (a bad
 * escape, a character that should have been escaped, or bytes that are not
 * UTF-8).
 *
 * @example Usage
 * ```ts
 * import { nameFromToken } from "./subjects.ts";
 * if (nameFromToken("Jos%C3%A9") !== "José") throw new Error();
 * if (nameFromToken("a.b") !== null) throw new Error();
 * ```
 */
export function nameFromToken(token: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code === 0x25) {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return null;
      const byte = parseInt(hex, 16);
      if (isPlain(byte)) return null; // Escaped needlessly: not a token the rule makes.
      bytes.push(byte);
      i += 2;
    } else if (isPlain(code)) {
      bytes.push(code);
    } else {
      return null;
    }
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

/** The subjects of one padlink server on NATS, named `server` (`--nats-name`). */
export class ServerSubjects {
  /** `padlink.<server>`: the start of every subject of this server. */
  readonly prefix: string;
  /** `padlink.<server>.state`: a request here is answered with a snapshot. */
  readonly state: string;
  /** `padlink.<server>.gap`: where a gap record says how many events NATS missed. */
  readonly gap: string;
  /** `padlink.<server>.*.command`: the commands for every client of this server. */
  readonly commands: string;
  readonly #clients = new Map<string, string>();

  /** The subjects for a server of this name. */
  constructor(readonly server: string) {
    this.prefix = `${SUBJECT_ROOT}.${subjectToken(server)}`;
    this.state = `${this.prefix}.state`;
    this.gap = `${this.prefix}.gap`;
    this.commands = `${this.prefix}.*.command`;
  }

  /**
   * `padlink.<server>.<client>.<type>`: where an event of this client and type goes.
   *
   * @example Usage
   * ```ts
   * import { ServerSubjects } from "./subjects.ts";
   * const subjects = new ServerSubjects("lab");
   * if (subjects.event("bob.2", "button") !== "padlink.lab.bob%2E2.button") throw new Error();
   * ```
   */
  event(client: string, type: string): string {
    let prefix = this.#clients.get(client);
    if (prefix === undefined) {
      prefix = `${this.prefix}.${subjectToken(client)}`;
      if (this.#clients.size >= 4096) this.#clients.clear(); // Names come and go; stay small.
      this.#clients.set(client, prefix);
    }
    return `${prefix}.${type}`;
  }

  /**
   * The client a command subject (`padlink.<server>.<client>.command`) is for.
   *
   * @returns the client's name, or null when the subject is not one of this server's commands.
   */
  commandClient(subject: string): string | null {
    if (!subject.startsWith(`${this.prefix}.`) || !subject.endsWith(".command")) return null;
    const token = subject.slice(this.prefix.length + 1, -".command".length);
    return token.includes(".") ? null : nameFromToken(token);
  }
}
