import assert from "node:assert/strict";
import { NatsUrlError, parseNatsUrl } from "./url.ts";

Deno.test("parseNatsUrl reads host, port, TLS and credentials, and prints none of them", () => {
  assert.deepEqual(parseNatsUrl("nats://127.0.0.1"), {
    server: "127.0.0.1:4222",
    tls: false,
    display: "nats://127.0.0.1:4222",
  });
  const tls = parseNatsUrl("tls://ann:p%40ss@nats.example.org:4443");
  assert.equal(tls.tls, true);
  assert.equal(tls.user, "ann");
  assert.equal(tls.pass, "p@ss");
  assert.equal(tls.display, "tls://nats.example.org:4443");
  assert.equal(parseNatsUrl("nats://s3cret@[::1]:4222").token, "s3cret");
  assert.equal(parseNatsUrl("nats://[::1]:4222").server, "[::1]:4222");
});

Deno.test("parseNatsUrl refuses what is not a NATS URL, in one line", () => {
  for (
    const bad of ["127.0.0.1:4222", "http://h:4222", "nats://h:4222/x", "nats://:pw@h", "nats://"]
  ) {
    assert.throws(() => parseNatsUrl(bad), (error) => {
      assert(error instanceof NatsUrlError, String(error));
      assert.match(error.message, /^--nats /);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    }, bad);
  }
});
