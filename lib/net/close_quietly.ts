/**
 * Closing what may already be closed.
 *
 * @module
 */

/** Anything with a synchronous `close()`: a connection, a listener, a file, a WebSocket. */
export interface Closable<A extends unknown[] = []> {
  /** Release the resource; may throw when it is already closed. */
  close(...args: A): void;
}

/**
 * Close `resource` (passing `args` on, such as a WebSocket's code and
 * reason), ignoring the error a resource that is already closed (by us, or
 * by the peer's reset) throws. `null` and `undefined` are skipped.
 *
 * @example Usage
 * ```ts
 * import { closeQuietly } from "./close_quietly.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * closeQuietly(listener);
 * closeQuietly(listener); // Already closed: nothing thrown.
 * ```
 */
export function closeQuietly<A extends unknown[] = []>(
  resource: Closable<A> | null | undefined,
  ...args: A
): void {
  try {
    resource?.close(...args);
  } catch {
    // Already closed.
  }
}
