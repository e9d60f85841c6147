import assert from "node:assert/strict";
import { parseServerArgs, parseWebAddress } from "./server_main.ts";
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

Deno.test("--web takes PORT, ADDR:PORT and [IPV6]:PORT", () => {
  assert.deepEqual(parseWebAddress("0"), { hostname: "127.0.0.1", port: 0 });
  assert.deepEqual(parseWebAddress("0.0.0.0:8080"), { hostname: "0.0.0.0", port: 8080 });
  assert.deepEqual(parseWebAddress("[::1]:7176"), { hostname: "::1", port: 7176 });
  assert.deepEqual(web(["--web=192.168.1.5:7176"]), { hostname: "192.168.1.5", port: 7176 });
  for (const bad of ["", "x", "1.2.3.4:", ":80", "::1:80", "1.2.3.4:70000", "80 "]) {
    assert.throws(() => parseWebAddress(bad), UsageError, bad);
  }
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
        error.message === `--output-queue must be a number from 1 to 10000000, got '${bad}'`,
      bad,
    );
  }
});
