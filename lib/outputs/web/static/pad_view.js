// One pad drawn as a controller: the skin's SVG (skins/*.svg) with buttons
// that light, sticks that move and triggers that fill.

import { element } from "./live.js";

/** The skins there are. */
export const SKINS = ["xbox", "playstation", "switch"];

const parsedSkins = new Map();

/** Fetch and parse every skin once; call before drawing a pad. */
export async function loadSkins() {
  await Promise.all(SKINS.map(async (name) => {
    const response = await fetch(`/static/skins/${name}.svg`);
    const svg = new DOMParser().parseFromString(await response.text(), "image/svg+xml");
    parsedSkins.set(name, svg.documentElement);
  }));
}

/** The pad types the server may name (SDL_GameControllerType), by skin. */
const KIND_SKINS = {
  xbox360: "xbox",
  xboxone: "xbox",
  ps3: "playstation",
  ps4: "playstation",
  ps5: "playstation",
  switchpro: "switch",
  joyconleft: "switch",
  joyconright: "switch",
  joyconpair: "switch",
};

/**
 * The skin for a pad: `skin=` when it names one, else the pad's type when
 * the server sends it, else a guess from its name, else Xbox.
 */
export function skinFor(pad, requested) {
  if (SKINS.includes(requested)) return requested;
  const byKind = KIND_SKINS[String(pad.kind ?? "").toLowerCase().replace(/[^a-z0-9]/g, "")];
  if (byKind) return byKind;
  const name = String(pad.name ?? "");
  if (/playstation|dualshock|dualsense|ps[345]\b|sony/i.test(name)) return "playstation";
  if (/nintendo|switch|joy-?con/i.test(name)) return "switch";
  return "xbox";
}

/** A drawn pad; {@link PadView.element} goes into the page. */
export class PadView {
  constructor(skin) {
    this.skin = skin;
    this.element = element("div", "pad-view");
    const svg = document.importNode(parsedSkins.get(skin), true);
    this.element.append(svg);
    this.buttons = new Map();
    for (const node of svg.querySelectorAll("[data-button]")) {
      this.buttons.set(node.dataset.button, node);
    }
    this.dots = new Map();
    for (const node of svg.querySelectorAll("[data-stick-dot]")) {
      const range = Number(node.closest("[data-range]")?.dataset.range ?? 12);
      this.dots.set(node.dataset.stickDot, { node, range, x: 0, y: 0 });
    }
    this.triggers = new Map();
    for (const node of svg.querySelectorAll("[data-trigger]")) {
      this.triggers.set(node.dataset.trigger, node);
      node.style.transform = "scaleY(0)";
    }
  }

  /** Light or un-light one button. */
  setButton(button, pressed) {
    this.buttons.get(button)?.classList.toggle("on", pressed);
  }

  /** Move a stick or fill a trigger. */
  setAxis(axis, value) {
    const trigger = this.triggers.get(axis);
    if (trigger) {
      trigger.style.transform = `scaleY(${Math.max(0, Math.min(1, value))})`;
      return;
    }
    const stick = this.dots.get(axis.startsWith("left") ? "left" : "right");
    if (!stick) return;
    if (axis.endsWith("x")) stick.x = value;
    else stick.y = value;
    stick.node.setAttribute(
      "transform",
      `translate(${(stick.x * stick.range).toFixed(2)} ${(stick.y * stick.range).toFixed(2)})`,
    );
  }

  /** Show a pad's whole state (after a snapshot or a reconnect). */
  show(pad) {
    for (const [button, node] of this.buttons) node.classList.toggle("on", pad.buttons.has(button));
    for (const axis of ["leftx", "lefty", "rightx", "righty", "lefttrigger", "righttrigger"]) {
      this.setAxis(axis, pad.axes.get(axis) ?? 0);
    }
  }
}
