/**
 * Showing only some kinds of input (`padlink-server --only buttons,keys`,
 * `--quiet`): an {@linkcode Output} in front of another that passes the
 * connection events (`listening`, `connect`, `disconnect`) and the input
 * events of the kinds asked for, and drops the rest before they are queued.
 *
 * @module
 */

import type { ServerEvent } from "../server/events.ts";
import type { Output, OutputFlow, OutputHost } from "../server/output.ts";

/** The kinds of input a filter can pass, by their plural names, and the event type of each. */
export const EVENT_KINDS = {
  buttons: "button",
  axes: "axis",
  keys: "key",
  pads: "pad",
  motion: "motion",
  touches: "touch",
  battery: "battery",
} as const;

/** A kind of input event: `buttons`, `axes`, `keys`, `pads`, `motion`, `touches` or `battery`. */
export type EventKind = keyof typeof EVENT_KINDS;

/** Whether `name` is one of {@linkcode EVENT_KINDS}. */
export function isEventKind(name: string): name is EventKind {
  return Object.hasOwn(EVENT_KINDS, name);
}

/**
 * Whether a filter passing `kinds` passes `event`: connection events always,
 * input events when their kind is in `kinds`.
 *
 * @example Usage
 * ```ts
 * import { passes } from "./event_filter.ts";
 * const kinds = new Set(["keys"] as const);
 * if (!passes({ type: "connect", client: "a", addr: "x" }, kinds)) throw new Error();
 * if (passes({ type: "button", client: "a", t: 0, pad: 0, button: "a", pressed: true }, kinds)) {
 *   throw new Error();
 * }
 * ```
 */
export function passes(event: ServerEvent, kinds: ReadonlySet<EventKind>): boolean {
  switch (event.type) {
    case "listening":
    case "connect":
    case "disconnect":
      return true;
    case "button":
      return kinds.has("buttons");
    case "axis":
      return kinds.has("axes");
    case "key":
      return kinds.has("keys");
    case "pad":
      return kinds.has("pads");
    case "motion":
      return kinds.has("motion");
    case "touch":
      return kinds.has("touches");
    case "battery":
      return kinds.has("battery");
  }
}

/** An output that hands another only the events {@linkcode passes} lets through. */
export class FilteredOutput implements Output {
  readonly #inner: Output;
  readonly #kinds: ReadonlySet<EventKind>;

  /**
   * Filter what reaches `inner`.
   *
   * @param inner The output that gets the events that pass.
   * @param kinds The input kinds that pass; empty: connection events only (`--quiet`).
   */
  constructor(inner: Output, kinds: Iterable<EventKind>) {
    this.#inner = inner;
    this.#kinds = new Set(kinds);
  }

  /** The inner output's flow control, if it takes part in it. */
  get flow(): OutputFlow | undefined {
    return this.#inner.flow;
  }

  /** Pass the event on when its kind is wanted; never blocks. */
  push(event: ServerEvent): void {
    if (passes(event, this.#kinds)) this.#inner.push(event);
  }

  /** Hand the server to the inner output. */
  attach(host: OutputHost): void {
    this.#inner.attach?.(host);
  }

  /** Close the inner output. */
  close(): Promise<void> {
    return this.#inner.close();
  }
}
