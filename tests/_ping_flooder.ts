/**
 * A process of peers that flood PINGs, for tests/hostile_control_test.ts:
 * `deno run --allow-net tests/_ping_flooder.ts PORT TOKEN PEERS MS`. Each of
 * PEERS peers joins with the token, floods PINGs until the server drops it,
 * and joins again, for MS milliseconds; then it prints how many times the
 * peers were dropped and exits. A process of its own, so that the flood does
 * not slow the test's measurement of the honest client.
 *
 * @module
 */

import { closeQuietly } from "../lib/net/close_quietly.ts";
import { encodeFrame } from "../lib/wire/frame.ts";
import { encodePing, MessageType } from "../lib/wire/protocol.ts";
import { rawJoin } from "./_fault_util.ts";

/** A frame of 800 PINGs: 4 KB of control messages, each of which asks for a PONG. */
const PING_FRAME = (() => {
  const body = new Uint8Array(800 * 5);
  for (let i = 0; i < 800; i++) body.set(encodePing(MessageType.PING, i).subarray(2), i * 5);
  return encodeFrame(body);
})();

async function flooder(port: number, token: string, n: number, until: number): Promise<number> {
  let drops = 0;
  for (let round = 0; performance.now() < until && round < 10_000; round++) {
    let conn: Deno.TcpConn;
    try {
      ({ conn } = await rawJoin(port, `flood${n}`, token));
    } catch {
      continue; // Refused or reset while the server is busy: try again.
    }
    try {
      // Bounded: the server drops us after its control budget.
      for (let i = 0; i < 10_000 && performance.now() < until; i++) await conn.write(PING_FRAME);
    } catch {
      drops++;
    } finally {
      closeQuietly(conn);
    }
  }
  return drops;
}

if (import.meta.main) {
  const [port, token, peers, ms] = Deno.args;
  const until = performance.now() + Number(ms);
  const drops = await Promise.all(
    Array.from({ length: Number(peers) }, (_, n) => flooder(Number(port), token!, n, until)),
  );
  console.log(`dropped ${drops.reduce((a, b) => a + b, 0)}`);
}
