import assert from "node:assert/strict";
import { MAX_COMMAND_LINE_BYTES, runCommands } from "./commands.ts";
import type { FeedbackCommand } from "../server/output.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  return ReadableStream.from(chunks.map((chunk) => new TextEncoder().encode(chunk)));
}

Deno.test("runCommands sends each JSON line in order and names the line of each refusal", async () => {
  const sent: unknown[] = [];
  const errors: string[] = [];
  const good = '{"type":"rumble","client":"alice","pad":0,"low":0.5,"high":0.5,"ms":100}';
  await runCommands(
    // Split inside lines and across chunks; a blank line and a last line without a newline.
    streamOf([good.slice(0, 10), good.slice(10) + "\n{nope\n\n", '{"type":"led"}\n', good]),
    {
      command: (command: FeedbackCommand) => {
        sent.push(command);
        return Promise.resolve(
          command.type === "led" ? { ok: false, error: 'led: "client" is missing' } : { ok: true },
        );
      },
      onError: (message) => errors.push(message),
    },
  );
  assert.equal(sent.length, 3);
  assert.deepEqual(sent[0], JSON.parse(good));
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /^--commands line 2: not JSON/);
  assert.equal(errors[1], '--commands line 4: led: "client" is missing');
});

Deno.test("runCommands refuses a line over the limit without buffering it, and reads on", async () => {
  const sent: unknown[] = [];
  const errors: string[] = [];
  const long = "x".repeat(MAX_COMMAND_LINE_BYTES + 10);
  await runCommands(streamOf([long.slice(0, 3000), long.slice(3000), "x\n", "{}\n"]), {
    command: (command) => {
      sent.push(command);
      return Promise.resolve({ ok: true });
    },
    onError: (message) => errors.push(message),
  });
  assert.deepEqual(errors, [
    `--commands line 1: longer than ${MAX_COMMAND_LINE_BYTES} bytes; ignored`,
  ]);
  assert.deepEqual(sent, [{}]);
});

Deno.test("runCommands stops when its signal aborts", async () => {
  const abort = new AbortController();
  const never = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
  const running = runCommands(never, {
    command: () => Promise.resolve({ ok: true }),
    onError: () => {},
    signal: abort.signal,
  });
  abort.abort();
  await running;
});
