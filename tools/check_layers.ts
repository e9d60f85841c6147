/**
 * The layer check: reads the import graph of `lib/` and fails, one line per
 * violation, when an import goes against {@linkcode LAYERS}.
 *
 * Usage: `deno run --allow-read --allow-run tools/check_layers.ts [--root DIR] [--verbose]`
 * (`deno task check` runs it). Exit status 0 when the graph keeps the layers,
 * 1 with one line per violation otherwise, 2 for a usage or graph error.
 *
 * The rules, checked over static imports, `export … from`, `import type`,
 * dynamic `import("…")` with a literal specifier, and worker entry points
 * (`new URL("./x.ts", import.meta.url)`):
 *
 * 1. Every file under `lib/` belongs to a layer in {@linkcode LAYERS}.
 * 2. A file may import its own layer and layers of a lower rank; never a
 *    higher rank, nor another layer of the same rank (`client` and `server`
 *    are siblings).
 * 3. A layer with a `side` never imports a layer of the other side: server-side
 *    code (`server`, `outputs`) never imports client-side code and vice versa.
 * 4. Each binary's graph (everything its entrypoints reach) stays on its side:
 *    the client binary carries no server-side file and the server binary no
 *    client-side file.
 * 5. No import cycle between layers.
 * 6. Code under `lib/` imports no local file outside `lib/` except
 *    {@linkcode OUTSIDE_LIB_ALLOWED}, and production code never imports a test
 *    file or test helper.
 *
 * Tests are exempt from rules 2 and 3 (see {@linkcode isTestFile}): a unit test
 * beside its code may need the real peer from another layer, for example
 * `lib/trust/tls_test.ts` runs a TLS handshake between the real server and the
 * real client, and `lib/server/server_test.ts` drives the server with the real
 * client. Tests ship in no binary and nothing imports them, so such an import
 * cannot make a layer depend on a higher one; rule 6 keeps it that way. The
 * check prints how many test imports used the exemption; `--verbose` lists them.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { toBase64 } from "../lib/wire/bytes.ts";

/** Which binary a layer's code belongs to; `undefined` means both may use it. */
export type Side = "client" | "server";

/** One layer of `lib/`: a folder, its rank, and what lives there. */
export interface Layer {
  /** Short name used in messages, for example `wire`. */
  name: string;
  /** The folder, relative to the repository root; `lib` holds only `lib/mod.ts`. */
  folder: string;
  /** Higher ranks may import lower ones; equal ranks are siblings. */
  rank: number;
  /** The binary this layer's code belongs to, when only one uses it. */
  side?: Side;
  /** What lives there, one line (docs/architecture.md expands on it). */
  holds: string;
}

/**
 * THE layer table, bottom to top. docs/architecture.md describes it and points
 * here; change the layers here and nowhere else.
 */
export const LAYERS: readonly Layer[] = [
  {
    name: "input",
    folder: "lib/input",
    rank: 0,
    holds:
      "input events and names, InputState, axis maths, pipeline, coalescer, remap, feedback pacing",
  },
  {
    name: "wire",
    folder: "lib/wire",
    rank: 1,
    holds: "framing, message codes, handshake and session codecs, name rule, byte helpers",
  },
  {
    name: "net",
    folder: "lib/net",
    rank: 2,
    holds:
      "FramedConnection, the liveness ticker, clock sync, the accept loop, deadlines, closeQuietly",
  },
  {
    name: "trust",
    folder: "lib/trust",
    rank: 3,
    holds: "token proofs, TLS, certificates, known hosts, rate limit, config dir, pairing",
  },
  {
    name: "replay",
    folder: "lib/replay",
    rank: 4,
    holds: "replay files: parse and play JSON lines, record them",
  },
  {
    name: "sdl2",
    folder: "lib/sdl2",
    rank: 5,
    holds: "SDL2 over FFI: library loading, SDL_Event decoding, the SDL worker",
  },
  {
    name: "client",
    folder: "lib/client",
    rank: 6,
    side: "client",
    holds: "PadlinkConnection (handshake, session) and Forwarder (reconnects, resync)",
  },
  {
    name: "server",
    folder: "lib/server",
    rank: 6,
    side: "server",
    holds: "PadlinkServer, sessions, event types, the output seam (output.ts)",
  },
  {
    name: "outputs",
    folder: "lib/outputs",
    rank: 7,
    side: "server",
    holds:
      "outputs behind the seam: text and JSON lines, the web view (web/), DSU (dsu/), NATS (nats/)",
  },
  {
    name: "cli",
    folder: "lib/cli",
    rank: 8,
    holds: "both command lines: flags, wiring, exit codes",
  },
  {
    name: "package",
    folder: "lib",
    rank: 8,
    holds: "lib/mod.ts, the library's entry: re-exports only",
  },
];

/**
 * Each binary's entrypoint (first; everything it reaches ships in the binary)
 * and its main module under `lib/cli/`. All must exist, so that renaming one
 * cannot switch the check off.
 */
export const BINARIES: Readonly<Record<Side, readonly string[]>> = {
  client: ["client.ts", "lib/cli/client_main.ts"],
  server: ["server.ts", "lib/cli/server_main.ts"],
};

/** Local files outside `lib/` that `lib/` may import: the manifest, read for the version. */
export const OUTSIDE_LIB_ALLOWED: readonly string[] = ["deno.json"];

/** How one file refers to another. */
export type ImportKind = "static" | "type" | "dynamic" | "worker";

/** One import of a local file. */
export interface ImportEdge {
  /** The imported file, relative to the repository root with `/` separators. */
  to: string;
  /** How it is imported. */
  kind: ImportKind;
}

/**
 * The import graph: each local file (relative to the repository root, with `/`
 * separators) and the local files it imports. Imports of npm, jsr and `node:`
 * modules are left out.
 */
export type ImportGraph = Map<string, ImportEdge[]>;

/** The result of {@linkcode checkLayers}. */
export interface LayerReport {
  /** One line per violation, ready to print; empty when the graph keeps the layers. */
  violations: string[];
  /** Imports from test files that only the test exemption allows, one line each. */
  exemptTestImports: string[];
  /** Imports from files under `lib/` that were checked. */
  checkedImports: number;
}

/**
 * Whether `path` is a test file or a test helper: `*_test.ts`, or a file whose
 * name starts with `_test_` (for example `lib/wire/_test_sink.ts`).
 *
 * @param path a path relative to the repository root
 * @returns `true` for test files and test helpers
 */
export function isTestFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name.endsWith("_test.ts") || name.startsWith("_test_");
}

/**
 * The layer a file under `lib/` belongs to.
 *
 * @param path a path relative to the repository root
 * @returns its layer, or `undefined` for a file outside `lib/` or in no layer
 */
export function layerOf(path: string): Layer | undefined {
  if (!path.startsWith("lib/")) return undefined;
  const rest = path.slice("lib/".length);
  const slash = rest.indexOf("/");
  const folder = slash === -1 ? "lib" : `lib/${rest.slice(0, slash)}`;
  return LAYERS.find((layer) => layer.folder === folder);
}

function describeKind(kind: ImportKind): string {
  switch (kind) {
    case "static":
      return "imports";
    case "type":
      return "imports (type only)";
    case "dynamic":
      return "dynamically imports";
    case "worker":
      return "starts a worker from";
  }
}

/** Why `from` may not import `to`, or `undefined` when it may. */
function layerRuleBroken(from: Layer, to: Layer): string | undefined {
  if (from === to) return undefined;
  if (from.side && to.side && from.side !== to.side) {
    return `${from.name} is ${from.side}-side and must not import ${to.side}-side code (${to.name})`;
  }
  if (to.rank > from.rank) {
    return `${from.name} (rank ${from.rank}) is below ${to.name} (rank ${to.rank}) and must not import it`;
  }
  if (to.rank === from.rank) {
    return `${from.name} and ${to.name} are siblings (rank ${from.rank}) and must not import each other`;
  }
  return undefined;
}

/** The first path from `roots` to a file that `bad` accepts, breadth first. */
function findPath(
  graph: ImportGraph,
  roots: readonly string[],
  bad: (path: string) => boolean,
): string[][] {
  const found: string[][] = [];
  const parent = new Map<string, string | null>();
  const queue: string[] = [];
  for (const root of roots) {
    if (!parent.has(root)) {
      parent.set(root, null);
      queue.push(root);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i]!;
    if (bad(file)) {
      const chain = [file];
      for (let p = parent.get(file); p; p = parent.get(p)) chain.unshift(p);
      found.push(chain);
      continue; // one chain per offending file; do not walk on through it
    }
    for (const edge of graph.get(file) ?? []) {
      if (!parent.has(edge.to)) {
        parent.set(edge.to, file);
        queue.push(edge.to);
      }
    }
  }
  return found;
}

/** Cycles between layers, each as layer names with one example import per hop. */
function layerCycles(graph: ImportGraph): string[] {
  // Layer-level edges with one example file import each; tests excluded.
  const edges = new Map<string, Map<string, string>>();
  for (const [from, imports] of graph) {
    const fromLayer = layerOf(from);
    if (!fromLayer || isTestFile(from)) continue;
    for (const edge of imports) {
      const toLayer = layerOf(edge.to);
      if (!toLayer || toLayer === fromLayer) continue;
      let out = edges.get(fromLayer.name);
      if (!out) edges.set(fromLayer.name, out = new Map());
      if (!out.has(toLayer.name)) out.set(toLayer.name, `${from} → ${edge.to}`);
    }
  }
  // Tarjan's strongly connected components over the layers.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (layer: string): void => {
    index.set(layer, index.size);
    low.set(layer, index.get(layer)!);
    stack.push(layer);
    onStack.add(layer);
    for (const next of edges.get(layer)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(layer, Math.min(low.get(layer)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(layer, Math.min(low.get(layer)!, index.get(next)!));
      }
    }
    if (low.get(layer) === index.get(layer)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== layer);
      if (component.length > 1) components.push(component);
    }
  };
  for (const layer of LAYERS) if (!index.has(layer.name)) visit(layer.name);

  // One concrete cycle per component: the shortest way back to one member, breadth first.
  return components.map((component) => {
    const members = new Set(component);
    const start = component[component.length - 1]!;
    const parent = new Map<string, string>([[start, start]]);
    const queue = [start];
    let cycle: string[] = [start];
    for (let i = 0; i < queue.length; i++) {
      const at = queue[i]!;
      const targets = [...edges.get(at)?.keys() ?? []].filter((n) => members.has(n));
      if (targets.includes(start)) {
        cycle = [start];
        for (let p = at; p !== start; p = parent.get(p)!) cycle.splice(1, 0, p);
        cycle.push(start);
        break;
      }
      for (const next of targets) {
        if (!parent.has(next)) {
          parent.set(next, at);
          queue.push(next);
        }
      }
    }
    const hops = cycle.slice(1).map((to, i) => edges.get(cycle[i]!)!.get(to)!);
    return `import cycle between layers ${cycle.join(" → ")}: ${hops.join("; ")}`;
  });
}

/**
 * Check an import graph against {@linkcode LAYERS} and the rules in this
 * module's doc.
 *
 * @param graph every local file and the local files it imports
 * @returns the violations, one printable line each, and counts
 */
export function checkLayers(graph: ImportGraph): LayerReport {
  const violations: string[] = [];
  const exemptTestImports: string[] = [];
  let checkedImports = 0;

  for (const [from, imports] of graph) {
    if (!from.startsWith("lib/")) continue;
    const fromLayer = layerOf(from);
    if (!fromLayer) {
      violations.push(
        `${from} is in no layer; put it in a layer's folder or add its folder to LAYERS in tools/check_layers.ts`,
      );
      continue;
    }
    for (const edge of imports) {
      checkedImports++;
      const what = `${from} ${describeKind(edge.kind)} ${edge.to}`;
      if (!isTestFile(from) && isTestFile(edge.to)) {
        violations.push(`${what}: production code must not depend on a test file or test helper`);
        continue;
      }
      if (!edge.to.startsWith("lib/")) {
        if (!OUTSIDE_LIB_ALLOWED.includes(edge.to)) {
          violations.push(`${what}: lib/ must not import local files outside lib/`);
        }
        continue;
      }
      const toLayer = layerOf(edge.to);
      if (!toLayer) continue; // reported as a file in no layer when the graph holds it
      const broken = layerRuleBroken(fromLayer, toLayer);
      if (!broken) continue;
      if (isTestFile(from)) {
        exemptTestImports.push(`${what}: ${broken}`);
        continue;
      }
      violations.push(`${what}: ${broken}`);
    }
  }

  for (const side of ["client", "server"] as const) {
    const roots = BINARIES[side];
    for (const root of roots) {
      if (!graph.has(root)) {
        violations.push(
          `${root}, an entrypoint of the ${side} binary, is missing; update BINARIES in tools/check_layers.ts`,
        );
      }
    }
    const other = side === "client" ? "server" : "client";
    for (const chain of findPath(graph, roots.slice(0, 1), (p) => layerOf(p)?.side === other)) {
      violations.push(
        `the ${side} binary carries ${other}-side code: ${chain.join(" → ")}`,
      );
    }
  }

  violations.push(...layerCycles(graph));
  return { violations, exemptTestImports, checkedImports };
}

/** `new URL("./x.ts", import.meta.url)`: how a worker's entry point is named. */
const WORKER_URL = /new URL\(\s*(["'])(\.{1,2}\/[^"']+\.ts)\1\s*,\s*import\.meta\.url\s*\)/g;

interface DenoInfoDependency {
  specifier: string;
  code?: { specifier?: string; error?: string };
  type?: { specifier?: string; error?: string };
  isDynamic?: boolean;
}

interface DenoInfoModule {
  specifier: string;
  local?: string;
  error?: string;
  dependencies?: DenoInfoDependency[];
}

/** Thrown when the import graph cannot be read; the message says why. */
export class ImportGraphError extends Error {
  /**
   * Make the error.
   *
   * @param message what went wrong, one line
   */
  constructor(message: string) {
    super(message);
    this.name = "ImportGraphError";
  }
}

async function listTsFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await listTsFiles(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

/**
 * Read the import graph of the repository at `root` with `deno info --json`
 * (Deno's own parser): every `.ts` file under `lib/` and the top-level
 * `client.ts` and `server.ts`, with everything they reach, plus worker entry
 * points found in the source.
 *
 * @param root the repository root, an absolute path
 * @returns the graph, with paths relative to `root`
 * @throws {ImportGraphError} when `deno info` fails or a local import cannot be resolved
 */
export async function readImportGraph(root: string): Promise<ImportGraph> {
  const base = new URL(`file://${root.replace(/\/*$/, "/")}`);
  const roots = (await listTsFiles(`${root}/lib`)).sort();
  for (const top of ["client.ts", "server.ts"]) {
    try {
      if ((await Deno.stat(`${root}/${top}`)).isFile) roots.push(`${root}/${top}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  // One root module importing every file, so one `deno info` reads the whole graph.
  const source = roots.map((path) => `import ${JSON.stringify(new URL(path, base).href)};`)
    .join("\n");
  const rootModule = `data:application/typescript;base64,${
    toBase64(new TextEncoder().encode(source))
  }`;
  const config = `${root}/deno.json`;
  let hasConfig = false;
  try {
    hasConfig = (await Deno.stat(config)).isFile;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "info",
      "--json",
      "--no-lock",
      ...(hasConfig ? ["--config", config] : ["--no-config"]),
      rootModule,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new ImportGraphError(
      `deno info failed: ${new TextDecoder().decode(output.stderr).trim()}`,
    );
  }
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: DenoInfoModule[];
  };

  const relative = (specifier: string): string | undefined =>
    specifier.startsWith(base.href)
      ? decodeURIComponent(specifier.slice(base.href.length))
      : undefined;
  const graph: ImportGraph = new Map();
  for (const module of info.modules) {
    const from = relative(module.specifier);
    if (from === undefined) continue;
    if (module.error) throw new ImportGraphError(`${from}: ${module.error}`);
    const edges: ImportEdge[] = [];
    for (const dependency of module.dependencies ?? []) {
      const resolved = dependency.code ?? dependency.type;
      if (resolved?.error) {
        throw new ImportGraphError(`${from}: ${resolved.error}`);
      }
      const to = resolved?.specifier ? relative(resolved.specifier) : undefined;
      if (to === undefined) continue;
      const kind: ImportKind = dependency.code
        ? (dependency.isDynamic ? "dynamic" : "static")
        : "type";
      edges.push({ to, kind });
    }
    if (from.endsWith(".ts") && module.local) {
      const text = await Deno.readTextFile(module.local);
      for (const match of text.matchAll(WORKER_URL)) {
        const to = relative(new URL(match[2]!, module.specifier).href);
        if (to !== undefined) edges.push({ to, kind: "worker" });
      }
    }
    graph.set(from, edges);
  }
  return graph;
}

async function main(args: string[]): Promise<number> {
  let root: string;
  let verbose: boolean;
  try {
    const { values } = parseArgs({
      args,
      options: { root: { type: "string" }, verbose: { type: "boolean" } },
      strict: true,
    });
    root = values.root ?? new URL("..", import.meta.url).pathname;
    verbose = values.verbose ?? false;
  } catch (error) {
    console.error(
      `check_layers: ${(error as Error).message}; usage: check_layers.ts [--root DIR] [--verbose]`,
    );
    return 2;
  }
  root = root.replace(/\/+$/, "");
  let graph: ImportGraph;
  try {
    graph = await readImportGraph(await Deno.realPath(root));
  } catch (error) {
    console.error(`check_layers: ${(error as Error).message}`);
    return 2;
  }
  const report = checkLayers(graph);
  for (const line of report.violations) console.error(`layers: ${line}`);
  if (report.violations.length > 0) {
    console.error(
      `layers: ${report.violations.length} violation(s); the layer table and rules are in tools/check_layers.ts`,
    );
    return 1;
  }
  console.log(
    `layers: ${graph.size} files, ${report.checkedImports} imports from lib/ keep the layers ` +
      `(${report.exemptTestImports.length} test imports use the test exemption${
        verbose ? "" : "; --verbose lists them"
      })`,
  );
  if (verbose) {
    for (const line of report.exemptTestImports) {
      console.log(`layers: exempt: ${line}`);
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
