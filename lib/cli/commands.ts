/**
 * `padlink-server --commands`: feedback commands as JSON lines on stdin, one
 * per line, in the form every source uses (`{"type":"rumble","client":…}`).
 * A bad line (not JSON, a wrong field, an unknown client) gets one error line
 * naming its line number and is otherwise ignored: the server never stops
 * over a command, and stdin ending stops only the reading.
 *
 * @module
 */

import type { CommandResult, FeedbackCommand } from "../server/output.ts";

/** Longest command line read, in bytes; a longer line is refused, not buffered. */
export const MAX_COMMAND_LINE_BYTES = 4096;

/** Options for {@linkcode runCommands}. */
export interface RunCommandsOptions {
  /** Where commands go (`PadlinkServer.command`). */
  command: (command: FeedbackCommand) => Promise<CommandResult>;
  /** Told one line per refused command. */
  onError: (message: string) => void;
  /** Stops the reading (the server is closing). */
  signal?: AbortSignal;
}

/**
 * Read JSON-line commands from `input` until it ends or `signal` aborts,
 * sending each in order.
 *
 * @example Usage
 * ```ts
 * import { runCommands } from "./commands.ts";
 * const errors: string[] = [];
 * await runCommands(ReadableStream.from([new TextEncoder().encode("{oops\n")]), {
 *   command: () => Promise.resolve({ ok: true }),
 *   onError: (message) => errors.push(message),
 * });
 * if (!errors[0]?.startsWith("--commands line 1:")) throw new Error(errors[0]);
 * ```
 */
export async function runCommands(
  input: ReadableStream<Uint8Array>,
  options: RunCommandsOptions,
): Promise<void> {
  const reader = input.getReader();
  const abort = () => reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", abort, { once: true });
  const decoder = new TextDecoder();
  let pending = new Uint8Array(0);
  let lineNumber = 0;
  let skipping = false; // inside a line that was too long
  const handle = async (bytes: Uint8Array) => {
    lineNumber++;
    const text = decoder.decode(bytes).trim();
    if (text === "") return;
    const problem = await send(text, options.command);
    if (problem !== null) options.onError(`--commands line ${lineNumber}: ${problem}`);
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      let chunk = pending.length > 0 ? concat(pending, value) : value;
      pending = new Uint8Array(0);
      let newline: number;
      while ((newline = chunk.indexOf(0x0a)) >= 0) {
        if (skipping) {
          skipping = false;
        } else {
          await handle(chunk.subarray(0, newline));
        }
        chunk = chunk.subarray(newline + 1);
      }
      if (skipping) continue;
      if (chunk.length > MAX_COMMAND_LINE_BYTES) {
        lineNumber++;
        options.onError(
          `--commands line ${lineNumber}: longer than ${MAX_COMMAND_LINE_BYTES} bytes; ignored`,
        );
        skipping = true;
      } else {
        pending = chunk.slice();
      }
    }
    if (!skipping && pending.length > 0) await handle(pending);
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  } finally {
    options.signal?.removeEventListener("abort", abort);
    reader.releaseLock();
  }
}

/** Send one command line; the problem with it, or null when it was delivered. */
async function send(
  text: string,
  command: (command: FeedbackCommand) => Promise<CommandResult>,
): Promise<string | null> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON; write one command per line, e.g. {"type":"rumble","client":"alice","pad":0,"low":0.5,"high":0.5,"ms":200}';
  }
  // PadlinkServer.command checks every field and says which one is wrong.
  const result = await command(value as FeedbackCommand);
  return result.ok ? null : result.error;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
