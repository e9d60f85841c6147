/**
 * The NATS output: every event published as its `--json` object to
 * `padlink.<server>.<client>.<type>`, commands taken on
 * `padlink.<server>.<client>.command`, and a snapshot for a request on
 * `padlink.<server>.state` (`subjects.ts` has the names and the token rule).
 *
 * Input comes first. Events go out from a {@linkcode DeliveryQueue}, a
 * batch at a time, and a batch counts as delivered once the broker has
 * answered a PING sent after it, so the queue holds exactly what the broker
 * has not taken yet. While the broker is away, nothing is published (the
 * client library would throw away what it buffered at the next reconnect);
 * events wait in the queue up to its bound, the rest are dropped and
 * counted, and after the reconnect a gap record (`{"type":"gap","dropped":N}`
 * on `padlink.<server>.gap`) says how many. A batch whose PING went
 * unanswered when the connection broke is published again after the
 * reconnect, so a subscriber may see the last few events before a broker
 * loss twice, never zero times.
 *
 * @module
 */

import {
  connect,
  credsAuthenticator,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";
import { withDeadline } from "../../net/deadline.ts";
import type { ServerEvent } from "../../server/events.ts";
import type { CommandResult, FeedbackCommand, Output, OutputHost } from "../../server/output.ts";
import { type CloseReport, DeliveryQueue } from "../delivery_queue.ts";
import { formatGapJson, formatJson } from "../format.ts";
import { DEFAULT_OUTPUT_CLOSE_MS, DEFAULT_OUTPUT_QUEUE } from "../stream_output.ts";
import { ServerSubjects } from "./subjects.ts";
import type { NatsAddress } from "./url.ts";

/** How long the first connection may take before start-up gives up, in ms. */
export const NATS_CONNECT_TIMEOUT_MS = 5000;

/** How long to wait between attempts to reach a broker that went away, in ms. */
export const NATS_RECONNECT_WAIT_MS = 500;

/** Most bytes in a command message. */
export const MAX_NATS_COMMAND_BYTES = 4096;

const encoder = new TextEncoder();

/** Most events per publish-and-PING round. */
const EVENTS_PER_BATCH = 16384;

/** What happened to the connection to the broker, for stderr and `--json`. */
export type NatsStatus =
  | { state: "disconnected" }
  | { state: "reconnected" }
  | { state: "gap"; dropped: number }
  | { state: "closed"; error: string };

/** Options for {@linkcode NatsOutput.start}. */
export interface NatsOutputOptions {
  /** Where the broker is, with any credentials in its URL (`url.ts`). */
  address: NatsAddress;
  /** The contents of a `.creds` file (a JWT and an NKey seed), for `--nats-creds`. */
  creds?: Uint8Array;
  /** The server's name in subjects (`--nats-name`). */
  name: string;
  /** Most events held while the broker is slow or away; default {@linkcode DEFAULT_OUTPUT_QUEUE}. */
  queueLimit?: number;
  /** How long closing waits for the broker to take what is queued, in ms. */
  closeTimeoutMs?: number;
  /** How long the first connection may take, in ms; default {@linkcode NATS_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number;
  /** Wait between reconnect attempts, in ms; default {@linkcode NATS_RECONNECT_WAIT_MS}. */
  reconnectWaitMs?: number;
  /** Told when the connection goes, comes back, or events were dropped. */
  onStatus?: (status: NatsStatus) => void;
}

/** The broker could not be reached, or refused us, at start-up. */
export class NatsConnectError extends Error {
  /** An error whose message is one line for the user. */
  constructor(message: string) {
    super(message);
    this.name = "NatsConnectError";
  }
}

/** Where events had to be dropped: published as a gap record. */
class Gap {
  constructor(readonly dropped: number) {}
}

/** Most batches published and not yet acknowledged by the broker at once. */
const BATCHES_IN_FLIGHT = 4;

/** A batch of events ready to publish, until the broker has acknowledged it. */
interface Batch {
  subjects: string[];
  payloads: Uint8Array[];
  /** Events dropped before this batch (its gap records), reported once it is acknowledged. */
  gaps: number;
  acked: boolean;
}

type Item = ServerEvent | Gap;

/**
 * Server events on NATS, and commands back; an {@linkcode Output} for
 * `PadlinkServer.addOutput`. Made with {@linkcode NatsOutput.start}.
 */
export class NatsOutput implements Output {
  readonly #nc: NatsConnection;
  readonly #subjects: ServerSubjects;
  readonly #queue: DeliveryQueue<Item>;
  readonly #closeTimeoutMs: number;
  readonly #onStatus: (status: NatsStatus) => void;
  readonly #subscriptions: Subscription[] = [];
  readonly #watching: Promise<void>;
  #host: OutputHost | null = null;
  #up = true;
  #closed = false;
  /** Batches published (or waiting to be published again) and not acknowledged, oldest first. */
  #unacked: Batch[] = [];
  /** A PING went unanswered: every unacknowledged batch goes out again before anything new. */
  #failed = false;
  /** Which publishing round an answer belongs to; answers to an earlier round are stale. */
  #round = 0;
  /** Woken on every change: connected, acknowledged, failed, closed. */
  #waiters: (() => void)[] = [];
  #closing: Promise<CloseReport> | null = null;

  private constructor(nc: NatsConnection, options: NatsOutputOptions) {
    this.#nc = nc;
    this.#subjects = new ServerSubjects(options.name);
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_OUTPUT_CLOSE_MS;
    this.#onStatus = options.onStatus ?? (() => {});
    this.#queue = new DeliveryQueue<Item>({
      limit: options.queueLimit ?? DEFAULT_OUTPUT_QUEUE,
      maxBatch: EVENTS_PER_BATCH,
      deliver: (batch) => this.#deliver(batch),
      gap: (dropped) => new Gap(dropped),
    });
    this.#watching = this.#watch();
    this.#subscriptions.push(
      nc.subscribe(this.#subjects.commands, { callback: (_, msg) => this.#onCommand(msg) }),
      nc.subscribe(this.#subjects.state, { callback: (_, msg) => this.#onState(msg) }),
    );
  }

  /**
   * Connect to the broker and subscribe to commands and state requests.
   *
   * @throws {NatsConnectError} when the broker cannot be reached in time or refuses the credentials.
   */
  static async start(options: NatsOutputOptions): Promise<NatsOutput> {
    const { address } = options;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: [address.server],
        user: address.user,
        pass: address.pass,
        token: address.token,
        authenticator: options.creds ? credsAuthenticator(options.creds) : undefined,
        tls: address.tls ? {} : undefined,
        name: `padlink-server ${options.name}`,
        timeout: options.connectTimeoutMs ?? NATS_CONNECT_TIMEOUT_MS,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: options.reconnectWaitMs ?? NATS_RECONNECT_WAIT_MS,
        pingInterval: 10_000,
        maxPingOut: 2,
      });
    } catch (error) {
      throw new NatsConnectError(`cannot use NATS at ${address.display}: ${describe(error)}`);
    }
    const output = new NatsOutput(nc, options);
    try {
      await nc.flush(); // The subscriptions are in place before the first event.
    } catch (error) {
      await output.close();
      throw new NatsConnectError(`cannot use NATS at ${address.display}: ${describe(error)}`);
    }
    return output;
  }

  /** The subjects this output publishes and listens on. */
  get subjects(): ServerSubjects {
    return this.#subjects;
  }

  /** Events dropped so far because the broker was away or too slow. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** Resolves once everything queued so far is with the broker (or the output closed). */
  async idle(): Promise<void> {
    await this.#queue.idle();
    while (this.#unacked.length > 0 && !this.#closed) await this.#changed();
  }

  /** Keep the server, for commands and snapshots. */
  attach(host: OutputHost): void {
    this.#host = host;
  }

  /** Queue one event; never blocks. The `listening` event stays on this machine. */
  push(event: ServerEvent): void {
    if (event.type !== "listening") this.#queue.push(event);
  }

  /**
   * Publish what is queued (for at most the close timeout), then close the
   * connection. Calling it again returns the same report.
   */
  finish(): Promise<CloseReport> {
    this.#closing ??= (async () => {
      const deadline = Date.now() + this.#closeTimeoutMs;
      const report = await this.#queue.close(this.#closeTimeoutMs);
      await withDeadline(this.idle(), Math.max(0, deadline - Date.now()), () => {});
      const abandoned = this.#unacked.reduce((sum, batch) => sum + batch.subjects.length, 0);
      this.#closed = true;
      this.#notify();
      for (const subscription of this.#subscriptions) subscription.unsubscribe();
      await withDeadline(this.#nc.close(), this.#closeTimeoutMs, () => {});
      await withDeadline(this.#watching, this.#closeTimeoutMs, () => {});
      return {
        complete: report.complete && abandoned === 0,
        abandoned: report.abandoned + abandoned,
      };
    })();
    return this.#closing;
  }

  /** {@linkcode finish}, for the server when it closes. */
  async close(): Promise<void> {
    await this.finish();
  }

  /**
   * Publish a batch, and return once fewer than {@linkcode BATCHES_IN_FLIGHT}
   * are unacknowledged, so the next batch goes out while the broker answers
   * for this one. While the broker is away this waits, and the queue fills.
   */
  async #deliver(items: Item[]): Promise<void> {
    const batch = this.#encode(items);
    this.#unacked.push(batch);
    if (this.#up && !this.#failed) this.#publish([batch]);
    else this.#failed = true;
    while (this.#failed || this.#unacked.length >= BATCHES_IN_FLIGHT) {
      if (this.#closed || this.#nc.isClosed()) throw new Error("the NATS connection is closed");
      if (!this.#resendIfBack()) await this.#changed();
    }
  }

  /** Publish batches, each followed by a PING whose answer acknowledges it. */
  #publish(batches: Batch[]): void {
    const nc = this.#nc;
    const round = this.#round;
    for (const batch of batches) {
      for (let i = 0; i < batch.subjects.length; i++) {
        nc.publish(batch.subjects[i]!, batch.payloads[i]!);
      }
      nc.flush().then(() => {
        if (round !== this.#round) return;
        batch.acked = true;
        this.#releaseAcked();
      }, () => {
        // The connection broke before the broker answered: again once it is back.
        if (round !== this.#round) return;
        this.#failed = true;
        this.#notify();
      });
    }
  }

  /** After a failure, once connected again: publish every unacknowledged batch, in order. */
  #resendIfBack(): boolean {
    if (!this.#failed || !this.#up || this.#closed) return false;
    this.#failed = false;
    this.#round++;
    this.#publish(this.#unacked);
    return true;
  }

  /** Drop the acknowledged batches at the front, reporting their gaps. */
  #releaseAcked(): void {
    while (this.#unacked[0]?.acked) {
      const batch = this.#unacked.shift()!;
      if (batch.gaps > 0) this.#onStatus({ state: "gap", dropped: batch.gaps });
    }
    this.#notify();
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /**
   * Each item's subject and payload. The payloads are encoded as one string
   * and sliced (one call into the encoder per batch instead of one per event,
   * which was the largest cost of publishing); a batch with non-ASCII text is
   * encoded event by event.
   */
  #encode(batch: Item[]): Batch {
    const subjects: string[] = [];
    const ends: number[] = [];
    let text = "";
    let gaps = 0;
    for (const item of batch) {
      if (item instanceof Gap) {
        subjects.push(this.#subjects.gap);
        text += formatGapJson(item.dropped);
        gaps += item.dropped;
      } else if (item.type !== "listening") {
        subjects.push(this.#subjects.event(item.client, item.type));
        text += formatJson(item);
      } else {
        continue;
      }
      ends.push(text.length);
    }
    const bytes = encoder.encode(text);
    const ascii = bytes.length === text.length;
    const payloads: Uint8Array[] = [];
    let start = 0;
    for (const end of ends) {
      payloads.push(ascii ? bytes.subarray(start, end) : encoder.encode(text.slice(start, end)));
      start = end;
    }
    return { subjects, payloads, gaps, acked: false };
  }

  /** Follow the connection's status until it closes. */
  async #watch(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === "disconnect" && this.#up) {
        this.#up = false;
        this.#onStatus({ state: "disconnected" });
      } else if (status.type === "reconnect") {
        this.#up = true;
        this.#onStatus({ state: "reconnected" });
        this.#resendIfBack();
        this.#notify();
      }
    }
    const error = await this.#nc.closed();
    if (!this.#closed) {
      this.#closed = true;
      this.#notify();
      this.#onStatus({ state: "closed", error: error ? describe(error) : "closed" });
    }
  }

  #onState(msg: Msg): void {
    if (!this.#host) {
      msg.respond(JSON.stringify({ ok: false, error: "the server is starting; ask again" }));
      return;
    }
    msg.respond(JSON.stringify(this.#host.snapshot()));
  }

  #onCommand(msg: Msg): void {
    const reply = (result: CommandResult) => {
      if (msg.reply) msg.respond(JSON.stringify(result));
    };
    const client = this.#subjects.commandClient(msg.subject);
    if (client === null) {
      reply({ ok: false, error: "the client's token in the subject is not one padlink makes" });
      return;
    }
    if (msg.data.length > MAX_NATS_COMMAND_BYTES) {
      reply({ ok: false, error: `a command is at most ${MAX_NATS_COMMAND_BYTES} bytes of JSON` });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(msg.string());
    } catch {
      reply({ ok: false, error: "a command is one JSON object" });
      return;
    }
    if (typeof message === "object" && message !== null && !Array.isArray(message)) {
      const named = (message as { client?: unknown }).client;
      if (named === undefined) {
        message = { ...message, client };
      } else if (named !== client) {
        reply({
          ok: false,
          error: `the command names client ${JSON.stringify(named)} but came on ${
            JSON.stringify(client)
          }'s subject`,
        });
        return;
      }
    }
    if (!this.#host) {
      reply({ ok: false, error: "the server is starting; send it again" });
      return;
    }
    // PadlinkServer.command checks every field and says which one is wrong.
    this.#host.command(message as FeedbackCommand).then(
      reply,
      (error) => reply({ ok: false, error: describe(error) }),
    );
  }
}

/** One line for an error from the client library. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : "";
  const message = error.message || error.name;
  return cause && !message.includes(cause) ? `${message} (${cause})` : message;
}
