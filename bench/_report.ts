/**
 * What a benchmark section takes and gives: the run settings
 * ({@linkcode BenchConfig}), its rows and notes ({@linkcode Section}), the
 * cell formats, and the Markdown table with the machine it ran on.
 *
 * @module
 */

/** A row of the results table. */
export interface Row {
  /** What was measured. */
  measure: string;
  /** padlink's figure. */
  value: string;
  /** The floor or comparison figure, measured in the same run where possible. */
  reference: string;
  /** The goal from issue 6, or "" when there is none. */
  goal: string;
  /** Whether the goal is met; null when there is no goal or no figure. */
  met: boolean | null;
}

/** One section of the table, with notes on what its figures include. */
export interface Section {
  title: string;
  rows: Row[];
  notes: string[];
}

/** Run settings shared by every section. */
export interface BenchConfig {
  /** Short smoke run: fewer samples, shorter load. */
  quick: boolean;
  /** Profile the server in the throughput section. */
  profile: boolean;
  /** Write progress lines to stderr. */
  log: (message: string) => void;
}

/** Format milliseconds as microseconds. */
export function us(ms: number): string {
  return Number.isFinite(ms) ? `${Math.round(ms * 1000)} µs` : "n/a";
}

/** Format a number with thousands separators. */
export function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Format a share of a core as a percentage. */
export function pct(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 2 : 1)} %`;
}

/** Render the sections as a Markdown table with notes. */
export function renderTable(sections: readonly Section[]): string {
  const lines: string[] = [];
  lines.push("| measure | padlink | floor / comparison | goal | met |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const section of sections) {
    lines.push(`| **${section.title}** | | | | |`);
    for (const row of section.rows) {
      const met = row.met === null ? "" : row.met ? "yes" : "**no**";
      lines.push(
        `| ${row.measure} | ${row.value} | ${row.reference} | ${row.goal} | ${met} |`,
      );
    }
  }
  const notes = sections.flatMap((section) =>
    section.notes.map((note) => `- ${section.title.split(".")[0]}. ${note}`)
  );
  if (notes.length > 0) lines.push("", "Notes:", "", ...notes);
  return lines.join("\n");
}

/** Describe the machine: CPU model, cores, Deno version, date. */
export function machine(): string {
  let cpu = "unknown CPU";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux.
  }
  const cores = navigator.hardwareConcurrency;
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  return `${cpu}, ${cores} cores, ${Deno.build.os} ${Deno.build.arch}, Deno ${Deno.version.deno} ` +
    `(V8 ${Deno.version.v8}), ${date}`;
}
