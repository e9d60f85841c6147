// GET /overlay?client=NAME&pad=N&skin=&scale=&keys=: one pad on a
// transparent background for an OBS browser source. A client or pad that is
// not there yet appears as soon as it connects.

import { connectLive, element, LiveState } from "./live.js";
import { loadSkins, PadView, skinFor } from "./pad_view.js";

const params = new URLSearchParams(location.search);
const wantedClient = params.get("client");
const wantedPad = Number(params.get("pad") ?? 0);
const skin = params.get("skin") ?? "";
const scale = Math.max(0.1, Math.min(10, Number(params.get("scale") ?? 1) || 1));
/** Key names as SDL spells them; `space` is SDL's `Space`, matched case-insensitively. */
const wantedKeys = (params.get("keys") ?? "").split(",").map((k) => k.trim()).filter(Boolean);

document.documentElement.style.setProperty("--scale", String(scale));
const state = new LiveState();
const stage = document.getElementById("stage");
const padBox = element("div", "overlay-pad");
const keyBox = element("div", "keys");
stage.append(padBox, keyBox);
const caps = wantedKeys.map((key) => {
  const cap = element("kbd", "key", key.length === 1 ? key.toUpperCase() : key);
  cap.dataset.key = key.toLowerCase();
  keyBox.append(cap);
  return cap;
});
let shown = null; // { client, view, name }

function target() {
  if (wantedClient !== null) return state.clients.get(wantedClient);
  for (const client of state.clients.values()) if (client.pads.has(wantedPad)) return client;
  return state.clients.values().next().value;
}

function sync() {
  const client = target();
  const pad = client?.pads.get(wantedPad);
  if (!pad) {
    padBox.replaceChildren();
    shown = null;
  } else if (!shown || shown.client !== client.name || shown.name !== pad.name) {
    const view = new PadView(skinFor(pad, skin));
    padBox.replaceChildren(view.element);
    padBox.dataset.client = client.name;
    padBox.dataset.pad = String(wantedPad);
    shown = { client: client.name, view, name: pad.name };
  }
  if (shown) shown.view.show(pad);
  const held = new Set([...(client?.keys.keys() ?? [])].map((key) => key.toLowerCase()));
  for (const cap of caps) cap.classList.toggle("on", held.has(cap.dataset.key));
}

function onMessage(message) {
  state.apply(message);
  if (shown && message.client === shown.client && message.pad === wantedPad) {
    if (message.type === "button") return shown.view.setButton(message.button, message.pressed);
    if (message.type === "axis") return shown.view.setAxis(message.axis, message.value);
  }
  sync();
}

await loadSkins();
connectLive(onMessage);
