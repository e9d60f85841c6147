/**
 * `deno task compile`: build `dist/padlink-server` and `dist/padlink-client`
 * with the `compile:server` and `compile:client` tasks. `deno compile`
 * downloads its `denort` runtime on first use; where that is impossible it
 * fails with a long chain of causes, so this says in one line what to do
 * (set `DENORT_BIN`), and removes a `dist/` it created and left empty.
 *
 * @module
 */

const ROOT = new URL("..", import.meta.url).pathname;
const DIST = `${ROOT}dist`;
const TASKS = ["compile:server", "compile:client"] as const;

/** What `deno compile` says when it could not fetch or open its runtime. */
const RUNTIME_FAILURE = /Setting up base binary|denort|dl\.deno\.land/;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Remove `deno compile`'s leftover temporary files, then `dist/` if it is now empty. */
async function tidy(createdDist: boolean): Promise<void> {
  if (!(await exists(DIST))) return;
  const left: string[] = [];
  for await (const entry of Deno.readDir(DIST)) {
    if (entry.name.includes(".tmp-")) await Deno.remove(`${DIST}/${entry.name}`).catch(() => {});
    else left.push(entry.name);
  }
  if (createdDist && left.length === 0) await Deno.remove(DIST).catch(() => {});
}

/** One line for a runtime that could not be had, from deno's error text. */
function runtimeHint(stderr: string): string {
  const denortBin = Deno.env.get("DENORT_BIN");
  if (denortBin) {
    return `padlink: deno compile could not use DENORT_BIN=${denortBin}; point DENORT_BIN at ` +
      `the denort binary of Deno ${Deno.version.deno} for ${Deno.build.target}`;
  }
  const url = /https:\/\/dl\.deno\.land\/\S+\.zip/.exec(stderr)?.[0] ??
    `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  return `padlink: deno compile could not download its runtime (${url}); fetch that zip on a ` +
    "machine with network access, unzip it, and set DENORT_BIN to the denort binary inside, " +
    "then run deno task compile again";
}

async function compile(): Promise<number> {
  const createdDist = !(await exists(DIST));
  try {
    for (const task of TASKS) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", task],
        cwd: ROOT,
        stdin: "null",
        stdout: "inherit",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      if (output.success) {
        await Deno.stderr.write(output.stderr);
        continue;
      }
      if (RUNTIME_FAILURE.test(stderr)) console.error(runtimeHint(stderr));
      else await Deno.stderr.write(output.stderr);
      return 1;
    }
    return 0;
  } finally {
    await tidy(createdDist);
  }
}

if (import.meta.main) Deno.exit(await compile());
