/**
 * Replay files of many button events, for the delivery tests and the
 * end-to-end bench: pad 0 attached, then button events in which every line
 * is a real change (each button pressed, released, then the next).
 *
 * @module
 */

import { BUTTON_NAMES } from "../lib/input/model.ts";

/**
 * The `k`-th button event of such a run.
 *
 * @param k its index, from 0
 * @returns the button and whether it is pressed
 */
export function nthButton(k: number): { button: string; pressed: boolean } {
  return { button: BUTTON_NAMES[Math.floor(k / 2) % BUTTON_NAMES.length]!, pressed: k % 2 === 0 };
}

/**
 * Write a replay file: pad 0 attached at `t: 0`, then `count` button events
 * all at `t: burstAt` (default 0, so all at once).
 *
 * @returns the path of the temporary file
 */
export async function writeButtonReplay(count: number, burstAt = 0): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "padlink-bulk-", suffix: ".jsonl" });
  const lines = ['{"t":0,"type":"pad","pad":0,"attached":true,"name":"Bulk"}'];
  for (let k = 0; k < count; k++) {
    const { button, pressed } = nthButton(k);
    const t = k === 0 && burstAt > 0 ? `"t":${burstAt},` : "";
    lines.push(`{${t}"type":"button","pad":0,"button":"${button}","pressed":${pressed}}`);
  }
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}
