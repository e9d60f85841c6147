/**
 * Measures {@linkcode SdlInput} on this machine: idle CPU (whole process,
 * all threads, from getrusage via `process.cpuUsage`) and latency from a virtual button change to
 * `onInput` on the main thread. Run it with the client's permissions:
 *
 * ```sh
 * deno run --allow-net --allow-env --allow-read --allow-write --allow-ffi \
 *   --allow-sys=hostname bench/sdl_measure.ts [samples]
 * ```
 *
 * @module
 */

import process from "node:process";
import type { InputEvent } from "../lib/input/model.ts";
import { SdlInput, type SdlInputOptions } from "../lib/sdl2/source.ts";
import { sleep } from "../lib/net/deadline.ts";

/** The process's user + system CPU time so far, all threads, in ms (getrusage). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function cpuPercent(seconds: number): Promise<number> {
  const cpu0 = cpuMs();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return (cpuMs() - cpu0) / (performance.now() - t0) * 100;
}

async function idle(label: string, options: SdlInputOptions, pads: number): Promise<void> {
  const input = await SdlInput.open(options);
  try {
    for (let id = 0; id < pads; id++) await input.attachVirtual(id, `idle pad ${id}`);
    await sleep(2000); // past the attach events' active period
    console.log(`idle CPU, ${label}: ${(await cpuPercent(5)).toFixed(2)} % of a core`);
  } finally {
    await input.close();
  }
}

/** CPU while a pad is in use: a button toggles every 50 ms, so polling stays at 1 kHz. */
async function active(): Promise<void> {
  const input = await SdlInput.open({ window: false });
  try {
    await input.attachVirtual(0, "busy pad");
    let pressed = false;
    const timer = setInterval(() => input.setVirtualButton(0, "a", pressed = !pressed), 50);
    try {
      await sleep(1000);
      const percent = await cpuPercent(5);
      console.log(`CPU, one pad in use (20 changes/s, 1 kHz polling): ${percent.toFixed(2)} %`);
    } finally {
      clearInterval(timer);
    }
  } finally {
    await input.close();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  return `median ${us(percentile(sorted, 0.5))}, p99 ${us(percentile(sorted, 0.99))}, ` +
    `max ${us(sorted.at(-1)!)} (n=${sorted.length})`;
}

async function latency(samples: number): Promise<void> {
  const input = await SdlInput.open({ window: false, deadzone: 0 });
  try {
    let waiting: ((at: [number, number]) => void) | undefined;
    let want: InputEvent | undefined;
    input.onInput = (events, polledAt) => {
      const now = performance.now();
      if (!want || !waiting) return;
      const match = want;
      if (
        events.some((e) =>
          e.type === "button" && match.type === "button" && e.pressed === match.pressed
        )
      ) {
        waiting([now, polledAt]);
      }
    };
    await input.attachVirtual(1, "latency pad");
    await sleep(200);
    const roundTrip: number[] = [];
    const oneWay: number[] = [];
    for (let i = 0; i < samples; i++) {
      const pressed = i % 2 === 0;
      want = { type: "button", pad: 0, button: "a", pressed };
      const arrived = new Promise<[number, number]>((resolve) => waiting = resolve);
      const t0 = performance.now();
      input.setVirtualButton(1, "a", pressed);
      const [t1, polledAt] = await arrived;
      roundTrip.push(t1 - t0);
      oneWay.push(performance.timeOrigin + t1 - polledAt);
      await sleep(Math.random() * 3); // land at different phases of the 1 ms poll
    }
    console.log(
      `setVirtualButton → onInput (round trip through the worker): ${summary(roundTrip)}`,
    );
    console.log(`SDL poll returned the event → onInput on the main thread: ${summary(oneWay)}`);
  } finally {
    await input.close();
  }
}

if (import.meta.main) {
  Deno.env.set("SDL_VIDEODRIVER", "dummy");
  const samples = Number(Deno.args[0] ?? 1000);
  console.log(`Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`);
  console.log(`idle CPU, Deno alone: ${(await cpuPercent(5)).toFixed(2)} % of a core`);
  await idle("headless, no pad", { window: false }, 0);
  await idle("headless, one virtual pad", { window: false }, 1);
  await idle("window (dummy video), one virtual pad", { window: true }, 1);
  await active();
  await latency(samples);
}
