/**
 * Run by tests/web_netns_test.ts inside the client's network namespace: ask
 * a web view on a non-loopback address for its pages and socket with no
 * token, a wrong one and the right one, then for wrong tokens until they are
 * refused and the right one after them, and print what came back as one
 * JSON line.
 *
 * Usage: deno run --allow-net tests/_web_probe.ts URL TOKEN
 *
 * @module
 */

import { withDeadline } from "../lib/net/deadline.ts";

const [base, token] = Deno.args as [string, string];

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(base + path.replace(/^\//, ""), { redirect: "manual", headers });
  const body = await response.text();
  return {
    status: response.status,
    location: response.headers.get("location"),
    cookie: response.headers.get("set-cookie"),
    html: body.startsWith("<!doctype html>"),
  };
}

async function login(given: string, next: string) {
  const response = await fetch(base + "login", {
    method: "POST",
    redirect: "manual",
    headers: { origin: new URL(base).origin },
    body: new URLSearchParams({ token: given, next }),
  });
  await response.body?.cancel();
  return {
    status: response.status,
    location: response.headers.get("location"),
    cookie: response.headers.get("set-cookie"),
  };
}

async function socket(query: string): Promise<string> {
  const ws = new WebSocket(base.replace("http", "ws") + "events" + query);
  const answer = new Promise<string>((resolve) => {
    ws.onmessage = (message) => resolve(`message ${JSON.parse(message.data as string).type}`);
    ws.onerror = () => resolve("refused");
  });
  const result = await withDeadline(answer, 5000, () => "no answer");
  ws.close();
  return result;
}

const wrong = token.replace(/[0-9a-z]$/, (c) => (c === "a" ? "b" : "a"));
const right = await login(token, "/overlay?pad=0");
const cookie = right.cookie?.split(";")[0] ?? "";
console.log(JSON.stringify({
  dashboard: await get("/"),
  overlay: await get("/overlay?pad=0"),
  wrongQuery: await get(`/?token=${wrong}`),
  rightQuery: await get(`/overlay?token=${token}`),
  loginPage: await get("/login"),
  wrongLogin: await login(wrong, "/"),
  rightLogin: right,
  withCookie: await get("/", { cookie }),
  socketBare: await socket(""),
  socketWrong: await socket(`?token=${wrong}`),
  socketRight: await socket(`?token=${token}`),
  socketCookie: await new Promise((resolve) => {
    // Deno's WebSocket takes no cookie header; a raw upgrade carries it.
    resolve(upgradeWithCookie(cookie));
  }),
  // Last, as it blocks wrong tokens from this address: wrong ones until one is refused
  // outright (at most 10), then the right one.
  flood: await (async () => {
    const statuses: number[] = [];
    while (statuses.length < 10 && statuses.at(-1) !== 429) {
      statuses.push((await login(wrong, "/")).status);
    }
    return {
      statuses,
      blockedQuery: await get(`/?token=${wrong}`),
      right: await login(token, "/"),
    };
  })(),
}));

async function upgradeWithCookie(cookie: string): Promise<string> {
  const url = new URL(base);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  await conn.write(new TextEncoder().encode(
    `GET /events HTTP/1.1\r\nHost: ${url.host}\r\nCookie: ${cookie}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  ));
  const buffer = new Uint8Array(1024);
  const n = await conn.read(buffer);
  conn.close();
  return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split("\r\n")[0]!;
}
