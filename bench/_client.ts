/**
 * An idle padlink client for the resource section, run as its own process
 * so that its CPU time can be read from `/proc`: a {@linkcode Forwarder}
 * connected to the server, fed by an {@linkcode SdlInput} with one virtual
 * controller attached (`sdl`, the way `padlink-client` wires them), or by
 * nothing (`plain`). Prints `ready` once connected (and the pad attached),
 * then idles until stdin ends.
 *
 * Usage: `deno run -A bench/_client.ts PORT sdl|plain`
 *
 * @module
 */

import { Forwarder } from "../lib/client/forwarder.ts";
import { SdlInput } from "../lib/sdl2/source.ts";

const port = Number(Deno.args[0]);
const mode = Deno.args[1];
const forwarder = new Forwarder({ host: "127.0.0.1", port, name: "idle", reconnect: false });
await forwarder.start();
let sdl: SdlInput | null = null;
if (mode === "sdl") {
  sdl = await SdlInput.open({ window: false });
  sdl.onInput = (events) => forwarder.push(events);
  await sdl.attachVirtual(1, "padlink bench pad");
  // The attach reaches onInput at SDL's next pump.
  for (let i = 0; i < 200 && !forwarder.state.hasPad(0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!forwarder.state.hasPad(0)) throw new Error("the virtual pad did not appear");
}
console.log("ready");
for await (const _ of Deno.stdin.readable) {
  // Idle until the bench closes stdin.
}
await sdl?.close();
await forwarder.stop();
