/**
 * A process's CPU time and resident memory, read from Linux `/proc`.
 *
 * @module
 */

import { sleep } from "../lib/net/deadline.ts";

/** Clock ticks per second in `/proc/<pid>/stat` (USER_HZ; 100 on Linux). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size of a process, in KiB (`VmRSS` of `/proc/<pid>/status`). */
export function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
}

/**
 * Share of one core a process uses over `ms`, from its CPU time in
 * `/proc/<pid>/stat` (10 ms resolution).
 */
export async function cpuShare(pid: number, ms: number): Promise<number> {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(ms);
  const cpu1 = cpuSeconds(pid);
  return (cpu1 - cpu0) / ((performance.now() - t0) / 1000);
}
