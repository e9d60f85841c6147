/**
 * How the server shows events: a human-readable line (`alice pad0 A
 * pressed`) or a JSON line with the stable key order of the JSON-lines
 * contract in the README; and the gap line an output writes where it had to
 * drop events.
 *
 * @module
 */

import type { AxisName, ButtonName, PadEvent } from "../input/model.ts";
import type { ClientInputEvent, ServerEvent } from "../server/events.ts";
import { formatHostPort } from "../net/host_port.ts";
import type { ClientStats } from "../server/telemetry.ts";
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
      return `listening on ${
        formatHostPort(event.host, event.port)
      } (protocol v${event.protocol}, ${event.auth ? "token required" : "no auth"})`;
    case "connect":
      return `${safeText(event.client)} connected from ${event.addr}`;
    case "disconnect":
      return `${safeText(event.client)} disconnected (${safeText(event.reason)})`;
    case "pad": {
      if (!event.attached) return `${safeText(event.client)} pad${event.pad} detached`;
      const line = event.name
        ? `${safeText(event.client)} pad${event.pad} attached: ${safeText(event.name)}`
        : `${safeText(event.client)} pad${event.pad} attached`;
      return event.kind === undefined ? line : `${line} (${padDetails(event)})`;
    }
    case "motion":
      return `${safeText(event.client)} pad${event.pad} motion accel ${
        event.accel.join(" ")
      } m/s² gyro ${event.gyro.join(" ")} rad/s`;
    case "touch":
      return `${
        safeText(event.client)
      } pad${event.pad} touchpad${event.touchpad} finger${event.finger} ${event.state} ${event.x} ${event.y} pressure ${event.pressure}`;
    case "battery":
      return `${safeText(event.client)} pad${event.pad} battery ${event.level} (${event.state})`;
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

/** "ps4 054c:09cc, rumble led touchpad" for a pad's attach line. */
function padDetails(event: PadEvent): string {
  const ids = `${hex4(event.vendor ?? 0)}:${hex4(event.product ?? 0)}`;
  const capabilities = event.capabilities?.length ? `, ${event.capabilities.join(" ")}` : "";
  return `${event.kind ?? "unknown"} ${ids}${capabilities}`;
}

function hex4(value: number): string {
  return value.toString(16).padStart(4, "0");
}

const q = jsonString;

/** Most client names {@linkcode quotedName} keeps; past it the cache starts over. */
const MAX_QUOTED_NAMES = 4096;
const quotedNames = new Map<string, string>();

/**
 * A client name as a JSON string. Every event carries its client's name, and
 * the same few names come again and again: each is escaped once.
 */
function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    if (quotedNames.size >= MAX_QUOTED_NAMES) quotedNames.clear();
    quoted = jsonString(name);
    quotedNames.set(name, quoted);
  }
  return quoted;
}

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
  const line = formatJsonFields(event);
  // Buttons, axes and keys (the floods) end with their latency already.
  if (
    event.type !== "button" && event.type !== "axis" && event.type !== "key" &&
    "latency_us" in event && event.latency_us !== undefined
  ) {
    return `${line.slice(0, -1)},"latency_us":${event.latency_us}}`;
  }
  return line;
}

/** The end of an input event's JSON line: its `latency_us` when it has one, and the brace. */
function closeInput(event: ClientInputEvent): string {
  return event.latency_us === undefined ? "}" : `,"latency_us":${event.latency_us}}`;
}

function formatJsonFields(event: ServerEvent): string {
  switch (event.type) {
    case "button":
      return `{"type":"button","client":${
        quotedName(event.client)
      },"t":${event.t},"pad":${event.pad},"button":"${event.button}","pressed":${event.pressed}${
        closeInput(event)
      }`;
    case "axis":
      return `{"type":"axis","client":${
        quotedName(event.client)
      },"t":${event.t},"pad":${event.pad},"axis":"${event.axis}","value":${event.value}${
        closeInput(event)
      }`;
    case "key":
      return `{"type":"key","client":${quotedName(event.client)},"t":${event.t},"key":${
        q(event.key)
      },"scancode":${q(event.scancode)},"pressed":${event.pressed}${closeInput(event)}`;
    case "pad": {
      if (!event.attached) {
        return `{"type":"pad","client":${
          quotedName(event.client)
        },"t":${event.t},"pad":${event.pad},"attached":false}`;
      }
      const head = `{"type":"pad","client":${
        quotedName(event.client)
      },"t":${event.t},"pad":${event.pad},"attached":true,"name":${q(event.name ?? "")}`;
      if (event.kind === undefined) return `${head}}`;
      return `${head},"kind":"${event.kind}","vendor":${event.vendor ?? 0},"product":${
        event.product ?? 0
      },"capabilities":[${(event.capabilities ?? []).map((c) => `"${c}"`).join(",")}]}`;
    }
    case "motion":
      return `{"type":"motion","client":${
        quotedName(event.client)
      },"t":${event.t},"pad":${event.pad},"accel":[${event.accel.join(",")}],"gyro":[${
        event.gyro.join(",")
      }],"t_us":${event.t_us}}`;
    case "touch":
      return `{"type":"touch","client":${
        quotedName(event.client)
      },"t":${event.t},"pad":${event.pad},"touchpad":${event.touchpad},"finger":${event.finger},"state":"${event.state}","x":${event.x},"y":${event.y},"pressure":${event.pressure}}`;
    case "battery":
      return `{"type":"battery","client":${
        quotedName(event.client)
      },"t":${event.t},"pad":${event.pad},"level":"${event.level}","state":"${event.state}"}`;
    case "connect":
      return `{"type":"connect","client":${quotedName(event.client)},"addr":${q(event.addr)}}`;
    case "disconnect":
      return `{"type":"disconnect","client":${quotedName(event.client)},"addr":${
        q(event.addr)
      },"reason":${q(event.reason)}}`;
    case "listening":
      return `{"type":"listening","host":${
        q(event.host)
      },"port":${event.port},"auth":${event.auth},"protocol":${event.protocol}}`;
  }
}

/**
 * The line in text output where events had to be dropped because the reader
 * fell too far behind.
 *
 * @example Usage
 * ```ts
 * import { formatGapHuman } from "./format.ts";
 * if (formatGapHuman(3) !== "gap: 3 events dropped (output too slow)") throw new Error();
 * ```
 */
export function formatGapHuman(dropped: number): string {
  return `gap: ${dropped} event${dropped === 1 ? "" : "s"} dropped (output too slow)`;
}

/**
 * The JSON line where events had to be dropped: `{"type":"gap","dropped":N}`.
 *
 * @example Usage
 * ```ts
 * import { formatGapJson } from "./format.ts";
 * if (formatGapJson(3) !== '{"type":"gap","dropped":3}') throw new Error();
 * ```
 */
export function formatGapJson(dropped: number): string {
  return `{"type":"gap","dropped":${dropped}}`;
}

/**
 * One client's stats as a JSON line: `{"type":"stats","client":…,"rtt_us":…,
 * "offset_us":…,"latency_us":{"p50":…,"p99":…,"max":…},"events":…,"bytes":…}`;
 * a figure not known yet is `null`.
 *
 * @example Usage
 * ```ts
 * import { formatStatsJson } from "./format.ts";
 * const line = formatStatsJson({
 *   client: "alice", rttUs: 400, offsetUs: -12, latencyUs: { p50: 310, p99: 900, max: 950 },
 *   events: 6000, bytes: 30000, seconds: 5,
 * });
 * const want = '{"type":"stats","client":"alice","rtt_us":400,"offset_us":-12,' +
 *   '"latency_us":{"p50":310,"p99":900,"max":950},"events":6000,"bytes":30000}';
 * if (line !== want) throw new Error(line);
 * ```
 */
export function formatStatsJson(stats: ClientStats): string {
  const latency = stats.latencyUs
    ? `{"p50":${stats.latencyUs.p50},"p99":${stats.latencyUs.p99},"max":${stats.latencyUs.max}}`
    : "null";
  return `{"type":"stats","client":${
    q(stats.client)
  },"rtt_us":${stats.rttUs},"offset_us":${stats.offsetUs},"latency_us":${latency},"events":${stats.events},"bytes":${stats.bytes}}`;
}

/**
 * One client's stats for people: `alice: 1.2k ev/s, latency p50 0.31 ms p99
 * 0.9 ms, rtt 0.4 ms`; the latency and round trip are left out while not
 * known.
 *
 * @example Usage
 * ```ts
 * import { formatStatsHuman } from "./format.ts";
 * const line = formatStatsHuman({
 *   client: "alice", rttUs: 400, offsetUs: -12, latencyUs: { p50: 310, p99: 900, max: 950 },
 *   events: 6000, bytes: 30000, seconds: 5,
 * });
 * if (line !== "alice: 1.2k ev/s, latency p50 0.31 ms p99 0.9 ms, rtt 0.4 ms") throw new Error(line);
 * ```
 */
export function formatStatsHuman(stats: ClientStats): string {
  const rate = stats.seconds > 0 ? stats.events / stats.seconds : 0;
  let line = `${safeText(stats.client)}: ${count(rate)} ev/s`;
  if (stats.latencyUs) {
    line += `, latency p50 ${ms(stats.latencyUs.p50)} p99 ${ms(stats.latencyUs.p99)}`;
  }
  if (stats.rttUs !== null) line += `, rtt ${ms(stats.rttUs)}`;
  return line;
}

/** A rate in two significant figures: `850`, `1.2k`, `34k`, `1.5M`. */
function count(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${significant(n / 1000)}k`;
  return `${significant(n / 1_000_000)}M`;
}

/** Microseconds as milliseconds in two significant figures: `0.31 ms`, `12 ms`, `140 ms`. */
function ms(us: number): string {
  return `${significant(us / 1000)} ms`;
}

function significant(n: number): string {
  return n >= 100 ? String(Math.round(n)) : String(Number(n.toPrecision(2)));
}
