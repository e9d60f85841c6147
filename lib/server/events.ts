/**
 * The events a padlink server reports, in the order it reports them. These
 * objects are the JSON-lines contract of `padlink-server --json`: every
 * output (text, JSON, web, DSU, NATS) receives exactly these.
 *
 * @module
 */

import type { InputEvent } from "../input/model.ts";

/** Reported first: the address the server listens on. */
export interface ListeningEvent {
  /** Always `"listening"`. */
  type: "listening";
  /** The address listened on, for example `0.0.0.0`. */
  host: string;
  /** The port listened on; the real one when 0 was asked for. */
  port: number;
  /** Whether clients must prove a token. */
  auth: boolean;
  /** Protocol version spoken. */
  protocol: number;
}

/** A client completed its handshake. */
export interface ConnectEvent {
  /** Always `"connect"`. */
  type: "connect";
  /** The client's assigned name (unique while it is connected). */
  client: string;
  /** The client's address as `host:port`. */
  addr: string;
}

/** A client went away; its held inputs were released just before this. */
export interface DisconnectEvent {
  /** Always `"disconnect"`. */
  type: "disconnect";
  /** The client's assigned name. */
  client: string;
  /** The client's address as `host:port`. */
  addr: string;
  /** Why it went away, for a person to read (for example `connection closed`). */
  reason: string;
}

/**
 * An input event, tagged with the client it came from and `t`: when the
 * server received it, in milliseconds since that client connected (0.1 ms
 * steps), so that a `--json` capture replays with its timing.
 */
export type ClientInputEvent = InputEvent & {
  client: string;
  t: number;
  /**
   * The input's one-way latency in µs: when the server emitted it minus when
   * the client captured it, on the server's clock (the client's capture
   * time corrected by the measured clock offset). Present when the client
   * stamps capture times and one clock exchange has completed.
   */
  latency_us?: number;
};

/** Everything a server reports, in order. */
export type ServerEvent = ListeningEvent | ConnectEvent | ClientInputEvent | DisconnectEvent;
