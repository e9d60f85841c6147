/**
 * `padlink-client`: parse flags, connect, and forward input from a replay
 * file, or from real devices through SDL2.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { ConnectError } from "../client/client.ts";
import { defaultConfigDir } from "../trust/config_dir.ts";
import { PairingError, resolveClientTls } from "../trust/pairing.ts";
import type { ClientTlsOptions } from "../trust/tls.ts";
import { Forwarder } from "../client/forwarder.ts";
import type { ReplayEntry } from "../replay/replay.ts";
import { type OpenedReplay, openReplay, reportEnd, runReplay, STDIN_PATH } from "./replay_mode.ts";
import type { FeedbackReport, SdlInput } from "../sdl2/source.ts";
import type { PadFeedback } from "../input/feedback_pacer.ts";
import { parseRemap, RemapError, Remapper } from "../input/remap.ts";
import {
  formatConnectedJson,
  formatFeedbackJson,
  formatReconnectingJson,
  padFeedbackOf,
} from "./client_feedback.ts";
import { mappingsProblem } from "../sdl2/mappings.ts";
import { DEFAULT_PORT, normalizeClientName, validateClientName } from "../wire/names.ts";
import {
  DeviceError,
  type DeviceModeOptions,
  listDevices,
  openDevices,
  runDevices,
  windowTitle,
} from "./devices.ts";
import {
  EXIT_FAILURE,
  EXIT_SIGINT,
  EXIT_USAGE,
  parseFlags,
  parseNumber,
  parsePort,
  printError,
  readCommandLine,
  readToken,
  TOKEN_ENV,
  UsageError,
  VERSION,
} from "./common.ts";

const PROGRAM = "padlink-client";

/** The text of `padlink-client --help`. */
export const CLIENT_HELP =
  `${PROGRAM} ${VERSION} — send game-controller and keyboard input to a padlink server

Usage: ${PROGRAM} --host HOST [options]

Options:
  --host HOST         server to connect to, a name or address without a port
                      (default 127.0.0.1)
  --port N            server port (default ${DEFAULT_PORT})
  --name NAME         name shown on the server (default: this machine's host name)
  --token T           the token the server printed (default: PADLINK_TOKEN; an empty
                      PADLINK_TOKEN counts as unset)
  --allow-no-auth     with a token, still connect to a server that asks for none
                      (by default such a server is refused: it cannot prove itself)
  --replay FILE       send the events in FILE (JSON lines) instead of reading devices;
                      FILE - reads standard input, sending each line as it arrives
  --replay-client NAME  from a server capture of several clients, replay NAME's input
  --virtual FILE      play FILE through SDL virtual controllers (no hardware needed)
  --record FILE       also write what devices send to FILE, in the replay format
                      (not with --replay: that file already is the record)
  --no-window         controllers only: no keyboard window
  --deadzone D        stick deadzone, 0 turns it off (default 0.05)
  --rate HZ           most stick/trigger updates per axis per second (default 1000)
  --mappings FILE     load an SDL gamecontrollerdb mappings file
  --list              list every controller SDL sees (index, name, type, GUID, mapping)
                      and exit; with --virtual FILE, the file's pads are attached as
                      SDL virtual controllers first
  --motion            turn on the pads' accelerometer and gyro and send motion
  --map FILE          remap before sending (JSON): swap buttons, shape axes, keys as a
                      pad (see the README)
  --no-reconnect      exit when the connection is lost instead of reconnecting
  --json              write JSON lines on stdout: connected, reconnecting, and the
                      rumble, trigger_rumble and led feedback applied to each pad
  --tls               encrypt with TLS. The first time, pair with the token: the client
                      checks the server's certificate with it (port+1) and pins it
  --ca FILE           trust the server certificate's CA from FILE instead; implies --tls
  --tls-name NAME     with --ca: the name in the server's certificate (default: --host)
  --repair            pair again after the server's certificate changed on purpose
  --config-dir DIR    where the known-hosts file is kept
                      (default: the per-user config directory, e.g. ~/.config/padlink)
  --help              show this help
  --version           show the version`;

/** Settings parsed from the command line. */
export interface ClientCliOptions {
  /** `--host`: the server to connect to. */
  host: string;
  /** `--port`: its port. */
  port: number;
  /** `--name`: the name asked for on the server. */
  name: string;
  /** `--token` or `PADLINK_TOKEN`: the server's token. */
  token?: string;
  /** `--allow-no-auth`: accept a server that asks for no token even though we hold one. */
  allowNoAuth: boolean;
  /** `--replay`: a file (or `-`, standard input) to send instead of devices. */
  replay?: string;
  /** `--replay-client`: the client of a capture to replay. */
  replayClient?: string;
  /** `--virtual`: a file to play through SDL virtual controllers. */
  virtual?: string;
  /** `--record`: where to write what devices send, in the replay format. */
  record?: string;
  /** Open the keyboard window (not with `--no-window`). */
  window: boolean;
  /** `--deadzone`: the stick deadzone, 0..1. */
  deadzone: number;
  /** `--rate`: most stick and trigger updates per axis per second. */
  rateHz: number;
  /** `--mappings`: an SDL `gamecontrollerdb.txt`. */
  mappings?: string;
  /** `--list`: list controllers and exit. */
  list: boolean;
  /** `--motion`: turn on the pads' sensors. */
  motion: boolean;
  /** `--map`: a remapping file. */
  map?: string;
  /** Reconnect when the connection is lost (not with `--no-reconnect`). */
  reconnect: boolean;
  /** `--json`: JSON lines on stdout for connection changes and feedback. */
  json: boolean;
  /** Whether to speak TLS. */
  tls: boolean;
  /** `--ca` file. */
  ca?: string;
  /** `--tls-name`. */
  tlsName?: string;
  /** `--repair`. */
  repair: boolean;
  /** `--config-dir`. */
  configDir?: string;
}

function defaultName(): string {
  try {
    return Deno.hostname() || "padlink";
  } catch {
    return "padlink";
  }
}

/**
 * Refuse a `--host` that carries a port (`host:7175`, `[::1]:7175`): the port
 * has its own flag. A bare IPv6 address (`::1`, `[::1]`) is a host.
 *
 * @throws {UsageError} naming `--port`.
 */
function checkClientHost(host: string): void {
  if (host.trim() === "") {
    throw new UsageError(
      "--host is empty; give the server's name or address, e.g. --host 127.0.0.1",
    );
  }
  const withPort = /^\[([^\]]*)\]:(\d*)$/.exec(host) ?? /^([^:\[\]]+):(\d*)$/.exec(host);
  if (withPort) {
    throw new UsageError(
      `--host ${host} includes a port; pass the port on its own: --host ${withPort[1]} --port ${
        withPort[2] || "N"
      }`,
    );
  }
}

/**
 * Parse `padlink-client` flags.
 *
 * @throws {UsageError} on a bad flag or value.
 */
export function parseClientArgs(args: string[]): ClientCliOptions | "help" | "version" {
  const values = parseFlags(PROGRAM, args, {
    host: { type: "string" },
    port: { type: "string" },
    name: { type: "string" },
    token: { type: "string" },
    "allow-no-auth": { type: "boolean" },
    replay: { type: "string" },
    "replay-client": { type: "string" },
    virtual: { type: "string" },
    record: { type: "string" },
    "no-window": { type: "boolean" },
    deadzone: { type: "string" },
    rate: { type: "string" },
    mappings: { type: "string" },
    list: { type: "boolean" },
    motion: { type: "boolean" },
    map: { type: "string" },
    "no-reconnect": { type: "boolean" },
    json: { type: "boolean" },
    tls: { type: "boolean" },
    ca: { type: "string" },
    "tls-name": { type: "string" },
    repair: { type: "boolean" },
    "config-dir": { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  });
  if (values.help) return "help";
  if (values.version) return "version";
  if (values.replay !== undefined && values.virtual !== undefined) {
    throw new UsageError("--replay and --virtual are two different sources; pass one of them");
  }
  if (values.record !== undefined && values.replay !== undefined) {
    throw new UsageError(
      "--record writes down what devices send; a --replay file already is such a record. " +
        "Drop --record, or use --virtual FILE --record OUT to record through SDL",
    );
  }
  if (
    values["replay-client"] !== undefined && values.replay === undefined &&
    values.virtual === undefined
  ) {
    throw new UsageError("--replay-client picks a client of a --replay or --virtual file");
  }
  const host = values.host ?? "127.0.0.1";
  checkClientHost(host);
  const token = readToken(values.token, {
    any: "; use the token padlink-server printed",
    env: ` (or unset ${TOKEN_ENV} for a --no-auth server)`,
  });
  if (values["tls-name"] !== undefined && values.ca === undefined) {
    throw new UsageError("--tls-name only applies with --ca");
  }
  if (values.repair && values.ca !== undefined) {
    throw new UsageError("--repair pairs with the token; with --ca there is nothing to pair");
  }
  const name = normalizeClientName(values.name ?? defaultName());
  const nameProblem = validateClientName(name);
  if (nameProblem) {
    throw new UsageError(`--name ${JSON.stringify(name)}: ${nameProblem}; pick another name`);
  }
  return {
    host,
    port: values.port === undefined ? DEFAULT_PORT : parsePort(values.port, "--port", false),
    name,
    token,
    allowNoAuth: values["allow-no-auth"] ?? false,
    replay: values.replay,
    replayClient: values["replay-client"],
    virtual: values.virtual,
    record: values.record,
    window: !values["no-window"],
    deadzone: values.deadzone === undefined
      ? 0.05
      : parseNumber(values.deadzone, "--deadzone", 0, 0.95),
    rateHz: values.rate === undefined ? 1000 : parseNumber(values.rate, "--rate", 1, 10000),
    mappings: values.mappings,
    list: values.list ?? false,
    motion: values.motion ?? false,
    map: values.map,
    reconnect: !values["no-reconnect"],
    json: values.json ?? false,
    tls: Boolean(values.tls || values.ca !== undefined || values.repair),
    ca: values.ca,
    tlsName: values["tls-name"],
    repair: values.repair ?? false,
    configDir: values["config-dir"],
  };
}

/** Run `padlink-client`; resolves with the exit status. */
export async function clientMain(args: string[]): Promise<number> {
  let replay: OpenedReplay | null = null;
  let remap: Remapper | undefined;
  let virtual: ReplayEntry[] | undefined;
  const commandLine = await readCommandLine(PROGRAM, CLIENT_HELP, async () => {
    const options = parseClientArgs(args);
    if (options === "help" || options === "version") return options;
    // The skipped lines' types and client names are a file's, often a capture of peers' names.
    const onSkipped = (message: string) => printError(PROGRAM, message);
    const client = options.replayClient;
    if (options.replay !== undefined) {
      replay = await openReplay(options.replay, { client, onSkipped });
    }
    if (options.virtual !== undefined) {
      if (options.virtual === STDIN_PATH) {
        throw new UsageError(
          "--virtual reads a file; a stream on standard input works with --replay -",
        );
      }
      virtual = (await openReplay(options.virtual, { flag: "--virtual", client, onSkipped }))
        .source as ReplayEntry[];
    }
    if (options.mappings !== undefined) await checkMappings(options.mappings);
    if (options.map !== undefined) remap = await loadRemap(options.map);
    if (options.record !== undefined) await checkRecordTarget(options.record);
    return options;
  });
  if ("exitStatus" in commandLine) return commandLine.exitStatus;
  const options = commandLine.options;
  if (options.list) {
    try {
      return await listDevices({ mappings: options.mappings, virtual });
    } catch (error) {
      if (error instanceof DeviceError) {
        printError(PROGRAM, error.message);
        return EXIT_FAILURE;
      }
      throw error;
    }
  }
  const status = (message: string) => printError(PROGRAM, message);
  const where = `${options.host}:${options.port}`;
  let tls: ClientTlsOptions | undefined;
  if (options.tls) {
    try {
      tls = await resolveClientTls({
        host: options.host,
        port: options.port,
        caFile: options.ca,
        tlsName: options.tlsName,
        configDir: options.configDir ?? defaultConfigDir(),
        token: options.token,
        repair: options.repair,
        onStatus: status,
      });
    } catch (error) {
      printError(PROGRAM, (error as Error).message);
      return error instanceof PairingError ? EXIT_FAILURE : EXIT_USAGE;
    }
  }
  const deviceOptions: DeviceModeOptions = {
    window: options.window,
    deadzone: options.deadzone,
    rateHz: options.rateHz,
    mappings: options.mappings,
    motion: options.motion,
    remap,
    record: options.record,
    virtual,
    where,
    jsonLine: options.json ? (line) => console.log(line) : undefined,
  };
  let input: SdlInput | null = null;
  if (!replay) {
    try {
      input = await openDevices(deviceOptions);
    } catch (error) {
      if (error instanceof DeviceError) {
        printError(PROGRAM, error.message);
        return EXIT_FAILURE;
      }
      throw error;
    }
  }
  const jsonLine = deviceOptions.jsonLine ?? (() => {});
  const setTitle = (title: string) => {
    try {
      input?.setTitle(title);
    } catch {
      // The window is already closed: its title no longer matters.
    }
  };
  const reportFeedback = (report: FeedbackReport) => jsonLine(formatFeedbackJson(report));
  if (input) input.onFeedback = reportFeedback;
  const forwarder: Forwarder = new Forwarder({
    host: options.host,
    port: options.port,
    name: options.name,
    token: options.token,
    allowNoAuth: options.allowNoAuth,
    tls,
    reconnect: options.reconnect,
    onStatus: status,
    onState: (state, reason) => {
      setTitle(windowTitle(state, where, forwarder.name));
      if (state === "connected") jsonLine(formatConnectedJson(where, forwarder.name ?? ""));
      if (state === "reconnecting") {
        jsonLine(formatReconnectingJson(reason ?? "connection lost"));
        // Nothing may keep a pad rumbling once the server that asked for it is gone.
        // ("closed" ends the client, whose SdlInput.close stops every pad.)
        stopFeedbackQuietly(input);
      }
    },
    onRetry: (delayMs) => setTitle(windowTitle("reconnecting", where, null, delayMs)),
    onMotionRequest: (pad, enable) => {
      try {
        input?.setMotion(pad, enable);
      } catch {
        // closing
      }
    },
    onFeedback: (message) => {
      const { pad, feedback } = padFeedbackOf(message);
      if (input) applyFeedbackQuietly(input, pad, feedback);
      else reportFeedback({ pad, feedback, applied: false }); // a replay has no pads to move
    },
  });
  try {
    await forwarder.start();
  } catch (error) {
    await input?.close();
    if (error instanceof ConnectError) {
      printError(PROGRAM, error.message);
      return EXIT_FAILURE;
    }
    throw error;
  }
  status(`connected to ${where} as ${forwarder.name}`);
  const report = { error: (message: string) => printError(PROGRAM, message) };
  if (replay) return await runReplay(forwarder, replay, report, remap);
  const result = await runDevices(input!, forwarder, deviceOptions, status);
  if (!result.graceful) return reportEnd(result.end, report);
  return result.signal === "SIGINT" ? EXIT_SIGINT : 0;
}

/** Stop every pad's motors, unless SDL is already closing (which stops them itself). */
function stopFeedbackQuietly(input: SdlInput | null): void {
  try {
    input?.stopFeedback("disconnect");
  } catch {
    // closing: SdlInput.close stops every pad
  }
}

function applyFeedbackQuietly(input: SdlInput, pad: number, feedback: PadFeedback): void {
  try {
    input.feedback(pad, feedback);
  } catch {
    // closing: nothing more reaches the pads
  }
}

/** Read and check a `--map` file; every problem is one {@linkcode UsageError} naming the entry. */
async function loadRemap(path: string): Promise<Remapper> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(`--map ${path}: ${fileProblem(error)}; give a JSON remapping file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--map ${path}: not JSON (${(error as Error).message})`);
  }
  try {
    return new Remapper(parseRemap(value));
  } catch (error) {
    if (error instanceof RemapError) throw new UsageError(`--map ${path}: ${error.message}`);
    throw error;
  }
}

/** Refuse a `--mappings` path that is not a readable file of SDL mappings. */
async function checkMappings(path: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `--mappings ${path}: ${fileProblem(error)}; give a gamecontrollerdb.txt file`,
    );
  }
  const problem = mappingsProblem(text);
  if (problem) throw new UsageError(`--mappings ${path}: ${problem}`);
}

/**
 * Refuse a `--record` path that cannot be created, before connecting: a
 * directory, or a file in a folder that does not exist.
 */
async function checkRecordTarget(path: string): Promise<void> {
  const existing = await Deno.stat(path).catch(() => null);
  if (existing?.isDirectory) {
    throw new UsageError(
      `--record ${path} is a directory; give a file name, e.g. ${join(path, "session.jsonl")}`,
    );
  }
  if (existing) return;
  const folder = dirname(path);
  const parent = await Deno.stat(folder).catch(() => null);
  if (!parent) {
    throw new UsageError(`--record ${path}: the folder ${folder} does not exist; create it first`);
  }
  if (!parent.isDirectory) {
    throw new UsageError(`--record ${path}: ${folder} is not a folder`);
  }
}

/** Why a file could not be read, as a phrase. */
function fileProblem(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  return `cannot read it (${(error as Error).message})`;
}
