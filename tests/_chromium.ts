/**
 * Drive Debian's Chromium over the DevTools protocol, directly: launch it
 * headless with `--remote-debugging-port=0`, read the browser's WebSocket
 * address from its stderr, and speak CDP over one flat-session socket. Used
 * by the browser tests, the web bench row and the screenshot tool.
 *
 * @module
 */

import { closeQuietly } from "../lib/net/close_quietly.ts";
import { withDeadline } from "../lib/net/deadline.ts";
import { fromBase64 } from "../lib/wire/bytes.ts";
import { killQuietly } from "../tools/_spawn.ts";

/** Flags that work on this machine (no GPU, no sandbox as root, no network). */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--mute-audio",
];

/** Where Chromium is: `PADLINK_CHROMIUM`, else `chromium` on PATH. */
function chromiumPath(): string {
  return Deno.env.get("PADLINK_CHROMIUM") ?? "chromium";
}

type Handler = (params: Record<string, unknown>, sessionId?: string) => void;

/** How CDP messages travel: a WebSocket, or the two pipes of `--remote-debugging-pipe`. */
interface Transport {
  send(text: string): void;
  close(): Promise<void>;
}

/** Options for {@linkcode Chromium.launch}. */
export interface LaunchOptions {
  /**
   * Run Chromium inside this network namespace (`ip netns exec`). DevTools
   * then speaks over two named pipes (`--remote-debugging-pipe`), since the
   * namespace's loopback cannot be reached from here.
   */
  netns?: string;
}

/** A headless Chromium with a DevTools connection. */
export class Chromium implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  #transport!: Transport;
  readonly #profile: string;
  readonly #pending = new Map<
    number,
    { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }
  >();
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #stderrDone: Promise<void>;
  #next = 1;
  /** Named pipes whose open still waits for Chromium (which may have died first). */
  #unopenedPipes: string[] = [];

  private constructor(child: Deno.ChildProcess, profile: string, stderrDone: Promise<void>) {
    this.#child = child;
    this.#profile = profile;
    this.#stderrDone = stderrDone;
  }

  /**
   * Start Chromium and connect to it.
   *
   * @throws when Chromium is missing (run tools/ensure_deps.sh) or does not start in time.
   */
  static async launch(options: LaunchOptions = {}): Promise<Chromium> {
    const profile = await Deno.makeTempDir({ prefix: "padlink-chromium-" });
    const args = [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`];
    let command: string;
    let commandArgs: string[];
    if (options.netns) {
      for (const name of ["in", "out"]) {
        const made = await new Deno.Command("mkfifo", { args: [`${profile}/cdp-${name}`] })
          .output();
        if (made.code !== 0) {
          throw new Error(`mkfifo failed: ${new TextDecoder().decode(made.stderr)}`);
        }
      }
      // Chromium reads commands on fd 3 and writes replies on fd 4.
      command = "ip";
      commandArgs = [
        "netns",
        "exec",
        options.netns,
        "sh",
        "-c",
        'exec "$0" "$@" 3<"$CDP_IN" 4>"$CDP_OUT"',
        chromiumPath(),
        ...args,
        "--remote-debugging-pipe",
        "about:blank",
      ];
    } else {
      command = chromiumPath();
      commandArgs = [...args, "--remote-debugging-port=0", "about:blank"];
    }
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(command, {
        args: commandArgs,
        env: { CDP_IN: `${profile}/cdp-in`, CDP_OUT: `${profile}/cdp-out` },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      await Deno.remove(profile, { recursive: true });
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(
          "chromium is not installed; run sh tools/ensure_deps.sh (apt-get install chromium)",
        );
      }
      throw error;
    }
    let resolveUrl!: (url: string) => void;
    const address = new Promise<string>((resolve) => resolveUrl = resolve);
    let log = "";
    const stderrDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        if (log.length < 20000) log += decoder.decode(chunk, { stream: true });
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(log);
        if (match) resolveUrl(match[1]!);
      }
    })();
    const browser = new Chromium(child, profile, stderrDone);
    const exited = child.status.then((status) => {
      throw new Error(`chromium exited with ${status.code} before DevTools connected:\n${log}`);
    });
    try {
      const connecting = (async () => {
        if (options.netns) await browser.#openPipes(`${profile}/cdp-in`, `${profile}/cdp-out`);
        else await browser.#openSocket(await address);
        // The pipes open before Chromium reads them: only an answer shows it is there.
        await browser.send("Browser.getVersion");
      })();
      await withDeadline(Promise.race([connecting, exited]), 30000, () => {
        throw new Error(`chromium's DevTools did not connect within 30 s:\n${log}`);
      });
      return browser;
    } catch (error) {
      await browser[Symbol.asyncDispose]();
      throw error;
    }
  }

  async #openSocket(url: string): Promise<void> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot connect to chromium at ${url}`));
    });
    const closed = new Promise<void>((resolve) => socket.onclose = () => resolve());
    socket.onmessage = (message) => this.#onMessage(JSON.parse(message.data as string));
    this.#transport = {
      send: (text) => socket.send(text),
      close: () => {
        closeQuietly(socket);
        return closed;
      },
    };
  }

  async #openPipes(inPath: string, outPath: string): Promise<void> {
    // Each open waits for Chromium's shell to open the other end.
    this.#unopenedPipes = [inPath, outPath];
    const toChromium = await Deno.open(inPath, { write: true });
    this.#unopenedPipes = [outPath];
    const fromChromium = await Deno.open(outPath, { read: true });
    this.#unopenedPipes = [];
    const encoder = new TextEncoder();
    const reading = (async () => {
      const decoder = new TextDecoder();
      let partial = "";
      try {
        for await (const chunk of fromChromium.readable) {
          partial += decoder.decode(chunk, { stream: true });
          const messages = partial.split("\0");
          partial = messages.pop()!;
          for (const message of messages) this.#onMessage(JSON.parse(message));
        }
      } catch {
        // Chromium went away.
      }
    })();
    let writes = Promise.resolve();
    this.#transport = {
      send: (text) => {
        const bytes = encoder.encode(text + "\0");
        writes = writes.then(async () => {
          let offset = 0;
          while (offset < bytes.length) offset += await toChromium.write(bytes.subarray(offset));
        }).catch(() => {});
      },
      close: async () => {
        await writes;
        closeQuietly(toChromium);
        await reading;
      },
    };
  }

  /** Send one CDP command (to a page's session when `sessionId` is given). */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#transport.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  /** Call `handler` for every CDP event named `method`; returns a function that stops it. */
  on(method: string, handler: Handler): () => void {
    let set = this.#handlers.get(method);
    if (!set) this.#handlers.set(method, set = new Set());
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Open a new tab at `url` and wait for it to load. */
  async newPage(url: string, viewport = { width: 1000, height: 700 }): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    }) as { sessionId: string };
    const page = new Page(this, sessionId, targetId as string);
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    await page.send("Emulation.setDeviceMetricsOverride", {
      ...viewport,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await page.goto(url);
    return page;
  }

  #onMessage(message: {
    id?: number;
    result?: Record<string, unknown>;
    error?: { message: string };
    method?: string;
    params?: Record<string, unknown>;
    sessionId?: string;
  }): void {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) pending?.reject(new Error(`CDP: ${message.error.message}`));
      else pending?.resolve(message.result ?? {});
      return;
    }
    if (message.method) {
      for (const handler of this.#handlers.get(message.method) ?? []) {
        handler(message.params ?? {}, message.sessionId);
      }
    }
  }

  /** Stop Chromium and remove its profile. */
  async [Symbol.asyncDispose](): Promise<void> {
    killQuietly(this.#child, "SIGKILL");
    await this.#child.status;
    // Open the other end of a pipe Chromium never opened, so our waiting open returns.
    for (const [i, path] of this.#unopenedPipes.entries()) {
      const end = await Deno.open(
        path,
        i === 0 && this.#unopenedPipes.length === 2 ? { read: true } : { write: true },
      ).catch(() => null);
      closeQuietly(end);
    }
    await this.#transport?.close().catch(() => {});
    await this.#stderrDone;
    for (const pending of this.#pending.values()) pending.reject(new Error("chromium stopped"));
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

/** One tab. */
export class Page {
  readonly #browser: Chromium;
  readonly sessionId: string;
  readonly targetId: string;

  /** Wrap a tab's session. */
  constructor(browser: Chromium, sessionId: string, targetId: string) {
    this.#browser = browser;
    this.sessionId = sessionId;
    this.targetId = targetId;
  }

  /** Send a CDP command to this tab. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.#browser.send(method, params, this.sessionId);
  }

  /** Call `handler` for this tab's CDP events named `method`. */
  on(method: string, handler: (params: Record<string, unknown>) => void): () => void {
    return this.#browser.on(method, (params, sessionId) => {
      if (sessionId === this.sessionId) handler(params);
    });
  }

  /** Load `url` and wait for its load event. */
  async goto(url: string, timeoutMs = 15000): Promise<void> {
    let stop = () => {};
    const loaded = new Promise<void>((resolve) => {
      stop = this.on("Page.loadEventFired", () => resolve());
    });
    const navigated = (async () => {
      const result = await this.send("Page.navigate", { url });
      if (result.errorText) throw new Error(`cannot load ${url}: ${result.errorText}`);
      await loaded;
    })();
    try {
      await withDeadline(navigated, timeoutMs, () => {
        throw new Error(`${url} did not load in ${timeoutMs} ms`);
      });
    } finally {
      stop();
    }
  }

  /** Evaluate an expression in the page and return its value (awaiting a promise). */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as { result: { value?: T }; exceptionDetails?: { text: string; exception?: unknown } };
    if (result.exceptionDetails) {
      throw new Error(
        `page threw: ${result.exceptionDetails.text} ${
          JSON.stringify(result.exceptionDetails.exception ?? "")
        }`,
      );
    }
    return result.result.value as T;
  }

  /** Poll `expression` every 20 ms until it is truthy; returns its value. */
  async waitFor<T = unknown>(expression: string, timeoutMs = 10000, what = expression): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    let last = "";
    while (true) {
      try {
        const value = await this.evaluate<T>(expression);
        if (value) return value;
      } catch (error) {
        // A page that is navigating has no context to evaluate in for a moment.
        last = ` (last error: ${(error as Error).message})`;
      }
      if (performance.now() > deadline) {
        throw new Error(`page: no ${what} within ${timeoutMs} ms${last}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** A PNG of the viewport; with `transparent`, the page's own background only. */
  async screenshot(transparent = false): Promise<Uint8Array> {
    if (transparent) {
      await this.send("Emulation.setDefaultBackgroundColorOverride", {
        color: { r: 0, g: 0, b: 0, a: 0 },
      });
    }
    const { data } = await this.send("Page.captureScreenshot", { format: "png" });
    return fromBase64(data as string);
  }

  /** Close this tab. */
  async close(): Promise<void> {
    await this.#browser.send("Target.closeTarget", { targetId: this.targetId });
  }
}
