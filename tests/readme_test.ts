/**
 * The README's commands work as written. Every command line in its `sh`
 * blocks is read (`# comments` and `\` continuations as a shell reads them)
 * and each one is held to something:
 *
 * - harmless ones run exactly as written and must exit 0 with sensible
 *   output: every `--help`, `--version` and `--list` (the controllers SDL
 *   sees) line, and the Quick start's demo;
 * - `padlink-server …` and `padlink-client …` lines run through their `deno
 *   task server -- …` / `deno task client -- …` equivalents: building the
 *   `dist/` executables needs Deno's `denort` download, which this machine
 *   may not have (see the compile test), and the tasks run the same code
 *   with the same permissions;
 * - every other server or client line must parse: its flags and values are
 *   the real parsers' (a network or a device is not there to run it);
 * - the flag tables under "Server" and "Client" name exactly the flags of
 *   each program's `--help`;
 * - the Quick start's test command is not run (it would run this test): it
 *   must be the one `.ci/run` finds in the README and runs, with the pinned
 *   Deno version; any other `deno task NAME` must name a task of deno.json.
 */

import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { parseServerArgs, SERVER_HELP } from "../lib/cli/server_main.ts";
import { CLIENT_HELP, parseClientArgs } from "../lib/cli/client_main.ts";
import { outputText } from "../tools/_spawn.ts";
import { ROOT } from "./_util.ts";

const README = await Deno.readTextFile(`${ROOT}README.md`);
const DENO_VERSION = (await Deno.readTextFile(`${ROOT}.deno-version`)).trim();
const TASKS = denoJson.tasks as Record<string, string>;

/** One command from a README block. */
interface Command {
  /** The line as written (continuations joined, comment removed). */
  text: string;
  /** `NAME=value` assignments before the program. */
  env: Record<string, string>;
  /** The program and its arguments. */
  words: string[];
  /** The heading the block is under, for messages. */
  section: string;
}

/** Split a command into words the way sh does for these lines: quotes, no expansion. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unbalanced ${c} in: ${text}`);
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** Every command in the README's `sh` (or `bash`, `shell`) blocks, split at pipes. */
function readmeCommands(markdown: string): Command[] {
  const commands: Command[] = [];
  let section = "";
  // Outside a block: null; in a shell block: its lines; in another kind of block: "other".
  let block: string[] | "other" | null = null;
  for (const line of markdown.split("\n")) {
    const fence = /^```(\w*)/.exec(line);
    if (fence) {
      if (block === null) {
        block = ["sh", "bash", "shell"].includes(fence[1]!) ? [] : "other";
      } else {
        if (block !== "other") commands.push(...blockCommands(block.join("\n"), section));
        block = null;
      }
    } else if (block === null) {
      if (line.startsWith("#")) section = line.replace(/^#+\s*/, "");
    } else if (block !== "other") {
      block.push(line);
    }
  }
  return commands;
}

function blockCommands(text: string, section: string): Command[] {
  const commands: Command[] = [];
  for (const raw of text.replace(/\\\n\s*/g, " ").split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line === "") continue;
    for (const part of line.split(/\s*(?:\||&&|;)\s*/)) {
      const words = shellWords(part.replace(/\s[<>]\s*\S+/g, ""));
      const env: Record<string, string> = {};
      while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
        const [name, ...value] = words.shift()!.split("=");
        env[name!] = value.join("=");
      }
      if (words.length > 0) commands.push({ text: line, env, words, section });
    }
  }
  return commands;
}

/** `padlink-server ARGS` as the task that runs the same program: `deno task server -- ARGS`. */
function asTask(words: string[]): string[] {
  const program = words[0]!.replace(/^.*\//, "");
  if (program === "padlink-server") return ["deno", "task", "server", "--", ...words.slice(1)];
  if (program === "padlink-client") return ["deno", "task", "client", "--", ...words.slice(1)];
  return words;
}

/** The program (`server` or `client`) and its arguments, for a line that runs one; else null. */
function programOf(words: string[]): { program: "server" | "client"; args: string[] } | null {
  const task = asTask(words);
  if (task[0] === "deno" && task[1] === "task" && (task[2] === "server" || task[2] === "client")) {
    return { program: task[2], args: task.slice(3) };
  }
  return null;
}

/** Run `words` (deno via this deno) in the repository with `env`; returns status and output. */
function run(words: string[], env: Record<string, string>) {
  const [program, ...args] = words[0] === "deno" ? [Deno.execPath(), ...words.slice(1)] : words;
  return outputText(
    new Deno.Command(program!, {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
    }),
  );
}

const COMMANDS = readmeCommands(README);
const isHarmless = (c: Command) =>
  programOf(c.words) !== null &&
  programOf(c.words)!.args.some((a) => ["--help", "-h", "--version", "--list"].includes(a));

Deno.test("README: the command lines are found (the blocks are read at all)", () => {
  assert.ok(COMMANDS.length >= 10, COMMANDS.map((c) => c.text).join("\n"));
  assert.ok(COMMANDS.some(isHarmless), "the README shows --help or --version");
  assert.ok(COMMANDS.some((c) => c.words[0] === "padlink-client"), "and a padlink-client line");
});

Deno.test("README: every --help, --version and --list line runs as written, exit 0", async () => {
  for (const command of COMMANDS.filter(isHarmless)) {
    const { program, args } = programOf(command.words)!;
    const { code, stdout, stderr } = await run(asTask(command.words), command.env);
    assert.equal(code, 0, `${command.text}\n${stderr}`);
    if (args.includes("--version")) {
      assert.equal(stdout.trim(), `padlink-${program} ${denoJson.version}`, command.text);
    } else if (args.includes("--list")) {
      assert.match(stdout, /^SDL \d+\.\d+\.\d+ sees (no controllers|\d+ controller)/, command.text);
    } else {
      assert.match(stdout, new RegExp(`^padlink-${program} .*\\n\\nUsage: padlink-${program} `));
      assert.ok(stdout.includes("--help"), command.text);
    }
  }
});

Deno.test("README: every other server and client line parses with the real parsers", () => {
  const checked: string[] = [];
  for (const command of COMMANDS) {
    const found = programOf(command.words);
    if (!found || isHarmless(command)) continue;
    const saved = Object.fromEntries(Object.keys(command.env).map((k) => [k, Deno.env.get(k)]));
    for (const [name, value] of Object.entries(command.env)) Deno.env.set(name, value);
    try {
      const parsed = found.program === "server"
        ? parseServerArgs(found.args)
        : parseClientArgs(found.args);
      assert.equal(typeof parsed, "object", command.text);
    } catch (error) {
      throw new Error(
        `README (${command.section}): ${command.text}\n  ${(error as Error).message}`,
      );
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) Deno.env.delete(name);
        else Deno.env.set(name, value);
      }
    }
    checked.push(command.text);
  }
  assert.ok(checked.length >= 5, checked.join("\n"));
});

Deno.test("README: every deno task it names exists, and npx pins the Deno of .deno-version", async () => {
  for (const command of COMMANDS) {
    const words = command.words[0] === "npx"
      ? command.words.slice(command.words.indexOf(`deno@${DENO_VERSION}`))
      : command.words;
    if (command.words[0] === "npx") {
      assert.ok(
        command.words.includes(`deno@${DENO_VERSION}`),
        `${command.text}: npx must run deno@${DENO_VERSION}`,
      );
    }
    if (/^deno(@|$)/.test(words[0]!) && words[1] === "task") {
      assert.ok(words[2]! in TASKS, `${command.text}: deno.json has no task ${words[2]}`);
    }
    if (words[0] === "deno" && words[1] === "run") {
      const script = words.find((w) => w.endsWith(".ts"));
      assert.ok(script, command.text);
      await Deno.stat(`${ROOT}${script}`);
    }
  }
});

Deno.test("README: the Quick start's test command is the one .ci/run runs", async () => {
  const quickStart = COMMANDS.filter((c) => c.section === "Quick start").map((c) => c.text);
  assert.deepEqual(quickStart, [
    `npx -y deno@${DENO_VERSION} task demo`,
    `npx -y deno@${DENO_VERSION} task test`,
  ]);
  // .ci/run greps the README for its test command and runs that: the same grep finds this one.
  const ci = await Deno.readTextFile(`${ROOT}.ci/run`);
  const grep = /test_command="\$\(grep -m1 -oE '([^']+)' README\.md\)"/.exec(ci);
  assert.ok(grep, ".ci/run takes its test command from the README");
  assert.equal(new RegExp(grep[1]!).exec(README)?.[0], quickStart[1]);
  assert.match(ci, /^\$test_command$/m, ".ci/run runs the command it found");
});

Deno.test("README: the Quick start's demo runs as written and shows the session", async () => {
  const demo = COMMANDS.find((c) => c.section === "Quick start" && c.words.includes("demo"))!;
  const { code, stdout, stderr } = await run(demo.words, demo.env);
  assert.equal(code, 0, `${demo.text}\n${stdout}\n${stderr}`);
  assert.match(stdout, /^\[server\] listening on 127\.0\.0\.1:\d+ /m);
  assert.match(stdout, /^\[server\] demo pad0 A pressed$/m);
  assert.match(stdout, /^\[server\] demo disconnected /m);
  assert.match(stdout, /^\[demo\] done: /m);
});

/** The flags a `--help` text lists: each option line's leading `--flag`s. */
function helpFlags(help: string): Set<string> {
  return new Set([...help.matchAll(/^ {2}(--[a-z0-9-]+)/gm)].map((m) => m[1]!));
}

/** The flags in the first column of the tables under the README's `## heading`. */
function tableFlags(markdown: string, heading: string): Set<string> {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `the README has a "## ${heading}" section`);
  const end = markdown.indexOf("\n## ", start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const flags = new Set<string>();
  for (const row of section.split("\n").filter((line) => line.startsWith("| `--"))) {
    for (const m of row.split("|")[1]!.matchAll(/`(--[a-z0-9-]+)/g)) flags.add(m[1]!);
  }
  return flags;
}

Deno.test("README: the Server and Client flag tables list every flag of --help, and no other", () => {
  for (const [heading, help] of [["Server", SERVER_HELP], ["Client", CLIENT_HELP]] as const) {
    const inHelp = helpFlags(help);
    const inTable = tableFlags(README, heading);
    assert.ok(inHelp.size >= 20, `${heading}: --help lists its flags (${[...inHelp]})`);
    assert.deepEqual(
      [...inHelp].filter((f) => !inTable.has(f)),
      [],
      `${heading}: flags of --help missing from the README's table`,
    );
    assert.deepEqual(
      [...inTable].filter((f) => !inHelp.has(f)),
      [],
      `${heading}: flags in the README's table that --help does not list`,
    );
  }
});
