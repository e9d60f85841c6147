/**
 * Feedback commands (rumble, trigger rumble, LED, motion on/off) checked and turned into
 * wire messages. Every source (the library, `--commands` on stdin, the web
 * socket, NATS, DSU) reaches a client through `PadlinkServer.command`, which
 * checks the command here first, so each rule lives in one place.
 *
 * @module
 */

import { FEEDBACK_MAX_MS } from "../input/feedback_pacer.ts";
import { MAX_PAD } from "../input/model.ts";
import {
  encodeLed,
  encodeMotionRequest,
  encodeRumble,
  encodeTriggerRumble,
  MessageType,
} from "../wire/protocol.ts";
import type { FeedbackCommand } from "./output.ts";

/**
 * The longest rumble a command may ask for, in ms: the client's own limit
 * ({@linkcode FEEDBACK_MAX_MS}, 10 s), so feedback never sticks.
 */
export const MAX_FEEDBACK_MS: number = FEEDBACK_MAX_MS;

/** The wire's full motor strength: a strength of 1 travels as this. */
export const MOTOR_FULL = 0xffff;

/** A command that breaks a rule, with a message naming the field and the rule. */
export class FeedbackCommandError extends TypeError {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "FeedbackCommandError";
  }
}

const TYPES = ["rumble", "trigger_rumble", "led", "motion"] as const;

/**
 * Check that `value` is a feedback command in the one JSON form every source
 * uses, and return it with only its known fields.
 *
 * @throws {FeedbackCommandError} naming the first field that is wrong.
 *
 * @example Usage
 * ```ts
 * import { checkFeedbackCommand } from "./feedback.ts";
 * const command = checkFeedbackCommand(
 *   { type: "rumble", client: "alice", pad: 0, low: 0.6, high: 0.3, ms: 250 },
 * );
 * if (command.type !== "rumble") throw new Error();
 * ```
 */
export function checkFeedbackCommand(value: unknown): FeedbackCommand {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FeedbackCommandError("a command is one JSON object");
  }
  const fields = value as Record<string, unknown>;
  const type = fields.type;
  if (typeof type !== "string" || !(TYPES as readonly string[]).includes(type)) {
    throw new FeedbackCommandError(
      `unknown command type ${
        JSON.stringify(type)
      }; expected rumble, trigger_rumble, led or motion`,
    );
  }
  const client = fields.client;
  if (typeof client !== "string" || client === "") {
    throw new FeedbackCommandError(`${type}: "client" must be the client's name`);
  }
  const pad = fields.pad;
  if (!Number.isInteger(pad) || (pad as number) < 0 || (pad as number) > MAX_PAD) {
    throw new FeedbackCommandError(
      `${type}: "pad" must be a pad number from 0 to ${MAX_PAD}, got ${JSON.stringify(pad)}`,
    );
  }
  const base = { client, pad: pad as number };
  switch (type as FeedbackCommand["type"]) {
    case "rumble":
      return {
        type: "rumble",
        ...base,
        low: strength(fields, "low", type),
        high: strength(fields, "high", type),
        ms: duration(fields, type),
      };
    case "trigger_rumble":
      return {
        type: "trigger_rumble",
        ...base,
        left: strength(fields, "left", type),
        right: strength(fields, "right", type),
        ms: duration(fields, type),
      };
    case "led": {
      const rgb = fields.rgb;
      if (typeof rgb !== "string" || !/^#[0-9a-fA-F]{6}$/.test(rgb)) {
        throw new FeedbackCommandError(
          `led: "rgb" must be a colour as #rrggbb, got ${JSON.stringify(rgb)}`,
        );
      }
      return { type: "led", ...base, rgb: rgb.toLowerCase() };
    }
    case "motion": {
      const enable = fields.enable;
      if (typeof enable !== "boolean") {
        throw new FeedbackCommandError(`motion: "enable" must be true or false`);
      }
      return { type: "motion", ...base, enable };
    }
  }
}

function strength(fields: Record<string, unknown>, name: string, type: string): number {
  const value = fields[name];
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new FeedbackCommandError(
      `${type}: "${name}" must be a strength from 0 to 1, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function duration(fields: Record<string, unknown>, type: string): number {
  const ms = fields.ms;
  if (!Number.isInteger(ms) || (ms as number) < 0 || (ms as number) > MAX_FEEDBACK_MS) {
    throw new FeedbackCommandError(
      `${type}: "ms" must be a whole number of milliseconds from 0 (stop) to ${MAX_FEEDBACK_MS}, got ${
        JSON.stringify(ms)
      }`,
    );
  }
  return ms as number;
}

/** The wire message type that carries `command`. */
export function feedbackMessageType(command: FeedbackCommand): number {
  switch (command.type) {
    case "rumble":
      return MessageType.RUMBLE;
    case "trigger_rumble":
      return MessageType.TRIGGER_RUMBLE;
    case "led":
      return MessageType.LED;
    case "motion":
      return MessageType.MOTION_REQUEST;
  }
}

/**
 * Encode a checked command as one frame for the client.
 *
 * @example Usage
 * ```ts
 * import { encodeFeedback } from "./feedback.ts";
 * const frame = encodeFeedback({ type: "led", client: "a", pad: 1, rgb: "#ff8800" });
 * if (frame.join() !== "0,7,65,0,4,1,255,136,0") throw new Error();
 * ```
 */
export function encodeFeedback(command: FeedbackCommand): Uint8Array {
  switch (command.type) {
    case "rumble":
      return encodeRumble(command.pad, motor(command.low), motor(command.high), command.ms);
    case "trigger_rumble":
      return encodeTriggerRumble(
        command.pad,
        motor(command.left),
        motor(command.right),
        command.ms,
      );
    case "led": {
      const rgb = parseInt(command.rgb.slice(1), 16);
      return encodeLed(command.pad, rgb >> 16, (rgb >> 8) & 0xff, rgb & 0xff);
    }
    case "motion":
      return encodeMotionRequest(command.pad, command.enable);
  }
}

function motor(strength: number): number {
  return Math.round(strength * MOTOR_FULL);
}
