import assert from "node:assert/strict";
import { loadOrCreateToken, TOKEN_FILE, TokenStoreError } from "./token_store.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "padlink-token-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadOrCreateToken makes a token once, mode 0600, and reuses it", () =>
  withDir(async (dir) => {
    const nested = `${dir}/config/padlink`;
    const first = await loadOrCreateToken(nested);
    assert.equal(first.created, true);
    assert.equal(first.file, `${nested}/${TOKEN_FILE}`);
    assert.match(first.token, /^[0-9a-z]{16}$/);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(first.file)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(nested)).mode! & 0o777, 0o700);
    }
    const again = await loadOrCreateToken(nested);
    assert.deepEqual(again, { ...first, created: false });
    assert.deepEqual([...Deno.readDirSync(nested)].map((e) => e.name), [TOKEN_FILE]);
  }));

Deno.test("loadOrCreateToken with rotate replaces the kept token", () =>
  withDir(async (dir) => {
    const first = await loadOrCreateToken(dir);
    const rotated = await loadOrCreateToken(dir, { rotate: true });
    assert.equal(rotated.created, true);
    assert.notEqual(rotated.token, first.token);
    assert.equal((await loadOrCreateToken(dir)).token, rotated.token);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(rotated.file)).mode! & 0o777, 0o600);
    }
  }));

Deno.test("loadOrCreateToken: servers starting at once agree on one token", () =>
  withDir(async (dir) => {
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateToken(dir)));
    assert.equal(new Set(all.map((s) => s.token)).size, 1);
    assert.equal(all.filter((s) => s.created).length, 1);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [TOKEN_FILE]);
  }));

Deno.test("loadOrCreateToken reads a token written by hand, and names a damaged one", () =>
  withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/${TOKEN_FILE}`, "  ABCD-EFGH-JKMN  \n");
    assert.equal((await loadOrCreateToken(dir)).token, "abcdefghjkmn");
    await Deno.writeTextFile(`${dir}/${TOKEN_FILE}`, "short\n");
    await assert.rejects(
      () => loadOrCreateToken(dir),
      (error: Error) =>
        error instanceof TokenStoreError && error.damaged &&
        /is damaged .*--new-token/.test(error.message),
    );
    assert.equal((await loadOrCreateToken(dir, { rotate: true })).created, true);
  }));

Deno.test("loadOrCreateToken in a place it cannot write says what to do", () =>
  withDir(async (dir) => {
    const file = `${dir}/not-a-dir`;
    await Deno.writeTextFile(file, "");
    await assert.rejects(
      () => loadOrCreateToken(`${file}/padlink`),
      (error: Error) =>
        error instanceof TokenStoreError &&
        /^cannot (read|keep) the token in .*; pass (a writable|another) --config-dir/.test(
          error.message,
        ),
    );
  }));
