/**
 * Starting padlink's entrypoints as processes the way the shipped binaries
 * run: with exactly the `--allow-*` flags their `compile:*` task in
 * deno.json bakes in, so a missing permission fails here as it would for a
 * user. The tests, the bench and `deno task demo` all start them through
 * {@linkcode entrypointCommand}.
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** The repository root, with a trailing slash. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/** The two programs. */
export type Entrypoint = "server.ts" | "client.ts";

/** The compile task of each program. */
export type CompileTask = "compile:server" | "compile:client";

/**
 * The `--allow-*` flags of a compile task in deno.json: the permissions the
 * shipped binary gets.
 *
 * @throws {Error} when the task is missing, has no `--allow-*` flag, or grants every permission.
 */
export function compileFlags(task: CompileTask): string[] {
  const command = (denoJson.tasks as Record<string, string>)[task];
  if (!command) throw new Error(`deno.json has no task ${task}`);
  const words = command.split(/\s+/);
  if (words.some((word) => word === "--allow-all" || word === "-A")) {
    throw new Error(`${task} must not grant every permission`);
  }
  const flags = words.filter((word) => word.startsWith("--allow-"));
  if (flags.length === 0) throw new Error(`${task} has no --allow-* flags`);
  return flags;
}

/** Options for {@linkcode entrypointCommand}. */
export interface EntrypointOptions {
  /** Extra environment (`NO_COLOR=1` is always set). */
  env?: Record<string, string>;
  /** Extra `deno run` flags before the script, such as `--cpu-prof`. */
  denoFlags?: string[];
  /**
   * Run deno through this command, which gets deno's path and arguments
   * after its own: `["ip", "netns", "exec", NS]`, or a shell that sets up a
   * redirection and `exec`s (so the child's pid stays deno's own).
   */
  wrapper?: string[];
  /** Default "null". */
  stdin?: "piped" | "inherit" | "null";
  /** Default "piped". */
  stdout?: "piped" | "inherit" | "null";
  /** Default "piped". */
  stderr?: "piped" | "inherit" | "null";
}

/**
 * The command that runs `server.ts` or `client.ts` from this checkout with
 * its compile task's permissions.
 *
 * @param entry Which program.
 * @param args Its command line.
 * @param options Environment, deno flags, a wrapper, and stdio.
 * @returns the command, not yet spawned.
 */
export function entrypointCommand(
  entry: Entrypoint,
  args: readonly string[],
  options: EntrypointOptions = {},
): Deno.Command {
  const flags = compileFlags(entry === "server.ts" ? "compile:server" : "compile:client");
  const deno = [
    Deno.execPath(),
    "run",
    "--quiet",
    ...(options.denoFlags ?? []),
    ...flags,
    `${ROOT}${entry}`,
    ...args,
  ];
  const [command, ...commandArgs] = [...(options.wrapper ?? []), ...deno];
  return new Deno.Command(command!, {
    args: commandArgs,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin ?? "null",
    stdout: options.stdout ?? "piped",
    stderr: options.stderr ?? "piped",
  });
}

/** How a finished command ended, with what it printed. */
export interface TextOutput {
  /** The exit code. */
  code: number;
  /** Its stdout, decoded as UTF-8. */
  stdout: string;
  /** Its stderr, decoded as UTF-8. */
  stderr: string;
}

/**
 * Run `command` to its end (its stdout and stderr piped) and decode what it printed.
 *
 * @returns the exit code and the output as text.
 */
export async function outputText(command: Deno.Command): Promise<TextOutput> {
  const output = await command.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Send `signal` to `child`, ignoring a process that already exited.
 *
 * @param child The process.
 * @param signal The signal, for example `"SIGTERM"`.
 */
export function killQuietly(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
}
