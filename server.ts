/**
 * padlink-server: receives controller and keyboard input from padlink
 * clients and prints every event. See `--help` and the README.
 *
 * @module
 */

import { serverMain } from "./lib/cli/server_main.ts";

if (import.meta.main) Deno.exit(await serverMain(Deno.args));
