import assert from "node:assert/strict";
import {
  CertificateError,
  createCa,
  isPadlinkCa,
  loadOrCreateServerIdentity,
  loadOwnIdentity,
  SERVER_FILES,
} from "./certificate.ts";
import { fingerprintOf, pemToDers } from "./tls.ts";

Deno.test("loadOrCreateServerIdentity makes a CA-signed identity once, then reuses it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-cert-" });
  try {
    const first = await loadOrCreateServerIdentity(`${dir}/cfg`);
    assert.equal(first.created, true);
    assert.ok(first.caDer && isPadlinkCa(first.caDer));
    assert.equal(first.fingerprint, await fingerprintOf(first.caDer));
    assert.match(first.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const second = await loadOrCreateServerIdentity(`${dir}/cfg`);
    assert.equal(second.created, false);
    assert.equal(second.fingerprint, first.fingerprint);
    assert.equal(second.certPem, first.certPem);
    if (Deno.build.os !== "windows") {
      const mode = (await Deno.stat(`${dir}/cfg/${SERVER_FILES.key}`)).mode!;
      assert.equal(mode & 0o077, 0, "the key is readable by its owner only");
    }
    const other = await loadOrCreateServerIdentity(`${dir}/other`);
    assert.notEqual(other.fingerprint, first.fingerprint, "each server gets its own CA");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadOrCreateServerIdentity refuses damaged files instead of replacing them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-cert-" });
  try {
    await loadOrCreateServerIdentity(dir);
    await Deno.writeTextFile(`${dir}/${SERVER_FILES.ca}`, "garbage");
    await assert.rejects(loadOrCreateServerIdentity(dir), CertificateError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isPadlinkCa tells padlink's CAs from others", async () => {
  const ours = await createCa("padlink CA 0123");
  const theirs = await createCa("Example Corp Root");
  assert.equal(isPadlinkCa(ours.der), true);
  assert.equal(isPadlinkCa(theirs.der), false);
  assert.equal(isPadlinkCa(new Uint8Array([1, 2, 3])), false);
  assert.deepEqual(pemToDers(ours.certPem)[0], ours.der);
});

Deno.test("loadOwnIdentity names the flag of a missing or empty file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-cert-" });
  try {
    await assert.rejects(loadOwnIdentity(`${dir}/nope.pem`, `${dir}/k.pem`), /--tls-cert/);
    await Deno.writeTextFile(`${dir}/c.pem`, "not pem");
    await Deno.writeTextFile(`${dir}/k.pem`, "not pem");
    await assert.rejects(loadOwnIdentity(`${dir}/c.pem`, `${dir}/k.pem`), /no PEM certificate/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadOwnIdentity and loadOrCreateServerIdentity warn about a key others can read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-keymode-" });
  try {
    const identity = await loadOrCreateServerIdentity(dir);
    assert.equal(identity.keyWarning, undefined, "a generated key is 0600");
    const keyFile = `${dir}/${SERVER_FILES.key}`;
    await Deno.chmod(keyFile, 0o644);
    const again = await loadOrCreateServerIdentity(dir);
    assert.match(again.keyWarning ?? "", /can be read by every user .*mode 644.*chmod 600/);
    await Deno.chmod(keyFile, 0o640);
    const own = await loadOwnIdentity(`${dir}/${SERVER_FILES.cert}`, keyFile);
    assert.match(own.keyWarning ?? "", /can be read by its group \(mode 640\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
