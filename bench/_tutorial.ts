/**
 * A peer of the classic tutorial's protocol (a Python socket server and a
 * pygame client), written from its description in issue 16, as the
 * comparison for the end-to-end rows: one TCP connection; each message is a
 * sentence such as "No Button is Pressed", preceded by one byte whose
 * value is the sentence's length; the receiver reads that byte, then that
 * many bytes, and prints the sentence.
 *
 * Usage:
 * - `deno run --allow-net bench/_tutorial.ts receive`: listen on a free
 *   loopback port (printed on stderr as `port N`), take one connection,
 *   print each sentence on stdout, exit at its end.
 * - `deno run --allow-net bench/_tutorial.ts send PORT COUNT`: connect and
 *   send COUNT messages, each in its own write, as the tutorial's client
 *   sends one per frame, as fast as the socket takes them.
 *
 * @module
 */

/** Sentences of the kind the tutorial's client sends, one per controller state. */
const SENTENCES = [
  "No Button is Pressed",
  "Button A is Pressed",
  "Button B is Pressed",
  "Button X is Pressed",
  "Button Y is Pressed",
];

/**
 * Python's default buffer for a `print` to a file (`io.DEFAULT_BUFFER_SIZE`):
 * the receiver writes its lines in blocks of this size, as the tutorial's
 * `print` does when its stdout is redirected to a file.
 */
const PRINT_BUFFER_BYTES = 8192;

/** Read exactly `buffer.length` bytes (`recv` until it has them); false at EOF. */
async function readExactly(conn: Deno.Conn, buffer: Uint8Array): Promise<boolean> {
  let filled = 0;
  while (filled < buffer.length) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) return false;
    filled += n;
  }
  return true;
}

async function receive(): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.error(`port ${(listener.addr as Deno.NetAddr).port}`);
  const conn = await listener.accept();
  listener.close();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const length = new Uint8Array(1);
  let out = "";
  const flush = () => {
    const bytes = encoder.encode(out);
    let offset = 0;
    while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
    out = "";
  };
  while (await readExactly(conn, length)) {
    const sentence = new Uint8Array(length[0]!);
    if (!(await readExactly(conn, sentence))) break;
    out += decoder.decode(sentence) + "\n";
    if (out.length >= PRINT_BUFFER_BYTES) flush();
  }
  flush();
  conn.close();
}

async function send(port: number, count: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  const messages = SENTENCES.map((sentence) => {
    const body = encoder.encode(sentence);
    const message = new Uint8Array(1 + body.length);
    message[0] = body.length;
    message.set(body, 1);
    return message;
  });
  for (let i = 0; i < count; i++) {
    const message = messages[i % messages.length]!;
    let offset = 0;
    while (offset < message.length) offset += await conn.write(message.subarray(offset));
  }
  conn.close();
}

if (import.meta.main) {
  const [mode, port, count] = Deno.args;
  if (mode === "receive") await receive();
  else if (mode === "send") await send(Number(port), Number(count));
  else {
    console.error("usage: _tutorial.ts receive | send PORT COUNT");
    Deno.exit(2);
  }
}
