/**
 * Section 5: the web view's latency. One button press, forwarded by
 * `Forwarder.push` to the real `padlink-server --json --web` process, is
 * timed three ways in the same run: the server's stdout line arriving here
 * (the section 1 path), the same event as a `/events` WebSocket message
 * arriving here, and the dashboard's DOM change in headless Chromium,
 * reported here by a MutationObserver through a DevTools binding.
 *
 * @module
 */

import { Forwarder } from "../lib/client/forwarder.ts";
import { Chromium } from "../tests/_chromium.ts";
import { Matcher, readLines, sequence } from "./latency.ts";
import { Pacer } from "./_pacer.ts";
import { type BenchConfig, type Row, type Section, us } from "./_report.ts";
import { summarise } from "./_stats.ts";
import { sleep, withDeadline } from "../lib/net/deadline.ts";
import { startServer } from "./_server.ts";

/** In the dashboard: call the binding once per lit or un-lit button of pad 0. */
const MARKER = `
new MutationObserver((records) => {
  for (const record of records) {
    const node = record.target;
    if (record.attributeName !== "class" || !node.dataset.button) continue;
    // Each change toggles "on": the old value tells what it became, even in a batch.
    padlinkMark(node.dataset.button + " " + !/\\bon\\b/.test(record.oldValue ?? ""));
  }
}).observe(document.body, { subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["class"] });
true`;

/** Three arrival times per event, NaN until it arrived. */
interface Arrivals {
  stdout: Float64Array;
  socket: Float64Array;
  dom: Float64Array;
}

/** Run section 5. */
export async function benchWeb(config: BenchConfig): Promise<Section> {
  const warmup = config.quick ? 200 : 500;
  const count = config.quick ? 1000 : 5000;
  const total = warmup + count;
  const server = await startServer({ stdout: "piped", args: ["--web", "127.0.0.1:0"] });
  const arrivals: Arrivals = {
    stdout: new Float64Array(total).fill(NaN),
    socket: new Float64Array(total).fill(NaN),
    dom: new Float64Array(total).fill(NaN),
  };
  const matchers = { stdout: new Matcher(), socket: new Matcher(), dom: new Matcher() };
  let webUrl: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => webUrl = resolve);
  const reading = readLines(server.stdout!, server.leftover, (line, t) => {
    if (line.includes('"type":"button"')) {
      const k = matchers.stdout.match(JSON.parse(line));
      if (k >= 0) arrivals.stdout[k] = t;
    } else if (line.includes('"type":"web"')) {
      webUrl(JSON.parse(line).url);
    }
  });
  const forwarder = new Forwarder({
    host: "127.0.0.1",
    port: server.port,
    name: "bench",
    reconnect: false,
  });
  await using chromium = await Chromium.launch();
  let socket: WebSocket | null = null;
  using pacer = new Pacer();
  try {
    const base = await withDeadline(url, 10000, () => "");
    if (!base) throw new Error("the server printed no web line");
    socket = new WebSocket(base.replace("http", "ws") + "events");
    socket.onmessage = (message) => {
      const t = performance.now();
      const text = message.data as string;
      if (!text.includes('"type":"button"')) return;
      const k = matchers.socket.match(JSON.parse(text));
      if (k >= 0) arrivals.socket[k] = t;
    };
    await new Promise((resolve) => socket!.onopen = resolve);
    const page = await chromium.newPage(base);
    await page.send("Runtime.addBinding", { name: "padlinkMark" });
    page.on("Runtime.bindingCalled", (params) => {
      const t = performance.now();
      if (params.name !== "padlinkMark") return;
      const [button, on] = String(params.payload).split(" ");
      const k = matchers.dom.match({ button: button!, pressed: on === "true" });
      if (k >= 0) arrivals.dom[k] = t;
    });
    await page.waitFor(`document.getElementById("status").dataset.status === "live"`);
    await page.evaluate(MARKER);
    await forwarder.start();
    forwarder.push([{ type: "pad", pad: 0, attached: true, name: "bench pad" }]);
    await page.waitFor(`!!document.querySelector('[data-client="bench"] [data-pad="0"]')`);

    // The DevTools hop alone: a page-to-bench binding call, timed as half an evaluate round trip.
    const cdp: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = performance.now();
      await page.evaluate("1");
      cdp.push((performance.now() - start) / 2);
    }

    config.log(`web: ${count} button events at 1 kHz → stdout, WebSocket and Chromium`);
    const stamps = new Float64Array(total);
    await pacer.run(1000, total, total + 10000, (k) => {
      for (const matcher of Object.values(matchers)) matcher.sent(k);
      stamps[k] = performance.now();
      forwarder.push([{ type: "button", pad: 0, ...sequence(k) }]);
    });
    await sleep(1000);
    const latencies = (path: keyof Arrivals) => {
      const samples: number[] = [];
      for (let k = warmup; k < total; k++) {
        const t = arrivals[path][k]!;
        if (!Number.isNaN(t)) samples.push(t - stamps[k]!);
      }
      return { summary: summarise(samples), lost: count - samples.length };
    };
    const stdout = latencies("stdout");
    const ws = latencies("socket");
    const dom = latencies("dom");
    const hop = summarise(cdp);
    const lost = (n: number) => n > 0 ? ` (${n} lost)` : "";
    const rows: Row[] = [
      {
        measure: "button press → server stdout line, p50 / p99",
        value: `${us(stdout.summary.p50)} / ${us(stdout.summary.p99)}${lost(stdout.lost)}`,
        reference: "",
        goal: "",
        met: null,
      },
      {
        measure: "button press → /events WebSocket message, p50 / p99",
        value: `${us(ws.summary.p50)} / ${us(ws.summary.p99)}${lost(ws.lost)}`,
        reference: `stdout ${us(stdout.summary.p50)} (+${us(ws.summary.p50 - stdout.summary.p50)})`,
        goal: "≤ stdout + 200 µs at p50",
        met: ws.summary.p50 - stdout.summary.p50 <= 0.2,
      },
      {
        measure: "button press → dashboard DOM change in Chromium, p50 / p99",
        value: `${us(dom.summary.p50)} / ${us(dom.summary.p99)}${lost(dom.lost)}`,
        reference: `DevTools hop ${us(hop.p50)} / ${us(hop.p99)}`,
        goal: "",
        met: null,
      },
    ];
    return {
      title: "5. Web view: stdout, WebSocket and the browser's DOM",
      rows,
      notes: [
        `${count} button events at 1 kHz after ${warmup} warm-up events, forwarded by ` +
        "Forwarder.push to padlink-server --json --web 127.0.0.1:0; every path times the same " +
        "events, stamped in the bench process with performance.now() before the push and when " +
        "the stdout chunk, the WebSocket message (a Deno WebSocket in the bench process) or the " +
        "DevTools binding call arrives.",
        "DOM: headless Chromium shows the dashboard; a MutationObserver calls a DevTools binding " +
        "when a button's class changes, so the figure includes the DevTools hop back to the " +
        "bench (its size, half an evaluate round trip, is in the reference column).",
      ],
    };
  } finally {
    socket?.close();
    await forwarder.stop();
    const stderr = await server.stop();
    if (stderr.trim() !== "") config.log(`web: the server said:\n${stderr.trim()}`);
    await reading;
  }
}
