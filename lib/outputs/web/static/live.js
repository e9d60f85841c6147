// The page's side of GET /events: the state of every client as the
// WebSocket tells it, and a socket that reconnects (and so resyncs from a
// fresh snapshot) whenever it closes.

/** Most input timestamps kept per client for its events/s. */
const RATE_WINDOW_MAX = 10000;

/** A client as the page knows it. */
function newClient(name, addr, connectedAt) {
  return { name, addr, connectedAt, pads: new Map(), keys: new Map(), times: [] };
}

/** A pad as the page knows it: held buttons, axis values, and its type when the server sends one. */
function newPad(name, kind) {
  return { name, kind, buttons: new Set(), axes: new Map() };
}

function applyInput(client, event) {
  switch (event.type) {
    case "pad":
      if (event.attached) client.pads.set(event.pad, newPad(event.name ?? "", event.kind));
      else client.pads.delete(event.pad);
      break;
    case "button": {
      const pad = client.pads.get(event.pad);
      if (!pad) break;
      if (event.pressed) pad.buttons.add(event.button);
      else pad.buttons.delete(event.button);
      break;
    }
    case "axis":
      client.pads.get(event.pad)?.axes.set(event.axis, event.value);
      break;
    case "key":
      if (event.pressed) client.keys.set(event.key, event.scancode);
      else client.keys.delete(event.key);
      break;
  }
}

/** Every client and what it holds, kept up to date by {@link LiveState.apply}. */
export class LiveState {
  /** Clients by name, in the order they connected. */
  clients = new Map();

  /** Take one message from the socket. */
  apply(message) {
    switch (message.type) {
      case "snapshot":
        this.clients.clear();
        for (const entry of message.clients ?? []) {
          const client = newClient(entry.client, entry.addr, entry.connectedAt);
          this.clients.set(entry.client, client);
          for (const input of entry.inputs ?? []) applyInput(client, input);
        }
        break;
      case "connect":
        this.clients.set(message.client, newClient(message.client, message.addr, Date.now()));
        break;
      case "disconnect":
        this.clients.delete(message.client);
        break;
      case "stats": {
        const client = this.clients.get(message.client);
        if (client) client.stats = message;
        break;
      }
      default: {
        const client = this.clients.get(message.client);
        if (!client) break;
        applyInput(client, message);
        client.times.push(performance.now());
        if (client.times.length > RATE_WINDOW_MAX) client.times.splice(0, RATE_WINDOW_MAX / 2);
      }
    }
  }
}

/** Microseconds as milliseconds in two significant figures, as the server's stats lines write them. */
function ms(us) {
  const value = us / 1000;
  return `${value >= 100 ? Math.round(value) : Number(value.toPrecision(2))} ms`;
}

/**
 * A client's latest `stats` record as text, the figures of the server's
 * stats line: `latency p50 0.31 ms p99 0.9 ms max 1.2 ms, rtt 0.4 ms`;
 * empty before the first record.
 */
export function statsText(client) {
  const stats = client.stats;
  if (!stats) return "";
  const parts = [];
  const latency = stats.latency_us;
  if (latency) {
    parts.push(`latency p50 ${ms(latency.p50)} p99 ${ms(latency.p99)} max ${ms(latency.max)}`);
  }
  if (typeof stats.rtt_us === "number") parts.push(`rtt ${ms(stats.rtt_us)}`);
  return parts.join(", ");
}

/** Input events a client sent in the last second. */
export function eventsPerSecond(client, now = performance.now()) {
  const times = client.times;
  let first = 0;
  while (first < times.length && now - times[first] > 1000) first++;
  if (first > 0) times.splice(0, first);
  return times.length;
}

/**
 * Open /events (passing the page's ?token= on, for an OBS browser source)
 * and call onMessage for each message with a type; reconnect after a close.
 */
export function connectLive(onMessage, onStatus = () => {}) {
  const token = new URLSearchParams(location.search).get("token");
  let delay = 250;
  const open = () => {
    const url = new URL("/events", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    if (token !== null) url.searchParams.set("token", token);
    const socket = new WebSocket(url);
    socket.onopen = () => {
      delay = 250;
      onStatus("live");
    };
    socket.onmessage = (message) => {
      let parsed;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      if (parsed !== null && typeof parsed.type === "string") onMessage(parsed);
    };
    socket.onclose = () => {
      onStatus("reconnecting");
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };
  open();
}

/** Make an element with a class and, optionally, text (always as text, never as HTML). */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
