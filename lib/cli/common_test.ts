import assert from "node:assert/strict";
import { parseFlags, readCommandLine, readToken, UsageError } from "./common.ts";

const FLAGS = {
  port: { type: "string" },
  json: { type: "boolean" },
} as const;

Deno.test("parseFlags skips one leading --, as deno task passes it through", () => {
  // parseArgs gives objects without a prototype: spread them to compare.
  assert.deepEqual({ ...parseFlags("p", ["--", "--json", "--port", "1"], FLAGS) }, {
    json: true,
    port: "1",
  });
  assert.deepEqual({ ...parseFlags("p", ["--json"], FLAGS) }, { json: true });
  assert.deepEqual({ ...parseFlags("p", ["--"], FLAGS) }, {});
});

Deno.test("parseFlags refuses a -- that is not first, and positionals, naming them", () => {
  assert.throws(
    () => parseFlags("p", ["--json", "--", "--port", "1"], FLAGS),
    (error: unknown) => error instanceof UsageError && /unexpected argument/.test(error.message),
  );
  assert.throws(
    () => parseFlags("p", ["--", "--", "--json"], FLAGS),
    (error: unknown) => error instanceof UsageError && /unexpected argument/.test(error.message),
  );
  assert.throws(
    () => parseFlags("p", ["--bogus"], FLAGS),
    (error: unknown) =>
      error instanceof UsageError && /unknown option --bogus; run p --help/.test(error.message),
  );
});

Deno.test("readCommandLine: options run, help and version exit 0, a usage error exits 2", async () => {
  assert.deepEqual(await readCommandLine("p", "HELP", () => ({ a: 1 })), { options: { a: 1 } });
  const printed: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (line: string) => printed.push(`out ${line}`);
  console.error = (line: string) => printed.push(`err ${line}`);
  try {
    assert.deepEqual(await readCommandLine("p", "HELP", () => "help" as const), { exitStatus: 0 });
    assert.deepEqual(await readCommandLine("p", "HELP", () => "version" as const), {
      exitStatus: 0,
    });
    assert.deepEqual(
      await readCommandLine("p", "HELP", () => {
        throw new UsageError("bad flag");
      }),
      { exitStatus: 2 },
    );
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.equal(printed[0], "out HELP");
  assert.match(printed[1]!, /^out p \d+\.\d+\.\d+/);
  assert.equal(printed[2], "err p: bad flag");
  await assert.rejects(
    () =>
      readCommandLine("p", "HELP", () => {
        throw new RangeError("a bug, not a usage error");
      }),
    RangeError,
  );
});

Deno.test("readToken takes --token over PADLINK_TOKEN, treats an empty variable as unset, and names the source of a bad one", () => {
  const saved = Deno.env.get("PADLINK_TOKEN");
  try {
    Deno.env.set("PADLINK_TOKEN", "ENV-TOKEN-1234");
    assert.equal(readToken("flag-token-5678"), "f1agt0ken5678");
    assert.equal(readToken(undefined), "envt0ken1234");
    Deno.env.set("PADLINK_TOKEN", " ");
    assert.equal(readToken(undefined), undefined);
    Deno.env.set("PADLINK_TOKEN", "short");
    assert.throws(
      () => readToken(undefined, { any: "; fix it", env: " (or unset it)" }),
      (error: unknown) =>
        error instanceof UsageError &&
        /^PADLINK_TOKEN: the token must .*; fix it \(or unset it\)$/.test(error.message),
    );
    assert.throws(
      () => readToken("", { any: "; fix it", env: " (or unset it)" }),
      (error: unknown) =>
        error instanceof UsageError && /^--token: the token must .*; fix it$/.test(error.message),
    );
  } finally {
    if (saved === undefined) Deno.env.delete("PADLINK_TOKEN");
    else Deno.env.set("PADLINK_TOKEN", saved);
  }
});
