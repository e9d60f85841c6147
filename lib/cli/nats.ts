/**
 * `padlink-server --nats URL [--nats-creds FILE] [--nats-name NAME]
 * [--nats-optional] [--nats-queue N]`: the NATS flags, checked, and starting
 * the NATS output with one clear line when the broker cannot be used. The
 * NATS client library is loaded only when `--nats` is given.
 *
 * @module
 */

import { DEFAULT_OUTPUT_QUEUE } from "../outputs/stream_output.ts";
import type { NatsOutput, NatsStatus } from "../outputs/nats/output.ts";
import { ServerSubjects } from "../outputs/nats/subjects.ts";
import {
  hasCredentials,
  type NatsAddress,
  NatsUrlError,
  parseNatsUrl,
} from "../outputs/nats/url.ts";
import { hasUnsafeCharacter } from "../wire/safe_text.ts";
import { parseInteger, UsageError } from "./common.ts";

/** The NATS settings from the command line. */
export interface NatsCliOptions {
  /** Where the broker is. */
  address: NatsAddress;
  /** `--nats-creds`: a `.creds` file. */
  credsFile?: string;
  /** The server's name in subjects. */
  name: string;
  /** `--nats-optional`: run on without NATS when it cannot be reached at start-up. */
  optional: boolean;
  /** `--nats-queue`: events held while the broker is away or slow. */
  queueLimit: number;
}

/** The raw values of the NATS flags. */
export interface NatsFlagValues {
  /** `--nats URL`. */
  nats?: string;
  /** `--nats-creds FILE`. */
  "nats-creds"?: string;
  /** `--nats-name NAME`. */
  "nats-name"?: string;
  /** `--nats-optional`. */
  "nats-optional"?: boolean;
  /** `--nats-queue N`. */
  "nats-queue"?: string;
}

/** The flags' `parseArgs` configuration, to spread into the server's. */
export const NATS_FLAGS = {
  nats: { type: "string" },
  "nats-creds": { type: "string" },
  "nats-name": { type: "string" },
  "nats-optional": { type: "boolean" },
  "nats-queue": { type: "string" },
} as const;

/** This machine's host name, the default `--nats-name`. */
export function defaultNatsName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "padlink";
  }
}

/**
 * The NATS options from the flags' raw values, or null without `--nats`.
 *
 * @throws {UsageError} on a bad value, a NATS flag without `--nats`, or
 * credentials given twice.
 */
export function parseNatsFlags(values: NatsFlagValues): NatsCliOptions | null {
  if (values.nats === undefined) {
    const stray = (["nats-creds", "nats-name", "nats-optional", "nats-queue"] as const).find((f) =>
      values[f] !== undefined
    );
    if (stray) throw new UsageError(`--${stray} needs --nats URL`);
    return null;
  }
  let address: NatsAddress;
  try {
    address = parseNatsUrl(values.nats);
  } catch (error) {
    if (error instanceof NatsUrlError) throw new UsageError(error.message);
    throw error;
  }
  if (values["nats-creds"] !== undefined && hasCredentials(address)) {
    throw new UsageError(
      "--nats URL carries credentials and --nats-creds gives a file too; pass one of them",
    );
  }
  const name = values["nats-name"] ?? defaultNatsName();
  if (name.trim() === "" || hasUnsafeCharacter(name)) {
    throw new UsageError(
      "--nats-name must be a visible name without control characters, for example lab-1",
    );
  }
  return {
    address,
    credsFile: values["nats-creds"],
    name,
    optional: values["nats-optional"] ?? false,
    queueLimit: values["nats-queue"] === undefined
      ? DEFAULT_OUTPUT_QUEUE
      : parseInteger(values["nats-queue"], "--nats-queue", 1, 10_000_000),
  };
}

/**
 * Start the NATS output.
 *
 * @param onStatus Told when the connection goes and comes back, and of gaps.
 * @returns the output; null when NATS cannot be used but `--nats-optional`
 * was given; or one line saying why it could not start.
 */
export async function startNats(
  options: NatsCliOptions,
  onStatus: (status: NatsStatus) => void,
  onLog: (message: string) => void,
): Promise<NatsOutput | null | string> {
  let creds: Uint8Array | undefined;
  if (options.credsFile !== undefined) {
    try {
      creds = await Deno.readFile(options.credsFile);
    } catch (error) {
      return `--nats-creds ${options.credsFile}: cannot read it (${(error as Error).message})`;
    }
  }
  const { NatsConnectError, NatsOutput } = await import("../outputs/nats/output.ts");
  try {
    return await NatsOutput.start({
      address: options.address,
      creds,
      name: options.name,
      queueLimit: options.queueLimit,
      onStatus,
    });
  } catch (error) {
    const message = error instanceof NatsConnectError
      ? error.message
      : `cannot use NATS at ${options.address.display}: ${(error as Error).message}`;
    if (!options.optional) return `${message}; ${advice(message)}, or pass --nats-optional`;
    onLog(`${message}; running without NATS (--nats-optional)`);
    return null;
  }
}

/** What to do about a broker that could not be used, judging by the library's message. */
function advice(message: string): string {
  if (/certificate|self.signed|unable to verify/i.test(message)) {
    return "trust the broker's CA (for example DENO_CERT=ca.pem)";
  }
  if (/authoriz|authenticat|credentials|permission/i.test(message)) {
    return "check the credentials in the URL or --nats-creds";
  }
  if (/tls/i.test(message)) return "use nats:// for a broker without TLS";
  return "start the NATS server or check the URL";
}

/**
 * The line for stderr, and the record for `--json`, that tell of a change
 * in the connection to the broker.
 */
export function natsStatusNote(
  status: NatsStatus,
  options: NatsCliOptions,
): { text: string; json: { type: "nats"; [key: string]: unknown } } {
  const where = options.address.display;
  switch (status.state) {
    case "disconnected":
      return {
        text:
          `nats disconnected from ${where}; reconnecting, and holding up to ${options.queueLimit} events meanwhile`,
        json: { type: "nats", state: "disconnected", url: where },
      };
    case "reconnected":
      return {
        text: `nats reconnected to ${where}`,
        json: { type: "nats", state: "reconnected", url: where },
      };
    case "gap":
      return {
        text: `nats: ${status.dropped} event${
          status.dropped === 1 ? "" : "s"
        } dropped while NATS was away or behind (gap record on ${
          new ServerSubjects(options.name).gap
        })`,
        json: { type: "nats", state: "gap", dropped: status.dropped },
      };
    case "closed":
      return {
        text: `nats connection to ${where} closed (${status.error}); events no longer go to NATS`,
        json: { type: "nats", state: "closed", url: where, error: status.error },
      };
  }
}
