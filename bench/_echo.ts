/**
 * The floor for the latency section: raw Deno TCP with no padlink code.
 * Listens on 127.0.0.1 (any free port), prints the port on the first line
 * of stdout, accepts one connection with Nagle off, and then either echoes
 * every byte back (`echo`) or copies every byte to stdout (`relay`, the same
 * TCP-in, pipe-out shape as `padlink-server --json`). Exits at EOF.
 *
 * Usage: `deno run --allow-net bench/_echo.ts echo|relay`
 *
 * @module
 */

const mode = Deno.args[0];
if (mode !== "echo" && mode !== "relay") {
  console.error("usage: _echo.ts echo|relay");
  Deno.exit(2);
}
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
Deno.stdout.writeSync(new TextEncoder().encode(`${(listener.addr as Deno.NetAddr).port}\n`));
const conn = await listener.accept();
listener.close();
conn.setNoDelay(true);
const buffer = new Uint8Array(16 * 1024);
while (true) {
  const n = await conn.read(buffer);
  if (n === null) break;
  const bytes = buffer.subarray(0, n);
  if (mode === "echo") {
    let offset = 0;
    while (offset < n) offset += await conn.write(bytes.subarray(offset));
  } else {
    let offset = 0;
    while (offset < n) offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }
}
conn.close();
