/**
 * Take the web view's screenshots for the docs: `docs/web-dashboard.png` (two
 * clients, three pads, held buttons, sticks, triggers and keys) and
 * `docs/web-overlay.png` (one pad and chosen keys on a transparent
 * background), with the real server and client processes and headless
 * Chromium, as tests/web_test.ts drives them.
 *
 * Usage: `deno run -A tools/web_screenshots.ts`
 *
 * @module
 */

import { Chromium } from "../tests/_chromium.ts";
import { ROOT, spawnEntrypoint, startServer, writeReplay } from "../tests/_util.ts";

const HOLD = 120000;

const sessions: [string, Record<string, unknown>[]][] = [
  ["living-room", [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Xbox Series X Controller" },
    { t: 0, type: "button", pad: 0, button: "a", pressed: true },
    { t: 0, type: "button", pad: 0, button: "rightshoulder", pressed: true },
    { t: 0, type: "axis", pad: 0, axis: "leftx", value: 0.7 },
    { t: 0, type: "axis", pad: 0, axis: "lefty", value: -0.5 },
    { t: 0, type: "axis", pad: 0, axis: "righttrigger", value: 0.6 },
    { t: 0, type: "pad", pad: 1, attached: true, name: "DualSense Wireless Controller" },
    { t: 0, type: "button", pad: 1, button: "y", pressed: true },
    { t: 0, type: "button", pad: 1, button: "dpleft", pressed: true },
    { t: 0, type: "axis", pad: 1, axis: "rightx", value: -0.6 },
    { t: 0, type: "axis", pad: 1, axis: "lefttrigger", value: 1 },
    { t: 0, type: "key", key: "W", scancode: "W", pressed: true },
    { t: 0, type: "key", key: "Space", scancode: "Space", pressed: true },
    { t: HOLD, type: "button", pad: 0, button: "a", pressed: false },
  ]],
  ["gaming-pc", [
    { t: 0, type: "pad", pad: 0, attached: true, name: "Nintendo Switch Pro Controller" },
    { t: 0, type: "button", pad: 0, button: "b", pressed: true },
    { t: 0, type: "axis", pad: 0, axis: "righty", value: 0.8 },
    { t: 0, type: "key", key: "Left Shift", scancode: "Left Shift", pressed: true },
    { t: 0, type: "key", key: "E", scancode: "E", pressed: true },
    { t: HOLD, type: "button", pad: 0, button: "b", pressed: false },
  ]],
];

await using server = await startServer(["--no-auth", "--web", "127.0.0.1:0"]);
const url = JSON.parse((await server.stdout.waitFor((l) => l.includes('"type":"web"'))).text).url;
const clients = [];
for (const [name, events] of sessions) {
  const file = await writeReplay(events);
  clients.push(spawnEntrypoint("client.ts", [
    "--port",
    String(server.port),
    "--name",
    name,
    "--replay",
    file,
  ]));
  await server.stdout.waitFor((l) =>
    l.includes(`"client":"${name}"`) && l.includes('"type":"key"')
  );
}
try {
  await using chromium = await Chromium.launch();
  const dashboard = await chromium.newPage(url, { width: 1200, height: 420 });
  await dashboard.waitFor(`document.querySelectorAll("[data-client] figure").length === 3`);
  await Deno.writeFile(`${ROOT}docs/web-dashboard.png`, await dashboard.screenshot());
  const overlay = await chromium.newPage(
    `${url}overlay?client=living-room&pad=0&keys=w,a,s,d,space`,
    { width: 420, height: 330 },
  );
  await overlay.waitFor(`document.querySelector('.overlay-pad [data-button="a"].on')`);
  await Deno.writeFile(`${ROOT}docs/web-overlay.png`, await overlay.screenshot(true));
  console.log("wrote docs/web-dashboard.png and docs/web-overlay.png");
} finally {
  for (const client of clients) await client[Symbol.asyncDispose]();
}
