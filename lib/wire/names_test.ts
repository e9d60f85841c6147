import assert from "node:assert/strict";
import { normalizeClientName, validateClientName } from "./names.ts";

Deno.test("normalizeClientName gives one form to the same name typed two ways", () => {
  assert.equal(normalizeClientName("Rene\u0301"), normalizeClientName("Ren\u00e9"));
  assert.equal(normalizeClientName("  alice\t"), "alice");
});

Deno.test("validateClientName accepts ordinary names in any script", () => {
  for (const name of ["alice", "bob-laptop", "Ärger", "日本語", "🎮 pad", "a\u200db"]) {
    assert.equal(validateClientName(name), null, name);
  }
});

Deno.test("validateClientName refuses an empty or invisible name and says why", () => {
  assert.match(validateClientName("")!, /empty/);
  assert.match(validateClientName("   ")!, /empty/);
  for (const name of ["\u200b", "\u200b\u200c\u200d", "\ufeff", "\u2060\u00ad", "\u3164"]) {
    assert.match(validateClientName(name)!, /invisible|empty/, JSON.stringify(name));
  }
});

Deno.test("validateClientName refuses controls, bidi controls, separators and '#'", () => {
  const bad = ["a\x1bb", "a\nb", "a\x7fb", "a\u009bb", "a\u202eb", "a\u2067b", "a\u2028b", "a#b"];
  for (const name of bad) {
    assert.match(validateClientName(name)!, /control character/, JSON.stringify(name));
  }
});

Deno.test("validateClientName refuses a name over 64 bytes of UTF-8", () => {
  assert.equal(validateClientName("x".repeat(64)), null);
  assert.match(validateClientName("x".repeat(65))!, /longer than 64 bytes/);
  assert.match(validateClientName("é".repeat(33))!, /longer than 64 bytes/);
});
