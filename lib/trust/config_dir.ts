/**
 * Where padlink keeps its per-user files: the server's generated TLS
 * certificate and the client's known-hosts file.
 *
 * @module
 */

/** Environment lookups that {@linkcode defaultConfigDir} needs; tests pass their own. */
export type EnvLookup = (name: string) => string | undefined;

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * The OS's per-user config directory for padlink: `$XDG_CONFIG_HOME/padlink`
 * or `~/.config/padlink` on Linux and other Unix systems,
 * `~/Library/Application Support/padlink` on macOS, `%APPDATA%\padlink` on
 * Windows.
 *
 * @param os The operating system (default: the one running).
 * @param env How to read environment variables.
 * @returns the directory, which may not exist yet.
 * @throws {Error} when the home directory cannot be found.
 *
 * @example Usage
 * ```ts
 * import { defaultConfigDir } from "./config_dir.ts";
 * const env = (name: string) => ({ HOME: "/home/ann" } as Record<string, string>)[name];
 * if (defaultConfigDir("linux", env) !== "/home/ann/.config/padlink") throw new Error();
 * ```
 */
export function defaultConfigDir(
  os: typeof Deno.build.os = Deno.build.os,
  env: EnvLookup = readEnv,
): string {
  if (os === "windows") {
    const appData = env("APPDATA");
    if (appData) return `${appData}\\padlink`;
    const profile = env("USERPROFILE");
    if (profile) return `${profile}\\AppData\\Roaming\\padlink`;
    throw new Error("cannot find the config directory: APPDATA is not set; pass --config-dir");
  }
  const home = env("HOME");
  if (os === "darwin") {
    if (home) return `${home}/Library/Application Support/padlink`;
  } else {
    const xdg = env("XDG_CONFIG_HOME");
    if (xdg && xdg.startsWith("/")) return `${xdg}/padlink`;
    if (home) return `${home}/.config/padlink`;
  }
  throw new Error("cannot find the config directory: HOME is not set; pass --config-dir");
}

/** Join a directory and a file name with the OS's separator. */
export function configPath(dir: string, file: string): string {
  const separator = Deno.build.os === "windows" ? "\\" : "/";
  return dir.endsWith(separator) || dir.endsWith("/") ? dir + file : dir + separator + file;
}
