import assert from "node:assert/strict";
import { hasUnsafeCharacter, jsonString, jsonText, safeText } from "./safe_text.ts";

Deno.test("safeText escapes every C0, DEL and C1 control", () => {
  for (let code = 0; code <= 0x9f; code++) {
    if (code >= 0x20 && code < 0x7f) continue;
    const shown = safeText(`a${String.fromCharCode(code)}b`);
    assert.equal(shown, `a\\x${code.toString(16).padStart(2, "0")}b`);
  }
});

Deno.test("safeText escapes bidi controls and line and paragraph separators", () => {
  const unsafe = [0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e];
  unsafe.push(0x2066, 0x2067, 0x2068, 0x2069);
  for (const code of unsafe) {
    assert.equal(safeText(String.fromCharCode(code)), `\\u${code.toString(16).padStart(4, "0")}`);
  }
});

Deno.test("safeText keeps printable text, other scripts and emoji as they are", () => {
  const text = "Xbox Series X Controller — Ärger 日本語 🎮 \u200d é";
  assert.equal(safeText(text), text);
});

Deno.test("safeText defuses the attacks a hostile client tried", () => {
  const attacks = [
    "pad\nbob pad0 A pressed", // A forged line.
    "\x1b[2J\x1b[H", // Clear the screen.
    "\x1b[1A\x1b[2K", // Erase the line above.
    "\x1b]0;owned\x07", // Terminal title.
    "\x1b]52;c;cm0gLXJmIH4=\x07", // OSC 52: set the clipboard.
    "\u009b2J", // One-byte CSI.
    "evil\u202egpj.exe", // Right-to-left override.
  ];
  for (const attack of attacks) {
    const shown = safeText(attack);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(shown, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/, JSON.stringify(shown));
  }
});

Deno.test("jsonString escapes what JSON.stringify leaves raw and still parses back", () => {
  const text = "a\u007f\u0085\u009b\u202e\u2066\u2028\u2029\n\u001b é 🎮";
  const literal = jsonString(text);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(literal, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2028\u2029\u2066]/);
  assert.equal(JSON.parse(literal), text);
  assert.ok(literal.includes("é 🎮"));
});

Deno.test("jsonText escapes them in every string of a record, keys included, and parses back", () => {
  const value = { type: "nats", error: "-ERR \u009b2J\u2028x", ["k\u202e"]: ["\u0085", 1, null] };
  const text = jsonText(value);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2028\u2029]/);
  assert.deepEqual(JSON.parse(text), value);
  assert.equal(jsonText({ a: "plain é" }), JSON.stringify({ a: "plain é" }));
});

Deno.test("hasUnsafeCharacter agrees with safeText", () => {
  for (const text of ["plain", "tab\there", "\u202e", "Ärger", "\u0085", "a\u2029"]) {
    assert.equal(hasUnsafeCharacter(text), safeText(text) !== text, JSON.stringify(text));
  }
});
