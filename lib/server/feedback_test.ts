import assert from "node:assert/strict";
import {
  checkFeedbackCommand,
  encodeFeedback,
  FeedbackCommandError,
  MAX_FEEDBACK_MS,
} from "./feedback.ts";
import { RecordingSink } from "../wire/_test_sink.ts";
import { FrameDecoder } from "../wire/frame.ts";
import { SessionDecoder } from "../wire/protocol.ts";

const base = { client: "alice", pad: 2 };

Deno.test("checkFeedbackCommand keeps the known fields of each form and lower-cases the colour", () => {
  assert.deepEqual(
    checkFeedbackCommand({ type: "rumble", ...base, low: 0, high: 1, ms: 0, id: 9 }),
    { type: "rumble", ...base, low: 0, high: 1, ms: 0 },
  );
  assert.deepEqual(
    checkFeedbackCommand({ type: "trigger_rumble", ...base, left: 0.5, right: 0.25, ms: 10000 }),
    { type: "trigger_rumble", ...base, left: 0.5, right: 0.25, ms: 10000 },
  );
  assert.deepEqual(
    checkFeedbackCommand({ type: "led", ...base, rgb: "#FF8800" }),
    { type: "led", ...base, rgb: "#ff8800" },
  );
  assert.deepEqual(
    checkFeedbackCommand({ type: "motion", ...base, enable: false }),
    { type: "motion", ...base, enable: false },
  );
});

Deno.test("checkFeedbackCommand names the field and rule that a bad command breaks", () => {
  const cases: [unknown, RegExp][] = [
    [null, /one JSON object/],
    [[1], /one JSON object/],
    [{ type: "buzz" }, /unknown command type "buzz"/],
    [{ type: "rumble", pad: 0 }, /rumble: "client" must be the client's name/],
    [{ type: "led", client: "a", pad: 16 }, /"pad" must be a pad number from 0 to 15, got 16/],
    [{ type: "led", client: "a", pad: 1.5 }, /"pad"/],
    [
      { type: "rumble", ...base, low: -0.1, high: 0, ms: 1 },
      /"low" must be a strength from 0 to 1/,
    ],
    [{ type: "rumble", ...base, low: 0, high: "1", ms: 1 }, /"high"/],
    [{ type: "rumble", ...base, low: 0, high: 0, ms: MAX_FEEDBACK_MS + 1 }, /"ms" .* to 10000/],
    [{ type: "rumble", ...base, low: 0, high: 0, ms: 2.5 }, /"ms" must be a whole number/],
    [{ type: "trigger_rumble", ...base, left: 0, ms: 1 }, /"right"/],
    [{ type: "led", ...base, rgb: "#ff880" }, /"rgb" must be a colour as #rrggbb/],
    [{ type: "motion", ...base, enable: 1 }, /motion: "enable" must be true or false/],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(() => checkFeedbackCommand(value), (error: Error) => {
      assert.ok(error instanceof FeedbackCommandError, String(error));
      assert.match(error.message, pattern);
      return true;
    });
  }
});

Deno.test("encodeFeedback: strengths 0..1 become 0..65535 on the wire, as the client decodes them", () => {
  const frames = [
    encodeFeedback({ type: "rumble", ...base, low: 1, high: 0.5, ms: 250 }),
    encodeFeedback({ type: "trigger_rumble", ...base, left: 0, right: 1, ms: 10000 }),
    encodeFeedback({ type: "led", ...base, rgb: "#0a0b0c" }),
    encodeFeedback({ type: "motion", ...base, enable: true }),
  ];
  const sink = new RecordingSink();
  const decoder = SessionDecoder.fromServer() as SessionDecoder;
  const frameDecoder = new FrameDecoder();
  for (const frame of frames) frameDecoder.push(frame, (payload) => decoder.decode(payload, sink));
  assert.deepEqual(sink.events, [
    { type: "rumble", pad: 2, low: 65535, high: 32768, durationMs: 250 },
    { type: "trigger_rumble", pad: 2, left: 0, right: 65535, durationMs: 10000 },
    { type: "led", pad: 2, red: 10, green: 11, blue: 12 },
    { type: "motion_request", pad: 2, enable: true },
  ]);
});
