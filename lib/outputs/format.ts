/**
 * How the server shows events: a human-readable line (`alice pad0 A
 * pressed`) or a JSON line with the stable key order of the JSON-lines
 * contract in the README.
 *
 * @module
 */

import type { AxisName, ButtonName } from "../input/model.ts";
import type { ServerEvent } from "../server/server.ts";
import { jsonString, safeText } from "../wire/safe_text.ts";

/** How each button reads in human output. */
export const BUTTON_LABELS: Readonly<Record<ButtonName, string>> = {
  a: "A",
  b: "B",
  x: "X",
  y: "Y",
  back: "Back",
  guide: "Guide",
  start: "Start",
  leftstick: "left stick button",
  rightstick: "right stick button",
  leftshoulder: "left shoulder",
  rightshoulder: "right shoulder",
  dpup: "D-pad up",
  dpdown: "D-pad down",
  dpleft: "D-pad left",
  dpright: "D-pad right",
  misc1: "Misc1",
  paddle1: "paddle 1",
  paddle2: "paddle 2",
  paddle3: "paddle 3",
  paddle4: "paddle 4",
  touchpad: "touchpad",
};

/** How each axis reads in human output. */
export const AXIS_LABELS: Readonly<Record<AxisName, string>> = {
  leftx: "left stick x",
  lefty: "left stick y",
  rightx: "right stick x",
  righty: "right stick y",
  lefttrigger: "left trigger",
  righttrigger: "right trigger",
};

/**
 * One human-readable line for an event, without the newline. Every string a
 * client chose (its name, pad and key names, its goodbye reason) goes
 * through {@linkcode safeText}, so no client can forge a line or send the
 * terminal an escape sequence.
 *
 * @example Usage
 * ```ts
 * import { formatHuman } from "./format.ts";
 * const line = formatHuman({ type: "button", client: "alice", t: 0, pad: 0, button: "a", pressed: true });
 * if (line !== "alice pad0 A pressed") throw new Error(line);
 * ```
 */
export function formatHuman(event: ServerEvent): string {
  switch (event.type) {
    case "listening":
      return `listening on ${event.host}:${event.port} (protocol v${event.protocol}, ${
        event.auth ? "token required" : "no auth"
      })`;
    case "connect":
      return `${safeText(event.client)} connected from ${event.addr}`;
    case "disconnect":
      return `${safeText(event.client)} disconnected (${safeText(event.reason)})`;
    case "pad":
      return event.attached
        ? `${safeText(event.client)} pad${event.pad} attached: ${safeText(event.name ?? "")}`
        : `${safeText(event.client)} pad${event.pad} detached`;
    case "button":
      return `${safeText(event.client)} pad${event.pad} ${BUTTON_LABELS[event.button]} ${
        event.pressed ? "pressed" : "released"
      }`;
    case "axis":
      return `${safeText(event.client)} pad${event.pad} ${AXIS_LABELS[event.axis]} ${event.value}`;
    case "key":
      return `${safeText(event.client)} key ${safeText(event.key)} ${
        event.pressed ? "pressed" : "released"
      }`;
  }
}

const q = jsonString;

/**
 * One JSON line for an event, without the newline. Keys come in the order
 * the contract documents; strings are written by {@linkcode jsonString}, which also
 * escapes the C1 controls, bidi controls and U+2028 and U+2029.
 *
 * @example Usage
 * ```ts
 * import { formatJson } from "./format.ts";
 * const line = formatJson({ type: "axis", client: "alice", t: 2.5, pad: 0, axis: "leftx", value: 0.5 });
 * if (line !== '{"type":"axis","client":"alice","t":2.5,"pad":0,"axis":"leftx","value":0.5}') {
 *   throw new Error(line);
 * }
 * ```
 */
export function formatJson(event: ServerEvent): string {
  switch (event.type) {
    case "button":
      return `{"type":"button","client":${
        q(event.client)
      },"t":${event.t},"pad":${event.pad},"button":"${event.button}","pressed":${event.pressed}}`;
    case "axis":
      return `{"type":"axis","client":${
        q(event.client)
      },"t":${event.t},"pad":${event.pad},"axis":"${event.axis}","value":${event.value}}`;
    case "key":
      return `{"type":"key","client":${q(event.client)},"t":${event.t},"key":${
        q(event.key)
      },"scancode":${q(event.scancode)},"pressed":${event.pressed}}`;
    case "pad":
      return event.attached
        ? `{"type":"pad","client":${
          q(event.client)
        },"t":${event.t},"pad":${event.pad},"attached":true,"name":${q(event.name ?? "")}}`
        : `{"type":"pad","client":${
          q(event.client)
        },"t":${event.t},"pad":${event.pad},"attached":false}`;
    case "connect":
      return `{"type":"connect","client":${q(event.client)},"addr":${q(event.addr)}}`;
    case "disconnect":
      return `{"type":"disconnect","client":${q(event.client)},"addr":${q(event.addr)},"reason":${
        q(event.reason)
      }}`;
    case "listening":
      return `{"type":"listening","host":${
        q(event.host)
      },"port":${event.port},"auth":${event.auth},"protocol":${event.protocol}}`;
  }
}

/** Something a {@linkcode LineWriter} can write to synchronously. */
export interface SyncWriter {
  /** Write some of `bytes`, blocking; returns how many were written. */
  writeSync(bytes: Uint8Array): number;
}

/**
 * Buffers lines and writes them in large chunks: one write per burst of
 * events instead of one per line. A burst ends at the next microtask, so a
 * line is never held back longer than the current batch of frames.
 */
export class LineWriter {
  readonly #target: SyncWriter;
  readonly #limit: number;
  readonly #encoder = new TextEncoder();
  #buffer = "";
  #scheduled = false;
  #failed = false;

  /** Write to `target`, flushing early whenever `limit` characters are buffered. */
  constructor(target: SyncWriter, limit = 64 * 1024) {
    this.#target = target;
    this.#limit = limit;
  }

  /** Queue one line (a newline is added). */
  write(line: string): void {
    this.#buffer += line + "\n";
    if (this.#buffer.length >= this.#limit) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Write out everything buffered now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#buffer === "") return;
    const bytes = this.#encoder.encode(this.#buffer);
    this.#buffer = "";
    if (this.#failed) return;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += this.#target.writeSync(bytes.subarray(offset));
    } catch (error) {
      this.#failed = true;
      this.onError(error);
    }
  }

  /**
   * Called once when a write fails (for example the reader of a pipe went
   * away); later lines are dropped. By default the error is rethrown.
   */
  onError: (error: unknown) => void = (error) => {
    throw error;
  };
}
