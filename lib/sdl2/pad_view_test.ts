import assert from "node:assert/strict";
import { BUTTON_NAMES, InputState } from "../input/model.ts";
import {
  buttonRect,
  COLORS,
  type DrawOp,
  PAD_SLOTS,
  padViewOps,
  VIEW_HEIGHT,
  VIEW_WIDTH,
} from "./pad_view.ts";

function attached(...pads: number[]): InputState {
  const state = new InputState();
  for (const pad of pads) state.apply({ type: "pad", pad, attached: true, name: `pad ${pad}` });
  return state;
}

function fills(ops: DrawOp[], color: readonly number[]) {
  return ops.flatMap((o) => o.op === "fill" && o.color === color ? [o.rect] : []);
}

Deno.test("padViewOps draws a pressed button as a filled square where buttonRect says", () => {
  const state = attached(0);
  assert.deepEqual(fills(padViewOps(state), COLORS.pressed), []);
  state.apply({ type: "button", pad: 0, button: "dpup", pressed: true });
  assert.deepEqual(fills(padViewOps(state), COLORS.pressed), [buttonRect(0, "dpup")]);
  const outlines = padViewOps(state).filter((o) =>
    o.op === "outline" && o.color === COLORS.released
  );
  // Every other button is an outline; plus the two trigger frames.
  assert.equal(outlines.length, BUTTON_NAMES.length - 1 + 2);
});

Deno.test("padViewOps moves a stick's dot with its axes and fills a trigger from the bottom", () => {
  const state = attached(0);
  const [centre] = fills(padViewOps(state), COLORS.stick);
  state.apply({ type: "axis", pad: 0, axis: "leftx", value: 1 });
  state.apply({ type: "axis", pad: 0, axis: "lefty", value: -1 });
  const [moved] = fills(padViewOps(state), COLORS.stick);
  assert.ok(
    moved!.x > centre!.x + 15 && moved!.y < centre!.y - 15,
    JSON.stringify({ centre, moved }),
  );
  assert.deepEqual(fills(padViewOps(state), COLORS.trigger), []);
  state.apply({ type: "axis", pad: 0, axis: "righttrigger", value: 0.5 });
  const [half] = fills(padViewOps(state), COLORS.trigger);
  state.apply({ type: "axis", pad: 0, axis: "righttrigger", value: 1 });
  const [full] = fills(padViewOps(state), COLORS.trigger);
  assert.equal(half!.y + half!.h, full!.y + full!.h, "both fill up from the same bottom");
  assert.ok(full!.h > half!.h * 1.8, JSON.stringify({ half, full }));
});

Deno.test("padViewOps keeps every shape inside the window, slots apart, and skips pads beyond the slots", () => {
  const state = attached(0, 1, 2, 3, PAD_SLOTS);
  for (const pad of [0, 1, 2, 3, PAD_SLOTS]) {
    for (const button of BUTTON_NAMES) state.apply({ type: "button", pad, button, pressed: true });
  }
  const ops = padViewOps(state);
  for (const op of ops) {
    const points = op.op === "points"
      ? op.points
      : [[op.rect.x, op.rect.y], [op.rect.x + op.rect.w, op.rect.y + op.rect.h]] as const;
    for (const [x, y] of points) {
      assert.ok(x >= 0 && x <= VIEW_WIDTH && y >= 0 && y <= VIEW_HEIGHT, JSON.stringify(op));
    }
  }
  assert.equal(fills(ops, COLORS.pressed).length, PAD_SLOTS * BUTTON_NAMES.length);
  assert.ok(buttonRect(1, "a").y > buttonRect(0, "touchpad").y + 12);
});

Deno.test("padViewOps outlines empty slots in their own colour", () => {
  const ops = padViewOps(new InputState());
  const empty = ops.filter((o) => o.op === "outline" && o.color === COLORS.emptySlot);
  assert.equal(empty.length, PAD_SLOTS);
});
