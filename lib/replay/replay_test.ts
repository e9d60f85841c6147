import assert from "node:assert/strict";
import { formatJson } from "../outputs/format.ts";
import type { InputEvent } from "../input/model.ts";
import {
  parseReplay,
  playReplay,
  readReplayStream,
  type ReplayEntry,
  ReplayError,
  ReplayParser,
} from "./replay.ts";
import { withDeadline } from "../net/deadline.ts";
import { replayLine } from "./recorder.ts";

const ATTACH0 = '{"t":0,"type":"pad","pad":0,"attached":true,"name":"Pad"}';

/** `text` must fail to parse with a ReplayError for `line` whose message matches `pattern`. */
function assertReplayError(text: string, line: number, pattern: RegExp): void {
  assert.throws(() => parseReplay(text), (error: unknown) => {
    assert.ok(error instanceof ReplayError, `expected ReplayError, got ${error}`);
    assert.equal(error.line, line, `line of "${error.message}"`);
    assert.ok(error.message.startsWith(`line ${line}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("parseReplay reads a valid file with optional t and client and blank lines", () => {
  const text = [
    ATTACH0,
    "",
    '{"type":"button","pad":0,"button":"a","pressed":true}',
    '   {"t":5,"client":"alice","type":"axis","pad":0,"axis":"leftx","value":0.5}',
    "   ",
    '{"t":5,"type":"key","key":"Up","scancode":"Up","pressed":true}\r',
    '{"type":"button","pad":0,"button":"a","pressed":false}',
    '{"t":12.5,"type":"axis","pad":0,"axis":"righttrigger","value":1}',
    '{"type":"pad","pad":0,"attached":false}',
    '{"t":12.5,"type":"pad","pad":15,"attached":true}',
    "",
  ].join("\n");
  const entries = parseReplay(text);
  assert.deepEqual(entries, [
    { t: 0, line: 1, event: { type: "pad", pad: 0, attached: true, name: "Pad" } },
    { t: 0, line: 3, event: { type: "button", pad: 0, button: "a", pressed: true } },
    { t: 5, line: 4, event: { type: "axis", pad: 0, axis: "leftx", value: 0.5 } },
    { t: 5, line: 6, event: { type: "key", key: "Up", scancode: "Up", pressed: true } },
    { t: 5, line: 7, event: { type: "button", pad: 0, button: "a", pressed: false } },
    { t: 12.5, line: 8, event: { type: "axis", pad: 0, axis: "righttrigger", value: 1 } },
    { t: 12.5, line: 9, event: { type: "pad", pad: 0, attached: false } },
    { t: 12.5, line: 10, event: { type: "pad", pad: 15, attached: true, name: "" } },
  ]);
});

Deno.test("parseReplay accepts an empty file", () => {
  assert.deepEqual(parseReplay(""), []);
  assert.deepEqual(parseReplay("\n\n  \n"), []);
});

Deno.test("parseReplay accepts the server's --json input lines", () => {
  const events: InputEvent[] = [
    { type: "pad", pad: 2, attached: true, name: 'Odd "pad" ✓' },
    { type: "button", pad: 2, button: "dpdown", pressed: true },
    { type: "axis", pad: 2, axis: "lefty", value: -0.1234 },
    { type: "axis", pad: 2, axis: "lefttrigger", value: 0 },
    { type: "key", key: "Ä", scancode: "Apostrophe", pressed: true },
    { type: "key", key: "Ä", scancode: "Apostrophe", pressed: false },
    { type: "button", pad: 2, button: "dpdown", pressed: false },
    { type: "pad", pad: 2, attached: false },
  ];
  // lefttrigger 0 would repeat the rest state, so move it first.
  events.splice(3, 0, { type: "axis", pad: 2, axis: "lefttrigger", value: 0.5 });
  const text = events.map((event, i) => formatJson({ ...event, client: "alice#2", t: i / 2 })).join(
    "\n",
  );
  assert.deepEqual(parseReplay(text).map((entry) => entry.event), events);
});

const PRESS_A = '{"type":"button","pad":0,"button":"a","pressed":true}';
const MALFORMED: [string, string[], RegExp][] = [
  ["bad JSON", ['{"t":0,'], /not valid JSON/],
  ["an array", ["[1, 2]"], /expected a JSON object/],
  ["a number", ["42"], /expected a JSON object/],
  ["null", ["null"], /expected a JSON object/],
  ["a missing type", ['{"pad":0}'], /"type" must be .*got undefined/],
  ["a numeric type", ['{"type":3,"pad":0}'], /"type" must be .*got 3/],
  ["a bad button name", ['{"type":"button","pad":0,"button":"A","pressed":true}'], /"button"/],
  ["a missing button", ['{"type":"button","pad":0,"pressed":true}'], /"button" must be one of/],
  ["a bad axis name", ['{"type":"axis","pad":0,"axis":"wheel","value":0}'], /"axis" must be/],
  [
    "a stick over 1",
    ['{"type":"axis","pad":0,"axis":"leftx","value":1.5}'],
    /"value" of leftx must be a number from -1 to 1/,
  ],
  ["a stick under -1", ['{"type":"axis","pad":0,"axis":"righty","value":-1.01}'], /"value"/],
  [
    "a negative trigger",
    ['{"type":"axis","pad":0,"axis":"lefttrigger","value":-0.1}'],
    /"value" of lefttrigger must be a number from 0 to 1/,
  ],
  ["a string value", ['{"type":"axis","pad":0,"axis":"leftx","value":"0.5"}'], /"value"/],
  ["a missing value", ['{"type":"axis","pad":0,"axis":"leftx"}'], /"value"/],
  ["t going backwards", [
    '{"t":10,' + PRESS_A.slice(1),
    '{"t":9.5,"type":"pad","pad":1,"attached":true}',
  ], /goes back in time \(9\.5 after 10\)/],
  ["a negative t", ['{"t":-1,' + PRESS_A.slice(1)], /"t" must be a number of milliseconds >= 0/],
  ["a string t", ['{"t":"5",' + PRESS_A.slice(1)], /"t" must be a number/],
  [
    "input for an unattached pad",
    ['{"type":"button","pad":1,"button":"a","pressed":true}'],
    /pad 1 is not attached/,
  ],
  [
    "an axis on an unattached pad",
    ['{"type":"axis","pad":7,"axis":"leftx","value":0.5}'],
    /pad 7 is not attached/,
  ],
  ["a repeated press", [PRESS_A, PRESS_A], /button a press on pad 0 changes nothing/],
  [
    "a release of a button not held",
    ['{"type":"button","pad":0,"button":"b","pressed":false}'],
    /changes nothing/,
  ],
  [
    "an axis at its current value",
    ['{"type":"axis","pad":0,"axis":"leftx","value":0}'],
    /axis leftx = 0 on pad 0 changes nothing/,
  ],
  ["a repeated key press", [
    '{"type":"key","key":"A","scancode":"A","pressed":true}',
    '{"type":"key","key":"A","scancode":"A","pressed":true}',
  ], /key A press changes nothing/],
  [
    "a missing key name",
    ['{"type":"key","scancode":"A","pressed":true}'],
    /"key" must be a non-empty string/,
  ],
  [
    "a key with no scancode of its name",
    ['{"type":"key","key":"Ä","pressed":true}'],
    /no SDL scancode is named like key "Ä"; add "scancode"/,
  ],
  [
    "an empty scancode",
    ['{"type":"key","key":"A","scancode":"","pressed":true}'],
    /"scancode" must be a non-empty string/,
  ],
  [
    "a missing pressed",
    ['{"type":"key","key":"A","scancode":"A"}'],
    /"pressed" must be true or false/,
  ],
  ["a string pressed", ['{"type":"button","pad":0,"button":"a","pressed":"true"}'], /"pressed"/],
  ["pad 16", ['{"type":"pad","pad":16,"attached":true}'], /"pad" must be an integer from 0 to 15/],
  [
    "pad -1",
    ['{"type":"button","pad":-1,"button":"a","pressed":true}'],
    /"pad" must be an integer/,
  ],
  ["a fractional pad", ['{"type":"pad","pad":0.5,"attached":false}'], /"pad" must be an integer/],
  ["a pad attached twice", ['{"type":"pad","pad":0,"attached":true}'], /pad 0 is already attached/],
  [
    "a detach of a pad not attached",
    ['{"type":"pad","pad":2,"attached":false}'],
    /pad 2 is not attached/,
  ],
  [
    "a non-string pad name",
    ['{"type":"pad","pad":1,"attached":true,"name":5}'],
    /"name" must be a string/,
  ],
  ["a non-string client", ['{"client":7,' + PRESS_A.slice(1)], /"client" must be a string/],
];

Deno.test("parseReplay names the line of each kind of malformed line", () => {
  for (const [what, bad, pattern] of MALFORMED) {
    // Two good lines and a blank line come first, so the bad line is line 4 or later.
    const lines = [ATTACH0, "", '{"t":1,"type":"axis","pad":0,"axis":"lefty","value":0.25}'];
    lines.push(...bad, '{"t":99,"type":"pad","pad":3,"attached":true}');
    const badLine = lines.length - 1;
    try {
      assertReplayError(lines.join("\n"), badLine, pattern);
    } catch (error) {
      throw new Error(`case "${what}": ${(error as Error).message}`, { cause: error });
    }
  }
});

Deno.test("parseReplay reports the first bad line when there are several", () => {
  assertReplayError([ATTACH0, "nope", "{also bad"].join("\n"), 2, /not valid JSON/);
  assertReplayError("\n\n\n[]", 4, /expected a JSON object/);
});

Deno.test("parseReplay derives a missing scancode from the key name, as SDL spells it", () => {
  const text = [
    '{"type":"key","key":"Up","pressed":true}',
    '{"type":"key","key":"a","pressed":true}',
    '{"type":"key","key":"Left Shift","pressed":true}',
    '{"type":"key","key":"space","pressed":true}',
    '{"type":"key","key":"Q","scancode":"A","pressed":true}',
  ].join("\n");
  assert.deepEqual(parseReplay(text).map((entry) => entry.event), [
    { type: "key", key: "Up", scancode: "Up", pressed: true },
    { type: "key", key: "a", scancode: "A", pressed: true },
    { type: "key", key: "Left Shift", scancode: "Left Shift", pressed: true },
    { type: "key", key: "space", scancode: "Space", pressed: true },
    { type: "key", key: "Q", scancode: "A", pressed: true },
  ]);
});

/** A server capture: two connections of alice, bob in between, and lines that are not input. */
const CAPTURE = [
  '{"type":"listening","host":"127.0.0.1","port":7175,"auth":false,"protocol":1}',
  '{"type":"connect","client":"alice","addr":"127.0.0.1:5000"}',
  '{"type":"pad","client":"alice","t":1.5,"pad":3,"attached":true,"name":"P"}',
  '{"type":"connect","client":"bob","addr":"127.0.0.1:5001"}',
  '{"type":"pad","client":"bob","t":0.5,"pad":0,"attached":true,"name":"B"}',
  '{"type":"gap","client":"alice","missed":4}',
  '{"type":"button","client":"alice","t":10,"pad":3,"button":"a","pressed":true}',
  '{"type":"button","client":"alice","t":20,"pad":3,"button":"a","pressed":false}',
  '{"type":"pad","client":"alice","t":20,"pad":3,"attached":false}',
  '{"type":"disconnect","client":"alice","addr":"127.0.0.1:5000","reason":"client quit"}',
  '{"type":"connect","client":"alice","addr":"127.0.0.1:5002"}',
  '{"type":"pad","client":"alice","t":2,"pad":3,"attached":true,"name":"P"}',
];

Deno.test("ReplayParser takes a server capture: skips what is not input, continues t across connects", () => {
  const parser = new ReplayParser({ client: "alice" });
  const entries = CAPTURE.map((line, i) => parser.parse(line, i + 1)).filter((e) => e !== null);
  parser.finish(CAPTURE.length);
  assert.deepEqual(entries.map((e) => [e.t, e.line, e.event.type]), [
    [1.5, 3, "pad"],
    [10, 7, "button"],
    [20, 8, "button"],
    [20, 9, "pad"],
    [22, 12, "pad"],
  ]);
  assert.equal(
    parser.describeSkipped(),
    "skipped 7 lines that are not input to replay (listening 1, connect 3, client bob 1, gap 1, disconnect 1)",
  );
  assert.deepEqual(
    parseReplay(CAPTURE.join("\n"), { client: "bob" }).map((e) => [e.t, e.line, e.event.type]),
    [[0.5, 5, "pad"]],
  );
});

Deno.test("parseReplay refuses a capture of several clients unless one is picked", () => {
  assertReplayError(
    CAPTURE.join("\n"),
    5,
    /a second client, "bob", after "alice"; .*--replay-client/,
  );
  assert.throws(
    () => parseReplay(CAPTURE.join("\n"), { client: "carol" }),
    /line 12: no input of client "carol"; the file has "alice", "bob"/,
  );
});

function replayOf(lines: string[]) {
  return parseReplay(lines.join("\n"));
}

/** Resolve `promise`, or fail after `ms` (the timer is always cleared). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(promise, ms, () => {
    throw new Error(`${what} took over ${ms} ms`);
  });
}

Deno.test("playReplay delivers entries in order, one batch per distinct t", async () => {
  const entries = replayOf([
    ATTACH0,
    '{"type":"button","pad":0,"button":"a","pressed":true}',
    '{"t":20,"type":"button","pad":0,"button":"a","pressed":false}',
    '{"t":20,"type":"axis","pad":0,"axis":"leftx","value":-1}',
    '{"t":20,"type":"key","key":"Up","scancode":"Up","pressed":true}',
    '{"t":40,"type":"key","key":"Up","scancode":"Up","pressed":false}',
    '{"t":41,"type":"pad","pad":0,"attached":false}',
  ]);
  const batches: InputEvent[][] = [];
  await within(playReplay(entries, (events) => void batches.push(events)), 5000, "playReplay");
  assert.deepEqual(
    batches.map((batch) => batch.length),
    [2, 3, 1, 1],
  );
  assert.deepEqual(batches.flat(), entries.map((entry) => entry.event));
});

Deno.test("playReplay waits for an async sink before the next batch", async () => {
  const entries = replayOf([
    ATTACH0,
    '{"type":"button","pad":0,"button":"a","pressed":true}',
    '{"type":"button","pad":0,"button":"a","pressed":false}',
    '{"t":1,"type":"button","pad":0,"button":"b","pressed":true}',
  ]);
  const log: string[] = [];
  let busy = false;
  await within(
    playReplay(entries, async (events) => {
      assert.ok(!busy, "a batch arrived while the sink was still busy");
      busy = true;
      log.push(`start ${events.length}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push("end");
      busy = false;
    }),
    5000,
    "playReplay",
  );
  assert.deepEqual(log, ["start 3", "end", "start 1", "end"]);
});

Deno.test("playReplay stops when aborted while waiting for a later t", async () => {
  const entries = replayOf([
    ATTACH0,
    '{"t":60000,"type":"button","pad":0,"button":"a","pressed":true}',
  ]);
  const controller = new AbortController();
  const batches: InputEvent[][] = [];
  await within(
    playReplay(entries, (events) => {
      batches.push(events);
      // Abort once the first batch is in; the second is a minute away.
      setTimeout(() => controller.abort(), 1);
    }, { signal: controller.signal }),
    5000,
    "an aborted playReplay",
  );
  assert.deepEqual(batches, [[entries[0]!.event]]);
});

Deno.test("playReplay stops when aborted from inside the sink", async () => {
  const entries = replayOf([
    ATTACH0,
    '{"type":"button","pad":0,"button":"a","pressed":true}',
    '{"t":1,"type":"button","pad":0,"button":"a","pressed":false}',
  ]);
  const controller = new AbortController();
  let calls = 0;
  await within(
    playReplay(entries, () => {
      calls++;
      controller.abort();
    }, { signal: controller.signal }),
    5000,
    "an aborted playReplay",
  );
  assert.equal(calls, 1);
});

Deno.test("playReplay sends nothing when the signal is already aborted", async () => {
  const entries = replayOf([ATTACH0]);
  let calls = 0;
  await playReplay(entries, () => void calls++, { signal: AbortSignal.abort() });
  await playReplay([], () => void calls++);
  assert.equal(calls, 0);
});

/** A stream that hands out `chunks` one at a time, each after the previous was read. */
function chunked(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(encoder.encode(chunks[i++]));
      else controller.close();
    },
  });
}

Deno.test("readReplayStream checks lines as they arrive, split anywhere, with line numbers", async () => {
  const text = [ATTACH0, "", PRESS_A, '{"t":3,"type":"key","key":"Up","pressed":true}'].join("\n");
  // Every split of the text into two chunks gives the same entries.
  for (let cut = 0; cut <= text.length; cut++) {
    const got: ReplayEntry[] = [];
    for await (
      const batch of readReplayStream(
        chunked([text.slice(0, cut), text.slice(cut)]),
        new ReplayParser(),
      )
    ) {
      got.push(...batch);
    }
    assert.deepEqual(got.map((e) => [e.line, e.t, e.event.type]), [
      [1, 0, "pad"],
      [3, 0, "button"],
      [4, 3, "key"],
    ]);
  }
  const batches: number[] = [];
  const bad = readReplayStream(
    chunked([ATTACH0 + "\n", PRESS_A + "\n" + PRESS_A + "\n"]),
    new ReplayParser(),
  );
  await assert.rejects(async () => {
    for await (const batch of bad) batches.push(batch.length);
  }, /line 3: button a press on pad 0 changes nothing/);
  // What came before the bad line was handed over first.
  assert.deepEqual(batches, [1, 1]);
});

Deno.test("playReplay plays batches from a stream as they come", async () => {
  const parser = new ReplayParser();
  const source = readReplayStream(chunked([ATTACH0 + "\n", PRESS_A + "\n"]), parser);
  const batches: InputEvent[][] = [];
  await within(playReplay(source, (events) => void batches.push(events)), 5000, "playReplay");
  assert.deepEqual(batches.map((b) => b.map((e) => e.type)), [["pad"], ["button"]]);
});

Deno.test("parseReplay reads pad details and motion, touch and battery lines, and what replayLine writes", () => {
  const events: InputEvent[] = [
    {
      type: "pad",
      pad: 0,
      attached: true,
      name: "DS4",
      vendor: 0x054c,
      product: 0x09cc,
      kind: "ps4",
      capabilities: ["rumble", "led", "touchpad", "accel", "gyro", "battery"],
    },
    { type: "motion", pad: 0, accel: [0.1, 9.81, -0.2], gyro: [0.01, -0.02, 0.5], t_us: 1000 },
    {
      type: "touch",
      pad: 0,
      touchpad: 0,
      finger: 1,
      state: "down",
      x: 0.25,
      y: 0.5,
      pressure: 1,
    },
    { type: "touch", pad: 0, touchpad: 0, finger: 1, state: "up", x: 0.25, y: 0.5, pressure: 0 },
    { type: "battery", pad: 0, level: "low", state: "battery" },
  ];
  const text = events.map((event, i) => replayLine(i, event)).join("\n");
  assert.deepEqual(parseReplay(text).map((e) => e.event), events);
});

Deno.test("parseReplay names what is wrong in a motion, touch, battery or pad-details line", () => {
  const cases: [string, RegExp][] = [
    ['{"type":"motion","pad":0,"accel":[1,2],"gyro":[0,0,0]}', /"accel" must be three numbers/],
    ['{"type":"motion","pad":0,"accel":[0,0,0],"gyro":[0,0,"x"]}', /"gyro" must be three/],
    ['{"type":"motion","pad":0,"accel":[0,0,0],"gyro":[0,0,0],"t_us":-1}', /"t_us"/],
    ['{"type":"touch","pad":0,"state":"tap","x":0,"y":0}', /"state" must be down, move or up/],
    ['{"type":"touch","pad":0,"state":"down","x":2,"y":0}', /"x" must be a number from 0 to 1/],
    ['{"type":"touch","pad":0,"state":"move","x":0.5,"y":0.5}', /changes nothing/],
    ['{"type":"battery","pad":0,"level":"half"}', /"level" must be unknown, empty/],
    ['{"type":"battery","pad":1,"level":"low"}', /pad 1 is not attached/],
  ];
  for (const [line, pattern] of cases) assertReplayError(`${ATTACH0}\n${line}`, 2, pattern);
  assertReplayError('{"type":"pad","pad":0,"attached":true,"kind":"gamecube"}', 1, /"kind"/);
  assertReplayError(
    '{"type":"pad","pad":0,"attached":true,"capabilities":["jetpack"]}',
    1,
    /"capabilities"/,
  );
  assertReplayError('{"type":"pad","pad":0,"attached":true,"vendor":70000}', 1, /"vendor"/);
});

Deno.test("playReplay stops when aborted while a stream is silent", async () => {
  // One line, then nothing: the stream never ends by itself.
  const silent = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(ATTACH0 + "\n"));
    },
  });
  const controller = new AbortController();
  const batches: InputEvent[][] = [];
  await within(
    playReplay(readReplayStream(silent, new ReplayParser()), (events) => {
      batches.push(events);
      setTimeout(() => controller.abort(), 1);
    }, { signal: controller.signal }),
    5000,
    "an aborted playReplay of a silent stream",
  );
  assert.equal(batches.length, 1);
});
