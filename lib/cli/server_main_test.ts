import assert from "node:assert/strict";
import { parseServerArgs } from "./server_main.ts";
import { UsageError } from "./common.ts";

function web(args: string[]) {
  const options = parseServerArgs(args);
  assert.ok(typeof options === "object");
  return options.web;
}

Deno.test("--web alone, last or before another flag, means 127.0.0.1:7176", () => {
  assert.deepEqual(web(["--web"]), { hostname: "127.0.0.1", port: 7176 });
  assert.deepEqual(web(["--web", "--json"]), { hostname: "127.0.0.1", port: 7176 });
  assert.equal(web(["--json"]), null);
});

Deno.test("--web off loopback with --no-auth is refused; on loopback it is fine", () => {
  assert.throws(() => parseServerArgs(["--web", "0.0.0.0:0", "--no-auth"]), UsageError);
  assert.deepEqual(web(["--web", "127.0.0.2:0", "--no-auth"]), { hostname: "127.0.0.2", port: 0 });
});

Deno.test("--web on the pairing port of --tls is refused, naming a free one", () => {
  assert.throws(
    () => parseServerArgs(["--tls", "--web"]),
    (error: Error) => error instanceof UsageError && error.message.includes("--web 127.0.0.1:7177"),
  );
  assert.deepEqual(web(["--tls", "--web", "7177"]), { hostname: "127.0.0.1", port: 7177 });
});

Deno.test("--output-queue takes a whole number of events, default 100000", () => {
  const parsed = (args: string[]) => {
    const options = parseServerArgs(args);
    assert.ok(typeof options === "object");
    return options.outputQueue;
  };
  assert.equal(parsed([]), 100_000);
  assert.equal(parsed(["--output-queue", "1000"]), 1000);
  assert.equal(parsed(["--output-queue=1"]), 1);
  assert.throws(() => parseServerArgs(["--output-queue", "-5"]), UsageError);
  for (const bad of ["0", "x", "", "10000001"]) {
    assert.throws(
      () => parseServerArgs(["--output-queue", bad]),
      (error: Error) =>
        error instanceof UsageError &&
        error.message === `--output-queue must be a whole number from 1 to 10000000, got '${bad}'`,
      bad,
    );
  }
});

Deno.test("--max-clients takes a whole number: 1.5 is refused, not floored", () => {
  const options = parseServerArgs(["--max-clients", "3"]);
  assert.ok(typeof options === "object");
  assert.equal(options.maxClients, 3);
  for (const bad of ["1.5", "0", "x", "1e3", ""]) {
    assert.throws(
      () => parseServerArgs(["--max-clients", bad]),
      (error: Error) =>
        error instanceof UsageError &&
        error.message === `--max-clients must be a whole number from 1 to 100000, got '${bad}'`,
      bad,
    );
  }
});

Deno.test("--host is checked before listening: empty, a bad dotted quad, junk", () => {
  const host = (value: string) => {
    const options = parseServerArgs(["--host", value]);
    assert.ok(typeof options === "object");
    return options.hostname;
  };
  assert.equal(host("127.0.0.1"), "127.0.0.1");
  assert.equal(host("::"), "::");
  assert.equal(host("localhost"), "localhost");
  assert.equal(host("nonexistent.invalid"), "nonexistent.invalid"); // refused when it does not resolve
  for (const bad of ["", "999.1.1.1", "1.2.3", "a b", "[::1]", "::1::2", "host:7175"]) {
    assert.throws(() => parseServerArgs([`--host=${bad}`]), UsageError, bad);
  }
});

Deno.test("--stats takes seconds; human output has stats every 5 s by default, --json none, 0 is off", () => {
  const parsed = (args: string[]) => {
    const options = parseServerArgs(args);
    assert.ok(typeof options === "object");
    return options.statsSeconds;
  };
  assert.equal(parsed([]), 5);
  assert.equal(parsed(["--json"]), 0);
  assert.equal(parsed(["--json", "--stats", "2"]), 2);
  assert.equal(parsed(["--stats", "0"]), 0);
  assert.equal(parsed(["--stats=0.5"]), 0.5);
  for (const bad of ["-1", "x", "", "86401"]) {
    assert.throws(() => parseServerArgs(["--stats", bad]), UsageError, bad);
  }
});
