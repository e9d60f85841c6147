import assert from "node:assert/strict";
import { type Join, MAX_NAME_BYTES, RefuseCode } from "../wire/protocol.ts";
import { checkCapacity, checkJoin, type JoinPolicy, WRONG_TOKEN } from "./join.ts";

function join(overrides: Partial<Join> = {}): Join {
  return {
    version: 1,
    flags: 0,
    name: "alice",
    nonce: new Uint8Array(16),
    proof: new Uint8Array(32).fill(7),
    ...overrides,
  };
}

const OPEN: JoinPolicy = { protocolVersion: 1, tokenRequired: false };
const LOCKED: JoinPolicy = { ...OPEN, tokenRequired: true };

Deno.test("checkJoin accepts a good JOIN under its trimmed name", () => {
  assert.deepEqual(checkJoin(join({ name: "  alice " }), OPEN), { accept: true, name: "alice" });
  assert.deepEqual(checkJoin(join(), LOCKED), { accept: true, name: "alice" });
});

Deno.test("checkJoin refuses another protocol version, naming both", () => {
  assert.deepEqual(checkJoin(join({ version: 2 }), OPEN), {
    accept: false,
    code: RefuseCode.VERSION,
    reason: "server speaks padlink protocol v1, client sent v2",
  });
});

Deno.test("checkJoin refuses an empty, overlong or control-character name", () => {
  for (const name of ["", "   ", "x".repeat(MAX_NAME_BYTES + 1), "a\u0007b", "a#2"]) {
    const verdict = checkJoin(join({ name }), OPEN);
    assert.equal(verdict.accept, false, JSON.stringify(name));
    if (!verdict.accept) assert.equal(verdict.code, RefuseCode.BAD_NAME);
  }
});

Deno.test("checkJoin refuses a missing token only when one is required", () => {
  const noProof = join({ proof: new Uint8Array(0) });
  assert.equal(checkJoin(noProof, OPEN).accept, true);
  assert.deepEqual(checkJoin(noProof, LOCKED), {
    accept: false,
    code: RefuseCode.TOKEN_REQUIRED,
    reason: "this server requires a token",
  });
});

Deno.test("checkJoin names a client in NFC", () => {
  assert.deepEqual(checkJoin(join({ name: "Rene\u0301" }), OPEN), {
    accept: true,
    name: "Ren\u00e9",
  });
});

Deno.test("checkJoin refuses an invisible name", () => {
  const verdict = checkJoin(join({ name: "\u200b\u200c" }), OPEN);
  assert.equal(!verdict.accept && verdict.code, RefuseCode.BAD_NAME);
});

Deno.test("checkJoin judges the version before the name", () => {
  const verdict = checkJoin(join({ version: 0, name: "" }), OPEN);
  assert.equal(!verdict.accept && verdict.code, RefuseCode.VERSION);
});

Deno.test("checkCapacity refuses only at the limit", () => {
  assert.equal(checkCapacity(0, 1), null);
  assert.equal(checkCapacity(63, 64), null);
  assert.deepEqual(checkCapacity(64, 64), {
    code: RefuseCode.SERVER_FULL,
    reason: "server is full (64 clients)",
  });
  assert.equal(WRONG_TOKEN.code, RefuseCode.TOKEN_WRONG);
});
