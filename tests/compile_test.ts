/**
 * `deno task compile` where `deno compile` cannot download its runtime: one
 * line naming `DENORT_BIN`, a non-zero exit, and no empty `dist/` left.
 *
 * The task runs in a copy of the project, with a Deno cache that shares the
 * real one's modules but not its downloaded runtimes, behind an HTTPS proxy
 * that refuses every connection, so the download fails the same way with or
 * without network access.
 */

import assert from "node:assert/strict";
import { cp, symlink } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./_util.ts";

const PROJECT_FILES = [
  "deno.json",
  "deno.lock",
  ".deno-version",
  "server.ts",
  "client.ts",
  "lib",
  "tools",
];

/** The real Deno cache directory (`deno info --json`). */
async function denoDir(): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  return (JSON.parse(new TextDecoder().decode(output.stdout)) as { denoDir: string }).denoDir;
}

Deno.test("deno task compile without a reachable runtime: one line naming DENORT_BIN, no dist/", async () => {
  const work = await Deno.makeTempDir({ prefix: "padlink-compile-" });
  try {
    const project = join(work, "project");
    for (const file of PROJECT_FILES) {
      await cp(join(ROOT, file), join(project, file), { recursive: true });
    }
    // Modules and npm packages from the real cache; no `dl/`, where runtimes are kept.
    const cache = join(work, "deno-dir");
    await Deno.mkdir(cache);
    const real = await denoDir();
    for (const part of ["npm", "remote", "gen", "registries"]) {
      if (await Deno.stat(join(real, part)).then(() => true, () => false)) {
        await symlink(join(real, part), join(cache, part));
      }
    }
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    listener.close();
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "compile"],
      cwd: project,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? work,
        DENO_DIR: cache,
        HTTPS_PROXY: closed,
        HTTP_PROXY: closed,
        NO_COLOR: "1",
      },
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.notEqual(output.code, 0, stderr);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(
      lines[0]!,
      /^padlink: deno compile could not download its runtime \(https:\/\/dl\.deno\.land\/.*denort-.*\.zip\); .*set DENORT_BIN/,
    );
    assert.equal(await Deno.stat(join(project, "dist")).then(() => true, () => false), false);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
