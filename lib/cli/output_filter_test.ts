import assert from "node:assert/strict";
import { UsageError } from "./common.ts";
import { parseOutputFilter } from "./output_filter.ts";

Deno.test("parseOutputFilter: no flag shows all, --quiet none, --only the kinds named", () => {
  assert.equal(parseOutputFilter(false, undefined), null);
  assert.deepEqual(parseOutputFilter(true, undefined), []);
  assert.deepEqual(parseOutputFilter(false, "buttons,keys"), ["buttons", "keys"]);
  assert.deepEqual(parseOutputFilter(false, " axes , pads,axes"), ["axes", "pads"]);
});

Deno.test("parseOutputFilter names an unknown kind and lists the known ones", () => {
  const refused = (quiet: boolean, only: string | undefined, message: string) =>
    assert.throws(
      () => parseOutputFilter(quiet, only),
      (error: unknown) => error instanceof UsageError && error.message === message,
    );
  refused(
    false,
    "buttons,sticks",
    "--only: unknown kind 'sticks'; the kinds are buttons, axes, keys, pads, motion, touches, battery",
  );
  refused(
    false,
    "button",
    "--only: unknown kind 'button'; the kinds are buttons, axes, keys, pads, motion, touches, battery",
  );
  refused(
    false,
    "",
    "--only takes kinds separated by commas (buttons, axes, keys, pads, motion, touches, battery), got ''",
  );
  refused(
    false,
    "keys,",
    "--only takes kinds separated by commas (buttons, axes, keys, pads, motion, touches, battery), got 'keys,'",
  );
  refused(true, "keys", "--quiet and --only contradict each other; pass one of them");
});
