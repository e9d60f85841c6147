import assert from "node:assert/strict";
import { UsageError } from "./common.ts";
import { defaultNatsName, natsStatusNote, parseNatsFlags } from "./nats.ts";
import { parseServerArgs } from "./server_main.ts";

Deno.test("parseNatsFlags: off without --nats; the host name by default; the flags go together", () => {
  assert.equal(parseNatsFlags({}), null);
  const options = parseNatsFlags({ nats: "nats://127.0.0.1:4333" })!;
  assert.equal(options.name, defaultNatsName());
  assert.equal(options.optional, false);
  assert.equal(options.address.server, "127.0.0.1:4333");
  for (const stray of ["--nats-name", "--nats-creds", "--nats-queue"]) {
    assert.throws(() => parseServerArgs([stray, "x"]), new UsageError(`${stray} needs --nats URL`));
  }
  assert.throws(
    () => parseServerArgs(["--nats-optional"]),
    new UsageError("--nats-optional needs --nats URL"),
  );
});

Deno.test("parseNatsFlags refuses credentials twice, a bad URL, a bad name or queue", () => {
  assert.throws(
    () => parseNatsFlags({ nats: "nats://u:p@h", "nats-creds": "x.creds" }),
    /carries credentials and --nats-creds/,
  );
  assert.throws(() => parseNatsFlags({ nats: "h:4222" }), UsageError);
  assert.throws(() => parseNatsFlags({ nats: "nats://h", "nats-name": " " }), /--nats-name/);
  assert.throws(() => parseNatsFlags({ nats: "nats://h", "nats-name": "a\x1bb" }), /--nats-name/);
  assert.throws(() => parseNatsFlags({ nats: "nats://h", "nats-queue": "0" }), /--nats-queue/);
});

Deno.test("parseServerArgs takes the NATS flags", () => {
  const options = parseServerArgs([
    "--nats",
    "tls://h:4443",
    "--nats-name",
    "lab.1",
    "--nats-optional",
    "--nats-queue",
    "50",
  ]);
  assert(typeof options === "object");
  assert.equal(options.nats?.address.tls, true);
  assert.equal(options.nats?.name, "lab.1");
  assert.equal(options.nats?.optional, true);
  assert.equal(options.nats?.queueLimit, 50);
});

Deno.test("natsStatusNote says nats disconnected / reconnected, and the gap's subject", () => {
  const options = parseNatsFlags({ nats: "nats://u:secret@h", "nats-name": "lab 1" })!;
  const down = natsStatusNote({ state: "disconnected" }, options);
  assert.match(down.text, /^nats disconnected from nats:\/\/h:4222;/);
  assert.doesNotMatch(down.text, /secret/);
  assert.deepEqual(down.json, { type: "nats", state: "disconnected", url: "nats://h:4222" });
  assert.equal(
    natsStatusNote({ state: "reconnected" }, options).text,
    "nats reconnected to nats://h:4222",
  );
  assert.match(
    natsStatusNote({ state: "gap", dropped: 3 }, options).text,
    /3 events .* padlink\.lab%201\.gap/,
  );
});
