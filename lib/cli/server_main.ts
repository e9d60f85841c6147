/**
 * `padlink-server`: parse flags, start a {@linkcode PadlinkServer}, print
 * every event (human lines, or JSON lines with `--json`), stop cleanly on
 * SIGINT/SIGTERM.
 *
 * @module
 */

import { generateToken, normalizeToken } from "../trust/auth.ts";
import type { ServerIdentity } from "../trust/certificate.ts";
import { defaultConfigDir } from "../trust/config_dir.ts";
import { loadOrCreateToken, TokenStoreError } from "../trust/token_store.ts";
import { pairingPort, PairingServer } from "../trust/pairing.ts";
import { DEFAULT_OUTPUT_QUEUE, StreamOutput } from "../outputs/stream_output.ts";
import { formatStatsHuman, formatStatsJson } from "../outputs/format.ts";
import { StatsWindow } from "../server/telemetry.ts";
import { type EventKind, FilteredOutput } from "../outputs/event_filter.ts";
import { bracketHost, formatHostPort } from "../net/host_port.ts";
import { isLoopbackHost } from "../outputs/web/access.ts";
import { DEFAULT_WEB_HOST, DEFAULT_WEB_PORT, WebOutput } from "../outputs/web/web_output.ts";
import {
  DEFAULT_MAX_CLIENTS,
  DEFAULT_PORT,
  DEFAULT_TIMEOUT_MS,
  PadlinkServer,
  type ServerOptions,
} from "../server/server.ts";
import {
  checkListenHost,
  EXIT_FAILURE,
  EXIT_USAGE,
  onStopSignal,
  parseFlags,
  parseInteger,
  parseListenAddress,
  parseNumber,
  parsePort,
  printError,
  readCommandLine,
  readToken,
  TOKEN_ENV,
  UsageError,
  VERSION,
} from "./common.ts";
import { runCommands } from "./commands.ts";
import {
  type DsuCliOptions,
  expandBareDsu,
  exposedWarning,
  parseDsuFlags,
  startDsu,
} from "./dsu.ts";
import {
  NATS_FLAGS,
  type NatsCliOptions,
  natsStatusNote,
  parseNatsFlags,
  startNats,
} from "./nats.ts";
import { clientCommand, networkAddresses, reachableLine } from "./connect_hint.ts";
import { parseOutputFilter } from "./output_filter.ts";

const PROGRAM = "padlink-server";

/** Seconds between human stats lines when `--stats` is not given. */
export const DEFAULT_STATS_SECONDS = 5;

/** The text of `padlink-server --help`. */
export const SERVER_HELP =
  `${PROGRAM} ${VERSION} — receive game-controller and keyboard input over the network

Usage: ${PROGRAM} [options]

Options:
  --host ADDR         interface to listen on (default 0.0.0.0, all IPv4 interfaces)
  --port N            TCP port, 0 = any free port (default ${DEFAULT_PORT})
  --json              write JSON lines on stdout (messages go to stderr)
  --quiet             show only connects and disconnects on stdout
  --only KINDS        show only these kinds of input on stdout, with connects and
                      disconnects: buttons, axes, keys, pads, motion, touches,
                      battery (for example buttons,keys)
  --output-queue N    events held for a stdout reader that stops reading; past N they are
                      dropped and a gap line says how many (default ${DEFAULT_OUTPUT_QUEUE});
                      a reader that keeps reading, however slowly, slows the clients instead
  --stats SECONDS     every SECONDS, one line per client: events/s, latency, round trip
                      (default ${DEFAULT_STATS_SECONDS} s for clients that sent input; off by default with
                      --json, --quiet or --only); 0 turns it off
  --token T           token clients must prove (default: PADLINK_TOKEN, else the one kept
                      in the config directory, made at random on first use)
  --new-token         replace the kept token with a new random one
  --no-auth           accept clients without a token
  --timeout MS        drop a client after MS without traffic (default ${DEFAULT_TIMEOUT_MS})
  --max-clients N     most clients at once (default ${DEFAULT_MAX_CLIENTS})
  --tls               encrypt with TLS; a certificate is made on first use and kept in
                      the config directory, and clients pair with the token on port+1
  --tls-cert FILE     use your own TLS certificate (PEM) instead; implies --tls
  --tls-key FILE      the private key (PEM) for --tls-cert
  --config-dir DIR    where the generated token and certificate are kept
                      (default: the per-user config directory, e.g. ~/.config/padlink)
  --web [ADDR:]PORT   serve the live web view and stream overlay over HTTP; --web alone
                      is ${DEFAULT_WEB_HOST}:${DEFAULT_WEB_PORT}, port 0 any free port; off loopback
                      the browser needs the token
  --dsu [ADDR:]PORT   also serve the pads to emulators over DSU (cemuhook), UDP;
                      --dsu alone = 127.0.0.1:26760, 0 = any free port
  --dsu-slots PINS    keep DSU slots for pads: alice:0,bob/1:2 (bob's pad 1 in slot 2)
  --commands          read feedback commands from stdin, one JSON line each, e.g.
                      {"type":"rumble","client":"alice","pad":0,"low":0.6,"high":0.3,"ms":250}
                      (also trigger_rumble with left/right, led with "rgb":"#ff8800",
                      and motion with "enable":true|false);
                      a bad line gets one error line on stderr
  --nats URL          also publish every event to NATS (nats://[user:pass@]host[:port],
                      tls:// for TLS) on padlink.<name>.<client>.<type>, and take
                      commands on padlink.<name>.<client>.command; see docs/nats.md
  --nats-creds FILE   NATS credentials (.creds file) instead of the URL's
  --nats-name NAME    this server's name in NATS subjects (default: the host name)
  --nats-optional     run on without NATS when it cannot be reached at start-up
  --nats-queue N      events held while NATS is away or slow (default ${DEFAULT_OUTPUT_QUEUE})
  --help              show this help
  --version           show the version

Every button, stick, trigger and key a client forwards is printed, for example
  alice pad0 A pressed
With --json each event is one JSON object per line; see the README for the keys.`;

/** Settings parsed from the command line. */
export interface ServerCliOptions {
  /** `--host`: the address to listen on. */
  hostname: string;
  /** `--port`: the port to listen on. */
  port: number;
  /** `--json`: JSON lines on stdout. */
  json: boolean;
  /** The token clients must prove: given, null with `--no-auth`, undefined for the kept one. */
  token: string | null | undefined;
  /** Where `token` came from when it was given: the flag or the environment. */
  tokenSource?: "--token" | typeof TOKEN_ENV;
  /** `--new-token`: replace the kept token. */
  newToken: boolean;
  /** `--timeout`: drop a client after this long without traffic, in ms. */
  timeoutMs: number;
  /** `--max-clients`: most clients connected at once. */
  maxClients: number;
  /** TLS: a generated certificate, the user's own, or none. */
  tls: "generate" | { cert: string; key: string } | null;
  /** `--config-dir`, when given. */
  configDir?: string;
  /** `--web`: where the web view listens, or null without it. */
  web: { hostname: string; port: number } | null;
  /** `--dsu` and `--dsu-slots`, or null. */
  dsu: DsuCliOptions | null;
  /** `--quiet` / `--only`: the input kinds stdout shows, or null for all. */
  showOnly: EventKind[] | null;
  /** `--output-queue`: events held for a slow stdout reader before dropping. */
  outputQueue: number;
  /** `--stats`: seconds between stats lines; 0 for none. */
  statsSeconds: number;
  /** `--commands`: read feedback commands from stdin. */
  commands: boolean;
  /** `--nats` and the flags that go with it, or null. */
  nats: NatsCliOptions | null;
}

/** `--web` without a value (last, or before another flag) means the default address. */
function withWebDefault(args: string[]): string[] {
  return args.map((arg, i) =>
    arg === "--web" && (i + 1 >= args.length || args[i + 1]!.startsWith("-"))
      ? `--web=${DEFAULT_WEB_HOST}:${DEFAULT_WEB_PORT}`
      : arg
  );
}

/**
 * Parse `padlink-server` flags.
 *
 * @returns the options, or "help"/"version" when those were asked for.
 * @throws {UsageError} on a bad flag or value.
 */
export function parseServerArgs(args: string[]): ServerCliOptions | "help" | "version" {
  const values = parseFlags(PROGRAM, expandBareDsu(withWebDefault(args)), {
    host: { type: "string" },
    port: { type: "string" },
    json: { type: "boolean" },
    token: { type: "string" },
    "new-token": { type: "boolean" },
    "no-auth": { type: "boolean" },
    timeout: { type: "string" },
    "max-clients": { type: "string" },
    tls: { type: "boolean" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    "config-dir": { type: "string" },
    web: { type: "string" },
    dsu: { type: "string" },
    "dsu-slots": { type: "string" },
    "output-queue": { type: "string" },
    stats: { type: "string" },
    quiet: { type: "boolean" },
    only: { type: "string" },
    commands: { type: "boolean" },
    ...NATS_FLAGS,
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  });
  if (values.help) return "help";
  if (values.version) return "version";
  if (values["no-auth"] && values.token !== undefined) {
    throw new UsageError("--token and --no-auth contradict each other; pass one of them");
  }
  const token = values["no-auth"] ? null : readToken(values.token, {
    any: "; pick a longer one, or omit it for a random token",
  });
  const tokenSource = token == null
    ? undefined
    : values.token !== undefined
    ? "--token" as const
    : TOKEN_ENV;
  if (values["new-token"] && (token === null || tokenSource !== undefined)) {
    throw new UsageError(
      token === null
        ? "--new-token and --no-auth contradict each other; pass one of them"
        : `--new-token replaces the kept token, but ${tokenSource} gives one${
          tokenSource === TOKEN_ENV ? ` (unset ${TOKEN_ENV} to use the kept one)` : ""
        }; pass one of them`,
    );
  }
  if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together: pass the certificate and its key");
  }
  const tls = values["tls-cert"] !== undefined
    ? { cert: values["tls-cert"], key: values["tls-key"]! }
    : values.tls
    ? "generate" as const
    : null;
  const port = values.port === undefined ? DEFAULT_PORT : parsePort(values.port);
  if (tls === "generate" && port === 65535) {
    throw new UsageError(
      "with --tls the next port is the pairing port, so --port must be below 65535",
    );
  }
  const web = values.web === undefined
    ? null
    : parseListenAddress(values.web, "--web", DEFAULT_WEB_HOST);
  if (web && tls === "generate" && port !== 0 && web.port === pairingPort(port)) {
    throw new UsageError(
      `--web port ${web.port} is the pairing port with --tls (--port + 1); pick another, for example --web ${
        formatHostPort(web.hostname, web.port + 1)
      }`,
    );
  }
  if (web && token === null && !isLoopbackHost(web.hostname)) {
    throw new UsageError(
      `--web ${values.web} is reachable from the network, and the browser must prove the server's token; drop --no-auth or use --web 127.0.0.1:${web.port}`,
    );
  }
  return {
    tls,
    web,
    configDir: values["config-dir"],
    dsu: parseDsuFlags(values.dsu, values["dsu-slots"]),
    nats: parseNatsFlags(values),
    hostname: values.host === undefined ? "0.0.0.0" : checkListenHost(
      values.host,
      "--host",
      "give an address of this machine, such as 0.0.0.0 (every IPv4 interface), :: or 127.0.0.1",
    ),
    port,
    json: values.json ?? false,
    token,
    tokenSource,
    newToken: values["new-token"] ?? false,
    timeoutMs: values.timeout === undefined
      ? DEFAULT_TIMEOUT_MS
      : parseNumber(values.timeout, "--timeout", 100, 60000),
    maxClients: values["max-clients"] === undefined
      ? DEFAULT_MAX_CLIENTS
      : parseInteger(values["max-clients"], "--max-clients", 1, 100000),
    commands: values.commands ?? false,
    showOnly: parseOutputFilter(values.quiet ?? false, values.only),
    outputQueue: values["output-queue"] === undefined
      ? DEFAULT_OUTPUT_QUEUE
      : parseInteger(values["output-queue"], "--output-queue", 1, 10_000_000),
    statsSeconds: values.stats === undefined
      ? (values.json || values.quiet || values.only !== undefined ? 0 : DEFAULT_STATS_SECONDS)
      : parseNumber(values.stats, "--stats", 0, 86_400),
  };
}

/** Run `padlink-server`; resolves with the exit status. */
export async function serverMain(args: string[]): Promise<number> {
  const commandLine = await readCommandLine(PROGRAM, SERVER_HELP, () => parseServerArgs(args));
  if ("exitStatus" in commandLine) return commandLine.exitStatus;
  const options = commandLine.options;
  // Events and the program's own lines leave through one queue, written
  // asynchronously: a reader that stops reading never stalls the server.
  let stopForStdout: (error: unknown) => void = () => {};
  const out = new StreamOutput({
    json: options.json,
    queueLimit: options.outputQueue,
    onError: (error) => stopForStdout(error),
  });
  const note = (message: string) => out.note(message);
  let identity: ServerIdentity | null = null;
  let identityDir = "";
  let token = options.token;
  let kept: KeptToken | null = null;
  if (token === undefined) {
    const found = await keptToken(options);
    if (typeof found === "number") return found;
    kept = found;
    token = kept.token;
  }
  if (options.tls) {
    // Loaded only with --tls: the certificate library is large.
    const certificates = await import("../trust/certificate.ts");
    try {
      if (options.tls === "generate") {
        identityDir = options.configDir ?? defaultConfigDir();
        identity = await certificates.loadOrCreateServerIdentity(identityDir);
      } else {
        identity = await certificates.loadOwnIdentity(options.tls.cert, options.tls.key);
      }
    } catch (error) {
      printError(PROGRAM, (error as Error).message);
      return error instanceof certificates.CertificateError ? EXIT_FAILURE : EXIT_USAGE;
    }
    if (identity.keyWarning) printError(PROGRAM, identity.keyWarning);
  }
  // Bound before the server listens, so its record follows `listening` directly.
  const dsu = options.dsu
    ? await startDsu(options.dsu, (message) => printError(PROGRAM, message))
    : null;
  if (typeof dsu === "string") {
    printError(PROGRAM, dsu);
    return EXIT_FAILURE;
  }
  // Also bound before the server, so no event can come between `listening` and its record.
  const web = options.web
    ? await startWeb(options.web, token ?? null, (message) => printError(PROGRAM, message))
    : null;
  if (web === undefined) {
    await dsu?.close();
    return EXIT_FAILURE;
  }
  const natsNote = (status: Parameters<typeof natsStatusNote>[0]) => {
    const { text, json } = natsStatusNote(status, options.nats!);
    printError(PROGRAM, text);
    if (options.json) out.note({ text, json });
  };
  const nats = options.nats
    ? await startNats(options.nats, natsNote, (message) => printError(PROGRAM, message))
    : null;
  if (typeof nats === "string") {
    printError(PROGRAM, nats);
    await dsu?.close();
    await web?.close();
    return EXIT_FAILURE;
  }
  let server: PadlinkServer;
  let pairing: PairingServer | null = null;
  try {
    ({ server, pairing } = await listen({
      tls: identity
        ? {
          cert: identity.certPem,
          key: identity.keyPem,
          channelBinding: identity.caDer
            ? new Uint8Array(await crypto.subtle.digest("SHA-256", identity.caDer))
            : undefined,
        }
        : null,
      hostname: options.hostname,
      port: options.port,
      token,
      timeoutMs: options.timeoutMs,
      heartbeatMs: Math.max(20, Math.floor(options.timeoutMs / 4)),
      maxClients: options.maxClients,
      onLog: (message) => printError(PROGRAM, message),
    }, identity?.caDer && token ? { caDer: identity.caDer, token } : null));
  } catch (error) {
    await dsu?.close();
    await web?.close();
    await nats?.close();
    if (error instanceof Deno.errors.AddrInUse) {
      const which = identity?.caDer && token
        ? `port ${options.port} (or ${pairingPort(options.port)}, its pairing port)`
        : `port ${options.port}`;
      printError(
        PROGRAM,
        `${which} on ${
          bracketHost(options.hostname)
        } is already in use; stop the other program or pick another with --port`,
      );
      return EXIT_FAILURE;
    }
    const lookup = isLookupFailure(error);
    if (lookup || error instanceof Deno.errors.AddrNotAvailable) {
      printError(
        PROGRAM,
        `cannot listen on ${bracketHost(options.hostname)}: ${
          lookup ? "no such host name" : "no such address on this machine"
        }; check --host (0.0.0.0 listens on every IPv4 interface)`,
      );
      return EXIT_USAGE;
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
  // First, so `listening` is its first line.
  server.addOutput(options.showOnly ? new FilteredOutput(out, options.showOnly) : out);
  if (dsu) {
    server.addOutput(dsu);
    const { hostname, port } = dsu.addr;
    out.note({
      text: `DSU (cemuhook) for emulators on ${formatHostPort(hostname, port)}`,
      json: { type: "dsu", host: hostname, port },
    });
    if (!isLoopbackHost(hostname)) printError(PROGRAM, exposedWarning(hostname, port));
  }
  if (web) {
    server.addOutput(web);
    out.note({ text: `web view on ${web.url}`, json: { type: "web", url: web.url } });
  }
  if (nats) {
    server.addOutput(nats);
    const url = options.nats!.address.display;
    out.note({
      text: `NATS at ${url}: events on ${nats.subjects.prefix}.<client>.<type>`,
      json: { type: "nats", state: "connected", url, subjects: `${nats.subjects.prefix}.>` },
    });
  }
  // How a client trusts this server: pairing with the token, or a CA it is given.
  const tlsFlags = !identity
    ? []
    : pairing
    ? ["--tls"]
    : ["--ca", identity.caDer ? identity.caFile ?? identityDir : "CA-FILE"];
  printConnectHint(server, options, kept, tlsFlags);
  if (identity) {
    const caFile = identity.caFile ?? identityDir;
    note(
      identity.caDer
        ? `TLS certificate SHA-256 fingerprint: ${identity.fingerprint} (${
          identity.created ? "new, stored" : "kept"
        } in ${identityDir})`
        : `TLS with your certificate, SHA-256 fingerprint: ${identity.fingerprint}; clients need --ca with the CA that signed it`,
    );
    if (pairing) {
      note(
        `pairing on port ${pairing.addr.port}: clients with the token pair once, then trust only this certificate`,
      );
    } else if (identity.caDer) {
      note(`no pairing without a token: give clients --ca ${caFile}`);
    }
  }
  let status = 0;
  stopForStdout = (error) => {
    const why = error instanceof Deno.errors.BrokenPipe
      ? "the program reading it went away"
      : (error as Error).message;
    printError(PROGRAM, `cannot write to stdout (${why}); stopping`);
    status = EXIT_FAILURE;
    server.close();
  };
  const removeSignals = onStopSignal(() => server.close());
  const stopStats = options.statsSeconds > 0
    ? writeStats(server, out, options.json, options.statsSeconds)
    : () => {};
  const stopCommands = new AbortController();
  const commands = options.commands
    ? runCommands(Deno.stdin.readable, {
      command: (command) => server.command(command),
      onError: (message) => printError(PROGRAM, message),
      signal: stopCommands.signal,
    }).catch((error) => printError(PROGRAM, `--commands: stdin failed (${error.message})`))
    : null;
  await server.finished;
  stopStats();
  stopCommands.abort();
  await commands;
  await pairing?.close();
  removeSignals();
  // The server closed its outputs with a deadline; a reader that never came
  // back loses what was still queued, and is told so here.
  const written = await out.finish();
  if (!written.complete && status === 0) {
    printError(
      PROGRAM,
      `stdout was not read in time; ${written.abandoned} queued line${
        written.abandoned === 1 ? " was" : "s were"
      } not written`,
    );
    status = EXIT_FAILURE;
  }
  return status;
}

/** The server's own token: where it is kept (null: this run only), and whether it is new. */
type KeptToken = { token: string; file: string | null; created: boolean };

/**
 * The token kept in the config directory (made, or with `--new-token`
 * replaced), or, when no directory can hold it, one for this run only after
 * a warning; an exit status after one line when the kept one is damaged.
 */
async function keptToken(options: ServerCliOptions): Promise<KeptToken | number> {
  let dir: string;
  try {
    dir = options.configDir ?? defaultConfigDir();
    return await loadOrCreateToken(dir, { rotate: options.newToken });
  } catch (error) {
    if (error instanceof TokenStoreError && error.damaged) {
      printError(PROGRAM, error.message);
      return EXIT_FAILURE;
    }
    printError(
      PROGRAM,
      `warning: ${
        (error as Error).message
      }; this run uses a new token that is not kept, so clients must be given it again`,
    );
    return { token: normalizeToken(generateToken()), file: null, created: true };
  }
}

/**
 * Tell the user, on stderr, how clients connect: the network addresses when
 * the server listens on every interface, the token and where it is kept,
 * and the client's command line with the token in `PADLINK_TOKEN`.
 */
function printConnectHint(
  server: PadlinkServer,
  options: ServerCliOptions,
  kept: KeptToken | null,
  tls: string[],
): void {
  const { hostname, port } = server.addr;
  const addresses = networkAddresses(hostname);
  const reachable = reachableLine(hostname, port, addresses);
  if (reachable) console.error(reachable);
  if (server.token !== null) {
    const where = options.tokenSource
      ? `from ${options.tokenSource}`
      : kept?.file
      ? `${kept.created ? "new, " : ""}kept in ${kept.file}; --new-token makes another`
      : "for this run only";
    console.error(`token: ${server.token}  (${where})`);
  }
  console.error(
    `on the client: ${clientCommand({ hostname, port, addresses, token: server.token, tls })}`,
  );
}

/**
 * Every `seconds`, a stats line per client through `out`, in order with the
 * events: with `json` a `stats` record for every connected client, in text
 * one line for each client that sent input in the interval.
 *
 * @returns a function that stops the lines.
 */
function writeStats(
  server: PadlinkServer,
  out: StreamOutput,
  json: boolean,
  seconds: number,
): () => void {
  const window = new StatsWindow();
  window.read(server.telemetry());
  const timer = setInterval(() => {
    for (const stats of window.read(server.telemetry())) {
      if (json) out.note({ text: formatStatsHuman(stats), json: formatStatsJson(stats) });
      else if (stats.events > 0) out.note(formatStatsHuman(stats));
    }
  }, seconds * 1000);
  return () => clearInterval(timer);
}

/** Start the web view; undefined (after one clear line) when it cannot listen. */
async function startWeb(
  address: { hostname: string; port: number },
  token: string | null,
  onLog: (message: string) => void,
): Promise<WebOutput | undefined> {
  try {
    return await WebOutput.start({ ...address, token, onLog });
  } catch (error) {
    const where = formatHostPort(address.hostname, address.port);
    if (error instanceof Deno.errors.AddrInUse) {
      printError(PROGRAM, `--web ${where}: the port is already in use; pick another`);
    } else if (error instanceof Deno.errors.AddrNotAvailable || isLookupFailure(error)) {
      printError(PROGRAM, `--web ${where}: no such address on this machine`);
    } else if (error instanceof Deno.errors.PermissionDenied) {
      printError(PROGRAM, `--web ${where}: not allowed to listen there (${error.message})`);
    } else {
      throw error;
    }
    return undefined;
  }
}

/**
 * Whether listening failed because the host name did not resolve (Deno
 * reports it as a plain `Error` from getaddrinfo, or `NotFound`).
 */
function isLookupFailure(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    (error instanceof Error && /failed to lookup address/i.test(error.message));
}

/**
 * Start the server, and with `pairWith` the pairing listener on the next
 * port. With port 0 the pairing port is picked first and the server takes
 * the port below it, retrying a few times if that one is taken.
 */
async function listen(
  serverOptions: ServerOptions,
  pairWith: { caDer: Uint8Array; token: string } | null,
): Promise<{ server: PadlinkServer; pairing: PairingServer | null }> {
  if (!pairWith) return { server: await PadlinkServer.start(serverOptions), pairing: null };
  const hostname = serverOptions.hostname ?? "0.0.0.0";
  const onLog = serverOptions.onLog;
  const port = serverOptions.port ?? DEFAULT_PORT;
  const attempts = port === 0 ? 20 : 1;
  for (let attempt = 1;; attempt++) {
    const pairing = PairingServer.start({
      hostname,
      port: port === 0 ? 0 : pairingPort(port),
      token: pairWith.token,
      caDer: pairWith.caDer,
      onLog,
    });
    try {
      const server = await PadlinkServer.start({
        ...serverOptions,
        port: port === 0 ? pairing.addr.port - 1 : port,
      });
      return { server, pairing };
    } catch (error) {
      await pairing.close();
      if (!(error instanceof Deno.errors.AddrInUse) || attempt >= attempts) throw error;
    }
  }
}
