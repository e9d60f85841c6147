import assert from "node:assert/strict";
import {
  checkListenHost,
  parseFlags,
  parseInteger,
  parseListenAddress,
  readCommandLine,
  readToken,
  UsageError,
} from "./common.ts";

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

Deno.test("parseFlags: a switch given a value (--json=yes) says to write it alone", () => {
  assert.throws(
    () => parseFlags("p", ["--json=yes"], FLAGS),
    (error: unknown) =>
      error instanceof UsageError &&
      error.message === "--json is a switch and takes no value: write --json alone",
  );
});

Deno.test("parseListenAddress takes PORT, ADDR:PORT and [IPV6]:PORT, for --web and --dsu alike", () => {
  assert.deepEqual(parseListenAddress("26761", "--dsu", "127.0.0.1"), {
    hostname: "127.0.0.1",
    port: 26761,
  });
  assert.deepEqual(parseListenAddress("0", "--web", "127.0.0.1"), {
    hostname: "127.0.0.1",
    port: 0,
  });
  assert.deepEqual(parseListenAddress("0.0.0.0:8080", "--web", "x"), {
    hostname: "0.0.0.0",
    port: 8080,
  });
  assert.deepEqual(parseListenAddress("[::1]:5", "--dsu", "x"), { hostname: "::1", port: 5 });
  const refused = (value: string, pattern: RegExp) =>
    assert.throws(
      () => parseListenAddress(value, "--dsu", "127.0.0.1"),
      (error: unknown) => error instanceof UsageError && pattern.test(error.message),
      value,
    );
  refused("::1:5", /^--dsu takes \[ADDR:\]PORT, .*IPv6 address in brackets: \[::1\]:7176$/);
  refused(":5", /no address before ':'/);
  refused("[]:5", /no address before ':'/);
  refused("host:x", /^--dsu must be a port number/);
  refused("1.2.3.4:", /^--dsu must be a port number/);
  refused("1.2.3.4:70000", /^--dsu must be a port number/);
  refused("65536", /^--dsu must be a port number/);
  refused("nonsense", /^--dsu takes \[ADDR:\]PORT, for example 7176/);
  refused("", /^--dsu takes \[ADDR:\]PORT/);
  refused("80 ", /^--dsu takes \[ADDR:\]PORT/);
  refused("999.1.1.1:80", /^--dsu '999\.1\.1\.1' is not an IPv4 address/);
});

Deno.test("checkListenHost refuses what no listener takes, naming the flag", () => {
  for (const good of ["0.0.0.0", "::", "::1", "fe80::1%eth0", "localhost", "pad-box.lan"]) {
    assert.equal(checkListenHost(good, "--host", "fix it"), good);
  }
  for (const bad of ["", " ", "999.1.1.1", "1.2.3", "1.2.3.4.5", "a_b", "x y", "[::1]"]) {
    assert.throws(
      () => checkListenHost(bad, "--host", "fix it"),
      (error: unknown) => error instanceof UsageError && /^--host .*; fix it$/.test(error.message),
      bad,
    );
  }
});

Deno.test("parseInteger refuses fractions instead of rounding them", () => {
  assert.equal(parseInteger("64", "--n", 1, 100), 64);
  for (const bad of ["1.5", "1e1", "", "0", "101", "x"]) {
    assert.throws(() => parseInteger(bad, "--n", 1, 100), UsageError, bad);
  }
});
