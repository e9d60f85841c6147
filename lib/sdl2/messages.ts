/**
 * The messages between {@linkcode SdlInput} (main thread) and its SDL worker.
 *
 * Commands go to the worker with `postMessage`, and each one also bumps
 * `control[CONTROL_POSTED]` and `Atomics.notify`s it: the worker sleeps in
 * `Atomics.wait` on that cell, so a command wakes it at once, and the count
 * tells it how many messages to wait for before it goes back to SDL.
 *
 * @module
 */

import type { InputEvent } from "../input/model.ts";
import type { PadFeedback } from "../input/feedback_pacer.ts";

/** Why feedback was stopped outside the sender's control. */
export type FeedbackStopReason = "disconnect" | "detach" | "exit";

/** What a virtual controller's Rumble, RumbleTriggers or SetLED callback received from SDL. */
export type VirtualFeedback =
  | { type: "rumble"; low: number; high: number }
  | { type: "trigger_rumble"; left: number; right: number }
  | { type: "led"; red: number; green: number; blue: number };

/** Index in the control `Int32Array` of the count of commands posted. */
export const CONTROL_POSTED = 0;
/** Length of the control `Int32Array`. */
export const CONTROL_LENGTH = 1;

/** What the worker needs to start SDL. */
export interface WorkerInit {
  /** The message's kind. */
  op: "init";
  /** A SharedArrayBuffer holding an `Int32Array(CONTROL_LENGTH)`. */
  control: SharedArrayBuffer;
  /** Open the keyboard window. */
  window: boolean;
  /** The window's first title. */
  title: string;
  /** Stick deadzone, 0..1 (`--deadzone`). */
  deadzone: number;
  /** Most stick and trigger updates per axis per second (`--rate`). */
  rateHz: number;
  /** Turn on the accelerometer and gyro of every pad that has them. */
  motion: boolean;
  /** An SDL `gamecontrollerdb.txt` to load (`--mappings`). */
  mappingsFile?: string;
  /** Where SDL2 is (`PADLINK_SDL2`); default the platform's search. */
  libraryPath?: string;
}

/** One joystick as SDL enumerates it, for `padlink-client --list`. */
export interface ControllerInfo {
  /** SDL's device index. */
  index: number;
  /** The name SDL reports ("" when it has none). */
  name: string;
  /** The controller type SDL guesses from its ids, e.g. "Xbox One", "PS5", "virtual". */
  type: string;
  /** The joystick GUID as 32 hex digits, the key of gamecontrollerdb.txt lines. */
  guid: string;
  /** Whether SDL has a GameController mapping for it (without one it is ignored). */
  mapped: boolean;
}

/** A command for the running worker. */
export type WorkerCommand =
  | { op: "title"; text: string }
  | {
    op: "attachVirtual";
    id: number;
    name: string;
    vendor: number;
    product: number;
    /** The pad number it should get when free. */
    pad?: number;
    reply: number;
  }
  | { op: "feedback"; pad: number; feedback: PadFeedback }
  | { op: "stopFeedback"; reason: FeedbackStopReason }
  | { op: "sensors"; pad: number; enable: boolean }
  | { op: "detachVirtual"; id: number; reply: number }
  | { op: "virtualButton"; id: number; button: number; pressed: boolean }
  | { op: "virtualAxis"; id: number; axis: number; value: number }
  | { op: "pushKey"; key: string; scancode: string; pressed: boolean }
  | { op: "list"; reply: number }
  | { op: "sync"; reply: number }
  | { op: "close" };

/** A message from the worker. */
export type WorkerReport =
  | { type: "ready"; version: string }
  | { type: "failed"; name: string; message: string }
  | { type: "input"; events: InputEvent[]; polledAt: number }
  | {
    type: "feedback";
    pad: number;
    feedback: PadFeedback;
    applied: boolean;
    reason?: FeedbackStopReason;
  }
  | { type: "virtualFeedback"; id: number; feedback: VirtualFeedback; at: number }
  | { type: "quit"; reason?: string }
  | { type: "reply"; reply: number; error?: string; controllers?: ControllerInfo[] }
  | { type: "error"; message: string }
  | { type: "closed" };
