import assert from "node:assert/strict";
import { defaultConfigDir } from "./config_dir.ts";

function envOf(values: Record<string, string>) {
  return (name: string) => values[name];
}

Deno.test("defaultConfigDir follows each OS's convention", () => {
  assert.equal(defaultConfigDir("linux", envOf({ HOME: "/home/a" })), "/home/a/.config/padlink");
  assert.equal(
    defaultConfigDir("linux", envOf({ HOME: "/home/a", XDG_CONFIG_HOME: "/cfg" })),
    "/cfg/padlink",
  );
  assert.equal(
    defaultConfigDir("linux", envOf({ HOME: "/home/a", XDG_CONFIG_HOME: "relative" })),
    "/home/a/.config/padlink",
    "a relative XDG_CONFIG_HOME is ignored, as the spec says",
  );
  assert.equal(
    defaultConfigDir("darwin", envOf({ HOME: "/Users/a" })),
    "/Users/a/Library/Application Support/padlink",
  );
  assert.equal(
    defaultConfigDir("windows", envOf({ APPDATA: "C:\\Users\\a\\AppData\\Roaming" })),
    "C:\\Users\\a\\AppData\\Roaming\\padlink",
  );
  assert.throws(() => defaultConfigDir("linux", envOf({})), /--config-dir/);
});
