import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { outputText, type TextOutput } from "./_spawn.ts";
import {
  checkLayers,
  type ImportEdge,
  type ImportGraph,
  isTestFile,
  layerOf,
  LAYERS,
  readImportGraph,
} from "./check_layers.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const SCRIPT = new URL("./check_layers.ts", import.meta.url).pathname;

/** A small graph that keeps the layers: both binaries, a few layers, a test. */
function goodGraph(): ImportGraph {
  const s = (to: string): ImportEdge => ({ to, kind: "static" });
  return new Map<string, ImportEdge[]>([
    ["client.ts", [s("lib/cli/client_main.ts")]],
    ["server.ts", [s("lib/cli/server_main.ts")]],
    ["lib/cli/client_main.ts", [s("lib/client/client.ts"), s("lib/cli/common.ts")]],
    ["lib/cli/server_main.ts", [s("lib/server/server.ts"), s("lib/outputs/format.ts")]],
    ["lib/cli/common.ts", [s("deno.json")]],
    ["lib/client/client.ts", [s("lib/net/connection.ts"), s("lib/wire/protocol.ts")]],
    ["lib/server/server.ts", [s("lib/net/connection.ts"), s("lib/wire/protocol.ts")]],
    ["lib/outputs/format.ts", [{ to: "lib/server/events.ts", kind: "type" }]],
    ["lib/server/events.ts", [{ to: "lib/input/model.ts", kind: "type" }]],
    ["lib/net/connection.ts", [s("lib/wire/frame.ts")]],
    ["lib/wire/protocol.ts", [s("lib/wire/frame.ts"), s("lib/input/model.ts")]],
    ["lib/wire/frame.ts", []],
    ["lib/input/model.ts", []],
    ["lib/mod.ts", [s("lib/server/server.ts"), s("lib/client/client.ts")]],
  ]);
}

function withImport(graph: ImportGraph, from: string, edge: ImportEdge): ImportGraph {
  graph.set(from, [...graph.get(from) ?? [], edge]);
  if (!graph.has(edge.to)) graph.set(edge.to, []);
  return graph;
}

Deno.test("checkLayers passes a graph that keeps the layers", () => {
  const report = checkLayers(goodGraph());
  assert.deepEqual(report.violations, []);
  assert.deepEqual(report.exemptTestImports, []);
});

Deno.test("checkLayers fails a lower layer that imports a higher one, naming both files", () => {
  const graph = withImport(goodGraph(), "lib/wire/frame.ts", {
    to: "lib/replay/recorder.ts",
    kind: "type",
  });
  assert.deepEqual(checkLayers(graph).violations, [
    "lib/wire/frame.ts imports (type only) lib/replay/recorder.ts: " +
    "wire (rank 1) is below replay (rank 4) and must not import it",
  ]);
});

Deno.test("checkLayers fails a dynamic import of a higher layer", () => {
  const graph = withImport(goodGraph(), "lib/net/connection.ts", {
    to: "lib/trust/auth.ts",
    kind: "dynamic",
  });
  assert.deepEqual(checkLayers(graph).violations, [
    "lib/net/connection.ts dynamically imports lib/trust/auth.ts: " +
    "net (rank 2) is below trust (rank 3) and must not import it",
  ]);
});

Deno.test("checkLayers fails client code that imports server code, and the client binary that carries it", () => {
  const graph = withImport(goodGraph(), "lib/client/client.ts", {
    to: "lib/server/events.ts",
    kind: "static",
  });
  assert.deepEqual(checkLayers(graph).violations, [
    "lib/client/client.ts imports lib/server/events.ts: " +
    "client is client-side and must not import server-side code (server)",
    "the client binary carries server-side code: " +
    "client.ts → lib/cli/client_main.ts → lib/client/client.ts → lib/server/events.ts",
  ]);
});

Deno.test("checkLayers fails server code that imports client code", () => {
  const graph = withImport(goodGraph(), "lib/server/server.ts", {
    to: "lib/client/client.ts",
    kind: "static",
  });
  const violations = checkLayers(graph).violations;
  assert.equal(
    violations[0],
    "lib/server/server.ts imports lib/client/client.ts: " +
      "server is server-side and must not import client-side code (client)",
  );
  assert.match(violations[1]!, /^the server binary carries client-side code: server\.ts → /);
  // server → client plus the existing client → … edges make no cycle: client never imports server.
  assert.equal(violations.length, 2);
});

Deno.test("checkLayers fails an output that imports client code although it ranks above it", () => {
  const graph = withImport(goodGraph(), "lib/outputs/format.ts", {
    to: "lib/client/client.ts",
    kind: "static",
  });
  assert.equal(
    checkLayers(graph).violations[0],
    "lib/outputs/format.ts imports lib/client/client.ts: " +
      "outputs is server-side and must not import client-side code (client)",
  );
});

Deno.test("checkLayers fails the client binary when cli code it reaches imports the server", () => {
  // cli may import server by rank, so only the binary rule catches this one.
  const graph = withImport(goodGraph(), "lib/cli/common.ts", {
    to: "lib/server/server.ts",
    kind: "static",
  });
  assert.deepEqual(checkLayers(graph).violations, [
    "the client binary carries server-side code: " +
    "client.ts → lib/cli/client_main.ts → lib/cli/common.ts → lib/server/server.ts",
  ]);
});

Deno.test("checkLayers reports an import cycle between layers with one import per hop", () => {
  const graph = withImport(goodGraph(), "lib/wire/frame.ts", {
    to: "lib/net/connection.ts",
    kind: "static",
  });
  const violations = checkLayers(graph).violations;
  assert.deepEqual(violations, [
    "lib/wire/frame.ts imports lib/net/connection.ts: " +
    "wire (rank 1) is below net (rank 2) and must not import it",
    "import cycle between layers wire → net → wire: " +
    "lib/wire/frame.ts → lib/net/connection.ts; lib/net/connection.ts → lib/wire/frame.ts",
  ]);
});

Deno.test("checkLayers lets a test import any layer and counts it, but not production code a test helper", () => {
  const graph = withImport(goodGraph(), "lib/trust/tls_test.ts", {
    to: "lib/server/server.ts",
    kind: "static",
  });
  withImport(graph, "lib/trust/tls_test.ts", { to: "lib/client/client.ts", kind: "static" });
  const passing = checkLayers(graph);
  assert.deepEqual(passing.violations, []);
  assert.deepEqual(passing.exemptTestImports, [
    "lib/trust/tls_test.ts imports lib/server/server.ts: " +
    "trust (rank 3) is below server (rank 6) and must not import it",
    "lib/trust/tls_test.ts imports lib/client/client.ts: " +
    "trust (rank 3) is below client (rank 6) and must not import it",
  ]);

  withImport(graph, "lib/wire/protocol.ts", { to: "lib/wire/_test_sink.ts", kind: "static" });
  assert.deepEqual(checkLayers(graph).violations, [
    "lib/wire/protocol.ts imports lib/wire/_test_sink.ts: " +
    "production code must not depend on a test file or test helper",
  ]);
});

Deno.test("checkLayers fails a file in no layer and lib/ importing a local file outside lib/", () => {
  const graph = goodGraph();
  graph.set("lib/gadgets/thing.ts", []);
  withImport(graph, "lib/wire/frame.ts", { to: "tests/_util.ts", kind: "static" });
  assert.deepEqual(checkLayers(graph).violations, [
    "lib/wire/frame.ts imports tests/_util.ts: lib/ must not import local files outside lib/",
    "lib/gadgets/thing.ts is in no layer; put it in a layer's folder or add its folder to LAYERS in tools/check_layers.ts",
  ]);
});

Deno.test("checkLayers fails when an entrypoint of a binary is missing", () => {
  const graph = goodGraph();
  graph.delete("lib/cli/client_main.ts");
  assert.deepEqual(checkLayers(graph).violations, [
    "lib/cli/client_main.ts, an entrypoint of the client binary, is missing; update BINARIES in tools/check_layers.ts",
  ]);
});

Deno.test("layerOf and isTestFile map paths to the table", () => {
  assert.equal(layerOf("lib/mod.ts")?.name, "package");
  assert.equal(layerOf("lib/outputs/web/overlay.ts")?.name, "outputs");
  assert.equal(layerOf("lib/nowhere/x.ts"), undefined);
  assert.equal(layerOf("tests/_util.ts"), undefined);
  assert.ok(isTestFile("lib/wire/frame_test.ts"));
  assert.ok(isTestFile("lib/wire/_test_random.ts"));
  assert.ok(!isTestFile("lib/wire/frame.ts"));
  // Every folder under lib/ is in the table, and the table names each folder once.
  assert.equal(new Set(LAYERS.map((layer) => layer.folder)).size, LAYERS.length);
});

/** The permission flags `deno task check` gives the script. */
function checkTaskFlags(): string[] {
  const task = (denoJson.tasks as Record<string, string>).check;
  const command = task?.split("&&").find((part) => part.includes("tools/check_layers.ts"));
  if (!command) throw new Error("deno task check does not run tools/check_layers.ts");
  return command.trim().split(/\s+/).filter((word) => word.startsWith("--allow-"));
}

function runScript(root: string): Promise<TextOutput> {
  return outputText(
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...checkTaskFlags(), SCRIPT, "--root", root],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }),
  );
}

Deno.test("check_layers.ts exits 1 with one line per violation for a tree with a wrong import", async () => {
  const dir = await Deno.makeTempDir({ prefix: "padlink-layers-" });
  try {
    const files: Record<string, string> = {
      "client.ts": 'import "./lib/cli/client_main.ts";\n',
      "server.ts": 'import "./lib/cli/server_main.ts";\n',
      "lib/cli/client_main.ts": 'import { connect } from "../client/client.ts";\nconnect();\n',
      "lib/cli/server_main.ts": 'import { serve } from "../server/server.ts";\nserve();\n',
      "lib/client/client.ts": 'export { frame as connect } from "../wire/frame.ts";\n',
      "lib/server/server.ts": "export function serve(): void {}\n",
      // The wrong import: wire reaches up into the server, dynamically.
      "lib/wire/frame.ts":
        'export function frame(): Promise<unknown> {\n  return import("../server/server.ts");\n}\n',
    };
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${path.slice(0, path.lastIndexOf("/") + 1)}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text);
    }
    const { code, stderr } = await runScript(dir);
    assert.equal(code, 1, stderr);
    const lines = stderr.trim().split("\n");
    assert.deepEqual(lines, [
      "layers: lib/wire/frame.ts dynamically imports lib/server/server.ts: " +
      "wire (rank 1) is below server (rank 6) and must not import it",
      "layers: the client binary carries server-side code: " +
      "client.ts → lib/cli/client_main.ts → lib/client/client.ts → lib/wire/frame.ts → lib/server/server.ts",
      "layers: 2 violation(s); the layer table and rules are in tools/check_layers.ts",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check_layers.ts passes the real repository", async () => {
  const { code, stdout, stderr } = await runScript(ROOT);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^layers: \d+ files, \d+ imports from lib\/ keep the layers/);
});

Deno.test("readImportGraph sees static, type-only, dynamic and worker imports of the real repository", async () => {
  const graph = await readImportGraph(ROOT);
  const edge = (from: string, to: string) => graph.get(from)?.find((e) => e.to === to)?.kind;
  assert.equal(edge("lib/net/connection.ts", "lib/wire/frame.ts"), "static");
  assert.equal(edge("lib/trust/pairing.ts", "lib/trust/certificate.ts"), "dynamic");
  assert.equal(edge("lib/sdl2/source.ts", "lib/sdl2/worker.ts"), "worker");
  assert.equal(edge("lib/sdl2/messages.ts", "lib/input/model.ts"), "type");
  assert.ok(graph.has("lib/cli/client_main.ts") && graph.has("client.ts"));
});
