/**
 * What the padlink window draws: each attached pad's live state as plain
 * shapes (no text, so no font library). Buttons are squares, filled while
 * pressed; sticks are dots in circles; triggers are bars that fill from the
 * bottom. This module only computes the shapes; the SDL worker draws them
 * with SDL_Renderer primitives.
 *
 * One panel per pad slot, stacked top to bottom; pad N is drawn in slot N,
 * and pads beyond {@linkcode PAD_SLOTS} are not drawn.
 *
 * @module
 */

import { type AxisName, BUTTON_NAMES, type ButtonName, type InputState } from "../input/model.ts";

/** An SDL_Rect: position and size in window pixels. */
export interface Rect {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  w: number;
  /** Height. */
  h: number;
}

/** An opaque RGB colour. */
export type Rgb = readonly [number, number, number];

/** One drawing step: fill or outline a rectangle, or plot points. */
export type DrawOp =
  | { op: "fill"; color: Rgb; rect: Rect }
  | { op: "outline"; color: Rgb; rect: Rect }
  | { op: "points"; color: Rgb; points: readonly (readonly [number, number])[] };

/** How many pads the window has room for. */
export const PAD_SLOTS = 4;
/** Margin around and between panels, in pixels. */
const MARGIN = 4;
/** Height of one pad's panel, in pixels. */
const PANEL_HEIGHT = 72;
/** Side of a button square, and the step from one square to the next. */
const BUTTON_SIZE = 12;
const BUTTON_STEP = 16;
/** Buttons per row of the grid (21 buttons: 7 × 3). */
const BUTTON_COLUMNS = 7;
/** Stick circle radius and dot size, in pixels. */
const STICK_RADIUS = 24;
const STICK_DOT = 6;
/** Trigger bar size, in pixels. */
const TRIGGER_WIDTH = 10;
const TRIGGER_HEIGHT = 56;
/** Left edges within a panel, in pixels. */
const LEFT_TRIGGER_X = 8;
const LEFT_STICK_CENTER_X = 52;
const BUTTONS_X = 88;
const RIGHT_STICK_CENTER_X = 236;
const RIGHT_TRIGGER_X = 272;

/** The window's width, in pixels: one panel and its margins. */
export const VIEW_WIDTH: number = RIGHT_TRIGGER_X + TRIGGER_WIDTH + 8 + 2 * MARGIN;
/** The window's height, in pixels: room for {@linkcode PAD_SLOTS} panels. */
export const VIEW_HEIGHT: number = MARGIN + PAD_SLOTS * (PANEL_HEIGHT + MARGIN);

/** Colours of the view. */
export const COLORS = {
  background: [32, 32, 32],
  emptySlot: [56, 56, 56],
  panel: [120, 120, 120],
  released: [150, 150, 150],
  pressed: [80, 220, 100],
  stick: [240, 200, 60],
  trigger: [240, 140, 40],
} as const satisfies Record<string, Rgb>;

function panelRect(slot: number): Rect {
  return {
    x: MARGIN,
    y: MARGIN + slot * (PANEL_HEIGHT + MARGIN),
    w: VIEW_WIDTH - 2 * MARGIN,
    h: PANEL_HEIGHT,
  };
}

/**
 * Where a button's square is drawn.
 *
 * @param slot the pad's slot (its pad number)
 * @param button the button
 * @returns the square, in window pixels
 *
 * @example Usage
 * ```ts
 * import { buttonRect } from "./pad_view.ts";
 * const a = buttonRect(0, "a");
 * if (a.w !== 12 || a.h !== 12) throw new Error("squares");
 * ```
 */
export function buttonRect(slot: number, button: ButtonName): Rect {
  const index = BUTTON_NAMES.indexOf(button);
  if (index < 0) throw new RangeError(`Unknown button "${button}"`);
  const panel = panelRect(slot);
  return {
    x: panel.x + BUTTONS_X + (index % BUTTON_COLUMNS) * BUTTON_STEP,
    y: panel.y + 12 + Math.floor(index / BUTTON_COLUMNS) * BUTTON_STEP,
    w: BUTTON_SIZE,
    h: BUTTON_SIZE,
  };
}

/** A circle's outline as points, one per degree step of 1 px. */
function circle(cx: number, cy: number, r: number): [number, number][] {
  const points: [number, number][] = [];
  const steps = Math.ceil(2 * Math.PI * r);
  for (let i = 0; i < steps; i++) {
    const angle = (2 * Math.PI * i) / steps;
    points.push([Math.round(cx + r * Math.cos(angle)), Math.round(cy + r * Math.sin(angle))]);
  }
  return points;
}

function stick(ops: DrawOp[], cx: number, cy: number, x: number, y: number): void {
  ops.push({ op: "points", color: COLORS.released, points: circle(cx, cy, STICK_RADIUS) });
  const reach = STICK_RADIUS - STICK_DOT / 2;
  ops.push({
    op: "fill",
    color: COLORS.stick,
    rect: {
      x: Math.round(cx + x * reach - STICK_DOT / 2),
      y: Math.round(cy + y * reach - STICK_DOT / 2),
      w: STICK_DOT,
      h: STICK_DOT,
    },
  });
}

function trigger(ops: DrawOp[], x: number, y: number, value: number): void {
  const frame = { x, y, w: TRIGGER_WIDTH, h: TRIGGER_HEIGHT };
  ops.push({ op: "outline", color: COLORS.released, rect: frame });
  const filled = Math.round(Math.min(1, Math.max(0, value)) * (TRIGGER_HEIGHT - 2));
  if (filled > 0) {
    ops.push({
      op: "fill",
      color: COLORS.trigger,
      rect: { x: x + 1, y: y + TRIGGER_HEIGHT - 1 - filled, w: TRIGGER_WIDTH - 2, h: filled },
    });
  }
}

/**
 * The shapes that show `state`: a background, then for each slot either an
 * empty outline or the pad's buttons, sticks and triggers.
 *
 * @param state the pads as the window should show them
 * @returns drawing steps, in order (later ones paint over earlier ones)
 *
 * @example Usage
 * ```ts
 * import { InputState } from "../input/model.ts";
 * import { COLORS, padViewOps } from "./pad_view.ts";
 * const state = new InputState();
 * state.apply({ type: "pad", pad: 0, attached: true, name: "P" });
 * state.apply({ type: "button", pad: 0, button: "a", pressed: true });
 * const filled = padViewOps(state).filter((o) => o.op === "fill" && o.color === COLORS.pressed);
 * if (filled.length !== 1) throw new Error("one pressed square");
 * ```
 */
export function padViewOps(state: InputState): DrawOp[] {
  const ops: DrawOp[] = [{
    op: "fill",
    color: COLORS.background,
    rect: { x: 0, y: 0, w: VIEW_WIDTH, h: VIEW_HEIGHT },
  }];
  for (let slot = 0; slot < PAD_SLOTS; slot++) {
    const panel = panelRect(slot);
    const pad = state.padState(slot);
    if (!pad) {
      ops.push({ op: "outline", color: COLORS.emptySlot, rect: panel });
      continue;
    }
    ops.push({ op: "outline", color: COLORS.panel, rect: panel });
    const axis = (name: AxisName) => pad.axes.get(name) ?? 0;
    const top = panel.y + (PANEL_HEIGHT - TRIGGER_HEIGHT) / 2;
    const middle = panel.y + PANEL_HEIGHT / 2;
    trigger(ops, panel.x + LEFT_TRIGGER_X, top, axis("lefttrigger"));
    stick(ops, panel.x + LEFT_STICK_CENTER_X, middle, axis("leftx"), axis("lefty"));
    for (const button of BUTTON_NAMES) {
      const rect = buttonRect(slot, button);
      ops.push(
        pad.buttons.has(button)
          ? { op: "fill", color: COLORS.pressed, rect }
          : { op: "outline", color: COLORS.released, rect },
      );
    }
    stick(ops, panel.x + RIGHT_STICK_CENTER_X, middle, axis("rightx"), axis("righty"));
    trigger(ops, panel.x + RIGHT_TRIGGER_X, top, axis("righttrigger"));
  }
  return ops;
}
