// These tests drive real SDL2 through FFI with virtual controllers. They fail
// (with Sdl2NotFoundError's install advice) when SDL2 is missing.
import assert from "node:assert/strict";
import {
  AXIS_NAMES,
  BUTTON_NAMES,
  type InputEvent,
  isTrigger,
  quantizeAxis,
} from "../input/model.ts";
import { NoDisplayError, Sdl2NotFoundError } from "./library.ts";
import { SdlInput } from "./source.ts";
import { withDeadline } from "../net/deadline.ts";

Deno.env.set("SDL_VIDEODRIVER", "dummy");

const WAIT_MS = 2000;

/** Collects a source's events and waits for ones that match. */
class Recorder {
  events: InputEvent[] = [];
  #listeners = new Set<() => void>();

  constructor(input: SdlInput) {
    input.onInput = (batch) => {
      this.events.push(...batch);
      for (const listener of [...this.#listeners]) listener();
    };
  }

  /** The index of the first event at or after `from` that matches; rejects after 2 s. */
  waitFor(what: string, match: (event: InputEvent) => boolean, from = 0): Promise<number> {
    let check = () => {};
    const found = new Promise<number>((resolve) => {
      check = () => {
        const index = this.events.findIndex((event, i) => i >= from && match(event));
        if (index < 0) return;
        this.#listeners.delete(check);
        resolve(index);
      };
      this.#listeners.add(check);
      check();
    });
    return withDeadline(found, WAIT_MS, () => {
      this.#listeners.delete(check);
      throw new Error(
        `Timed out waiting for ${what}; got ${JSON.stringify(this.events.slice(from))}`,
      );
    });
  }

  attached(name: string): Promise<number> {
    return this.waitFor(`${name} to attach`, (e) => e.type === "pad" && e.name === name);
  }
}

function padOf(events: InputEvent[], index: number): number {
  const event = events[index];
  assert.ok(event?.type === "pad", JSON.stringify(event));
  return event.pad;
}

Deno.test("SdlInput reports every standard button and axis of a virtual controller by name", async () => {
  await using input = await SdlInput.open({ window: false, deadzone: 0 });
  const recorder = new Recorder(input);
  await input.attachVirtual(1, "padlink test pad");
  const attach = await recorder.attached("padlink test pad");
  assert.deepEqual(recorder.events[attach], {
    type: "pad",
    pad: 0,
    attached: true,
    name: "padlink test pad",
    // No USB ids: SDL calls it a virtual controller. Its callbacks give it motors and a light.
    kind: "virtual",
    vendor: 0,
    product: 0,
    capabilities: ["rumble", "trigger_rumble", "led"],
  });

  const expected: string[] = [];
  for (const button of BUTTON_NAMES) {
    for (const pressed of [true, false]) {
      const from = recorder.events.length;
      input.setVirtualButton(1, button, pressed);
      await recorder.waitFor(
        `${button} ${pressed}`,
        (e) => e.type === "button" && e.button === button && e.pressed === pressed,
        from,
      );
      expected.push(`${button} ${pressed}`);
    }
  }
  for (const axis of AXIS_NAMES) {
    for (const value of isTrigger(axis) ? [1, 0] : [1, -1, 0]) {
      const from = recorder.events.length;
      input.setVirtualAxis(1, axis, value);
      await recorder.waitFor(
        `${axis} = ${value}`,
        (e) => e.type === "axis" && e.axis === axis && e.value === value,
        from,
      );
      expected.push(`${axis} ${value}`);
    }
  }
  const seen = recorder.events.slice(attach + 1).map((e) =>
    e.type === "button"
      ? `${e.button} ${e.pressed}`
      : e.type === "axis"
      ? `${e.axis} ${e.value}`
      : JSON.stringify(e)
  );
  assert.deepEqual(seen, expected);
  assert.ok(recorder.events.every((e) => e.type !== "axis" && e.type !== "button" || e.pad === 0));
});

Deno.test("SdlInput reports changes set back to back as one event each, in order, by sync()", async () => {
  await using input = await SdlInput.open({ window: false, deadzone: 0 });
  const recorder = new Recorder(input);
  await input.attachVirtual(1, "back to back pad");
  const start = await recorder.attached("back to back pad");
  // No wait between them: SDL sees each state before the next is set.
  input.setVirtualButton(1, "x", true);
  input.setVirtualButton(1, "x", false);
  input.setVirtualAxis(1, "righttrigger", 1);
  input.setVirtualButton(1, "x", true);
  input.setVirtualAxis(1, "righttrigger", 0);
  input.setVirtualButton(1, "x", false);
  await input.sync();
  assert.deepEqual(recorder.events.slice(start + 1), [
    { type: "button", pad: 0, button: "x", pressed: true },
    { type: "button", pad: 0, button: "x", pressed: false },
    { type: "axis", pad: 0, axis: "righttrigger", value: 1 },
    { type: "button", pad: 0, button: "x", pressed: true },
    { type: "axis", pad: 0, axis: "righttrigger", value: 0 },
    { type: "button", pad: 0, button: "x", pressed: false },
  ]);
});

Deno.test("SdlInput numbers hot-plugged pads from the lowest free number", async () => {
  await using input = await SdlInput.open({ window: false });
  const recorder = new Recorder(input);
  await input.attachVirtual(1, "first");
  assert.equal(padOf(recorder.events, await recorder.attached("first")), 0);
  await input.attachVirtual(2, "second");
  assert.equal(padOf(recorder.events, await recorder.attached("second")), 1);

  await input.detachVirtual(1);
  const gone = await recorder.waitFor("pad 0 to detach", (e) => e.type === "pad" && !e.attached);
  assert.equal(padOf(recorder.events, gone), 0);

  await input.attachVirtual(3, "third");
  assert.equal(padOf(recorder.events, await recorder.attached("third")), 0);
  await input.attachVirtual(4, "fourth");
  assert.equal(padOf(recorder.events, await recorder.attached("fourth")), 2);

  // The second pad kept its number through all of that.
  const from = recorder.events.length;
  input.setVirtualButton(2, "y", true);
  const press = await recorder.waitFor("y", (e) => e.type === "button" && e.button === "y", from);
  assert.deepEqual(recorder.events[press], { type: "button", pad: 1, button: "y", pressed: true });
});

Deno.test("SdlInput coalesces rapid axis motion at rateHz and delivers the last value", async () => {
  await using input = await SdlInput.open({ window: false, deadzone: 0, rateHz: 100 });
  const recorder = new Recorder(input);
  await input.attachVirtual(1, "stick pad");
  const start = await recorder.attached("stick pad");
  for (let i = 1; i <= 50; i++) {
    input.setVirtualAxis(1, "rightx", i / 50);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await recorder.waitFor("rightx = 1", (e) => e.type === "axis" && e.value === 1, start);
  // Give a wrongly held-back value time to show up after the last one.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const values = recorder.events.slice(start).flatMap((e) => e.type === "axis" ? [e.value] : []);
  assert.equal(values.at(-1), 1, JSON.stringify(values));
  // 50 changes over ≥ 50 ms at 100 Hz: a handful of updates, not 50.
  assert.ok(values.length < 25, `${values.length} updates: ${JSON.stringify(values)}`);
  for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, "in order");
});

Deno.test("SdlInput applies the stick deadzone and drops changes inside it", async () => {
  await using input = await SdlInput.open({ window: false, deadzone: 0.2 });
  const recorder = new Recorder(input);
  await input.attachVirtual(1, "dz pad");
  const start = await recorder.attached("dz pad");
  input.setVirtualAxis(1, "leftx", 0.1);
  input.setVirtualAxis(1, "lefty", -0.15);
  input.setVirtualButton(1, "a", true); // a marker: axis values are flushed before it
  await recorder.waitFor("a", (e) => e.type === "button", start);
  assert.deepEqual(recorder.events.slice(start + 1).map((e) => e.type), ["button"]);

  input.setVirtualAxis(1, "leftx", 0.6);
  const moved = await recorder.waitFor("leftx", (e) => e.type === "axis", start);
  const event = recorder.events[moved];
  assert.ok(event?.type === "axis" && event.axis === "leftx");
  // 0.6 is 19660/32767 on the virtual stick: (0.59999 - 0.2) / 0.8 ≈ 0.5, within one step.
  assert.ok(Math.abs(quantizeAxis("leftx", event.value) - quantizeAxis("leftx", 0.5)) <= 1);
});

Deno.test("SdlInput releases a held button and zeroes a moved stick before a detach", async () => {
  await using input = await SdlInput.open({ window: false, deadzone: 0 });
  const recorder = new Recorder(input);
  await input.attachVirtual(1, "held pad");
  const start = await recorder.attached("held pad");
  input.setVirtualButton(1, "leftshoulder", true);
  input.setVirtualAxis(1, "righty", -1);
  await recorder.waitFor("righty", (e) => e.type === "axis" && e.value === -1, start);
  await recorder.waitFor("leftshoulder", (e) => e.type === "button" && e.pressed, start);

  const before = recorder.events.length;
  await input.detachVirtual(1);
  const gone = await recorder.waitFor("detach", (e) => e.type === "pad" && !e.attached, before);
  const tail = recorder.events.slice(before, gone + 1);
  assert.deepEqual(tail.at(-1), { type: "pad", pad: 0, attached: false });
  const release = tail.findIndex((e) => e.type === "button" && !e.pressed);
  const zero = tail.findIndex((e) => e.type === "axis" && e.value === 0);
  assert.ok(release >= 0 && release < tail.length - 1, JSON.stringify(tail));
  assert.ok(zero >= 0 && zero < tail.length - 1, JSON.stringify(tail));
  assert.deepEqual(tail[release], {
    type: "button",
    pad: 0,
    button: "leftshoulder",
    pressed: false,
  });
  assert.equal(tail.length, 3, JSON.stringify(tail));
});

Deno.test("SdlInput forwards pushed keys with SDL's key and scancode names", async () => {
  await using input = await SdlInput.open({ window: false });
  const recorder = new Recorder(input);
  input.pushKey("Up", "Up", true);
  input.pushKey("Up", "Up", false);
  input.pushKey("a", "A", true);
  input.pushKey("a", "A", true); // a second press without a release changes nothing
  input.pushKey("a", "A", false);
  await recorder.waitFor("A up", (e) => e.type === "key" && e.key === "A" && !e.pressed);
  assert.deepEqual(recorder.events, [
    { type: "key", key: "Up", scancode: "Up", pressed: true },
    { type: "key", key: "Up", scancode: "Up", pressed: false },
    { type: "key", key: "A", scancode: "A", pressed: true },
    { type: "key", key: "A", scancode: "A", pressed: false },
  ]);
});

Deno.test("SdlInput reports a key name SDL does not know through onError", async () => {
  await using input = await SdlInput.open({ window: false });
  const error = await new Promise<Error>((resolve) => {
    input.onError = resolve;
    input.pushKey("NoSuchKey", "NoSuchScancode", true);
  });
  assert.match(error.message, /NoSuchScancode/);
});

Deno.test("SdlInput.open loads a mappings file and names one it cannot load", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/gamecontrollerdb.txt`;
    await Deno.writeTextFile(
      good,
      "03000000aaaa0000bbbb000000000000,padlink test,a:b0,b:b1,leftx:a0,lefty:a1,platform:Linux,\n",
    );
    const input = await SdlInput.open({ window: false, mappingsFile: good });
    await input.close();

    const missing = `${dir}/missing.txt`;
    await assert.rejects(
      SdlInput.open({ window: false, mappingsFile: missing }),
      (error: unknown) => error instanceof Error && error.message.includes(missing),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SdlInput.open throws Sdl2NotFoundError for a library that is not there", async () => {
  await assert.rejects(
    SdlInput.open({ window: false, libraryPath: "/nonexistent/libSDL2.so" }),
    (error: unknown) => error instanceof Sdl2NotFoundError && /PADLINK_SDL2/.test(error.message),
  );
  // The failed open left nothing behind: a new one works.
  const input = await SdlInput.open({ window: false });
  await input.close();
});

Deno.test("SdlInput.open refuses a second source and bad options", async () => {
  await using _input = await SdlInput.open({ window: false });
  await assert.rejects(SdlInput.open({ window: false }), /already open/);
  await assert.rejects(SdlInput.open({ window: false, deadzone: 1 }), RangeError);
  await assert.rejects(SdlInput.open({ window: false, rateHz: 0 }), RangeError);
});

Deno.test("SdlInput.close is idempotent and later calls throw", async () => {
  const input = await SdlInput.open({ window: false });
  await input.attachVirtual(1, "closing pad");
  const first = input.close();
  assert.equal(input.close(), first);
  await first;
  assert.throws(() => input.setTitle("x"), /closed/);
  await assert.rejects(input.attachVirtual(2, "late"), /closed/);
  assert.throws(() => input.setVirtualButton(7, "a", true), RangeError);
});

Deno.test("SdlInput.open throws NoDisplayError when the window cannot open", async () => {
  Deno.env.set("SDL_VIDEODRIVER", "no-such-driver");
  try {
    await assert.rejects(
      SdlInput.open({ window: true }),
      (error: Error) =>
        error instanceof NoDisplayError &&
        /could not open the padlink window \(no-such-driver not available\)/.test(error.message),
    );
  } finally {
    Deno.env.set("SDL_VIDEODRIVER", "dummy");
  }
  const input = await SdlInput.open({ window: true });
  await input.close();
});

/** Collects a source's feedback reports and its virtual pads' callbacks. */
function feedbackRecorder(input: SdlInput) {
  const applied: import("./source.ts").FeedbackReport[] = [];
  const callbacks: import("./source.ts").VirtualFeedbackReport[] = [];
  input.onFeedback = (report) => applied.push(report);
  input.onVirtualFeedback = (report) => callbacks.push(report);
  const until = async (what: string, check: () => boolean, ms = WAIT_MS) => {
    const deadline = performance.now() + ms;
    while (!check()) {
      if (performance.now() > deadline) {
        throw new Error(
          `Timed out waiting for ${what}; applied ${JSON.stringify(applied)}, callbacks ${
            JSON.stringify(callbacks)
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return { applied, callbacks, until };
}

Deno.test("SdlInput.feedback reaches a virtual controller's Rumble, RumbleTriggers and SetLED callbacks", async () => {
  await using input = await SdlInput.open({ window: false });
  const recorder = new Recorder(input);
  const seen = feedbackRecorder(input);
  await input.attachVirtual(4, "padlink rumble pad", { vendor: 0x045e, product: 0x02ea });
  const pad = padOf(recorder.events, await recorder.attached("padlink rumble pad"));
  input.feedback(pad, { type: "rumble", low: 0x9999, high: 0x4ccc, ms: 5000 });
  await seen.until("the rumble callback", () => seen.callbacks.length >= 1);
  assert.deepEqual(seen.callbacks[0]!.feedback, { type: "rumble", low: 0x9999, high: 0x4ccc });
  assert.equal(seen.callbacks[0]!.id, 4);
  // Trigger rumble and LED follow, each at least 50 ms after the update before it.
  input.feedback(pad, { type: "trigger_rumble", left: 1000, right: 2000, ms: 5000 });
  input.feedback(pad, { type: "led", red: 0xff, green: 0x88, blue: 0 });
  await seen.until("three callbacks", () => seen.callbacks.length >= 3);
  assert.deepEqual(seen.callbacks.slice(1).map((c) => c.feedback), [
    { type: "trigger_rumble", left: 1000, right: 2000 },
    { type: "led", red: 0xff, green: 0x88, blue: 0 },
  ]);
  for (let i = 1; i < 3; i++) {
    const gap = seen.callbacks[i]!.at - seen.callbacks[i - 1]!.at;
    assert.ok(gap >= 49, `updates ${gap.toFixed(1)} ms apart`);
  }
  assert.deepEqual(seen.applied.map((a) => [a.feedback.type, a.applied]), [
    ["rumble", true],
    ["trigger_rumble", true],
    ["led", true],
  ]);
  // Closing stops both sets of motors, through the callbacks, before SDL quits.
  await input.close();
  assert.deepEqual(seen.callbacks.slice(3).map((c) => c.feedback), [
    { type: "rumble", low: 0, high: 0 },
    { type: "trigger_rumble", left: 0, right: 0 },
  ]);
  assert.deepEqual(seen.applied.slice(3).map((a) => a.reason), ["exit", "exit"]);
});

Deno.test("SdlInput feedback: SDL stops a rumble at its expiry; stopFeedback and a detach stop it at once", async () => {
  await using input = await SdlInput.open({ window: false });
  const recorder = new Recorder(input);
  const seen = feedbackRecorder(input);
  await input.attachVirtual(5, "padlink expiry pad");
  const pad = padOf(recorder.events, await recorder.attached("padlink expiry pad"));
  input.feedback(pad, { type: "rumble", low: 0xffff, high: 0xffff, ms: 150 });
  await seen.until("the stop at expiry", () => seen.callbacks.length >= 2);
  const [start, stop] = seen.callbacks;
  assert.deepEqual(stop!.feedback, { type: "rumble", low: 0, high: 0 });
  const lasted = stop!.at - start!.at;
  assert.ok(lasted >= 140 && lasted < 1000, `the rumble lasted ${lasted.toFixed(1)} ms`);

  input.feedback(pad, { type: "rumble", low: 0x8000, high: 0, ms: 10000 });
  await seen.until("the second rumble", () => seen.callbacks.length >= 3);
  input.stopFeedback("disconnect");
  await seen.until("the stop on disconnect", () => seen.callbacks.length >= 4);
  assert.deepEqual(seen.callbacks[3]!.feedback, { type: "rumble", low: 0, high: 0 });
  assert.equal(seen.applied.at(-1)?.reason, "disconnect");

  await new Promise((resolve) => setTimeout(resolve, 60));
  input.feedback(pad, { type: "rumble", low: 0x8000, high: 0, ms: 10000 });
  await seen.until("the third rumble", () => seen.callbacks.length >= 5);
  await input.detachVirtual(5);
  await seen.until("the stop on detach", () => seen.callbacks.length >= 6);
  assert.deepEqual(seen.callbacks[5]!.feedback, { type: "rumble", low: 0, high: 0 });
  assert.equal(seen.applied.at(-1)?.reason, "detach");
});

Deno.test("SdlInput.listControllers lists virtual controllers with type, GUID and mapping", async () => {
  await using input = await SdlInput.open({ window: false });
  const before = await input.listControllers();
  await input.attachVirtual(1, "Listed Pad");
  const after = await input.listControllers();
  assert.equal(after.length, before.length + 1);
  const listed = after.find((c) => c.name === "Listed Pad");
  assert.ok(listed, JSON.stringify(after));
  assert.equal(listed.type, "virtual");
  assert.equal(listed.mapped, true);
  assert.match(listed.guid, /^[0-9a-f]{32}$/);
  await input.detachVirtual(1);
  assert.equal((await input.listControllers()).length, before.length);
});

Deno.test("SdlInput reports the controller type SDL derives from a virtual pad's USB ids", async () => {
  await using input = await SdlInput.open({ window: false });
  const recorder = new Recorder(input);
  const models = [
    { id: 1, name: "padlink DS4", vendor: 0x054c, product: 0x09cc, kind: "ps4" },
    { id: 2, name: "padlink Xbox One", vendor: 0x045e, product: 0x02ea, kind: "xboxone" },
    { id: 3, name: "padlink Switch Pro", vendor: 0x057e, product: 0x2009, kind: "switchpro" },
  ];
  for (const model of models) {
    await input.attachVirtual(model.id, model.name, model);
    const event = recorder.events[await recorder.attached(model.name)]!;
    assert.ok(event.type === "pad");
    assert.deepEqual(
      { kind: event.kind, vendor: event.vendor, product: event.product },
      { kind: model.kind, vendor: model.vendor, product: model.product },
      model.name,
    );
    assert.ok(event.capabilities?.includes("rumble"), JSON.stringify(event));
  }
});
