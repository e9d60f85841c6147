import assert from "node:assert/strict";
import {
  decodeEvent,
  encodeKeyboardEvent,
  SDL_CONTROLLERAXISMOTION,
  SDL_CONTROLLERBUTTONDOWN,
  SDL_CONTROLLERBUTTONUP,
  SDL_CONTROLLERDEVICEADDED,
  SDL_CONTROLLERDEVICEREMAPPED,
  SDL_CONTROLLERDEVICEREMOVED,
  SDL_EVENT_SIZE,
  SDL_INIT_EVENTS,
  SDL_INIT_GAMECONTROLLER,
  SDL_INIT_JOYSTICK,
  SDL_INIT_VIDEO,
  SDL_JOYDEVICEADDED,
  SDL_JOYDEVICEREMOVED,
  SDL_KEYDOWN,
  SDL_KEYUP,
  SDL_POLLSENTINEL,
  SDL_QUIT,
  SDL_WINDOWEVENT,
  SDL_WINDOWEVENT_CLOSE,
  VIRTUAL_JOYSTICK_DESC,
} from "./events.ts";
import {
  CONTROLLER_SENSOR_EVENT,
  CONTROLLER_TOUCHPAD_EVENT,
  SDL_CONTROLLERSENSORUPDATE,
  SDL_CONTROLLERTOUCHPADDOWN,
  SDL_CONTROLLERTOUCHPADMOTION,
  SDL_CONTROLLERTOUCHPADUP,
  SDL_JOYBATTERYUPDATED,
  SDL_JOYSTICK_POWER_LOW,
  SDL_JOYSTICK_POWER_UNKNOWN,
  SDL_JOYSTICK_POWER_WIRED,
  SDL_SENSOR_ACCEL,
  SDL_SENSOR_GYRO,
} from "./events.ts";

/** A 56-byte event with every byte 0xAA, so unread padding cannot pass as zero. */
function eventBuffer(type: number, timestamp = 1234): [Uint8Array, DataView] {
  const bytes = new Uint8Array(SDL_EVENT_SIZE).fill(0xaa);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, timestamp, true);
  return [bytes, view];
}

Deno.test("SDL constants match SDL 2.26's SDL.h and SDL_events.h", () => {
  assert.equal(SDL_INIT_VIDEO, 0x20);
  assert.equal(SDL_INIT_JOYSTICK, 0x200);
  assert.equal(SDL_INIT_GAMECONTROLLER, 0x2000);
  assert.equal(SDL_INIT_EVENTS, 0x4000);
  assert.equal(SDL_QUIT, 0x100);
  assert.equal(SDL_WINDOWEVENT, 0x200);
  assert.equal(SDL_KEYDOWN, 0x300);
  assert.equal(SDL_KEYUP, 0x301);
  assert.equal(SDL_JOYDEVICEADDED, 0x605);
  assert.equal(SDL_JOYDEVICEREMOVED, 0x606);
  assert.equal(SDL_CONTROLLERAXISMOTION, 0x650);
  assert.equal(SDL_CONTROLLERBUTTONDOWN, 0x651);
  assert.equal(SDL_CONTROLLERBUTTONUP, 0x652);
  assert.equal(SDL_CONTROLLERDEVICEADDED, 0x653);
  assert.equal(SDL_CONTROLLERDEVICEREMOVED, 0x654);
  assert.equal(SDL_CONTROLLERDEVICEREMAPPED, 0x655);
  assert.equal(SDL_EVENT_SIZE, 56);
  assert.equal(VIRTUAL_JOYSTICK_DESC.size, 88);
});

Deno.test("decodeEvent reads SDL_KeyboardEvent with the keysym at offset 16", () => {
  const [bytes, view] = eventBuffer(SDL_KEYDOWN);
  view.setUint32(8, 7, true); // windowID
  view.setUint8(12, 1); // state = SDL_PRESSED
  view.setUint8(13, 0); // repeat
  view.setInt32(16, 82, true); // keysym.scancode = SDL_SCANCODE_UP
  view.setInt32(20, 0x40000052, true); // keysym.sym = SDLK_UP
  view.setUint16(24, 0x0001, true); // keysym.mod = KMOD_LSHIFT
  assert.deepEqual(decodeEvent(bytes), {
    kind: "key",
    timestamp: 1234,
    windowId: 7,
    pressed: true,
    repeat: false,
    scancode: 82,
    sym: 0x40000052,
    mod: 1,
  });
});

Deno.test("decodeEvent reads a key release and the repeat flag", () => {
  const [bytes, view] = eventBuffer(SDL_KEYUP);
  view.setUint8(12, 0); // SDL_RELEASED
  view.setUint8(13, 1); // repeat
  view.setInt32(16, 4, true); // SDL_SCANCODE_A
  view.setInt32(20, 97, true); // SDLK_a
  const event = decodeEvent(bytes);
  assert.equal(event.kind, "key");
  if (event.kind !== "key") return;
  assert.equal(event.pressed, false);
  assert.equal(event.repeat, true);
  assert.equal(event.scancode, 4);
  assert.equal(event.sym, 97);
});

Deno.test("decodeEvent reads SDL_ControllerAxisEvent: which@8, axis@12, value i16@16", () => {
  const [bytes, view] = eventBuffer(SDL_CONTROLLERAXISMOTION);
  view.setInt32(8, 3, true);
  view.setUint8(12, 4);
  view.setInt16(16, -32768, true);
  assert.deepEqual(decodeEvent(bytes), {
    kind: "controllerAxis",
    timestamp: 1234,
    which: 3,
    axis: 4,
    value: -32768,
  });
  view.setInt16(16, 32767, true);
  const event = decodeEvent(bytes);
  assert.equal(event.kind === "controllerAxis" && event.value, 32767);
});

Deno.test("decodeEvent reads SDL_ControllerButtonEvent down and up", () => {
  for (const [type, state] of [[SDL_CONTROLLERBUTTONDOWN, 1], [SDL_CONTROLLERBUTTONUP, 0]]) {
    const [bytes, view] = eventBuffer(type!);
    view.setInt32(8, 12, true);
    view.setUint8(12, 20); // SDL_CONTROLLER_BUTTON_TOUCHPAD
    view.setUint8(13, state!);
    assert.deepEqual(decodeEvent(bytes), {
      kind: "controllerButton",
      timestamp: 1234,
      which: 12,
      button: 20,
      pressed: state === 1,
    });
  }
});

Deno.test("decodeEvent reads SDL_ControllerDeviceEvent added, removed and remapped", () => {
  const cases = [
    [SDL_CONTROLLERDEVICEADDED, "added"],
    [SDL_CONTROLLERDEVICEREMOVED, "removed"],
    [SDL_CONTROLLERDEVICEREMAPPED, "remapped"],
  ] as const;
  for (const [type, change] of cases) {
    const [bytes, view] = eventBuffer(type);
    view.setInt32(8, 5, true);
    assert.deepEqual(decodeEvent(bytes), {
      kind: "controllerDevice",
      timestamp: 1234,
      change,
      which: 5,
    });
  }
});

Deno.test("decodeEvent reads SDL_JoyDeviceEvent added and removed", () => {
  for (
    const [type, change] of [[SDL_JOYDEVICEADDED, "added"], [
      SDL_JOYDEVICEREMOVED,
      "removed",
    ]] as const
  ) {
    const [bytes, view] = eventBuffer(type);
    view.setInt32(8, -2, true);
    assert.deepEqual(decodeEvent(bytes), {
      kind: "joystickDevice",
      timestamp: 1234,
      change,
      which: -2,
    });
  }
});

Deno.test("decodeEvent reads SDL_WindowEvent: event u8@12, data1@16, data2@20", () => {
  const [bytes, view] = eventBuffer(SDL_WINDOWEVENT);
  view.setUint32(8, 2, true);
  view.setUint8(12, SDL_WINDOWEVENT_CLOSE);
  view.setInt32(16, -5, true);
  view.setInt32(20, 480, true);
  assert.deepEqual(decodeEvent(bytes), {
    kind: "window",
    timestamp: 1234,
    windowId: 2,
    event: 14,
    data1: -5,
    data2: 480,
  });
});

Deno.test("decodeEvent reads SDL_QUIT and passes other types through", () => {
  assert.deepEqual(decodeEvent(eventBuffer(SDL_QUIT, 9)[0]), { kind: "quit", timestamp: 9 });
  assert.deepEqual(decodeEvent(eventBuffer(SDL_POLLSENTINEL, 9)[0]), {
    kind: "other",
    timestamp: 9,
    type: 0x7f00,
  });
});

Deno.test("decodeEvent honours the byteOffset of a subarray", () => {
  const big = new Uint8Array(8 + SDL_EVENT_SIZE);
  const view = new DataView(big.buffer, 8);
  view.setUint32(0, SDL_CONTROLLERBUTTONDOWN, true);
  view.setInt32(8, 1, true);
  view.setUint8(12, 11);
  view.setUint8(13, 1);
  const event = decodeEvent(big.subarray(8));
  assert.equal(event.kind === "controllerButton" && event.button, 11);
});

Deno.test("decodeEvent rejects a buffer shorter than 56 bytes", () => {
  assert.throws(() => decodeEvent(new Uint8Array(32)), RangeError);
});

Deno.test("encodeKeyboardEvent writes the fields at SDL_KeyboardEvent's offsets", () => {
  const bytes = encodeKeyboardEvent({ pressed: true, scancode: 82, sym: 0x40000052, windowId: 3 });
  const view = new DataView(bytes.buffer);
  assert.equal(bytes.length, 56);
  assert.equal(view.getUint32(0, true), SDL_KEYDOWN);
  assert.equal(view.getUint32(8, true), 3);
  assert.equal(view.getUint8(12), 1);
  assert.equal(view.getUint8(13), 0);
  assert.equal(view.getInt32(16, true), 82);
  assert.equal(view.getInt32(20, true), 0x40000052);
  const up = decodeEvent(encodeKeyboardEvent({ pressed: false, scancode: 4, sym: 97 }));
  assert.equal(up.kind === "key" && !up.pressed && up.scancode === 4 && up.sym === 97, true);
});

Deno.test("decodeEvent reads SDL 2.26 touchpad events at SDL_ControllerTouchpadEvent's offsets", () => {
  assert.deepEqual(
    [
      SDL_CONTROLLERTOUCHPADDOWN,
      SDL_CONTROLLERTOUCHPADMOTION,
      SDL_CONTROLLERTOUCHPADUP,
      SDL_CONTROLLERSENSORUPDATE,
      SDL_JOYBATTERYUPDATED,
    ],
    [0x656, 0x657, 0x658, 0x659, 0x607],
  );
  const states = [
    [SDL_CONTROLLERTOUCHPADDOWN, "down"],
    [SDL_CONTROLLERTOUCHPADMOTION, "move"],
    [SDL_CONTROLLERTOUCHPADUP, "up"],
  ] as const;
  for (const [type, state] of states) {
    const [bytes, view] = eventBuffer(type, 77);
    view.setInt32(8, 12, true); // which
    view.setInt32(12, 1, true); // touchpad
    view.setInt32(16, 2, true); // finger
    view.setFloat32(20, 0.25, true); // x
    view.setFloat32(24, 0.75, true); // y
    view.setFloat32(28, 0.5, true); // pressure
    assert.deepEqual(decodeEvent(bytes), {
      kind: "controllerTouchpad",
      timestamp: 77,
      which: 12,
      state,
      touchpad: 1,
      finger: 2,
      x: 0.25,
      y: 0.75,
      pressure: 0.5,
    });
  }
  assert.deepEqual(CONTROLLER_TOUCHPAD_EVENT, {
    which: 8,
    touchpad: 12,
    finger: 16,
    x: 20,
    y: 24,
    pressure: 28,
  });
});

Deno.test("decodeEvent reads SDL 2.26 sensor events, timestamp_us 8-byte aligned at 32", () => {
  const [bytes, view] = eventBuffer(SDL_CONTROLLERSENSORUPDATE, 5);
  view.setInt32(8, 3, true); // which
  view.setInt32(12, SDL_SENSOR_GYRO, true);
  view.setFloat32(16, 1.5, true);
  view.setFloat32(20, -2.25, true);
  view.setFloat32(24, 0.125, true);
  view.setBigUint64(32, 123456789012n, true);
  assert.deepEqual(decodeEvent(bytes), {
    kind: "controllerSensor",
    timestamp: 5,
    which: 3,
    sensor: 2,
    data: [1.5, -2.25, 0.125],
    timestampUs: 123456789012,
  });
  assert.equal(SDL_SENSOR_ACCEL, 1);
  assert.equal(CONTROLLER_SENSOR_EVENT.timestamp_us, 32);
});

Deno.test("decodeEvent reads SDL_JoyBatteryEvent's power level", () => {
  const [bytes, view] = eventBuffer(SDL_JOYBATTERYUPDATED, 9);
  view.setInt32(8, 4, true);
  view.setInt32(12, SDL_JOYSTICK_POWER_LOW, true);
  assert.deepEqual(decodeEvent(bytes), { kind: "joyBattery", timestamp: 9, which: 4, level: 1 });
  assert.deepEqual(
    [SDL_JOYSTICK_POWER_UNKNOWN, SDL_JOYSTICK_POWER_LOW, SDL_JOYSTICK_POWER_WIRED],
    [-1, 1, 4],
  );
});
