/**
 * `deno task demo`: start padlink-server and padlink-client on loopback and
 * show the server printing a short scripted session. The client plays
 * `examples/demo_session.jsonl` through SDL virtual controllers, so the real
 * SDL path runs even without a controller plugged in.
 *
 * @module
 */

import { Deadline } from "../lib/net/deadline.ts";
import { generateToken } from "../lib/trust/auth.ts";
import { type Entrypoint, entrypointCommand, killQuietly, ROOT } from "./_spawn.ts";

function spawn(entry: Entrypoint, args: string[], env: Record<string, string> = {}) {
  return entrypointCommand(entry, args, { env }).spawn();
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let partial = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    yield* parts;
  }
  if (partial) yield partial;
}

// The demo's own token, given to both sides in PADLINK_TOKEN as the README suggests; it also
// leaves the token kept in the user's config directory alone.
const token = generateToken();
const server = spawn("server.ts", ["--host", "127.0.0.1", "--port", "0"], {
  PADLINK_TOKEN: token,
});
const serverLines = lines(server.stdout);
let port = "";
while (!port) {
  const next = await serverLines.next();
  if (next.done) {
    console.error("[demo] the server exited before it was ready");
    Deno.exit(1);
  }
  console.log(`[server] ${next.value}`);
  port ||= /listening on [^ ]+:(\d+)/.exec(next.value)?.[1] ?? "";
}
const serverErr = server.stderr.pipeTo(Deno.stderr.writable, { preventClose: true });

console.log(
  `[demo] starting padlink-client with virtual controllers from examples/demo_session.jsonl`,
);
const client = spawn("client.ts", [
  "--port",
  port,
  "--name",
  "demo",
  "--no-window",
  "--virtual",
  `${ROOT}examples/demo_session.jsonl`,
], { SDL_VIDEODRIVER: "dummy", PADLINK_TOKEN: token });

const printing = (async () => {
  while (true) {
    const next = await serverLines.next();
    if (next.done) return;
    console.log(`[server] ${next.value}`);
    if (/ disconnected /.test(next.value)) return;
  }
})();
const clientErr = (async () => {
  for await (const line of lines(client.stderr)) console.log(`[client] ${line}`);
})();
client.stdout.cancel();
const clientStatus = await client.status;
await clientErr;
{
  using _stopLate = new Deadline(3000, stopServer);
  await printing;
}
stopServer();
await server.status;
await serverErr.catch(() => {});
// Drain whatever the server printed while stopping.
for (let next = await serverLines.next(); !next.done; next = await serverLines.next()) {
  console.log(`[server] ${next.value}`);
}

function stopServer(): void {
  killQuietly(server, "SIGTERM");
}
if (clientStatus.code !== 0) {
  console.error(`[demo] the client exited with status ${clientStatus.code}`);
  Deno.exit(1);
}
console.log("[demo] done: every press above travelled client → SDL → TCP → server");
