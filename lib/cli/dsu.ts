/**
 * `padlink-server --dsu [ADDR:]PORT --dsu-slots alice:0,bob/1:2`: the DSU
 * flags, checked, and starting the DSU output with one clear line for each
 * way binding can fail. The DSU server itself is loaded only when asked for.
 *
 * @module
 */

import { DSU_DEFAULT_HOST, DSU_DEFAULT_PORT, DSU_SLOT_COUNT } from "../outputs/dsu/defaults.ts";
import type { DsuOutput } from "../outputs/dsu/output.ts";
import type { SlotPin } from "../outputs/dsu/slots.ts";
import { MAX_PAD } from "../input/model.ts";
import { validateClientName } from "../wire/names.ts";
import { parseListenAddress, UsageError } from "./common.ts";
import { bracketHost, formatHostPort } from "../net/host_port.ts";

/** The DSU settings from the command line. */
export interface DsuCliOptions {
  /** Address to bind. */
  hostname: string;
  /** UDP port; 0 = any free one. */
  port: number;
  /** Slots kept for particular pads. */
  pins: SlotPin[];
}

/** What `--dsu` alone means. */
export const DSU_BARE_VALUE = `${DSU_DEFAULT_HOST}:${DSU_DEFAULT_PORT}`;

/**
 * Let `--dsu` stand alone: when no value follows it (the end, or another
 * flag), give it {@linkcode DSU_BARE_VALUE}, since `parseArgs` has no
 * optional values.
 *
 * @example Usage
 * ```ts
 * import { expandBareDsu } from "./dsu.ts";
 * const args = expandBareDsu(["--dsu", "--json"]);
 * if (args[0] !== "--dsu=127.0.0.1:26760" || args[1] !== "--json") throw new Error();
 * ```
 */
export function expandBareDsu(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    if (arg !== "--dsu") return arg;
    const next = args[i + 1];
    return next === undefined || next.startsWith("-") ? `--dsu=${DSU_BARE_VALUE}` : arg;
  });
}

/**
 * Parse `--dsu-slots`: comma-separated `CLIENT:SLOT` (pad 0) or
 * `CLIENT/PAD:SLOT`.
 *
 * @throws {UsageError} naming the bad entry
 *
 * @example Usage
 * ```ts
 * import { parseDsuSlots } from "./dsu.ts";
 * const pins = parseDsuSlots("alice:0,bob/1:2");
 * if (pins[1]!.client !== "bob" || pins[1]!.pad !== 1 || pins[1]!.slot !== 2) throw new Error();
 * ```
 */
export function parseDsuSlots(value: string): SlotPin[] {
  const pins: SlotPin[] = [];
  for (const entry of value.split(",")) {
    const match = /^(.+?)(?:\/(\d+))?:(\d+)$/.exec(entry.trim());
    if (!match) {
      throw new UsageError(
        `--dsu-slots entry '${entry}' is not CLIENT:SLOT or CLIENT/PAD:SLOT (for example alice:0,bob/1:2)`,
      );
    }
    const client = match[1]!;
    const pad = match[2] === undefined ? 0 : Number(match[2]);
    const slot = Number(match[3]);
    const nameProblem = validateClientName(client);
    if (nameProblem) throw new UsageError(`--dsu-slots entry '${entry}': ${nameProblem}`);
    if (pad > MAX_PAD) {
      throw new UsageError(`--dsu-slots entry '${entry}': pads are numbered 0 to ${MAX_PAD}`);
    }
    if (slot >= DSU_SLOT_COUNT) {
      throw new UsageError(
        `--dsu-slots entry '${entry}': DSU slots are 0 to ${DSU_SLOT_COUNT - 1}`,
      );
    }
    const twice = pins.find((p) => p.slot === slot || (p.client === client && p.pad === pad));
    if (twice) {
      throw new UsageError(
        twice.slot === slot
          ? `--dsu-slots gives slot ${slot} twice`
          : `--dsu-slots pins ${client} pad ${pad} twice`,
      );
    }
    pins.push({ client, pad, slot });
  }
  return pins;
}

/**
 * The DSU options from the two flags' raw values, or null without `--dsu`.
 *
 * @throws {UsageError} on a bad value, or `--dsu-slots` without `--dsu`
 */
export function parseDsuFlags(
  dsu: string | undefined,
  slots: string | undefined,
): DsuCliOptions | null {
  if (dsu === undefined) {
    if (slots !== undefined) throw new UsageError("--dsu-slots needs --dsu");
    return null;
  }
  return {
    ...parseListenAddress(dsu, "--dsu", DSU_DEFAULT_HOST),
    pins: slots === undefined ? [] : parseDsuSlots(slots),
  };
}

/**
 * Start the DSU output.
 *
 * @returns the output, or one line saying why it could not start
 */
export async function startDsu(
  options: DsuCliOptions,
  onLog: (message: string) => void,
): Promise<DsuOutput | string> {
  const { DsuOutput } = await import("../outputs/dsu/output.ts");
  const where = formatHostPort(options.hostname, options.port);
  try {
    return await DsuOutput.start({ ...options, onLog });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      return `UDP port ${options.port} on ${
        bracketHost(options.hostname)
      } is already in use (another DSU server such as DS4Windows?); stop it or pick another with --dsu`;
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      return `cannot bind DSU to ${where}: no such address on this machine; check --dsu`;
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      return `not allowed to bind DSU to ${where}; try a port above 1023`;
    }
    return `cannot start DSU on ${where}: ${(error as Error).message}`;
  }
}

/** The warning printed when DSU listens beyond this machine. */
export function exposedWarning(hostname: string, port: number): string {
  return `warning: DSU on ${
    formatHostPort(hostname, port)
  } has no authentication: anyone who can reach it can read the pads and make them rumble; bind 127.0.0.1 unless that network is trusted`;
}
