/**
 * `padlink-server`: parse flags, start a {@linkcode PadlinkServer}, print
 * every event (human lines, or JSON lines with `--json`), stop cleanly on
 * SIGINT/SIGTERM.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { normalizeToken, TokenError } from "../auth.ts";
import { formatHuman, formatJson, LineWriter } from "../format.ts";
import {
  DEFAULT_MAX_CLIENTS,
  DEFAULT_PORT,
  DEFAULT_TIMEOUT_MS,
  PadlinkServer,
  type ServerEvent,
} from "../server.ts";
import {
  env,
  EXIT_FAILURE,
  EXIT_USAGE,
  onStopSignal,
  parseArgsError,
  parseNumber,
  parsePort,
  printError,
  UsageError,
  VERSION,
} from "./common.ts";

const PROGRAM = "padlink-server";

/** The text of `padlink-server --help`. */
export const SERVER_HELP =
  `${PROGRAM} ${VERSION} — receive game-controller and keyboard input over the network

Usage: ${PROGRAM} [options]

Options:
  --host ADDR         interface to listen on (default 0.0.0.0, all IPv4 interfaces)
  --port N            TCP port, 0 = any free port (default ${DEFAULT_PORT})
  --json              write JSON lines on stdout (messages go to stderr)
  --token T           token clients must prove (default: PADLINK_TOKEN, else a random one)
  --no-auth           accept clients without a token
  --timeout MS        drop a client after MS without traffic (default ${DEFAULT_TIMEOUT_MS})
  --max-clients N     most clients at once (default ${DEFAULT_MAX_CLIENTS})
  --help              show this help
  --version           show the version

Every button, stick, trigger and key a client forwards is printed, for example
  alice pad0 A pressed
With --json each event is one JSON object per line; see the README for the keys.`;

/** Settings parsed from the command line. */
export interface ServerCliOptions {
  hostname: string;
  port: number;
  json: boolean;
  token: string | null | undefined;
  timeoutMs: number;
  maxClients: number;
}

/**
 * Parse `padlink-server` flags.
 *
 * @returns the options, or "help"/"version" when those were asked for.
 * @throws {UsageError} on a bad flag or value.
 */
export function parseServerArgs(args: string[]): ServerCliOptions | "help" | "version" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        json: { type: "boolean" },
        token: { type: "string" },
        "no-auth": { type: "boolean" },
        timeout: { type: "string" },
        "max-clients": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw parseArgsError(PROGRAM, error);
  }
  if (values.help) return "help";
  if (values.version) return "version";
  if (values["no-auth"] && values.token !== undefined) {
    throw new UsageError("--token and --no-auth contradict each other; pass one of them");
  }
  let token: string | null | undefined = values["no-auth"]
    ? null
    : values.token ?? env("PADLINK_TOKEN");
  if (typeof token === "string") {
    try {
      token = normalizeToken(token);
    } catch (error) {
      if (error instanceof TokenError) throw new UsageError(error.message);
      throw error;
    }
  }
  return {
    hostname: values.host ?? "0.0.0.0",
    port: values.port === undefined ? DEFAULT_PORT : parsePort(values.port),
    json: values.json ?? false,
    token,
    timeoutMs: values.timeout === undefined
      ? DEFAULT_TIMEOUT_MS
      : parseNumber(values.timeout, "--timeout", 100, 60000),
    maxClients: values["max-clients"] === undefined
      ? DEFAULT_MAX_CLIENTS
      : Math.floor(parseNumber(values["max-clients"], "--max-clients", 1, 100000)),
  };
}

/** Run `padlink-server`; resolves with the exit status. */
export async function serverMain(args: string[]): Promise<number> {
  let options;
  try {
    options = parseServerArgs(args);
  } catch (error) {
    if (error instanceof UsageError) {
      printError(PROGRAM, error.message);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (options === "help") {
    console.log(SERVER_HELP);
    return 0;
  }
  if (options === "version") {
    console.log(`${PROGRAM} ${VERSION}`);
    return 0;
  }
  const out = new LineWriter(Deno.stdout);
  const format = options.json ? formatJson : formatHuman;
  const note = (message: string) => {
    if (options.json) {
      out.flush();
      console.error(message);
    } else {
      out.write(message);
    }
  };
  let server: PadlinkServer;
  try {
    server = await PadlinkServer.start({
      hostname: options.hostname,
      port: options.port,
      token: options.token,
      timeoutMs: options.timeoutMs,
      heartbeatMs: Math.max(20, Math.floor(options.timeoutMs / 4)),
      maxClients: options.maxClients,
      onEvent: (event: ServerEvent) => {
        out.write(format(event));
      },
      onLog: (message) => {
        out.flush();
        console.error(`${PROGRAM}: ${message}`);
      },
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      printError(
        PROGRAM,
        `port ${options.port} on ${options.hostname} is already in use; stop the other program or pick another with --port`,
      );
      return EXIT_FAILURE;
    }
    if (error instanceof Deno.errors.AddrNotAvailable || error instanceof Deno.errors.NotFound) {
      printError(
        PROGRAM,
        `cannot listen on ${options.hostname}: no such address on this machine; check --host`,
      );
      return EXIT_FAILURE;
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      printError(
        PROGRAM,
        `not allowed to listen on port ${options.port}: ${error.message}; try a port above 1023`,
      );
      return EXIT_FAILURE;
    }
    throw error;
  }
  if (server.token !== null) {
    note(
      `token: ${server.token}  (on the client: padlink-client --host <this machine> --token ${server.token})`,
    );
  }
  let status = 0;
  out.onError = (error) => {
    const why = error instanceof Deno.errors.BrokenPipe
      ? "the program reading it went away"
      : (error as Error).message;
    printError(PROGRAM, `cannot write to stdout (${why}); stopping`);
    status = EXIT_FAILURE;
    server.close();
  };
  const removeSignals = onStopSignal(() => server.close());
  await server.finished;
  removeSignals();
  out.flush();
  return status;
}
