/**
 * Test helper: a sink for both directions ({@linkcode AnyMessageSink}) that records what a
 * {@linkcode SessionDecoder} delivers, turning input messages back into
 * {@linkcode InputEvent}s so they compare with what was encoded.
 *
 * @module
 */

import { AXIS_NAMES, BUTTON_NAMES, dequantizeAxis, type InputEvent } from "../input/model.ts";
import {
  type AnyMessageSink,
  BATTERY_LEVELS,
  BATTERY_STATES,
  type ClockReply,
  type ClockRequest,
  dequantizeUnit,
  type FeedbackMessage,
  type PadInfo,
  TOUCH_STATES,
} from "./protocol.ts";

/** A non-input message a session can carry. */
export type ControlMessage =
  | { type: "goodbye"; code: number; reason: string }
  | { type: "ping"; id: number }
  | { type: "pong"; id: number }
  | { type: "capture_time"; us: number }
  | ({ type: "clock_request" } & ClockRequest)
  | ({ type: "clock_reply" } & ClockReply)
  | FeedbackMessage
  | { type: "motion_request"; pad: number; enable: boolean };

/** Anything the sink records. */
export type Recorded = InputEvent | ControlMessage;

/**
 * Records every call as an event. Raw indices and values are checked
 * against their wire ranges, so a decoder that lets a bad value through
 * makes the recorder throw a plain `Error` (which no test expects).
 */
export class RecordingSink implements AnyMessageSink {
  /** Everything delivered, in order. */
  readonly events: Recorded[] = [];

  /** Attached pad. */
  padAttach(pad: number, name: string, info?: PadInfo): void {
    checkPad(pad);
    if (typeof name !== "string") throw new Error(`pad name is not a string: ${name}`);
    this.events.push({ type: "pad", pad, attached: true, name, ...info });
  }

  /** Motion sample (floats as the wire's f32 gives them). */
  motion(
    pad: number,
    tUs: number,
    accel: [number, number, number],
    gyro: [number, number, number],
  ): void {
    checkPad(pad);
    this.events.push({ type: "motion", pad, accel, gyro, t_us: tUs });
  }

  /** Touch. */
  touch(
    pad: number,
    touchpad: number,
    finger: number,
    state: number,
    x: number,
    y: number,
    pressure: number,
  ): void {
    checkPad(pad);
    const name = TOUCH_STATES[state];
    if (name === undefined) throw new Error(`touch state ${state} delivered`);
    this.events.push({
      type: "touch",
      pad,
      touchpad,
      finger,
      state: name,
      x: dequantizeUnit(x),
      y: dequantizeUnit(y),
      pressure: dequantizeUnit(pressure),
    });
  }

  /** Battery. */
  battery(pad: number, level: number, state: number): void {
    checkPad(pad);
    const levelName = BATTERY_LEVELS[level];
    const stateName = BATTERY_STATES[state];
    if (levelName === undefined || stateName === undefined) throw new Error("battery delivered");
    this.events.push({ type: "battery", pad, level: levelName, state: stateName });
  }

  /** Detached pad. */
  padDetach(pad: number): void {
    checkPad(pad);
    this.events.push({ type: "pad", pad, attached: false });
  }

  /** Button change. */
  button(pad: number, button: number, pressed: boolean): void {
    checkPad(pad);
    const name = BUTTON_NAMES[button];
    if (name === undefined) throw new Error(`button index ${button} delivered`);
    this.events.push({ type: "button", pad, button: name, pressed });
  }

  /** Axis change. */
  axis(pad: number, axis: number, raw: number): void {
    checkPad(pad);
    const name = AXIS_NAMES[axis];
    if (name === undefined) throw new Error(`axis index ${axis} delivered`);
    if (!Number.isInteger(raw) || raw < -32768 || raw > 32767) {
      throw new Error(`axis value ${raw} delivered`);
    }
    this.events.push({ type: "axis", pad, axis: name, value: dequantizeAxis(raw) });
  }

  /** Key change. */
  key(key: string, scancode: string, pressed: boolean): void {
    if (typeof key !== "string" || typeof scancode !== "string") throw new Error("bad key");
    this.events.push({ type: "key", key, scancode, pressed });
  }

  /** GOODBYE. */
  goodbye(code: number, reason: string): void {
    this.events.push({ type: "goodbye", code, reason });
  }

  /** PING. */
  ping(id: number): void {
    this.events.push({ type: "ping", id });
  }

  /** PONG. */
  pong(id: number): void {
    this.events.push({ type: "pong", id });
  }

  /** RUMBLE. */
  rumble(pad: number, low: number, high: number, durationMs: number): void {
    checkPad(pad);
    this.events.push({ type: "rumble", pad, low, high, durationMs });
  }

  /** TRIGGER_RUMBLE. */
  triggerRumble(pad: number, left: number, right: number, durationMs: number): void {
    checkPad(pad);
    this.events.push({ type: "trigger_rumble", pad, left, right, durationMs });
  }

  /** MOTION_REQUEST. */
  motionRequest(pad: number, enable: boolean): void {
    checkPad(pad);
    this.events.push({ type: "motion_request", pad, enable });
  }

  /** LED. */
  led(pad: number, red: number, green: number, blue: number): void {
    checkPad(pad);
    this.events.push({ type: "led", pad, red, green, blue });
  }

  /** CAPTURE_TIME. */
  captureTime(us: number): void {
    this.events.push({ type: "capture_time", us });
  }

  /** CLOCK_REQUEST. */
  clockRequest(request: ClockRequest): void {
    this.events.push({ type: "clock_request", ...request });
  }

  /** CLOCK_REPLY. */
  clockReply(reply: ClockReply): void {
    this.events.push({ type: "clock_reply", ...reply });
  }
}

function checkPad(pad: number): void {
  if (!Number.isInteger(pad) || pad < 0 || pad > 15) throw new Error(`pad ${pad} delivered`);
}
