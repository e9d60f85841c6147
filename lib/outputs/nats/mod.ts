/**
 * The NATS output (`padlink-server --nats URL`): every event on
 * `padlink.<server>.<client>.<type>` as its `--json` object, commands back
 * on `padlink.<server>.<client>.command`, a snapshot for a request on
 * `padlink.<server>.state`. `subjects.ts` holds the reversible rule that
 * turns names into subject tokens; `url.ts` reads the `--nats` URL. This
 * module loads the NATS client library; `lib/outputs/mod.ts` exports only
 * the subjects and URL helpers, which do not.
 *
 * @module
 */

export * from "./output.ts";
export * from "./subjects.ts";
export * from "./url.ts";
