import assert from "node:assert/strict";
import { KnownHostsError, lookupKnownHost, parseKnownHosts, pinKnownHost } from "./known_hosts.ts";
import { fingerprintOf } from "./tls.ts";

Deno.test("pinKnownHost creates the file, replaces a host's pin, and keeps other hosts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-kh-" });
  try {
    const path = `${dir}/sub/known_hosts`;
    assert.equal(await lookupKnownHost(path, "a:1"), null, "no file yet");
    const first = new Uint8Array([1, 2, 3]);
    const second = new Uint8Array([4, 5, 6, 7]);
    assert.equal(await pinKnownHost(path, "a:1", first), await fingerprintOf(first));
    await pinKnownHost(path, "b:2", first);
    await pinKnownHost(path, "a:1", second);
    const hosts = parseKnownHosts(await Deno.readTextFile(path));
    assert.deepEqual(hosts.map((h) => h.where).sort(), ["a:1", "b:2"]);
    assert.deepEqual((await lookupKnownHost(path, "a:1"))?.der, second);
    assert.deepEqual((await lookupKnownHost(path, "b:2"))?.der, first);
    assert.equal(await lookupKnownHost(path, "a:2"), null, "the port is part of the key");
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(path)).mode! & 0o077, 0, "only the owner can read it");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lookupKnownHost refuses a line whose fingerprint does not match its certificate", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-kh-" });
  try {
    const path = `${dir}/known_hosts`;
    await Deno.writeTextFile(path, "h:1 AB:CD AQID\n");
    await assert.rejects(lookupKnownHost(path, "h:1"), KnownHostsError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseKnownHosts skips comments and damaged lines", () => {
  const hosts = parseKnownHosts("# c\n\nonly-two fields\nh:1 F !!!notbase64\nh:2 F AQ==\n");
  assert.deepEqual(hosts.map((h) => [h.where, h.line]), [["h:2", 5]]);
});
