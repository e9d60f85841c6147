/**
 * padlink-client: reads game controllers and the keyboard through SDL2 (or
 * a replay file) and forwards every change to a padlink server. See
 * `--help` and the README.
 *
 * @module
 */

import { clientMain } from "./lib/cli/client_main.ts";

if (import.meta.main) Deno.exit(await clientMain(Deno.args));
