/**
 * `padlink-server --quiet` and `--only KINDS`: which input kinds the stdout
 * output shows, checked.
 *
 * @module
 */

import { EVENT_KINDS, type EventKind, isEventKind } from "../outputs/event_filter.ts";
import { UsageError } from "./common.ts";

/**
 * The input kinds stdout shows, or null for every event (no flag).
 * `--quiet` shows none (connects and disconnects only).
 *
 * @param quiet `--quiet` was given.
 * @param only The `--only` value, if given: comma-separated kinds.
 * @throws {UsageError} on an unknown or missing kind, or both flags.
 *
 * @example Usage
 * ```ts
 * import { parseOutputFilter } from "./output_filter.ts";
 * const kinds = parseOutputFilter(false, "buttons,keys");
 * if (!kinds || kinds.length !== 2 || kinds[1] !== "keys") throw new Error();
 * ```
 */
export function parseOutputFilter(quiet: boolean, only: string | undefined): EventKind[] | null {
  const known = Object.keys(EVENT_KINDS).join(", ");
  if (quiet && only !== undefined) {
    throw new UsageError("--quiet and --only contradict each other; pass one of them");
  }
  if (quiet) return [];
  if (only === undefined) return null;
  const kinds: EventKind[] = [];
  for (const word of only.split(",").map((w) => w.trim())) {
    if (word === "") {
      throw new UsageError(`--only takes kinds separated by commas (${known}), got '${only}'`);
    }
    if (!isEventKind(word)) {
      throw new UsageError(`--only: unknown kind '${word}'; the kinds are ${known}`);
    }
    if (!kinds.includes(word)) kinds.push(word);
  }
  return kinds;
}
