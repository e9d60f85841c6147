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
