/**
 * A real `nats-server` for tests: started on a port it picks itself on
 * loopback, stopped (or killed, and started again on the same port) by the
 * test. `tools/ensure_deps.sh` installs Debian's `nats-server`.
 *
 * @module
 */

import { killQuietly } from "../tools/_spawn.ts";
import { Lines } from "./_util.ts";

const DEPS_HINT = "run `sh tools/ensure_deps.sh` to install Debian's nats-server";

/** The nats-server binary: on PATH, or where Debian puts it (/usr/sbin is not on every PATH). */
function natsServerPath(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat("/usr/sbin")) {
    try {
      if (dir && Deno.statSync(`${dir}/nats-server`).isFile) return `${dir}/nats-server`;
    } catch {
      // Not here.
    }
  }
  return "nats-server";
}

/** A running nats-server. */
export class NatsServer implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #log: Lines;
  #extra: string[];
  /** The port it listens on. */
  readonly port: number;
  /** The port of its HTTP monitoring endpoint (`/connz` and the like). */
  readonly monitorPort: number;

  private constructor(
    child: Deno.ChildProcess,
    log: Lines,
    ports: { port: number; monitorPort: number },
    extra: string[],
  ) {
    this.#child = child;
    this.#log = log;
    this.port = ports.port;
    this.monitorPort = ports.monitorPort;
    this.#extra = extra;
  }

  /** `nats://127.0.0.1:PORT`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /**
   * Start nats-server on 127.0.0.1, on `port` or (by default) one it picks,
   * and wait until it takes clients.
   *
   * @param extra More nats-server flags, such as `--user`/`--pass`.
   */
  static async start(port = -1, extra: string[] = []): Promise<NatsServer> {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(natsServerPath(), {
        args: ["-a", "127.0.0.1", "-p", String(port), "-m", "-1", ...extra],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(`nats-server is missing: ${DEPS_HINT}`);
      }
      throw error;
    }
    const log = new Lines(child.stderr);
    try {
      const monitor = await log.waitFor((text) => /Starting http monitor on/.test(text), {
        what: "nats-server's monitor",
      });
      const line = await log.waitFor((text) => /Listening for client connections on/.test(text), {
        what: "nats-server listening",
      });
      await log.waitFor((text) => text.includes("Server is ready"), { what: "nats-server ready" });
      const portOf = (text: string) => Number(/:(\d+)\s*$/.exec(text)?.[1]);
      return new NatsServer(
        child,
        log,
        { port: portOf(line.text), monitorPort: portOf(monitor.text) },
        extra,
      );
    } catch (error) {
      killQuietly(child, "SIGKILL");
      await child.status;
      await log.done;
      throw error;
    }
  }

  /** Kill it at once (SIGKILL), as a crash would, and wait until it is gone. */
  async kill(): Promise<void> {
    killQuietly(this.#child, "SIGKILL");
    await this.#child.status;
    await this.#log.done;
  }

  /** Start it again on the same port, after {@linkcode kill}. */
  async restart(): Promise<NatsServer> {
    return await NatsServer.start(this.port, this.#extra);
  }

  /** The connections it holds now, from its monitoring endpoint (`/connz`). */
  async connections(): Promise<Record<string, unknown>[]> {
    const response = await fetch(`http://127.0.0.1:${this.monitorPort}/connz?subs=1`);
    return ((await response.json()) as { connections?: Record<string, unknown>[] }).connections ??
      [];
  }

  /** Its log so far. */
  get log(): string {
    return this.#log.text;
  }

  /** Stop it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}
