/**
 * The names of the clients connected to one server. Two clients may ask for
 * the same name (two machines both called "laptop"); the second gets a
 * suffix, so every event names exactly one client.
 *
 * @module
 */

/**
 * Hands out unique client names.
 *
 * @example Two clients called alice
 * ```ts
 * import { NameRegistry } from "./name_registry.ts";
 * const names = new NameRegistry();
 * const first = names.claim("alice");
 * const second = names.claim("alice");
 * if (first !== "alice" || second !== "alice#2") throw new Error(`${first} ${second}`);
 * ```
 */
export class NameRegistry {
  readonly #taken = new Set<string>();

  /**
   * Take a unique name: `wanted` itself when free, else `wanted#2`,
   * `wanted#3`… (`#` is not allowed in a requested name, so a suffixed name
   * never collides with one asked for).
   *
   * @returns the name now held until {@linkcode release}.
   */
  claim(wanted: string): string {
    let name = wanted;
    for (let n = 2; this.#taken.has(name); n++) name = `${wanted}#${n}`;
    this.#taken.add(name);
    return name;
  }

  /** Give a name back so the next client may take it. */
  release(name: string): void {
    this.#taken.delete(name);
  }

  /** How many names are held now. */
  get size(): number {
    return this.#taken.size;
  }
}
