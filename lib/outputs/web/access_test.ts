import assert from "node:assert/strict";
import {
  hasLoopbackHost,
  isLoopbackHost,
  isSameOrigin,
  requestToken,
  safeNext,
  tokenCookieName,
  tokenMatches,
} from "./access.ts";

Deno.test("isLoopbackHost: 127.0.0.0/8, ::1 and localhost only", () => {
  for (const host of ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "localhost"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (
    const host of [
      "0.0.0.0",
      "::",
      "169.254.77.1",
      "10.0.0.1",
      "128.0.0.1",
      "127.0.0.256",
      "",
      "127",
    ]
  ) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

function request(headers: Record<string, string>, url = "http://127.0.0.1:7176/events") {
  return new Request(url, { headers });
}

Deno.test("isSameOrigin: the page's own origin or none; another site, null and garbage refused", () => {
  assert.equal(isSameOrigin(request({ host: "127.0.0.1:7176" })), true);
  assert.equal(
    isSameOrigin(request({ host: "127.0.0.1:7176", origin: "http://127.0.0.1:7176" })),
    true,
  );
  assert.equal(
    isSameOrigin(request({ host: "Box.lan:7176", origin: "http://box.lan:7176" })),
    true,
  );
  for (
    const origin of [
      "http://evil.example",
      "http://127.0.0.1:7177",
      "https://127.0.0.1:7176",
      "null",
      "not a url",
    ]
  ) {
    assert.equal(isSameOrigin(request({ host: "127.0.0.1:7176", origin })), false, origin);
  }
});

Deno.test("requestToken reads ?token= first, then this listener's cookie", () => {
  const cookie = tokenCookieName(7176);
  const url = new URL("http://h/?token=abc");
  assert.equal(requestToken(request({ cookie: `${cookie}=zzz` }), url, cookie), "abc");
  assert.equal(
    requestToken(
      request({ cookie: `other=1; ${cookie}=k7q2m9xd; x=y` }),
      new URL("http://h/"),
      cookie,
    ),
    "k7q2m9xd",
  );
  assert.equal(
    requestToken(request({ cookie: `${tokenCookieName(7177)}=zzz` }), new URL("http://h/"), cookie),
    null,
  );
});

Deno.test("tokenMatches reads the token as people type it and refuses anything else", () => {
  const expected = "k7q2m9xd3fpawz8c";
  assert.equal(tokenMatches("k7q2-m9xd-3fpa-wz8c", expected), true);
  assert.equal(tokenMatches(" K7Q2 M9XD 3FPA WZ8C ", expected), true);
  assert.equal(tokenMatches("k7q2-m9xd-3fpa-wz8d", expected), false);
  assert.equal(tokenMatches("k7q2-m9xd-3fpa", expected), false);
  assert.equal(tokenMatches("", expected), false);
  assert.equal(tokenMatches("short", expected), false);
});

Deno.test("safeNext keeps a path on this server", () => {
  assert.equal(safeNext("/overlay?pad=1"), "/overlay?pad=1");
  for (
    const next of [
      null,
      "",
      "http://evil.example/",
      "//evil.example/",
      "/\\evil",
      "overlay",
      // A browser drops tab, CR and LF from a URL: each of these would leave as //evil.example/.
      "/\t/evil.example/",
      "/\n/evil.example/",
      "/\r/evil.example/",
      "/ /evil.example/",
    ]
  ) {
    assert.equal(safeNext(next), "/", String(next));
  }
});

Deno.test("hasLoopbackHost: a loopback name in Host, with or without a port; nothing else", () => {
  for (const host of ["127.0.0.1:7176", "127.0.0.1", "localhost:7176", "[::1]:7176", "LOCALHOST"]) {
    assert.equal(hasLoopbackHost(request({ host })), true, host);
  }
  for (
    const host of ["evil.example:7176", "127.0.0.1.evil.example", "0.0.0.0:7176", "[::]:1", "x:1:2"]
  ) {
    assert.equal(hasLoopbackHost(request({ host })), false, host);
  }
});
