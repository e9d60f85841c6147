/**
 * The web view off loopback: the server and its web view listen on a
 * veth address (169.254.77.1) in a network namespace of their own, and a
 * probe in a second namespace (another machine, as far as the server can
 * tell) asks for the pages and the socket. "Off loopback" means the
 * listener's address is not 127.0.0.0/8 or ::1, so every browser, near or
 * far, must present the token. Needs root (or CAP_NET_ADMIN); where
 * namespaces cannot be created the test is skipped with the reason printed.
 */

import assert from "node:assert/strict";
import { Chromium } from "./_chromium.ts";
import { clientArgs, createNetnsPair, holdingReplay, netnsUnavailable } from "./_fault_util.ts";
import { ROOT, spawnEntrypoint, startServer, writeReplay } from "./_util.ts";

const unavailable = await netnsUnavailable();
if (unavailable) console.log(`web off-loopback test skipped: ${unavailable}`);

Deno.test({
  name: "web off loopback: pages and socket need the server's token (form, cookie or ?token=)",
  ignore: unavailable !== null,
  async fn() {
    await using pair = await createNetnsPair(7);
    await using server = await startServer(["--web", `${pair.serverAddr}:0`], {
      netns: pair.serverNs,
      host: pair.serverAddr,
    });
    const web = await server.waitEvent({ type: "web" });
    const url = web.event.url as string;
    assert.equal(url.startsWith(`http://${pair.serverAddr}:`), true, url);
    const probe = await new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        pair.clientNs,
        Deno.execPath(),
        "run",
        "--quiet",
        "--allow-net",
        `${ROOT}tests/_web_probe.ts`,
        url,
        server.token!,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(probe.stderr);
    assert.equal(probe.code, 0, stderr);
    const got = JSON.parse(new TextDecoder().decode(probe.stdout));
    const port = new URL(url).port;
    const cookieName = `padlink_token_${port}`;

    // Without a token: the pages send the browser to the form, the socket is refused.
    assert.deepEqual(got.dashboard, {
      status: 303,
      location: "/login?next=%2F",
      cookie: null,
      html: false,
    });
    assert.equal(got.overlay.status, 303);
    assert.equal(got.overlay.location, "/login?next=%2Foverlay%3Fpad%3D0");
    assert.equal(got.wrongQuery.status, 303);
    assert.equal(got.loginPage.status, 200);
    assert.equal(got.loginPage.html, true);
    assert.equal(got.socketBare, "refused");
    assert.equal(got.socketWrong, "refused");

    // The form: a wrong token is sent back to it, the right one sets the cookie.
    assert.deepEqual(got.wrongLogin, {
      status: 303,
      location: "/login?next=%2F&wrong=1",
      cookie: null,
    });
    assert.equal(got.rightLogin.status, 303);
    assert.equal(got.rightLogin.location, "/overlay?pad=0");
    assert.match(
      got.rightLogin.cookie,
      new RegExp(`^${cookieName}=\\w+; Path=/; HttpOnly; SameSite=Strict$`),
    );
    assert.equal(got.withCookie.status, 200);
    assert.equal(got.withCookie.html, true);
    assert.equal(got.socketCookie, "HTTP/1.1 101 Switching Protocols");

    // ?token= for an OBS browser source: the page, and the socket it opens.
    assert.equal(got.rightQuery.status, 200);
    assert.equal(got.rightQuery.html, true);
    assert.match(got.rightQuery.cookie, new RegExp(`^${cookieName}=`));
    assert.equal(got.socketRight, "message snapshot");

    // Wrong tokens from one address are refused outright after a few (three came above: the
    // query, the form and the socket), and the right token from that address still gets in.
    const statuses = got.flood.statuses as number[];
    assert.equal(statuses.at(-1), 429, JSON.stringify(statuses));
    assert.ok(statuses.length <= 3, JSON.stringify(statuses));
    assert.ok(statuses.slice(0, -1).every((s) => s === 303), JSON.stringify(statuses));
    assert.equal(got.flood.blockedQuery.status, 429);
    assert.equal(got.flood.right.status, 303);
    assert.equal(got.flood.right.location, "/");
    assert.match(got.flood.right.cookie, new RegExp(`^${cookieName}=`));
  },
});

Deno.test({
  name:
    "web off loopback in Chromium: the form takes the token once and the dashboard goes live; an OBS ?token= URL works without it",
  ignore: unavailable !== null,
  async fn() {
    await using pair = await createNetnsPair(8);
    await using server = await startServer(["--web", `${pair.serverAddr}:0`], {
      netns: pair.serverNs,
      host: pair.serverAddr,
    });
    const url = (await server.waitEvent({ type: "web" })).event.url as string;
    const file = await writeReplay(holdingReplay());
    await using _client = spawnEntrypoint(
      "client.ts",
      [...clientArgs(server, "far", pair.serverAddr), "--replay", file],
      { netns: pair.clientNs },
    );
    await server.waitEvent({ type: "button", client: "far", pressed: true });
    // The browser is in the client's namespace: another machine, as far as the server can tell.
    await using chromium = await Chromium.launch({ netns: pair.clientNs });
    const page = await chromium.newPage(url);
    assert.equal(await page.evaluate("location.pathname + location.search"), "/login?next=%2F");
    const submit = (token: string) =>
      page.evaluate(
        `document.querySelector('input[name="token"]').value = ${
          JSON.stringify(token)
        }; document.querySelector("form").submit(); true`,
      );

    await submit("wrong-token-0000");
    await page.waitFor(
      `location.search.includes("wrong=1") && !document.getElementById("wrong").hidden`,
      10000,
      "the wrong-token line",
    );
    await submit(server.token!.toUpperCase());
    await page.waitFor(
      `location.pathname === "/" && document.querySelector('[data-client="far"] [data-button="a"].on')`,
      10000,
      "the dashboard with far's A lit",
    );
    // The cookie is HttpOnly: the page's own scripts cannot read it.
    assert.equal(await page.evaluate("document.cookie"), "");

    // A fresh browser profile has no cookie: the overlay URL with ?token= is enough.
    await page.send("Network.enable");
    await page.send("Network.clearBrowserCookies");
    await page.goto(`${url}overlay?client=far`);
    assert.equal(await page.evaluate("location.pathname"), "/login");
    await page.goto(`${url}overlay?client=far&token=${server.token}`);
    await page.waitFor(
      `document.querySelector('.overlay-pad [data-button="a"].on')`,
      10000,
      "the overlay with A lit",
    );
    await Deno.remove(file);
  },
});
