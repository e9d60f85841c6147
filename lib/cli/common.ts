/**
 * Helpers shared by the two command-line programs: parsing flags, turning
 * user mistakes into one clear line and an exit status, reading the token,
 * and checking flag values.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import denoJson from "../../deno.json" with { type: "json" };
import { normalizeToken, TokenError } from "../trust/auth.ts";
import { safeText } from "../wire/safe_text.ts";

/** padlink's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** A mistake the user can fix; the program prints its message and exits 2. */
export class UsageError extends Error {
  /** Create a usage error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit status for a usage mistake (bad flag, bad file). */
export const EXIT_USAGE = 2;
/** Exit status for a runtime failure (unreachable, refused, lost). */
export const EXIT_FAILURE = 1;
/** Exit status after SIGINT (Ctrl-C): 128 + 2, as shells report it. */
export const EXIT_SIGINT = 130;
/** Exit status after SIGTERM: 128 + 15. */
export const EXIT_SIGTERM = 143;

/**
 * The exit status for stopping on `signal`, as shells report a process
 * killed by it (128 + its number).
 *
 * @param signal "SIGINT" or "SIGTERM"
 * @returns 130 or 143
 */
export function exitStatusForSignal(signal: string): number {
  return signal === "SIGINT" ? EXIT_SIGINT : EXIT_SIGTERM;
}

/**
 * Translate an error from `node:util` `parseArgs` into a {@linkcode UsageError}
 * that names the flag and points at `--help`.
 */
export function parseArgsError(program: string, error: unknown): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    return new UsageError(`unknown option ${unknown[1]}; run ${program} --help for the list`);
  }
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) {
    return new UsageError(`option ${missing[1]} needs a value; run ${program} --help`);
  }
  const ambiguous = /Option '([^']+?)(?: <value>)?' argument is ambiguous/.exec(message);
  if (ambiguous) {
    return new UsageError(
      `option ${ambiguous[1]} needs a value, but the next word starts with '-'; use ${
        ambiguous[1]
      }=VALUE if that is meant`,
    );
  }
  const switchValue = /Option '([^']+)' does not take an argument/.exec(message);
  if (switchValue) {
    return new UsageError(
      `${switchValue[1]} is a switch and takes no value: write ${switchValue[1]} alone`,
    );
  }
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) {
    return new UsageError(
      `unexpected argument '${positional[1]}'; every setting is a flag, run ${program} --help`,
    );
  }
  return new UsageError(`${message.split("\n")[0]!.replace(/\.$/, "")}; run ${program} --help`);
}

/**
 * Parse `args` strictly: only the flags in `options`, and no positional
 * arguments. One leading `--` is skipped, because `deno task server -- --help`
 * passes it through.
 *
 * @param program The program's name, for messages.
 * @param args The command line, without the program.
 * @param options The flags, as for `node:util` `parseArgs`.
 * @returns the flags' values.
 * @throws {UsageError} naming the flag and pointing at `--help`.
 */
export function parseFlags<const O extends ParseArgsOptionsConfig>(
  program: string,
  args: readonly string[],
  options: O,
) {
  const words = args[0] === "--" ? args.slice(1) : [...args];
  try {
    return parseArgs({ args: words, strict: true, allowPositionals: false, options }).values;
  } catch (error) {
    throw parseArgsError(program, error);
  }
}

/** What the command line asked for: options to run with, or an exit status to end with now. */
export type CommandLine<T> = { options: T } | { exitStatus: number };

/**
 * Run a program's parse step: a {@linkcode UsageError} is printed as one
 * line and gives {@linkcode EXIT_USAGE}; `"help"` prints `help` and
 * `"version"` the version, both with status 0.
 *
 * @param program The program's name.
 * @param help The text of `--help`.
 * @param parse Parses (and may check files); returns the options, `"help"` or `"version"`.
 */
export async function readCommandLine<T>(
  program: string,
  help: string,
  parse: () => T | "help" | "version" | Promise<T | "help" | "version">,
): Promise<CommandLine<T>> {
  let parsed: T | "help" | "version";
  try {
    parsed = await parse();
  } catch (error) {
    if (error instanceof UsageError) {
      printError(program, error.message);
      return { exitStatus: EXIT_USAGE };
    }
    throw error;
  }
  if (parsed === "help") {
    console.log(help);
    return { exitStatus: 0 };
  }
  if (parsed === "version") {
    console.log(`${program} ${VERSION}`);
    return { exitStatus: 0 };
  }
  return { options: parsed };
}

/** The environment variable both programs read the token from. */
export const TOKEN_ENV = "PADLINK_TOKEN";

/**
 * The token from `--token`, else from {@linkcode TOKEN_ENV}, normalised. An
 * empty `PADLINK_TOKEN` counts as unset (as if it were not exported); an
 * empty `--token` is a mistake.
 *
 * @param flag The `--token` value, if given.
 * @param advice What to do about a bad token, added to the message; `env`
 *   is added too when the token came from the environment.
 * @throws {UsageError} naming where the bad token came from.
 */
export function readToken(
  flag: string | undefined,
  advice: { any?: string; env?: string } = {},
): string | undefined {
  const fromEnv = env(TOKEN_ENV);
  const [token, source] = flag !== undefined
    ? [flag, "--token"]
    : fromEnv !== undefined && fromEnv.trim() !== ""
    ? [fromEnv, TOKEN_ENV]
    : [undefined, ""];
  if (token === undefined) return undefined;
  try {
    return normalizeToken(token);
  } catch (error) {
    if (error instanceof TokenError) {
      throw new UsageError(
        `${source}: ${error.message}${advice.any ?? ""}` +
          (source === TOKEN_ENV ? advice.env ?? "" : ""),
      );
    }
    throw error;
  }
}

/** Parse a TCP port (0 allowed when `allowZero`). */
export function parsePort(value: string, flag = "--port", allowZero = true): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535 || (!allowZero && port === 0)) {
    throw new UsageError(
      `${flag} must be a port number from ${allowZero ? 0 : 1} to 65535, got '${value}'`,
    );
  }
  return port;
}

/** Parse a number within [min, max]. */
export function parseNumber(value: string, flag: string, min: number, max: number): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < min || number > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

/** Parse a whole number within [min, max]; a fraction is refused, not rounded. */
export function parseInteger(value: string, flag: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\s*[+-]?\d+\s*$/.test(value) || number < min || number > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

/**
 * Check an address or host name to listen on, before anything listens: an
 * empty one, a dotted quad that is no IPv4 address (`999.1.1.1`), a port
 * given with it, or characters no host name has are refused.
 *
 * @param hostname The value as given (an IPv6 address without brackets).
 * @param flag The flag it came from, for the message.
 * @param advice What to do, ending the message.
 * @returns the host name.
 * @throws {UsageError} naming the flag and the value.
 */
export function checkListenHost(hostname: string, flag: string, advice: string): string {
  const refuse = (why: string) => new UsageError(`${flag} '${hostname}' ${why}; ${advice}`);
  if (hostname.trim() === "") throw new UsageError(`${flag} needs an address; ${advice}`);
  if (/^[\d.]+$/.test(hostname)) {
    const parts = hostname.split(".");
    if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) {
      throw refuse("is not an IPv4 address (four numbers from 0 to 255)");
    }
    return hostname;
  }
  if (hostname.includes(":")) {
    if (!/^[\da-fA-F:.]+(%[\w.-]+)?$/.test(hostname) || hostname.split("::").length > 2) {
      throw refuse("is not an IPv6 address");
    }
    return hostname;
  }
  if (
    !/^[a-zA-Z\d]([a-zA-Z\d-]*[a-zA-Z\d])?(\.[a-zA-Z\d]([a-zA-Z\d-]*[a-zA-Z\d])?)*\.?$/.test(
      hostname,
    )
  ) {
    throw refuse("is neither an address nor a host name");
  }
  return hostname;
}

/**
 * Parse `[ADDR:]PORT`, as `--web` and `--dsu` take it: `7176`,
 * `0.0.0.0:7176` or `[::1]:7176` (an IPv6 address always in brackets).
 *
 * @param value The flag's value.
 * @param flag The flag, for messages.
 * @param defaultHost The address a bare port binds.
 * @returns the address (an IPv6 one without brackets) and the port.
 * @throws {UsageError} naming the flag and showing the form.
 *
 * @example Usage
 * ```ts
 * import { parseListenAddress } from "./common.ts";
 * const { hostname, port } = parseListenAddress("[::1]:7176", "--web", "127.0.0.1");
 * if (hostname !== "::1" || port !== 7176) throw new Error();
 * ```
 */
export function parseListenAddress(
  value: string,
  flag: string,
  defaultHost: string,
): { hostname: string; port: number } {
  if (/^\d+$/.test(value)) return { hostname: defaultHost, port: parsePort(value, flag) };
  const split = /^\[([^\]]*)\]:([^:]*)$/.exec(value) ?? /^([^:\[\]]*):([^:]*)$/.exec(value);
  const example = `for example 7176, 0.0.0.0:7176 or [::1]:7176`;
  if (!split) {
    throw new UsageError(
      value.split(":").length > 2
        ? `${flag} takes [ADDR:]PORT, got '${value}'; write an IPv6 address in brackets: [::1]:7176`
        : `${flag} takes [ADDR:]PORT, ${example}, got '${value}'`,
    );
  }
  if (split[1] === "") {
    throw new UsageError(`${flag} takes [ADDR:]PORT, got '${value}' with no address before ':'`);
  }
  const advice = `${flag} takes [ADDR:]PORT, ${example}`;
  return {
    hostname: checkListenHost(split[1]!, flag, advice),
    port: parsePort(split[2]!, flag),
  };
}

/** Read an environment variable, treating a missing permission as unset. */
export function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Print `program: message` on stderr. Messages often quote a peer (a
 * server's refusal reason, a client's goodbye), so control characters and
 * bidi controls are shown as visible escapes ({@linkcode safeText}).
 */
export function printError(program: string, message: string): void {
  console.error(`${program}: ${safeText(message)}`);
}

/** Run `fn` once on SIGINT or SIGTERM (SIGTERM where the OS has it). */
export function onStopSignal(fn: (signal: string) => void): () => void {
  const removers: (() => void)[] = [];
  let fired = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => {
      if (fired) return;
      fired = true;
      fn(signal);
    };
    try {
      Deno.addSignalListener(signal, handler);
      removers.push(() => Deno.removeSignalListener(signal, handler));
    } catch {
      // SIGTERM cannot be listened for on Windows.
    }
  }
  return () => removers.forEach((remove) => remove());
}
