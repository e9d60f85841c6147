// GET /: every client with its address, connection time, events/s, latency
// and round trip; each pad drawn live; held keys as key caps. Names are set
// as text only.

import { connectLive, element, eventsPerSecond, LiveState, statsText } from "./live.js";
import { loadSkins, PadView, skinFor } from "./pad_view.js";

const state = new LiveState();
const list = document.getElementById("clients");
const empty = document.getElementById("empty");
const status = document.getElementById("status");
/** Per client name: { card, pads: Map(number → { figure, view }), keys, rate }. */
const cards = new Map();

function cardFor(client) {
  let card = cards.get(client.name);
  if (card) return card;
  const root = element("section", "client");
  root.dataset.client = client.name;
  const title = element("h2", "name", client.name);
  const since = new Date(client.connectedAt);
  const meta = element("p", "meta");
  meta.append(
    element("span", "addr", client.addr),
    element("span", "since", `connected ${since.toLocaleTimeString()}`),
  );
  const rate = element("span", "rate", "0 events/s");
  const latency = element("span", "latency", "");
  meta.append(rate, latency);
  const pads = element("div", "pads");
  const keys = element("div", "keys");
  root.append(title, meta, pads, keys);
  list.append(root);
  card = { root, padsBox: pads, pads: new Map(), keys, rate, latency };
  cards.set(client.name, card);
  return card;
}

function syncKeys(card, client) {
  card.keys.replaceChildren(...[...client.keys.keys()].map((key) => {
    const cap = element("kbd", "key on", key);
    cap.dataset.key = key;
    return cap;
  }));
}

function syncPads(card, client) {
  for (const [number, entry] of card.pads) {
    if (!client.pads.has(number)) {
      entry.figure.remove();
      card.pads.delete(number);
    }
  }
  for (const [number, pad] of client.pads) {
    let entry = card.pads.get(number);
    if (!entry || entry.name !== pad.name) {
      entry?.figure.remove();
      const view = new PadView(skinFor(pad));
      const figure = element("figure", "pad");
      figure.dataset.pad = String(number);
      figure.append(view.element, element("figcaption", "", `pad ${number}: ${pad.name}`));
      const after = [...card.pads.keys()].filter((n) => n > number).sort((a, b) => a - b)[0];
      card.padsBox.insertBefore(figure, after === undefined ? null : card.pads.get(after).figure);
      entry = { figure, view, name: pad.name };
      card.pads.set(number, entry);
    }
    entry.view.show(pad);
  }
}

/** Make the page match the state: cards, pads and keys. */
function syncAll() {
  for (const [name, card] of cards) {
    if (!state.clients.has(name)) {
      card.root.remove();
      cards.delete(name);
    }
  }
  for (const client of state.clients.values()) {
    const card = cardFor(client);
    syncPads(card, client);
    syncKeys(card, client);
  }
  empty.hidden = state.clients.size > 0;
}

function onMessage(message) {
  state.apply(message);
  const client = state.clients.get(message.client);
  const card = client && cards.get(client.name);
  if (card && message.type === "button") {
    card.pads.get(message.pad)?.view.setButton(message.button, message.pressed);
  } else if (card && message.type === "axis") {
    card.pads.get(message.pad)?.view.setAxis(message.axis, message.value);
  } else if (card && message.type === "key") {
    syncKeys(card, client);
  } else if (card && message.type === "stats") {
    card.latency.textContent = statsText(client);
  } else if (message.type !== "stats") {
    syncAll();
  }
}

setInterval(() => {
  const now = performance.now();
  for (const [name, card] of cards) {
    const client = state.clients.get(name);
    if (client) card.rate.textContent = `${eventsPerSecond(client, now)} events/s`;
  }
}, 500);

await loadSkins();
syncAll();
connectLive(onMessage, (now) => {
  status.textContent = now;
  status.dataset.status = now;
});
