/**
 * Helpers for replays of a million events: a server whose JSON lines go
 * to a file instead of the test's memory, and replay files written as text.
 *
 * @module
 */

import { entrypointCommand, killQuietly } from "../tools/_spawn.ts";
import { Lines } from "./_util.ts";
import { nthButton } from "../tools/_bulk_replay.ts";

export { nthButton, writeButtonReplay } from "../tools/_bulk_replay.ts";

/** A `server.ts --json` process writing its stdout to a file. */
export interface FileServer extends AsyncDisposable {
  port: number;
  stderr: Lines;
  /** Stop it with SIGTERM and wait until the file holds everything it printed. */
  stop(): Promise<Deno.CommandStatus>;
}

/**
 * Start `server.ts --json --no-auth --host 127.0.0.1 --port 0 …` with its
 * stdout redirected to the file `output` by the shell, as a user would
 * (`> capture.jsonl`): the server writes straight to the file, never
 * waiting on this process to read a pipe.
 */
export async function startServerToFile(output: string, args: string[] = []): Promise<FileServer> {
  const child = entrypointCommand("server.ts", [
    "--json",
    "--no-auth",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...args,
  ], {
    env: { PADLINK_TEST_OUTPUT: output },
    wrapper: ["sh", "-c", 'exec "$@" > "$PADLINK_TEST_OUTPUT"', "sh"],
    stdout: "null",
  }).spawn();
  const stderr = new Lines(child.stderr);
  let listening: { port: number } | null = null;
  // Bounded: 15 s for the server to start and print its first line.
  for (let i = 0; i < 1500 && listening === null; i++) {
    const text = await Deno.readTextFile(output).catch(() => ""); // The shell creates it.
    const newline = text.indexOf("\n");
    if (newline > 0) listening = JSON.parse(text.slice(0, newline));
    else await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (listening === null) {
    child.kill("SIGKILL");
    await child.status;
    await stderr.done;
    throw new Error(`the server printed no listening line within 15 s:\n${stderr.text}`);
  }
  let stopped: Promise<Deno.CommandStatus> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      killQuietly(child, "SIGTERM");
      const status = await child.status;
      await stderr.done;
      return status;
    })();
    return stopped;
  };
  return {
    port: listening.port,
    stderr,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

/**
 * Wait until `output` holds `count` lines containing `needle` (the server's
 * stdout writer may still be catching up after its clients are done), for
 * at most `timeoutMs`.
 *
 * @returns the count found last
 */
export async function waitForLines(
  output: string,
  needle: string,
  count: number,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let found = 0;
  while (performance.now() < deadline) {
    const { stdout } = await new Deno.Command("grep", { args: ["-c", "-F", needle, output] })
      .output();
    found = Number(new TextDecoder().decode(stdout).trim()) || 0;
    if (found >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return found;
}

/**
 * Check that the server's output file holds `client`'s button events as
 * {@linkcode writeButtonReplay} wrote them, complete and in order.
 *
 * @returns how many were found in order, and the first line that was out of order
 */
export async function checkButtonOutput(
  output: string,
  clients: readonly string[],
  count: number,
): Promise<Map<string, { inOrder: number; firstWrong: string | null }>> {
  const results = new Map(
    clients.map((c) => [c, { inOrder: 0, firstWrong: null as string | null }]),
  );
  const prefixes = new Map(
    clients.map((c) => [`{"type":"button","client":${JSON.stringify(c)},`, c]),
  );
  // The button's keys, followed by the next key (latency_us, …) or the end of the object.
  const has = (line: string, keys: string) => {
    const at = line.indexOf(keys);
    const next = line[at + keys.length];
    return at > 0 && (next === "," || next === "}");
  };
  const expected = (k: number) => {
    const { button, pressed } = nthButton(k);
    return `"button":"${button}","pressed":${pressed}`;
  };
  const text = await Deno.readTextFile(output);
  let from = 0;
  while (from < text.length) {
    let to = text.indexOf("\n", from);
    if (to < 0) to = text.length;
    const line = text.slice(from, to);
    from = to + 1;
    const cut = line.indexOf('"t":');
    const client = cut > 0 ? prefixes.get(line.slice(0, cut)) : undefined;
    if (client === undefined) continue;
    const result = results.get(client)!;
    if (result.firstWrong !== null) continue;
    if (result.inOrder < count && has(line, expected(result.inOrder))) result.inOrder++;
    else if (result.inOrder < count || !has(line, '"pressed":false')) result.firstWrong = line;
  }
  return results;
}
