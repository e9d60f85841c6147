/**
 * The raw Deno floor server (`_idle_floor.ts`) as a helper for the
 * throughput and resource sections.
 *
 * @module
 */

import { sleep } from "../lib/net/deadline.ts";
import { readFirstLine, ROOT } from "./_server.ts";

/** Bytes of each line the floor server writes, newline included. */
export const FLOOR_LINE_BYTES = 71;

/**
 * Run `fn` against the raw Deno floor server (`_idle_floor.ts`), its stdout
 * going to a file as the real server's does.
 *
 * @param heartbeatMs how often it sends every connection a heartbeat
 * @param bytesPerLine it writes one line per this many bytes read; 0 for none
 */
export async function withFloor<T>(
  heartbeatMs: number,
  bytesPerLine: number,
  fn: (pid: number, port: number, output: string) => Promise<T>,
): Promise<T> {
  const output = await Deno.makeTempFile({ prefix: "padlink-bench-", suffix: ".jsonl" });
  const args = [
    "run",
    "--quiet",
    "--allow-net",
    `${ROOT}bench/_idle_floor.ts`,
    String(heartbeatMs),
  ];
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'exec "$0" "$@" > "$PADLINK_BENCH_OUT"',
      Deno.execPath(),
      ...args,
      String(bytesPerLine),
    ],
    env: { PADLINK_BENCH_OUT: output },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.getReader();
  try {
    const { line } = await readFirstLine(stderr, 15_000);
    await sleep(500);
    return await fn(child.pid, Number(line), output);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await stderr.cancel().catch(() => {});
    await Deno.remove(output).catch(() => {});
  }
}
