/**
 * `padlink-client`'s side of feedback and its `--json` lines: feedback
 * messages from the server become {@linkcode PadFeedback} for the pads, and
 * what was applied (or could not be) is reported as JSON lines on stdout,
 * beside `connected` and `reconnecting`, so programs and tests can see what
 * happened.
 *
 * @module
 */

import type { PadFeedback } from "../input/feedback_pacer.ts";
import type { FeedbackReport, VirtualFeedbackReport } from "../sdl2/source.ts";
import type { FeedbackMessage } from "../wire/protocol.ts";
import { jsonString } from "../wire/safe_text.ts";

/** Full motor strength on the wire: a strength of 1. */
const MOTOR_FULL = 0xffff;

/**
 * The pad and the feedback a server's message asks for.
 *
 * @example Usage
 * ```ts
 * import { padFeedbackOf } from "./client_feedback.ts";
 * const { pad, feedback } = padFeedbackOf(
 *   { type: "rumble", pad: 1, low: 65535, high: 0, durationMs: 250 },
 * );
 * if (pad !== 1 || feedback.type !== "rumble" || feedback.ms !== 250) throw new Error();
 * ```
 */
export function padFeedbackOf(message: FeedbackMessage): { pad: number; feedback: PadFeedback } {
  switch (message.type) {
    case "rumble":
      return {
        pad: message.pad,
        feedback: { type: "rumble", low: message.low, high: message.high, ms: message.durationMs },
      };
    case "trigger_rumble":
      return {
        pad: message.pad,
        feedback: {
          type: "trigger_rumble",
          left: message.left,
          right: message.right,
          ms: message.durationMs,
        },
      };
    case "led":
      return {
        pad: message.pad,
        feedback: { type: "led", red: message.red, green: message.green, blue: message.blue },
      };
  }
}

/** A motor strength 0..65535 as 0..1 with 4 decimals. */
function strength(raw: number): number {
  return Math.round(raw / MOTOR_FULL * 10000) / 10000;
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, "0");
}

/**
 * One `--json` line for feedback applied to a pad (or not: `applied` false).
 * Keys in this order: `type`, `pad`, then `low`, `high`, `ms` (rumble),
 * `left`, `right`, `ms` (trigger rumble) or `rgb` (LED), then `applied` and,
 * for a stop the client made itself, `reason` (`disconnect`, `detach`, `exit`).
 *
 * @example Usage
 * ```ts
 * import { formatFeedbackJson } from "./client_feedback.ts";
 * const line = formatFeedbackJson({
 *   pad: 0,
 *   feedback: { type: "rumble", low: 39321, high: 19661, ms: 250 },
 *   applied: true,
 * });
 * if (line !== '{"type":"rumble","pad":0,"low":0.6,"high":0.3,"ms":250,"applied":true}') {
 *   throw new Error(line);
 * }
 * ```
 */
export function formatFeedbackJson(report: FeedbackReport): string {
  const { pad, feedback, applied, reason } = report;
  let fields: string;
  switch (feedback.type) {
    case "rumble":
      fields = `"low":${strength(feedback.low)},"high":${
        strength(feedback.high)
      },"ms":${feedback.ms}`;
      break;
    case "trigger_rumble":
      fields = `"left":${strength(feedback.left)},"right":${
        strength(feedback.right)
      },"ms":${feedback.ms}`;
      break;
    case "led":
      fields = `"rgb":"#${hex2(feedback.red)}${hex2(feedback.green)}${hex2(feedback.blue)}"`;
      break;
  }
  const why = reason === undefined ? "" : `,"reason":"${reason}"`;
  return `{"type":"${feedback.type}","pad":${pad},${fields},"applied":${applied}${why}}`;
}

/**
 * The `--json` line for a (re)established connection.
 *
 * @example Usage
 * ```ts
 * import { formatConnectedJson } from "./client_feedback.ts";
 * const line = formatConnectedJson("127.0.0.1:7175", "alice");
 * if (line !== '{"type":"connected","server":"127.0.0.1:7175","name":"alice"}') throw new Error();
 * ```
 */
export function formatConnectedJson(server: string, name: string): string {
  return `{"type":"connected","server":${jsonString(server)},"name":${jsonString(name)}}`;
}

/**
 * The `--json` line for a lost connection that the client is retrying.
 *
 * @example Usage
 * ```ts
 * import { formatReconnectingJson } from "./client_feedback.ts";
 * const line = formatReconnectingJson("connection lost");
 * if (line !== '{"type":"reconnecting","reason":"connection lost"}') throw new Error();
 * ```
 */
export function formatReconnectingJson(reason: string): string {
  return `{"type":"reconnecting","reason":${jsonString(reason)}}`;
}

/**
 * The `--json` line for what a `--virtual` controller's SDL callback
 * received: `virtual_rumble` (`low`, `high`), `virtual_trigger_rumble`
 * (`left`, `right`) or `virtual_led` (`rgb`), with the virtual pad's `id` (its
 * pad number in the `--virtual` file) and `at`, the callback's wall-clock
 * time in ms. A `--virtual` run stands in for hardware; these lines are what
 * its motors and light would have done.
 *
 * @example Usage
 * ```ts
 * import { formatVirtualFeedbackJson } from "./client_feedback.ts";
 * const line = formatVirtualFeedbackJson({
 *   id: 0,
 *   feedback: { type: "rumble", low: 65535, high: 0 },
 *   at: 1.5,
 * });
 * if (line !== '{"type":"virtual_rumble","id":0,"low":1,"high":0,"at":1.5}') throw new Error(line);
 * ```
 */
export function formatVirtualFeedbackJson(report: VirtualFeedbackReport): string {
  const { id, feedback, at } = report;
  let fields: string;
  switch (feedback.type) {
    case "rumble":
      fields = `"low":${strength(feedback.low)},"high":${strength(feedback.high)}`;
      break;
    case "trigger_rumble":
      fields = `"left":${strength(feedback.left)},"right":${strength(feedback.right)}`;
      break;
    case "led":
      fields = `"rgb":"#${hex2(feedback.red)}${hex2(feedback.green)}${hex2(feedback.blue)}"`;
      break;
  }
  return `{"type":"virtual_${feedback.type}","id":${id},${fields},"at":${at}}`;
}
