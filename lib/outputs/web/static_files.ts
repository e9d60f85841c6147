/**
 * The web view's page files (HTML, CSS, JS, SVG). They are plain files in
 * `static/` beside this module, read relative to `import.meta.url`, which
 * works both in a checkout and inside a binary built by `deno compile
 * --include lib/outputs/web/static` (the compile:server task).
 *
 * @module
 */

/** Every file the web view serves, by its path under `static/`. */
export const STATIC_FILES: readonly string[] = [
  "index.html",
  "overlay.html",
  "login.html",
  "padlink.css",
  "live.js",
  "pad_view.js",
  "dashboard.js",
  "overlay.js",
  "login.js",
  "skins/xbox.svg",
  "skins/playstation.svg",
  "skins/switch.svg",
];

/** The folder holding them, as a URL. */
export const STATIC_DIR: URL = new URL("./static/", import.meta.url);

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
};

/** One file ready to serve. */
export interface StaticFile {
  /** Its bytes. */
  body: Uint8Array<ArrayBuffer>;
  /** Its `Content-Type`. */
  type: string;
}

/**
 * Read every file of {@linkcode STATIC_FILES} into memory.
 *
 * @throws when one is missing (a binary compiled without `--include`).
 */
export async function loadStaticFiles(): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const name of STATIC_FILES) {
    const extension = name.slice(name.lastIndexOf(".") + 1);
    const body = await Deno.readFile(new URL(name, STATIC_DIR));
    files.set(name, { body, type: CONTENT_TYPES[extension] ?? "application/octet-stream" });
  }
  return files;
}
