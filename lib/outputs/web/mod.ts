/**
 * The live web view and stream overlay (`padlink-server --web`): an
 * {@linkcode WebOutput} on the output seam, its access rules and its
 * per-socket queues. The pages themselves are plain files in `static/`.
 *
 * @module
 */

export * from "./access.ts";
export * from "./socket_queue.ts";
export * from "./static_files.ts";
export * from "./web_output.ts";
