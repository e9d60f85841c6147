/**
 * `deno task bench`: padlink's speed, measured on loopback against floors
 * measured in the same run. A benchmark, not a test: it prints figures and
 * never fails on them.
 *
 * Usage: `deno run -A bench/main.ts [--quick] [--write] [--only 1,2,3,4,5,6,7,8,9] [--profile]`
 * - `--quick`: a short smoke run (fewer samples, less load)
 * - `--profile`: also profile the server under 10 streaming clients
 *   (`--cpu-prof`) and list where its time goes
 * - `--write`: also write the table, with the machine, to `bench/results.md`
 * - `--only`: run only the listed sections
 *
 * @module
 */

import { parseArgs } from "node:util";
import { benchLatency } from "./latency.ts";
import { benchThroughput } from "./throughput.ts";
import { benchWire } from "./wire.ts";
import { benchResources } from "./resources.ts";
import { benchWeb } from "./web.ts";
import { benchDsu } from "./dsu.ts";
import { benchEndToEnd } from "./end_to_end.ts";
import { benchFeedback } from "./feedback.ts";
import { benchNats } from "./nats.ts";
import { type BenchConfig, machine, renderTable, type Section } from "./_report.ts";
import { ROOT } from "./_server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    profile: { type: "boolean" },
    write: { type: "boolean" },
    only: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("usage: deno task bench [--quick] [--write] [--only 1,2,3,4,5,6,7,8,9] [--profile]");
  Deno.exit(0);
}
const only = new Set((values.only ?? "1,2,3,4,5,6,7,8,9").split(",").map((s) => s.trim()));
const config: BenchConfig = {
  quick: values.quick ?? false,
  profile: values.profile ?? false,
  log: (message) => console.error(`bench: ${message}`),
};
const started = performance.now();
const host = machine();
const sections: Section[] = [];
const runs: [string, (config: BenchConfig) => Promise<Section>][] = [
  ["1", benchLatency],
  ["2", benchThroughput],
  ["3", benchWire],
  ["4", benchResources],
  ["5", benchWeb],
  ["6", benchDsu],
  ["7", benchEndToEnd],
  ["8", benchFeedback],
  ["9", benchNats],
];
for (const [id, run] of runs) {
  if (only.has(id)) sections.push(await run(config));
}
const seconds = ((performance.now() - started) / 1000).toFixed(0);
const command = `deno task bench${config.quick ? " --quick" : ""}`;
const table = renderTable(sections);
const report = `Machine: ${host}\n\n${table}\n\n_${command}, ${seconds} s._\n`;
console.log(report);
if (values.write) {
  const path = `${ROOT}bench/results.md`;
  await Deno.writeTextFile(
    path,
    `# padlink benchmark results\n\nProduced by \`${command} --write\`; every floor and ` +
      `comparison was measured in the same run unless marked as quoted.\n\n${report}`,
  );
  console.error(`bench: wrote ${path}`);
}
