/**
 * The DSU defaults a command line needs, without loading the server
 * (which pulls in `node:dgram` and `node:zlib`).
 *
 * @module
 */

/** The port DSU clients look for by default. */
export const DSU_DEFAULT_PORT = 26760;

/** The address DSU listens on by default: loopback, as DS4Windows does, since DSU has no auth. */
export const DSU_DEFAULT_HOST = "127.0.0.1";

/** Slots a DSU server reports (0–3). */
export const DSU_SLOT_COUNT = 4;
