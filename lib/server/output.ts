/**
 * The output seam: how server events leave the server, and how commands
 * (rumble, LED) come back from a consumer to a client's pad.
 *
 * Every output (text or JSON on stdout, the web view, DSU, NATS) implements
 * {@linkcode Output} and is added with `PadlinkServer.addOutput`. The server
 * calls {@linkcode Output.push} synchronously for every event, in order, from
 * its network loop, so `push` must never block or await: an output keeps its
 * own bounded queue and delivers from it on its own time. A slow or stuck
 * consumer therefore costs only its own output, never the network loop or
 * the other outputs. `DeliveryQueue` (`lib/outputs/delivery_queue.ts`) is
 * that queue: a bound, batched async delivery, and a gap record with the
 * count of what had to be dropped.
 *
 * One output may opt in to flow control ({@linkcode Output.flow}): stdout,
 * the primary consumer, whose reader is usually a file or a program that
 * keeps up but writes slower than the network loop reads. While such an
 * output is behind (its queue above a high-water mark), the server reads no
 * more input from its clients, for at most `FLOW_WAIT_MS` at a time and
 * asking again after each wait (`flow_control.ts`). TCP then slows the
 * clients, which wait for their sockets to drain, and nothing is dropped.
 * A stuck reader completes no write, so after `FLOW_STALL_MS` of waits in
 * a row that ran out the server stops waiting for it (until it writes
 * again): the output fills its bound and drops with a gap record, and the
 * network loop (heartbeats, timeouts, signals) is never held. The web view,
 * NATS and DSU do not opt in: a slow browser, broker or emulator must not
 * slow every client's input, so they drop or coalesce instead.
 *
 * The other direction goes through {@linkcode OutputHost}, handed to each
 * output once in {@linkcode Output.attach}: a snapshot of the current state
 * for consumers that start late, and {@linkcode OutputHost.command} to send
 * feedback to a client.
 *
 * @module
 */

import type { InputEvent } from "../input/model.ts";
import type { ServerEvent } from "./events.ts";
import type { TelemetrySource } from "./telemetry.ts";

/** One connected client and everything it holds now. */
export interface ClientSnapshot {
  /** The client's name on this server. */
  client: string;
  /** Its address, `host:port`. */
  addr: string;
  /** When its handshake completed, in ms since the Unix epoch. */
  connectedAt: number;
  /**
   * Events that rebuild its state from nothing: each pad's attach, then its
   * held buttons and non-zero axes, then held keys.
   */
  inputs: InputEvent[];
}

/** Everything connected to a server at one instant. */
export interface ServerSnapshot {
  /** Always `"snapshot"`, so it can travel beside events. */
  type: "snapshot";
  /** The connected clients, in the order they connected. */
  clients: ClientSnapshot[];
}

/** Make a pad rumble: motor strengths in 0..1 for `ms` milliseconds. */
export interface RumbleCommand {
  /** Always `"rumble"`. */
  type: "rumble";
  /** The client whose pad rumbles. */
  client: string;
  /** The pad number on that client. */
  pad: number;
  /** Low-frequency (left, heavy) motor strength, 0..1. */
  low: number;
  /** High-frequency (right, light) motor strength, 0..1. */
  high: number;
  /** Duration in ms; at most 10 000, and 0 stops. */
  ms: number;
}

/** Rumble the triggers' motors (Xbox One pads): strengths in 0..1 for `ms` milliseconds. */
export interface TriggerRumbleCommand {
  /** Always `"trigger_rumble"`. */
  type: "trigger_rumble";
  /** The client whose pad rumbles. */
  client: string;
  /** The pad number on that client. */
  pad: number;
  /** Left trigger motor strength, 0..1. */
  left: number;
  /** Right trigger motor strength, 0..1. */
  right: number;
  /** Duration in ms; at most 10 000, and 0 stops. */
  ms: number;
}

/** Set a pad's LED colour. */
export interface LedCommand {
  /** Always `"led"`. */
  type: "led";
  /** The client whose pad it is. */
  client: string;
  /** The pad number on that client. */
  pad: number;
  /** The colour as `#rrggbb`. */
  rgb: string;
}

/**
 * Turn a pad's accelerometer and gyro on or off: a consumer's request for
 * `motion` events from a client that was not started with `--motion`.
 */
export interface MotionCommand {
  /** Always `"motion"`. */
  type: "motion";
  /** The client whose pad it is. */
  client: string;
  /** The pad number on that client. */
  pad: number;
  /** On or off. */
  enable: boolean;
}

/** Feedback from a consumer to a client's pad, in the one JSON form every source uses. */
export type FeedbackCommand = RumbleCommand | TriggerRumbleCommand | LedCommand | MotionCommand;

/** The answer to a {@linkcode FeedbackCommand}. */
export type CommandResult = { ok: true } | { ok: false; error: string };

/** What an output may ask of the server it is attached to. */
export interface OutputHost {
  /** Everything connected now, for a consumer that starts late. */
  snapshot(): ServerSnapshot;
  /** Send feedback to a client's pad; resolves once it was sent or refused. */
  command(command: FeedbackCommand): Promise<CommandResult>;
  /**
   * What is measured about each connected client, for a `StatsWindow`
   * (`telemetry.ts`) to turn into per-interval figures.
   */
  telemetry(): TelemetrySource[];
}

/**
 * What an output that opts in to flow control tells the server's read loop
 * (see the module doc). A `DeliveryQueue` is one.
 */
export interface OutputFlow {
  /** Whether more items wait than the output's high-water mark (false once it stopped or closed). */
  readonly behind: boolean;
  /** `performance.now()` when a write last completed: the output's last sign of progress. */
  readonly progressAt: number;
  /** Resolves at the next completed write, or once the output stops or closes. */
  progress(): Promise<void>;
}

/** A destination for server events. */
export interface Output {
  /**
   * Take one event. Called synchronously for every event, in order; must not
   * block or throw. Queue it and return.
   */
  push(event: ServerEvent): void;
  /**
   * Opt-in flow control: while this says the output is behind and writing,
   * the server holds back reading its clients' input (briefly, and only
   * while writes complete). Leave it out for an output whose consumer must
   * not set the pace of every client's input.
   */
  readonly flow?: OutputFlow;
  /** Called once when the output is added, with the server it serves. */
  attach?(host: OutputHost): void;
  /**
   * Stop taking events, deliver what is queued (bounded by the output's own
   * deadline), and release what the output holds. Called when the server closes.
   */
  close(): Promise<void>;
}
