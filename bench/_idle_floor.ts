/**
 * The floor for the server CPU and memory figures: a raw Deno TCP server
 * with no padlink code that carries the same traffic as `padlink-server`.
 * It accepts connections (Nagle off), reads each one in a loop, and every
 * `HB` ms writes a 2-byte heartbeat to every connection, as the server's
 * tick does. With `lines`, it also writes one fixed 70-byte line to stdout
 * per 5 bytes read (one per button event, as `--json` does), one write per
 * read; otherwise it drops what it reads. Prints its port first.
 *
 * Usage: `deno run --allow-net bench/_idle_floor.ts HB [lines]`
 *
 * @module
 */

const heartbeatMs = Number(Deno.args[0] ?? 250);
const bytesPerLine = Number(Deno.args[1] ?? 0);
const line = new TextEncoder().encode(
  '{"type":"button","client":"load0","pad":0,"button":"a","pressed":true}\n',
);
const heartbeat = new Uint8Array(2);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
Deno.stderr.writeSync(new TextEncoder().encode(`${(listener.addr as Deno.NetAddr).port}\n`));
const conns = new Set<Deno.TcpConn>();
setInterval(() => {
  for (const conn of conns) conn.write(heartbeat).catch(() => conns.delete(conn));
}, heartbeatMs);
for await (const conn of listener) {
  conn.setNoDelay(true);
  conns.add(conn);
  (async () => {
    const buffer = new Uint8Array(1024);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        const events = bytesPerLine > 0 ? Math.floor(n / bytesPerLine) : 0;
        if (events > 0) {
          const out = new Uint8Array(events * line.length);
          for (let i = 0; i < events; i++) out.set(line, i * line.length);
          let offset = 0;
          while (offset < out.length) offset += Deno.stdout.writeSync(out.subarray(offset));
        }
      }
    } catch {
      // Reset.
    }
    conns.delete(conn);
    conn.close();
  })();
}
