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
  type: "listening";
  host: string;
  port: number;
  /** Whether clients must prove a token. */
  auth: boolean;
  /** Protocol version spoken. */
  protocol: number;
}

/** A client completed its handshake. */
export interface ConnectEvent {
  type: "connect";
  client: string;
  addr: string;
}

/** A client went away; its held inputs were released just before this. */
export interface DisconnectEvent {
  type: "disconnect";
  client: string;
  addr: string;
  reason: string;
}

/** An input event, tagged with the client it came from. */
export type ClientInputEvent = InputEvent & { client: string };

/** Everything a server reports, in order. */
export type ServerEvent = ListeningEvent | ConnectEvent | ClientInputEvent | DisconnectEvent;
