import assert from "node:assert/strict";
import { NameRegistry } from "./name_registry.ts";

Deno.test("NameRegistry suffixes a taken name and reuses the lowest free suffix", () => {
  const names = new NameRegistry();
  assert.equal(names.claim("pad"), "pad");
  assert.equal(names.claim("pad"), "pad#2");
  assert.equal(names.claim("pad"), "pad#3");
  names.release("pad#2");
  assert.equal(names.claim("pad"), "pad#2");
  assert.equal(names.claim("other"), "other");
  assert.equal(names.size, 4);
});

Deno.test("NameRegistry frees a released name for the next claim", () => {
  const names = new NameRegistry();
  names.claim("alice");
  names.release("alice");
  assert.equal(names.size, 0);
  assert.equal(names.claim("alice"), "alice");
});
