/**
 * The live web view and stream overlay: an {@linkcode Output} that serves
 * the dashboard (`GET /`), the overlay (`GET /overlay`), their static files
 * and a WebSocket (`GET /events`) with `Deno.serve`. The socket first sends
 * `{"type":"snapshot",…}`, then every event as the same JSON object
 * `--json` prints, one per message, and every second a `stats` record per
 * client (the same as `--json --stats 1`); it accepts feedback commands and
 * answers each with `{"ok":…}`.
 *
 * @module
 */

import { formatJson, formatStatsJson } from "../format.ts";
import { StatsWindow } from "../../server/telemetry.ts";
import type { ServerEvent } from "../../server/events.ts";
import type { FeedbackCommand, Output, OutputHost } from "../../server/output.ts";
import { FailureLimiter } from "../../trust/rate_limit.ts";
import {
  hasLoopbackHost,
  isLoopbackHost,
  isSameOrigin,
  requestToken,
  safeNext,
  tokenCookieName,
  tokenMatches,
} from "./access.ts";
import { SocketQueue } from "./socket_queue.ts";
import { loadStaticFiles, type StaticFile } from "./static_files.ts";
import { closeQuietly } from "../../net/close_quietly.ts";
import { withDeadline } from "../../net/deadline.ts";
import { formatHostPort } from "../../net/host_port.ts";
import { LogThrottle } from "../../net/log_throttle.ts";

/** The web listener's port when `--web` names none. */
export const DEFAULT_WEB_PORT = 7176;

/** The web listener's address when `--web` names none. */
export const DEFAULT_WEB_HOST = "127.0.0.1";

/** Largest command message a page may send, in bytes. */
export const MAX_COMMAND_SIZE = 4096;

/** WebSocket close code "Going Away" (RFC 6455 §7.4.1): the server is stopping. */
const WS_CLOSE_GOING_AWAY = 1001;
/** WebSocket close code "Message Too Big" (RFC 6455 §7.4.1). */
const WS_CLOSE_TOO_BIG = 1009;

/** How long {@linkcode WebOutput.close} waits for the HTTP server to stop. */
const SHUTDOWN_MS = 1000;

/** Options for {@linkcode WebOutput.start}. */
export interface WebOutputOptions {
  /** Address to listen on. Default {@linkcode DEFAULT_WEB_HOST}. */
  hostname?: string;
  /** Port; 0 picks a free one. Default {@linkcode DEFAULT_WEB_PORT}. */
  port?: number;
  /**
   * The server's token (normalised), required from browsers when the
   * listener is not on loopback; null only for a loopback listener.
   */
  token: string | null;
  /** Messages held per socket before it is closed as too slow. */
  maxQueued?: number;
  /** Socket buffer in bytes above which messages wait and axes coalesce. */
  highWater?: number;
  /** Diagnostics (a page too slow, a refused upgrade). */
  onLog?: (message: string) => void;
  /** How often pages get a `stats` record per client, in ms. Default {@linkcode WEB_STATS_MS}. */
  statsMs?: number;
}

/** How often pages get the clients' stats when {@linkcode WebOutputOptions.statsMs} is not given. */
export const WEB_STATS_MS = 1000;

/** The pages and what guards them. */
const PAGES: Readonly<Record<string, string>> = {
  "/": "index.html",
  "/overlay": "overlay.html",
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  // Not no-referrer: with it a browser sends `Origin: null` on the login form's POST.
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

/** A page connected to `/events`. */
interface Viewer {
  socket: WebSocket;
  queue: SocketQueue;
  peer: string;
}

/** Raised by {@linkcode WebOutput.start} when a non-loopback listener has no token to require. */
export class WebAccessError extends Error {
  /** Create the error. */
  constructor(message: string) {
    super(message);
    this.name = "WebAccessError";
  }
}

/** The web view, attached to a server with `server.addOutput(web)`. */
export class WebOutput implements Output {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #files: Map<string, StaticFile>;
  readonly #token: string | null;
  readonly #cookie: string;
  readonly #options: WebOutputOptions;
  readonly #viewers = new Set<Viewer>();
  readonly #limiter = new FailureLimiter();
  readonly #refusalLog = new LogThrottle();
  readonly #abort = new AbortController();
  #host: OutputHost | null = null;
  #closed: Promise<void> | null = null;
  /** Sends the stats while pages are connected; null while none are. */
  #statsTimer: ReturnType<typeof setInterval> | null = null;
  readonly #statsWindow = new StatsWindow();

  private constructor(
    files: Map<string, StaticFile>,
    options: WebOutputOptions,
    listening: (server: WebOutput) => Deno.HttpServer<Deno.NetAddr>,
  ) {
    this.#files = files;
    this.#options = options;
    const hostname = options.hostname ?? DEFAULT_WEB_HOST;
    this.#token = isLoopbackHost(hostname) ? null : options.token;
    this.#server = listening(this);
    this.#cookie = tokenCookieName(this.#server.addr.port);
  }

  /**
   * Read the page files and start listening.
   *
   * @throws {WebAccessError} for a non-loopback address without a token.
   * @throws {Deno.errors.AddrInUse} when the port is taken.
   */
  static async start(options: WebOutputOptions): Promise<WebOutput> {
    const hostname = options.hostname ?? DEFAULT_WEB_HOST;
    if (!isLoopbackHost(hostname) && !options.token) {
      throw new WebAccessError(
        `the web view on ${hostname} is reachable from the network and needs the server's token; drop --no-auth or use --web 127.0.0.1:PORT`,
      );
    }
    const files = await loadStaticFiles();
    return new WebOutput(files, options, (web) =>
      Deno.serve({
        hostname,
        port: options.port ?? DEFAULT_WEB_PORT,
        signal: web.#abort.signal,
        onListen: () => {},
        onError: () => new Response("internal error", { status: 500 }),
      }, (request, info) => web.#handle(request, info)));
  }

  /** The address the web view listens on. */
  get addr(): Deno.NetAddr {
    return this.#server.addr;
  }

  /** The dashboard's URL, `http://HOST:PORT/`. */
  get url(): string {
    const { hostname, port } = this.#server.addr;
    return `http://${formatHostPort(hostname, port)}/`;
  }

  /** Whether browsers must present the token. */
  get requiresToken(): boolean {
    return this.#token !== null;
  }

  /** Pages connected to `/events` now. */
  get viewers(): number {
    return this.#viewers.size;
  }

  /** Receive the server this output serves. */
  attach(host: OutputHost): void {
    this.#host = host;
  }

  /** Queue one event for every connected page. */
  push(event: ServerEvent): void {
    if (event.type === "listening" || this.#viewers.size === 0) return;
    const text = formatJson(event);
    const axis = event.type === "axis" ? `${event.client}\0${event.pad}\0${event.axis}` : undefined;
    for (const viewer of this.#viewers) viewer.queue.push(text, axis);
  }

  /** Close every socket and stop listening. */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#closed = (async () => {
      for (const viewer of this.#viewers) {
        this.#drop(viewer, WS_CLOSE_GOING_AWAY, "server stopping");
      }
      this.#abort.abort();
      if (this.#statsTimer !== null) clearInterval(this.#statsTimer);
      this.#statsTimer = null;
      await withDeadline(this.#server.finished, SHUTDOWN_MS, () => {});
    })();
    return this.#closed;
  }

  #handle(
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Response | Promise<Response> {
    if (this.#token === null && !hasLoopbackHost(request)) {
      return text(403, "this web view answers only to 127.0.0.1, [::1] and localhost");
    }
    const url = new URL(request.url);
    const { hostname, port } = info.remoteAddr;
    if (request.method === "POST" && url.pathname === "/login") {
      return this.#login(request, hostname);
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "only GET here");
    }
    if (url.pathname.startsWith("/static/")) {
      const file = this.#files.get(url.pathname.slice("/static/".length));
      if (!file) return text(404, "no such file");
      return new Response(file.body, {
        headers: { ...SECURITY_HEADERS, "content-type": file.type },
      });
    }
    if (url.pathname === "/login") return this.#page("login.html", 200);
    const page = PAGES[url.pathname];
    if (url.pathname !== "/events" && page === undefined) return text(404, "no such page");
    const token = this.#authorised(request, url);
    if (token === false && url.searchParams.has("token")) {
      const blocked = this.#wrongToken(hostname);
      if (blocked !== null) return blocked;
    }
    if (token === false) {
      if (page === undefined) return text(401, "the server's token is needed: ?token=…");
      const next = new URLSearchParams({ next: url.pathname + url.search });
      return new Response(null, {
        status: 303,
        headers: { ...SECURITY_HEADERS, location: `/login?${next}` },
      });
    }
    if (page !== undefined) {
      const response = this.#page(page, 200);
      // A valid ?token= (an OBS browser source URL) is kept like the form's.
      if (token !== null) response.headers.set("set-cookie", this.#setCookie(token));
      return response;
    }
    return this.#upgrade(
      request,
      formatHostPort(hostname, port),
    );
  }

  /**
   * Count a wrong token (the form's or a `?token=`) from `peer`; past the
   * limiter's bound, the answer that refuses it. The right token is checked
   * first and always accepted, so wrong ones from an address an honest
   * browser shares never lock that browser out.
   */
  #wrongToken(peer: string): Response | null {
    this.#limiter.fail(peer);
    const blocked = this.#limiter.blockedFor(peer);
    if (blocked <= 0) return null;
    return text(429, `too many wrong tokens; try again in ${Math.ceil(blocked / 1000)} s`);
  }

  /** false when a token is needed and missing or wrong; else the valid `?token=` or null. */
  #authorised(request: Request, url: URL): string | null | false {
    if (this.#token === null) return null;
    const given = requestToken(request, url, this.#cookie);
    if (given === null || !tokenMatches(given, this.#token)) return false;
    return url.searchParams.has("token") ? this.#token : null;
  }

  #setCookie(token: string): string {
    return `${this.#cookie}=${token}; Path=/; HttpOnly; SameSite=Strict`;
  }

  #page(name: string, status: number): Response {
    const file = this.#files.get(name)!;
    return new Response(file.body, {
      status,
      headers: { ...SECURITY_HEADERS, "content-type": file.type },
    });
  }

  async #login(request: Request, peer: string): Promise<Response> {
    if (!isSameOrigin(request)) return text(403, "login from another site refused");
    let form: FormData;
    try {
      form = await request.formData();
    } catch {
      return text(400, "expected a form with a token");
    }
    const next = safeNext(String(form.get("next") ?? "/"));
    const given = String(form.get("token") ?? "");
    if (this.#token === null || tokenMatches(given, this.#token)) {
      const headers = new Headers({ ...SECURITY_HEADERS, location: next });
      if (this.#token !== null) headers.set("set-cookie", this.#setCookie(this.#token));
      return new Response(null, { status: 303, headers });
    }
    const blocked = this.#wrongToken(peer);
    if (blocked !== null) return blocked;
    const again = new URLSearchParams({ next, wrong: "1" });
    return new Response(null, {
      status: 303,
      headers: { ...SECURITY_HEADERS, location: `/login?${again}` },
    });
  }

  #upgrade(request: Request, peer: string): Response {
    if (!isSameOrigin(request)) {
      // Any site open in a browser on this machine can try: at most a line a second.
      const held = this.#refusalLog.take();
      if (held !== null) {
        this.#options.onLog?.(
          `web: refused a WebSocket from another site's page (Origin ${
            JSON.stringify(request.headers.get("origin"))
          })${held > 0 ? ` and ${held} more since the last report` : ""}`,
        );
      }
      return text(403, "WebSocket from another origin refused");
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return text(426, "/events is a WebSocket");
    }
    if (this.#closed) return text(503, "server stopping");
    const { socket, response } = Deno.upgradeWebSocket(request);
    const viewer: Viewer = {
      socket,
      peer,
      queue: new SocketQueue(socket, {
        maxQueued: this.#options.maxQueued,
        highWater: this.#options.highWater,
        onOverflow: (queued) => {
          this.#viewers.delete(viewer);
          this.#options.onLog?.(
            `web: the page at ${peer} fell ${queued} messages behind; closed it (it reconnects)`,
          );
        },
      }),
    };
    socket.onopen = () => {
      // Snapshot and joining in one synchronous step: no event falls between.
      if (this.#closed || !this.#host) {
        socket.close(WS_CLOSE_GOING_AWAY, "server stopping");
        return;
      }
      viewer.queue.push(JSON.stringify(this.#host.snapshot()));
      this.#viewers.add(viewer);
      this.#statsTimer ??= setInterval(
        () => this.#sendStats(),
        this.#options.statsMs ?? WEB_STATS_MS,
      );
    };
    socket.onmessage = (message) => this.#onCommand(viewer, message.data);
    socket.onclose = () => {
      this.#viewers.delete(viewer);
      viewer.queue.close();
    };
    socket.onerror = () => {};
    return response;
  }

  /** One `stats` record per client to every page; the timer stops when no page is left. */
  #sendStats(): void {
    if (this.#viewers.size === 0 || this.#closed || !this.#host) {
      if (this.#statsTimer !== null) clearInterval(this.#statsTimer);
      this.#statsTimer = null;
      return;
    }
    for (const stats of this.#statsWindow.read(this.#host.telemetry())) {
      const text = formatStatsJson(stats);
      for (const viewer of this.#viewers) viewer.queue.push(text);
    }
  }

  #onCommand(viewer: Viewer, data: unknown): void {
    if (typeof data !== "string" || data.length > MAX_COMMAND_SIZE) {
      this.#drop(
        viewer,
        WS_CLOSE_TOO_BIG,
        `commands are JSON text of at most ${MAX_COMMAND_SIZE} bytes`,
      );
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      viewer.queue.push(JSON.stringify({ ok: false, error: "a command is one JSON object" }));
      return;
    }
    const id = (message as { id?: unknown } | null)?.id;
    const reply = (result: { ok: boolean; error?: string }) =>
      viewer.queue.push(JSON.stringify(
        typeof id === "string" || typeof id === "number" ? { id, ...result } : result,
      ));
    // The server checks every field, the same for every source of commands.
    this.#host!.command(message as FeedbackCommand).then(reply, (error) => {
      reply({ ok: false, error: error instanceof Error ? error.message : String(error) });
    });
  }

  #drop(viewer: Viewer, code: number, reason: string): void {
    this.#viewers.delete(viewer);
    viewer.queue.close();
    closeQuietly(viewer.socket, code, reason);
  }
}

function text(status: number, body: string): Response {
  return new Response(body + "\n", {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" },
  });
}
